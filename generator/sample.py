"""Batched generation: many songs at once, streamed to disk in chunks, with a sidecar per song.

Memory per song is constant (a chunk of samples plus tier states), whatever the duration.
The work is done by :class:`generator.frames.FrameSampler` (tiers run once per frame, CUDA
graphs on a GPU). Each song draws from its own random stream, seeded by the run's seed and the
song's index; the same seed, device and batch give the same songs. A rerun into the same
folder keeps the songs already written (same checkpoint, seed, temperature and duration) and
generates the rest.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf
import torch

from dropper.errors import ConfigError
from dropper.files import canonical_json, write_text
from dropper.progress import Progress
from generator.checkpoint import Checkpoint, load_checkpoint
from generator.frames import FrameSampler
from generator.model import SampleRNN
from generator.quantize import dequantize, quantize

CHUNK_SAMPLES = 16384
Advance = Callable[[str], None]  # called once per chunk written, with a label


@dataclass(frozen=True)
class SongRequest:
    """One song to generate: where it goes, at what temperature, and its index in the run."""

    path: Path
    temperature: float
    index: int = 0


def plan(out_dir: str | os.PathLike, temperatures: list[float], count: int) -> list[SongRequest]:
    """The songs of a run: ``t{temperature}-{i:03d}.wav`` for each temperature, in order.

    Raises :class:`ConfigError` when two temperatures would write the same files.
    """
    labels: dict[str, float] = {}
    for t in temperatures:
        if (label := f"{float(t):g}") in labels:
            raise ConfigError(f"temperatures: {labels[label]!r} and {float(t)!r} would both write "
                              f"t{label}-NNN.wav; give each temperature once")
        labels[label] = float(t)
    out = Path(out_dir)
    pairs = [(float(t), i) for t in temperatures for i in range(count)]
    return [SongRequest(out / f"t{t:g}-{i:03d}.wav", t, n) for n, (t, i) in enumerate(pairs)]


def sample(checkpoint: str | os.PathLike, out_dir: str | os.PathLike, *, temperatures: list[float],
           count: int, seconds: float, seed: int = 0, batch: int = 16, device: str | None = None,
           graphs: bool | None = None, progress: Progress | None = None) -> list[Path]:
    """Generate ``count`` songs at each temperature into ``out_dir``; return the wav paths.

    Parameters
    ----------
    checkpoint : path
        A ``checkpoint.safetensors`` (or the training folder holding it).
    out_dir : path
        Receives ``t{temperature}-{i:03d}.wav`` and ``.json`` sidecars with ``temperature``,
        ``checkpoint`` (SHA-256 of the file), ``seed``, ``song_index``, ``duration_s`` and
        ``model``. Songs already there from the same checkpoint, seed, temperature and
        duration are kept (a rerun resumes); a song from another run is an error.
    temperatures : list of float
        Logits are divided by each temperature exactly before the softmax; each must be > 0.
    count : int
        Songs per temperature.
    seconds : float
        Duration of each song in seconds.
    seed : int
        Seed of the sampling (>= 0); the same seed, batch and device give the same songs.
    batch : int
        Songs generated together (rows of one batched step).
    device : str, optional
        ``"cpu"`` or ``"cuda"``; default CUDA when available.
    graphs : bool, optional
        Replay each frame as a CUDA graph (default on CUDA; ignored on CPU).
    progress : Progress, optional
        Shows a bar advancing once per chunk of audio written (on a terminal).
    """
    if not temperatures or any(not (t > 0 and math.isfinite(t)) for t in temperatures):
        raise ConfigError(f"temperatures: {temperatures} must be one or more finite values > 0")
    if count < 1 or batch < 1 or not seconds > 0:
        raise ConfigError(f"count ({count}), batch ({batch}) and seconds ({seconds}) must be positive")
    if seed < 0:
        raise ConfigError(f"seed: {seed} must be >= 0")
    requests = plan(out_dir, temperatures, count)
    device = device or ("cuda" if torch.cuda.is_available() else "cpu")
    loaded = load_checkpoint(checkpoint, device=device)
    n_samples = round(seconds * loaded.config.sample_rate)
    if n_samples < 1:
        raise ConfigError(f"seconds: {seconds} is shorter than one sample at {loaded.config.sample_rate} Hz")
    Path(out_dir).mkdir(parents=True, exist_ok=True)
    pending = [r for r in requests if not _already_written(r, loaded, seed=seed, n_samples=n_samples)]
    groups = [pending[first: first + batch] for first in range(0, len(pending), batch)]
    chunks = len(groups) * math.ceil(n_samples / CHUNK_SAMPLES)
    with (progress or Progress.quiet()).task("sample", total=chunks) as advance:
        for group in groups:
            entropies = generate_batch(loaded.model, group, n_samples=n_samples, seed=seed, graphs=graphs,
                                       advance=advance)
            for request, entropy in zip(group, entropies):
                _write_sidecar(request, loaded, seed=seed, n_samples=n_samples, entropy_bits=entropy)
    return [r.path for r in requests]


def song_generator(seed: int, index: int, device: torch.device | str) -> torch.Generator:
    """The random stream of song ``index`` of a run seeded ``seed``."""
    state = np.random.SeedSequence([seed, index]).generate_state(2, dtype=np.uint32)
    return torch.Generator(device=device).manual_seed(int(state[0]) << 31 | int(state[1]) >> 1)


@torch.inference_mode()
def generate_batch(model: SampleRNN, requests: list[SongRequest], *, n_samples: int, seed: int,
                   chunk: int = CHUNK_SAMPLES, graphs: bool | None = None,
                   advance: Advance | None = None) -> list[float]:
    """Generate one batch of songs, writing each as 16-bit wav; return mean entropy in bits/sample."""
    config, device = model.config, model.mlp.output.weight.device
    silence = int(quantize(np.zeros(1), method=config.quantization, q_levels=config.q_levels)[0])
    sampler = FrameSampler(model, [r.temperature for r in requests], silence=silence, graphs=graphs)
    frame = sampler.frame
    chunk = max(frame, chunk // frame * frame)
    streams = [song_generator(seed, r.index, device) for r in requests]
    out = torch.empty(len(requests), chunk, dtype=torch.long, device=device)
    parts = [r.path.with_name(f".{r.path.name}.part") for r in requests]
    writers = [sf.SoundFile(str(p), "w", samplerate=config.sample_rate, channels=1,
                            subtype="PCM_16", format="WAV") for p in parts]
    generated = 0
    try:
        for start in range(0, n_samples, chunk):
            size = min(chunk, n_samples - start)
            frames = math.ceil(size / frame)
            uniforms = torch.stack([torch.rand(frames * frame, generator=g, device=device) for g in streams])
            for j in range(frames):
                out[:, j * frame: (j + 1) * frame] = sampler.next_frame(uniforms[:, j * frame: (j + 1) * frame])
            generated += frames * frame
            audio = dequantize(out[:, :size].cpu().numpy(), method=config.quantization, q_levels=config.q_levels)
            for writer, row in zip(writers, audio):
                writer.write(row)
            if advance is not None:
                advance(f"{requests[0].path.name}..{requests[-1].path.name}")
    except BaseException:
        for writer, part in zip(writers, parts):
            writer.close()
            part.unlink(missing_ok=True)
        raise
    for writer, part, request in zip(writers, parts, requests):
        writer.close()
        os.replace(part, request.path)
    return sampler.entropy_bits(generated)


def _sidecar_identity(request: SongRequest, loaded: Checkpoint, *, seed: int, n_samples: int) -> dict:
    """The sidecar fields that say which run made a song."""
    return {"temperature": request.temperature, "checkpoint": loaded.sha256, "seed": seed,
            "song_index": request.index, "duration_s": n_samples / loaded.config.sample_rate}


def _already_written(request: SongRequest, loaded: Checkpoint, *, seed: int, n_samples: int) -> bool:
    """True when this run wrote the song before; a song from another run is an error."""
    sidecar = request.path.with_suffix(".json")
    if not (request.path.is_file() and sidecar.is_file()):
        return False
    want = _sidecar_identity(request, loaded, seed=seed, n_samples=n_samples)
    try:
        have = json.loads(sidecar.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError):
        have = {}
    differ = [key for key, value in want.items() if not isinstance(have, dict) or have.get(key) != value]
    if differ:
        raise ConfigError(f"{request.path}: already holds a song from another run ({', '.join(differ)} "
                          "differ); sample into another --out folder or remove it")
    return True


def _write_sidecar(request: SongRequest, loaded: Checkpoint, *, seed: int, n_samples: int,
                   entropy_bits: float) -> None:
    sidecar = {**_sidecar_identity(request, loaded, seed=seed, n_samples=n_samples),
               "sample_rate": loaded.config.sample_rate, "model": loaded.config.name,
               "training_step": loaded.step, "entropy_bits_per_sample": round(entropy_bits, 4)}
    write_text(request.path.with_suffix(".json"), canonical_json(sidecar) + "\n")
