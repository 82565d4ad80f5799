"""The training loop: resumable from the last checkpoint, logging loss and validation NLL in bits.

Batches are drawn from a generator seeded by ``(config.seed, step)``, so a run stopped at
step N and resumed from its checkpoint follows the same loss curve as an uninterrupted one.
"""

from __future__ import annotations

import json
import math
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from dropper.errors import ConfigError
from dropper.files import write_text
from dropper.progress import Progress
from generator.checkpoint import CHECKPOINT_NAME, load_checkpoint, save_checkpoint
from generator.config import GeneratorConfig
from generator.data import SkippedFile, load_corpus, sample_batch, validation_windows
from generator.model import SampleRNN
from generator.sample import SongRequest, generate_batch

LOG_NAME = "train_log.jsonl"
PREVIEW_DIR = "previews"
CHART_NAME = "loss.svg"


@dataclass
class TrainReport:
    """What a call to :func:`train` did."""

    checkpoint: Path
    start_step: int
    end_step: int
    loss_bits: list[float] = field(default_factory=list)  # per step of this call, bits/sample
    val_bits_per_sample: float | None = None
    skipped: list[SkippedFile] = field(default_factory=list)
    train_samples: int = 0
    seconds: float = 0.0

    @property
    def resumed(self) -> bool:
        return self.start_step > 0


def train(data_dir: str | os.PathLike, out_dir: str | os.PathLike, *, config: GeneratorConfig | None = None,
          steps: int, resume: bool = True, progress: Progress | None = None,
          device: str | None = None) -> TrainReport:
    """Train a SampleRNN on the audio under ``data_dir`` until it has taken ``steps`` steps.

    Parameters
    ----------
    data_dir : path
        A folder of audio files (searched recursively); unreadable ones are skipped with a reason.
    out_dir : path
        Where ``checkpoint.safetensors``, ``config.json``, ``train_log.jsonl`` and
        ``previews/`` go.
    config : GeneratorConfig, optional
        Hyper-parameters; defaults to ``GeneratorConfig()``. When resuming, its architecture
        must match the checkpoint's (else :class:`ConfigError`).
    steps : int
        Total optimizer steps to reach, counting steps done by earlier runs.
    resume : bool
        Continue from ``out_dir``'s checkpoint if there is one; ``False`` starts over.
    progress : Progress, optional
        Shows a bar advancing once per step with the step's loss (on a terminal).
    device : str, optional
        ``"cpu"`` or ``"cuda"``; default CUDA when available.

    Returns
    -------
    TrainReport
    """
    config = config or GeneratorConfig()
    if steps < 0:
        raise ConfigError(f"steps: {steps} must be >= 0")
    device = device or ("cuda" if torch.cuda.is_available() else "cpu")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    corpus = load_corpus(data_dir, config)
    model, optimizer, start = _model_and_optimizer(out, config, resume, device)
    report = TrainReport(checkpoint=out / CHECKPOINT_NAME, start_step=start, end_step=start,
                         skipped=corpus.skipped, train_samples=corpus.train_samples)
    length = model.lookback + config.seq_len
    val = torch.from_numpy(validation_windows(corpus.val, length=length)).to(device)
    _trim_log(out / LOG_NAME, start)
    since_log: list[float] = []
    with (progress or Progress.quiet()).task("train", total=max(steps, start), done=start) as advance:
        for step in range(start, steps):
            rng = np.random.default_rng([config.seed, step])
            batch = sample_batch(corpus.train, batch_size=config.batch_size, length=length, rng=rng)
            loss_bits = train_step(model, optimizer, torch.from_numpy(batch).to(device))
            report.loss_bits.append(loss_bits)
            since_log.append(loss_bits)
            done = report.end_step = step + 1
            advance(f"step {done}  loss {loss_bits:.3f} bits")
            record = {}
            if done % config.val_every == 0 or done == steps:
                report.val_bits_per_sample = record["val_bits"] = validation_bits(model, val)
            if record or done % config.log_every == 0:
                _log(out / LOG_NAME, {"step": done, "loss_bits": float(np.mean(since_log)), **record})
                since_log = []
                if record or done % (config.log_every * 10) == 0:
                    write_loss_chart(out)
            # The preview before the checkpoint: a run killed while it is written resumes from an
            # earlier checkpoint and writes it again.
            if config.preview_every and done % config.preview_every == 0:
                write_preview(model, out / PREVIEW_DIR / f"step-{done:06d}.wav", seconds=config.preview_seconds,
                              seed=done)
            if done % config.checkpoint_every == 0 or done == steps:
                save_checkpoint(out, model, optimizer, done)
    if start >= steps and not report.checkpoint.exists():
        save_checkpoint(out, model, optimizer, start)
    report.seconds = time.perf_counter() - started
    return report


