"""Where the visualizer computes: numpy on the CPU (the default), or torch, on a CUDA GPU when
there is one. torch is optional (the ``generator`` extra): it is imported only when asked for.
"""

from __future__ import annotations

import contextlib
import importlib.util
from collections.abc import Iterator

from dropper.errors import ConfigError

_NO_TORCH = ("visualize.device: 'torch' needs PyTorch, which is not installed "
             "(pip install 'dropper[generator]', or set device = \"cpu\")")


def check_device(setting: str) -> None:
    """Raise :class:`ConfigError` now, before any song is rendered, if ``setting`` asks for torch
    and torch is not installed. Imports nothing (safe before worker processes fork)."""
    if setting == "torch" and importlib.util.find_spec("torch") is None:
        raise ConfigError(_NO_TORCH)


def torch_device(setting: str):
    """The ``torch.device`` that ``visualize.device = setting`` picks, or None for numpy.

    ``"cpu"``: None. ``"auto"``: CUDA when torch is installed and sees a CUDA device, else None.
    ``"torch"``: CUDA when available, else torch's CPU device.

    Raises
    ------
    ConfigError : ``"torch"`` was asked for and torch is not installed, or the setting is unknown.
    """
    if setting == "cpu":
        return None
    if setting not in ("auto", "torch"):
        raise ConfigError(f"visualize.device: unknown value {setting!r}; allowed: auto, cpu, torch")
    try:
        import torch
    except ImportError:
        if setting == "auto":
            return None
        raise ConfigError(_NO_TORCH) from None
    if torch.cuda.is_available():
        return torch.device("cuda")
    return torch.device("cpu") if setting == "torch" else None


@contextlib.contextmanager
def one_thread(device) -> Iterator[None]:
    """Run torch on one CPU thread inside the block: one song is one core's work (the stage
    renders songs side by side), and idle threads only spin. Nothing to do for numpy."""
    if device is None:
        yield
        return
    import torch

    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(previous)
