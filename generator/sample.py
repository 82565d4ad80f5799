"""Batched generation: many songs at once, streamed to disk in chunks, with a sidecar per song.

Memory per song is constant (a chunk of samples plus tier states), whatever the duration.
Each tier runs once per its frame (its outputs are cached between), and the sample-level
MLP's input projection is a precomputed table. Output is deterministic for a seed, batch
and device.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf
import torch

from dropper.errors import ConfigError
from dropper.files import canonical_json, write_text
from generator.checkpoint import Checkpoint, load_checkpoint
from generator.model import SampleRNN
from generator.quantize import dequantize, quantize

CHUNK_SAMPLES = 16384


@dataclass(frozen=True)
class SongRequest:
    """One song to generate: where it goes and at what temperature."""

    path: Path
    temperature: float


def sample(checkpoint: str | os.PathLike, out_dir: str | os.PathLike, *, temperatures: list[float],
           count: int, seconds: float, seed: int = 0, batch: int = 16,
           device: str | None = None) -> list[Path]:
    """Generate ``count`` songs at each temperature into ``out_dir``; return the wav paths.

    Parameters
    ----------
    checkpoint : path
        A ``checkpoint.safetensors`` (or the training folder holding it).
    out_dir : path
        Receives ``t{temperature}-{i:03d}.wav`` and ``.json`` sidecars with ``temperature``,
        ``checkpoint`` (SHA-256 of the file), ``seed``, ``duration_s`` and ``model``.
    temperatures : list of float
        Logits are divided by each temperature exactly before the softmax; each must be > 0.
    count : int
        Songs per temperature.
    seconds : float
        Duration of each song in seconds.
    seed : int
        Seed of the sampling; the same seed, batch and device give the same songs.
    batch : int
        Songs generated together (rows of one batched step).
    device : str, optional
        ``"cpu"`` or ``"cuda"``; default CUDA when available.
    """
    if not temperatures or any(not (t > 0 and math.isfinite(t)) for t in temperatures):
        raise ConfigError(f"temperatures: {temperatures} must be one or more finite values > 0")
    if count < 1 or batch < 1 or not seconds > 0:
        raise ConfigError(f"count ({count}), batch ({batch}) and seconds ({seconds}) must be positive")
    device = device or ("cuda" if torch.cuda.is_available() else "cpu")
    loaded = load_checkpoint(checkpoint, device=device)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    requests = [SongRequest(out / f"t{t:g}-{i:03d}.wav", float(t)) for t in temperatures for i in range(count)]
    n_samples = round(seconds * loaded.config.sample_rate)
    generator = torch.Generator(device=device).manual_seed(seed)
    for first in range(0, len(requests), batch):
        group = requests[first: first + batch]
        entropies = generate_batch(loaded.model, group, n_samples=n_samples, generator=generator)
        for index, (request, entropy) in enumerate(zip(group, entropies)):
            _write_sidecar(request, loaded, seed=seed, song_index=first + index,
                           n_samples=n_samples, entropy_bits=entropy)
    return [r.path for r in requests]


@torch.inference_mode()
def generate_batch(model: SampleRNN, requests: list[SongRequest], *, n_samples: int,
                   generator: torch.Generator, chunk: int = CHUNK_SAMPLES) -> list[float]:
    """Generate one batch of songs, writing each as 16-bit wav; return mean entropy in bits/sample."""
    config, device = model.config, next(model.parameters()).device
    look = model.lookback
    temps = torch.tensor([r.temperature for r in requests], device=device).unsqueeze(1)
    silence = int(quantize(np.zeros(1), method=config.quantization, q_levels=config.q_levels)[0])
    buffer = torch.full((len(requests), look + chunk), silence, dtype=torch.long, device=device)
    entropy = torch.zeros(len(requests), device=device, dtype=torch.float64)
    state = model.start()
    parts = [r.path.with_name(f".{r.path.name}.part") for r in requests]
    writers = [sf.SoundFile(str(p), "w", samplerate=config.sample_rate, channels=1,
                            subtype="PCM_16", format="WAV") for p in parts]
    try:
        for start in range(0, n_samples, chunk):
            size = min(chunk, n_samples - start)
            for i in range(size):
                logits = model.step(buffer[:, i: look + i], start + i, state)
                logp = torch.log_softmax(logits / temps, dim=-1)
                probs = logp.exp()
                entropy -= (probs * logp).sum(-1).double()
                buffer[:, look + i] = torch.multinomial(probs, 1, generator=generator).squeeze(1)
            audio = dequantize(buffer[:, look: look + size].cpu().numpy(), method=config.quantization,
                               q_levels=config.q_levels)
            for writer, row in zip(writers, audio):
                writer.write(row)
            buffer[:, :look] = buffer[:, size: size + look].clone()
    except BaseException:
        for writer, part in zip(writers, parts):
            writer.close()
            part.unlink(missing_ok=True)
        raise
    for writer, part, request in zip(writers, parts, requests):
        writer.close()
        os.replace(part, request.path)
    return (entropy / n_samples / math.log(2)).tolist()


def temperature_probs(logits: torch.Tensor, temperature: float) -> torch.Tensor:
    """The sampling distribution: ``softmax(logits / temperature)``, exactly."""
    return torch.softmax(logits / temperature, dim=-1)


def _write_sidecar(request: SongRequest, loaded: Checkpoint, *, seed: int, song_index: int,
                   n_samples: int, entropy_bits: float) -> None:
    sidecar = {"temperature": request.temperature, "checkpoint": loaded.sha256, "seed": seed,
               "song_index": song_index, "duration_s": n_samples / loaded.config.sample_rate,
               "sample_rate": loaded.config.sample_rate, "model": loaded.config.name,
               "training_step": loaded.step, "entropy_bits_per_sample": round(entropy_bits, 4)}
    write_text(request.path.with_suffix(".json"), canonical_json(sidecar) + "\n")
