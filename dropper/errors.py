"""The error tree: every expected failure is a DropperError with a one-line message.

The CLI turns any DropperError into that line on stderr and its ``exit_code``; a traceback
means a bug. Exit codes live here and nowhere else.
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_SONGS_FAILED = 1  # the command ran, but some songs failed (reasons are recorded)
EXIT_ERROR = 2  # bad usage, bad config, bad input at the command level
EXIT_GATE = 3  # a gate (e.g. clearance) refused to let the command run
EXIT_INTERRUPTED = 130


class DropperError(Exception):
    """Root of dropper's expected errors. The message says what, where and what to do."""

    exit_code = EXIT_ERROR


class ConfigError(DropperError):
    """drop.toml (or a flag or environment variable) holds a wrong key or value."""


class MissingInput(DropperError):
    """A file or folder the command needs does not exist."""


class AudioError(DropperError):
    """A file is not usable audio: corrupt, empty, zero-length, silent where sound is needed."""


class SongNotFound(DropperError):
    """A song reference (name, id or hash prefix) matches no song, or several."""


class NodeUnreachable(DropperError):
    """An external node (IPFS, Ethereum, Ray) did not answer."""


class GateRefused(DropperError):
    """A mandatory gate refused: e.g. a kept song lacks a passing clearance."""

    exit_code = EXIT_GATE
