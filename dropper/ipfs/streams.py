"""A file reader that moves a progress bar one step per MiB sent (CAR uploads and imports)."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import BinaryIO

MIB = 1 << 20


class CountingReader:
    """Wraps an open binary file: ``read`` calls ``advance`` once per MiB read.

    ``len()`` is the bytes left to read, so HTTP clients send a Content-Length, not chunks.
    """

    def __init__(self, stream: BinaryIO, advance: Callable[[str], None] | None = None) -> None:
        self._stream = stream
        self._advance = advance
        self._pending = 0
        self.name = os.path.basename(getattr(stream, "name", "drop.car"))

    def __len__(self) -> int:
        return os.fstat(self._stream.fileno()).st_size - self._stream.tell()

    def read(self, size: int = -1) -> bytes:
        data = self._stream.read(size)
        if self._advance is not None:
            self._pending += len(data)
            while self._pending >= MIB:
                self._pending -= MIB
                self._advance("")
        return data
