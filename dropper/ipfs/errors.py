"""Errors of the IPFS layer, below dropper's one error tree."""

from __future__ import annotations

from dropper.errors import DropperError


class CarError(DropperError):
    """A CAR file is malformed, or one of its blocks does not hash to its CID."""


class UnsupportedEntry(DropperError):
    """A folder to import holds something UnixFS cannot store (a socket, a device, a FIFO)."""


class StaleFiles(DropperError):
    """A file no longer has the CID recorded when the drop was packaged: nothing is published."""
