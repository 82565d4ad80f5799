"""A folder of audio -> quantized training and validation sequences for the generator.

Each usable file is loaded mono at the model's rate and quantized; the last
``val_fraction`` of every file is held out for validation. Unreadable files are skipped, each
with its reason, so one bad file does not stop a training run.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from dropper import audio
from dropper.errors import AudioError, DropperError, MissingInput
from generator.config import GeneratorConfig
from generator.quantize import quantize


@dataclass(frozen=True)
class SkippedFile:
    """A file left out of training and why (the AudioError's message)."""

    path: Path
    reason: str


@dataclass
class AudioCorpus:
    """Quantized uint16 class sequences, one per usable file, split into train and validation."""

    train: list[np.ndarray]
    val: list[np.ndarray]
    files: list[Path]
    skipped: list[SkippedFile] = field(default_factory=list)

    @property
    def train_samples(self) -> int:
        return sum(len(x) for x in self.train)


def load_corpus(data_dir: str | os.PathLike, config: GeneratorConfig) -> AudioCorpus:
    """Load every audio file under ``data_dir`` (recursively, sorted) for training.

    Raises
    ------
    MissingInput
        ``data_dir`` does not exist or holds no audio files.
    AudioError
        No file is usable (each skipped file's reason is in the message).
    """
    root = Path(data_dir)
    if not root.is_dir():
        raise MissingInput(f"{root}: training data folder not found")
    paths = sorted(p for p in root.rglob("*") if p.is_file() and audio.is_audio_name(p))
    if not paths:
        raise MissingInput(f"{root}: no audio files (.wav, .flac, .ogg, .mp3) to train on")
    need = config.frame_sizes[0] + config.seq_len
    corpus = AudioCorpus(train=[], val=[], files=[])
    for path in paths:
        try:
            classes = _load_classes(path, config)
        except DropperError as exc:
            corpus.skipped.append(SkippedFile(path, str(exc)))
            continue
        n_val = max(need, round(len(classes) * config.val_fraction))
        if len(classes) - n_val < need:
            seconds = 2 * need / config.sample_rate
            corpus.skipped.append(SkippedFile(path, f"{path}: too short to train on "
                                                    f"(needs at least {seconds:.2f} s)"))
            continue
        corpus.train.append(classes[:-n_val])
        corpus.val.append(classes[-n_val:])
        corpus.files.append(path)
    if not corpus.train:
        reasons = "; ".join(s.reason for s in corpus.skipped)
        raise AudioError(f"{root}: no usable training audio ({reasons})")
    return corpus


def _load_classes(path: Path, config: GeneratorConfig) -> np.ndarray:
    audio.verify(path)  # a full decode: catches truncated and corrupt files before training
    y, _ = audio.load(path, sr=config.sample_rate, mono=True)
    if not np.isfinite(y).all():
        raise AudioError(f"{path}: corrupt audio: non-finite samples")
    # uint16 holds every class of every allowed q_levels (up to 65536); int16 would wrap past 32767
    return quantize(y, method=config.quantization, q_levels=config.q_levels).astype(np.uint16)


def sample_batch(sequences: list[np.ndarray], *, batch_size: int, length: int,
                 rng: np.random.Generator) -> np.ndarray:
    """``batch_size`` random windows of ``length`` classes, files weighted by their length."""
    sizes = np.array([len(x) - length + 1 for x in sequences], dtype=np.float64)
    picks = rng.choice(len(sequences), size=batch_size, p=sizes / sizes.sum())
    starts = [int(rng.integers(0, sizes[i])) for i in picks]
    return np.stack([sequences[i][s: s + length] for i, s in zip(picks, starts)]).astype(np.int64)


def validation_windows(sequences: list[np.ndarray], *, length: int, max_windows: int = 64) -> np.ndarray:
    """Non-overlapping windows of ``length`` from the held-out audio (a fixed validation set)."""
    windows = [x[s: s + length] for x in sequences for s in range(0, len(x) - length + 1, length)]
    if len(windows) > max_windows:
        chosen = np.linspace(0, len(windows) - 1, max_windows).round().astype(int)
        windows = [windows[i] for i in chosen]
    return np.stack(windows).astype(np.int64)
