"""The generator's hyper-parameters: one frozen record, saved as JSON beside every checkpoint.

A checkpoint only loads into a model built from the same architecture fields; training-only
fields (learning rate, batch size, ...) may change between runs.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass

from dropper.config import refuse_unknown_keys
from dropper.errors import ConfigError

QUANTIZATIONS = ("linear", "mu-law")
# Fields that change the shape or meaning of the weights; a checkpoint must match them.
ARCHITECTURE_FIELDS = ("sample_rate", "quantization", "q_levels", "frame_sizes", "dim",
                       "embedding_dim", "mlp_layers")
# The smallest allowed value of each whole-number field.
INT_MINIMUMS = {"sample_rate": 1, "q_levels": 2, "dim": 1, "embedding_dim": 1, "mlp_layers": 0, "seq_len": 1,
                "batch_size": 1, "seed": 0, "checkpoint_every": 1, "val_every": 1, "log_every": 1,
                "preview_every": 0}


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


@dataclass(frozen=True)
class GeneratorConfig:
    """A multi-tier SampleRNN and how it is trained.

    Parameters
    ----------
    sample_rate : int
        Audio rate in Hz the model hears and writes (training audio is resampled to it).
    quantization : str
        ``"linear"`` or ``"mu-law"`` (see :mod:`generator.quantize`).
    q_levels : int
        Number of quantization levels (256 = 8-bit).
    frame_sizes : tuple of int
        Frame size in samples of each frame-level tier, top tier first; each must divide the
        one above it. The sample-level MLP reads the last ``frame_sizes[-1]`` samples.
    dim : int
        Width of the GRUs and the MLP.
    embedding_dim : int
        Width of the sample-level MLP's embedding of each quantized sample.
    mlp_layers : int
        Hidden layers of the sample-level MLP.
    seq_len : int
        Samples predicted per training sequence (a multiple of ``frame_sizes[0]``).
    batch_size, learning_rate, val_fraction, seed, checkpoint_every, val_every
        Training settings: sequences per step, Adam's rate, share of each file held out for
        validation, seed for init and batches, steps between checkpoints and validations.
    log_every : int
        Steps between lines of ``train_log.jsonl`` (mean training loss over those steps).
    preview_every, preview_seconds
        Steps between audio previews (``previews/step-NNNNNN.wav``, sampled at temperature
        1.0) and their length; ``preview_every = 0`` turns previews off.
    """

    sample_rate: int = 16000
    quantization: str = "mu-law"
    q_levels: int = 256
    frame_sizes: tuple[int, ...] = (16, 4)
    dim: int = 512
    embedding_dim: int = 64
    mlp_layers: int = 2
    seq_len: int = 1024
    batch_size: int = 32
    learning_rate: float = 1e-3
    val_fraction: float = 0.1
    seed: int = 0
    checkpoint_every: int = 500
    val_every: int = 500
    log_every: int = 100
    preview_every: int = 2000
    preview_seconds: float = 2.0

    def __post_init__(self) -> None:
        self._check_numbers()
        if self.quantization not in QUANTIZATIONS:
            raise ConfigError(f"generator.quantization: unknown value {self.quantization!r}; "
                              f"allowed: {', '.join(QUANTIZATIONS)}")
        if self.q_levels > 65536:
            raise ConfigError(f"generator.q_levels: {self.q_levels} is out of range (2..65536)")
        sizes = self.frame_sizes
        if (not isinstance(sizes, (list, tuple)) or not sizes
                or any(not _is_int(f) or f < 1 for f in sizes)):
            raise ConfigError(f"generator.frame_sizes: {sizes!r} must be a list of positive sizes, top tier first")
        object.__setattr__(self, "frame_sizes", tuple(sizes))
        for upper, lower in zip(self.frame_sizes, self.frame_sizes[1:]):
            if upper % lower:
                raise ConfigError(f"generator.frame_sizes: {lower} does not divide {upper} "
                                  "(each tier's frame must divide the one above)")
        if self.seq_len % self.frame_sizes[0]:
            raise ConfigError(f"generator.seq_len: {self.seq_len} must be a positive multiple of "
                              f"the top frame size {self.frame_sizes[0]}")

    def _check_numbers(self) -> None:
        """Whole-number fields are ints at or above their minimum; rates and fractions in range."""
        for name, minimum in INT_MINIMUMS.items():
            value = getattr(self, name)
            if not _is_int(value) or value < minimum:
                raise ConfigError(f"generator.{name}: {value!r} must be a whole number >= {minimum}")
        for name in ("learning_rate", "preview_seconds", "val_fraction"):
            value = getattr(self, name)
            if not (_is_number(value) and math.isfinite(value) and value > 0):
                raise ConfigError(f"generator.{name}: {value!r} must be a finite number > 0")
            object.__setattr__(self, name, float(value))
        if not self.val_fraction < 0.5:
            raise ConfigError(f"generator.val_fraction: {self.val_fraction} must lie in (0, 0.5)")

    @property
    def name(self) -> str:
        """A short model name for sidecars: ``samplernn-3tier-512``."""
        return f"samplernn-{len(self.frame_sizes) + 1}tier-{self.dim}"

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True, indent=2)

    @classmethod
    def from_json(cls, text: str, *, where: str = "config") -> GeneratorConfig:
        try:
            values = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ConfigError(f"{where}: not valid JSON ({exc})") from None
        if not isinstance(values, dict):
            raise ConfigError(f"{where}: expected a JSON object of settings, got {type(values).__name__}")
        try:
            refuse_unknown_keys(values, cls, section="generator")
            return cls(**values)
        except ConfigError as exc:
            raise ConfigError(f"{where}: {exc}") from None

    def architecture_mismatch(self, other: GeneratorConfig) -> list[str]:
        """Human-readable ``field: mine vs other`` for each architecture field that differs."""
        return [f"{name}: {getattr(self, name)!r} vs {getattr(other, name)!r}"
                for name in ARCHITECTURE_FIELDS if getattr(self, name) != getattr(other, name)]
