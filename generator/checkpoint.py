"""Checkpoints: weights and Adam state in one safetensors file, the config as JSON beside it.

``checkpoint.safetensors`` carries its config and step in the file's metadata as well, so a
copied checkpoint file is self-describing; ``config.json`` is the human-readable copy.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import torch
from safetensors import SafetensorError
from safetensors.torch import load as load_tensors
from safetensors.torch import save as save_tensors

from dropper.errors import ConfigError, MissingInput
from dropper.files import sha256_file, write_bytes, write_text
from generator.config import GeneratorConfig
from generator.model import SampleRNN

CHECKPOINT_NAME = "checkpoint.safetensors"
FORMAT = "dropper-samplernn-1"


@dataclass
class Checkpoint:
    """A loaded checkpoint: its model (eval mode), config, step and content hash."""

    path: Path
    model: SampleRNN
    config: GeneratorConfig
    step: int
    sha256: str
    optimizer_state: dict | None


def save_checkpoint(out_dir: Path, model: SampleRNN, optimizer: torch.optim.Optimizer, step: int) -> Path:
    """Write ``out_dir/checkpoint.safetensors`` and ``out_dir/config.json`` atomically."""
    tensors = {f"model.{name}": value.detach().cpu().contiguous() for name, value in model.state_dict().items()}
    optim = optimizer.state_dict()
    for index, slots in optim["state"].items():
        for slot, value in slots.items():
            tensors[f"optim.{index}.{slot}"] = torch.as_tensor(value).detach().cpu().contiguous()
    metadata = {"format": FORMAT, "config": model.config.to_json(), "step": str(step),
                "param_groups": json.dumps(optim["param_groups"])}
    path = Path(out_dir) / CHECKPOINT_NAME
    write_bytes(path, save_tensors(tensors, metadata=metadata))
    write_text(Path(out_dir) / "config.json", model.config.to_json() + "\n")
    return path


def load_checkpoint(path: str | os.PathLike, *, expect: GeneratorConfig | None = None,
                    device: str | torch.device = "cpu") -> Checkpoint:
    """Load a checkpoint file (or a training folder holding one).

    Raises :class:`ConfigError` when the file is not a generator checkpoint, or when ``expect``
    is given and its architecture differs from the checkpoint's.
    """
    path = Path(path)
    if path.is_dir():
        path = path / CHECKPOINT_NAME
    if not path.is_file():
        raise MissingInput(f"{path}: checkpoint not found")
    try:
        payload = path.read_bytes()
        tensors = load_tensors(payload)
        metadata = _metadata(payload)
    except (SafetensorError, ValueError, OSError) as exc:
        raise ConfigError(f"{path}: not a readable safetensors checkpoint ({exc})") from None
    if metadata.get("format") != FORMAT:
        raise ConfigError(f"{path}: not a dropper generator checkpoint (format {metadata.get('format')!r})")
    if "config" not in metadata or not str(metadata.get("step", "")).isdigit():
        raise ConfigError(f"{path}: checkpoint metadata lacks its config or step; it was not written by "
                          "dropper generate train (or was edited)")
    config = GeneratorConfig.from_json(metadata["config"], where=f"{path} config")
    if expect is not None and (diff := expect.architecture_mismatch(config)):
        raise ConfigError(f"{path}: checkpoint is from another model config ({'; '.join(diff)}); "
                          "use a fresh output folder or the checkpoint's config")
    model = SampleRNN(config)
    weights = {name[len("model."):]: value for name, value in tensors.items() if name.startswith("model.")}
    try:
        model.load_state_dict(weights)
    except RuntimeError as exc:
        raise ConfigError(f"{path}: weights do not fit the config stored with them ({str(exc)[:200]})") from None
    model.to(device).eval()
    return Checkpoint(path=path, model=model, config=config, step=int(metadata["step"]),
                      sha256=sha256_file(path), optimizer_state=_optimizer_state(tensors, metadata))


def _metadata(payload: bytes) -> dict[str, str]:
    header_len = int.from_bytes(payload[:8], "little")
    header = json.loads(payload[8: 8 + header_len])
    return header.get("__metadata__", {})


def _optimizer_state(tensors: dict[str, torch.Tensor], metadata: dict[str, str]) -> dict | None:
    if "param_groups" not in metadata:
        return None
    state: dict[int, dict[str, torch.Tensor]] = {}
    for name, value in tensors.items():
        if name.startswith("optim."):
            _, index, slot = name.split(".", 2)
            state.setdefault(int(index), {})[slot] = value
    return {"state": state, "param_groups": json.loads(metadata["param_groups"])}