def _model_and_optimizer(out: Path, config: GeneratorConfig, resume: bool,
                         device: str) -> tuple[SampleRNN, torch.optim.Optimizer, int]:
    if resume and (out / CHECKPOINT_NAME).exists():
        loaded = load_checkpoint(out, expect=config, device=device)
        model = loaded.model.train()
        optimizer = torch.optim.Adam(model.parameters(), lr=config.learning_rate)
        if loaded.optimizer_state is not None and loaded.optimizer_state["state"]:
            optimizer.load_state_dict(loaded.optimizer_state)
            for group in optimizer.param_groups:
                group["lr"] = config.learning_rate
        return model, optimizer, loaded.step
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(config.seed)
        model = SampleRNN(config)
    model.to(device).train()
    return model, torch.optim.Adam(model.parameters(), lr=config.learning_rate), 0


def train_step(model: SampleRNN, optimizer: torch.optim.Optimizer, batch: torch.Tensor) -> float:
    """One optimizer step on a batch of class sequences; returns the loss in bits per sample."""
    logits = model(batch)
    loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), batch[:, model.lookback:].reshape(-1))
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    optimizer.step()
    return loss.item() / math.log(2)


@torch.no_grad()
def validation_bits(model: SampleRNN, windows: torch.Tensor, *, chunk: int = 16) -> float:
    """Mean negative log-likelihood of the held-out windows, in bits per sample."""
    was_training = model.training
    model.eval()
    total, count = 0.0, 0
    for i in range(0, len(windows), chunk):
        part = windows[i: i + chunk]
        logits = model(part)
        targets = part[:, model.lookback:]
        total += F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1), reduction="sum").item()
        count += targets.numel()
    model.train(was_training)
    return total / count / math.log(2)


def write_preview(model: SampleRNN, path: Path, *, seconds: float, seed: int) -> Path:
    """Sample ``seconds`` of audio at temperature 1.0 from the model as it is now."""
    path.parent.mkdir(parents=True, exist_ok=True)
    was_training = model.training
    model.eval()
    try:
        generate_batch(model, [SongRequest(path, 1.0)], n_samples=round(seconds * model.config.sample_rate), seed=seed)
    finally:
        model.train(was_training)
    return path


def write_loss_chart(out: Path) -> Path:
    """``loss.svg``: training loss and validation NLL (bits/sample) against steps, from the log."""
    from dropper.catalog.charts import line_chart

    records = _read_log(out / LOG_NAME)
    series = [("training loss", [(r["step"], r["loss_bits"]) for r in records]),
              ("validation", [(r["step"], r["val_bits"]) for r in records if "val_bits" in r])]
    svg = line_chart(series, title=f"{out.name}: loss in bits per sample", x_label="step", y_label="bits/sample")
    write_text(out / CHART_NAME, svg + "\n")
    return out / CHART_NAME


def _log(path: Path, record: dict) -> None:
    with open(path, "a", encoding="utf-8") as handle:  # an append-only log, not a final output
        handle.write(json.dumps(record) + "\n")


def _read_log(path: Path) -> list[dict]:
    """The log's records in order, up to a last line cut short by a kill."""
    if not path.exists():
        return []
    records = []
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError:
            break  # only the last line can be cut, and a resumed run drops it
    return records


def _trim_log(path: Path, step: int) -> None:
    """Drop log lines past the checkpoint we resume from (a killed run may have logged them)."""
    if path.exists():
        write_text(path, "".join(json.dumps(r) + "\n" for r in _read_log(path) if r["step"] <= step))
