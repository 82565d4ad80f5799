"""Files written whole or not at all, and the content hashes that name them.

Every output goes through :func:`atomic_write`, so a killed run never leaves a half-written
file under a final name; hashes make cache keys and build file names.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

_CHUNK = 1 << 20
# mkstemp makes 0600 files; final outputs get the ordinary mode the umask allows.
_UMASK = os.umask(0)
os.umask(_UMASK)


@contextlib.contextmanager
def atomic_write(path: str | os.PathLike, mode: str = "wb") -> Iterator[IO]:
    """Open a temporary file beside ``path``; on success fsync and rename it into place.

    On any exception the temporary file is removed and ``path`` is left as it was.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    try:
        encoding = None if "b" in mode else "utf-8"
        with os.fdopen(fd, mode, encoding=encoding) as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o666 & ~_UMASK)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def write_bytes(path: str | os.PathLike, payload: bytes) -> None:
    """Write ``payload`` to ``path`` atomically."""
    with atomic_write(path, "wb") as handle:
        handle.write(payload)


def write_text(path: str | os.PathLike, text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` atomically."""
    write_bytes(path, text.encode("utf-8"))


def write_if_changed(path: str | os.PathLike, payload: bytes | str) -> bool:
    """Write ``payload`` (bytes, or text as UTF-8) to ``path`` atomically unless the file already
    holds exactly those bytes; True when it wrote. An unchanged file keeps its modification time,
    so a rerun with nothing to do touches nothing."""
    data = payload.encode("utf-8") if isinstance(payload, str) else payload
    path = Path(path)
    try:
        if path.is_file() and path.stat().st_size == len(data) and path.read_bytes() == data:
            return False
    except OSError:
        pass  # unreadable: write it again
    write_bytes(path, data)
    return True


def read_json(path: str | os.PathLike, hint: str) -> Any:
    """A JSON file dropper wrote; a missing or damaged one raises a one-line error ending in ``hint``
    (what to run to make it again)."""
    from dropper.errors import DropperError, MissingInput

    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise MissingInput(f"{path}: missing ({hint})") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        reason = f"{exc.msg} at line {exc.lineno}" if isinstance(exc, json.JSONDecodeError) else "not UTF-8 text"
        raise DropperError(f"{path}: not valid JSON ({reason}); {hint}") from None


def sha256_file(path: str | os.PathLike) -> str:
    """Hex SHA-256 of a file's bytes, read in 1 MiB chunks (constant memory)."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def canonical_json(value: Any) -> str:
    """JSON with sorted keys and fixed separators: the same value always gives the same text."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def hash_params(value: Any) -> str:
    """Hex SHA-256 of the canonical JSON of ``value`` (a cache key)."""
    return hashlib.sha256(canonical_json(value).encode("utf-8")).hexdigest()


STALE_PART_S = 600  # a .part file untouched this long belongs to no running writer


def remove_stale_parts(folder: str | os.PathLike, *, older_than_s: float = STALE_PART_S) -> int:
    """Delete temporary ``.*.part`` files a killed run left in ``folder`` (recursively).

    Only files not written to for ``older_than_s`` seconds: a part that is still growing may
    belong to another dropper run working on the same drop (its writers stream, so their
    parts stay fresh). A killed run's parts go at the first run after that.
    """
    import time

    removed = 0
    root = Path(folder)
    if not root.exists():
        return 0
    cutoff = time.time() - older_than_s
    for part in root.rglob(".*.part"):
        with contextlib.suppress(FileNotFoundError):
            if part.stat().st_mtime <= cutoff:
                part.unlink()
                removed += 1
    return removed
