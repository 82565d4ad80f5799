"""One loader for the data folders ``metadata/`` and ``contracts/``.

In a checkout they are top-level folders beside ``dropper/``; in an installed wheel they are
packaged as ``dropper/_data/<name>``. Callers never need to know which.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

_PACKAGE_DIR = Path(__file__).resolve().parent
_FOLDERS = ("metadata", "contracts")


def data_dir(folder: str) -> Path:
    """Path of the ``metadata`` or ``contracts`` folder, from a wheel or a checkout."""
    if folder not in _FOLDERS:
        raise ValueError(f"folder must be one of {_FOLDERS}, not {folder!r}")
    for candidate in (_PACKAGE_DIR / "_data" / folder, _PACKAGE_DIR.parent / folder):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"dropper's {folder}/ folder is missing from this installation")


def data_path(folder: str, name: str) -> Path:
    """Path of one file inside ``metadata/`` or ``contracts/``."""
    path = data_dir(folder) / name
    if not path.is_file():
        raise FileNotFoundError(f"{folder}/{name} is missing from this installation")
    return path


@cache
def load_json(folder: str, name: str) -> Any:
    """Parsed JSON file from ``metadata/`` or ``contracts/`` (cached: treat as read-only)."""
    return json.loads(data_path(folder, name).read_text(encoding="utf-8"))


def read_lines(folder: str, name: str) -> list[str]:
    """Non-empty, non-comment lines of a vocabulary-style text file."""
    text = data_path(folder, name).read_text(encoding="utf-8")
    return [line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")]
