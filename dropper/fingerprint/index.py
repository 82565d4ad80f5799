"""The reference index: a folder of hash shards and peak arrays, described by a JSON manifest.

Loading memory-maps the shards (no audio is read); saving writes new files under fresh names
and swaps the manifest in last, so a killed save leaves the previous index intact.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from dropper.errors import DropperError, MissingInput
from dropper.files import canonical_json, write_text
from dropper.fingerprint.landmarks import FORMAT_VERSION, FingerprintParams, TrackPrint

MANIFEST = "manifest.json"
HASH_BITS = 19
SHARD_BITS = 4  # 16 shards, by the top bits of the hash
_KEY_SHIFT = 40  # key = hash << 40 | track << 20 | frame
_TRACK_SHIFT = 20
_LOW_MASK = (1 << 20) - 1
MAX_TRACKS = 1 << 20


class IndexError_(DropperError):
    """The index folder is missing, damaged, or was built with other parameters."""


@dataclass(frozen=True)
class ReferenceTrack:
    """One catalog track as the index records it.

    Attributes
    ----------
    track_id : str
        Stable id (the SHA-256 of the file is a good one).
    name : str
        Display name (file name or title).
    sha256 : str
        Hex SHA-256 of the track's file.
    duration_s : float
        Duration in seconds.
    n_hashes, n_peaks : int
        Landmark hashes and peaks stored for it.
    """

    track_id: str
    name: str
    sha256: str
    duration_s: float
    n_hashes: int
    n_peaks: int


class _Shards:
    """The saved, memory-mapped arrays and per-shard bucket offsets (built lazily)."""

    def __init__(self, folder: Path, manifest: dict):
        self.keys = [np.load(folder / name, mmap_mode="r") for name in manifest["shards"]]
        self.peak_frames = np.load(folder / manifest["peak_frames"], mmap_mode="r")
        self.peak_bins = np.load(folder / manifest["peak_bins"], mmap_mode="r")
        self._offsets: dict[int, np.ndarray] = {}

    def offsets(self, shard: int) -> np.ndarray:
        """``offsets[h_low]..offsets[h_low+1]`` is the bucket of hash ``h`` in its shard."""
        if shard not in self._offsets:
            low_bits = HASH_BITS - SHARD_BITS
            starts = ((np.arange((1 << low_bits) + 1, dtype=np.uint64) + (shard << low_bits))
                      << np.uint64(_KEY_SHIFT))
            self._offsets[shard] = np.searchsorted(self.keys[shard], starts).astype(np.int64)
        return self._offsets[shard]


class ReferenceIndex:
    """A persistent, sharded landmark index of a reference catalog.

    Use :meth:`create` for a new (empty) index, :meth:`load` for a saved one; :meth:`add` and
    :meth:`remove` change it in memory and :meth:`save` writes it atomically.

    Examples
    --------
    >>> index = ReferenceIndex.create(folder)              # doctest: +SKIP
    >>> index.add(track_id=sha, name="a.ogg", sha256=sha, print_=fingerprint(y, sr))  # doctest: +SKIP
    >>> index.save(); ReferenceIndex.load(folder).index_hash == index.index_hash       # doctest: +SKIP
    True
    """

    def __init__(self, folder: Path, params: FingerprintParams, tracks: list[ReferenceTrack],
                 saved: _Shards | None, saved_rows: dict[str, tuple[int, int]]):
        self.folder = Path(folder)
        self.params = params
        self._tracks = {track.track_id: track for track in tracks}
        self._saved = saved
        # track_id -> (track number in the saved shards, first peak row) for saved tracks
        self._saved_rows = dict(saved_rows)
        # tracks in the saved shards (their numbers are 0..n-1), removed ones included
        self._n_saved = len(saved_rows)
        self._pending: dict[str, TrackPrint] = {}
        self._lookup_cache: tuple[np.ndarray, np.ndarray] | None = None

    # -- construction ---------------------------------------------------------------------
    @classmethod
    def create(cls, folder: Path, params: FingerprintParams = FingerprintParams()) -> ReferenceIndex:
        """A new, empty index that will be saved in ``folder`` (created on save)."""
        return cls(Path(folder), params, [], None, {})

    @classmethod
    def load(cls, folder: Path) -> ReferenceIndex:
        """Open a saved index; the shards are memory-mapped, so this is cheap in any process.

        Raises :class:`~dropper.errors.MissingInput` when there is no index in ``folder``.
        """
        folder = Path(folder)
        path = folder / MANIFEST
        if not path.exists():
            raise MissingInput(f"{folder}: no fingerprint index here ({MANIFEST} not found); "
                               "build one first")
        try:
            manifest = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise IndexError_(f"{path}: unreadable index manifest ({exc}); rebuild the index") from None
        if not isinstance(manifest, dict):
            raise IndexError_(f"{path}: not an index manifest (a JSON object); rebuild the index")
        if manifest.get("format_version") != FORMAT_VERSION:
            raise IndexError_(f"{path}: index format {manifest.get('format_version')!r}, this dropper "
                              f"reads {FORMAT_VERSION}; rebuild the index")
        try:
            params = FingerprintParams.from_dict(manifest["params"])
            tracks = [ReferenceTrack(**{k: row[k] for k in ReferenceTrack.__dataclass_fields__})
                      for row in manifest["tracks"]]
            rows = {row["track_id"]: (number, int(row["peak_start"]))
                    for number, row in enumerate(manifest["tracks"])}
            names = [*manifest["shards"], manifest["peak_frames"], manifest["peak_bins"]]
            if len(manifest["shards"]) != 1 << SHARD_BITS or not all(isinstance(n, str) for n in names):
                raise ValueError(f"expected {1 << SHARD_BITS} shard file names")
        except KeyError as exc:
            raise IndexError_(f"{path}: damaged index manifest (no {exc.args[0]!r}); rebuild the index") from None
        except (TypeError, ValueError, AttributeError) as exc:
            raise IndexError_(f"{path}: damaged index manifest ({exc}); rebuild the index") from None
        try:
            saved = _Shards(folder, manifest)
        except (OSError, ValueError) as exc:
            raise IndexError_(f"{folder}: index shard missing or damaged ({exc}); rebuild the index") from None
        try:
            _check_sizes(path, tracks, rows, saved)
        except TypeError as exc:
            raise IndexError_(f"{path}: damaged index manifest ({exc}); rebuild the index") from None
        index = cls(folder, params, tracks, saved, rows)
        if manifest.get("index_hash") != index.index_hash:
            raise IndexError_(f"{path}: index_hash does not match its tracks; rebuild the index")
        return index

    # -- changes --------------------------------------------------------------------------
    def add(self, *, track_id: str, name: str, sha256: str, print_: TrackPrint) -> None:
        """Add (or replace) a track; takes effect for scans at once, on disk at :meth:`save`."""
        if len(self._tracks) >= MAX_TRACKS and track_id not in self._tracks:
            raise IndexError_(f"index holds {MAX_TRACKS} tracks, the most it can")
        self.remove(track_id)
        self._tracks[track_id] = ReferenceTrack(track_id=track_id, name=name, sha256=sha256,
                                                duration_s=float(print_.duration_s),
                                                n_hashes=int(print_.hashes.size),
                                                n_peaks=int(print_.peak_frames.size))
        self._pending[track_id] = print_
        self._lookup_cache = None

    def remove(self, track_id: str) -> None:
        """Remove a track (no error if it is absent)."""
        self._tracks.pop(track_id, None)
        self._pending.pop(track_id, None)
        self._saved_rows.pop(track_id, None)
        self._lookup_cache = None

    # -- reading --------------------------------------------------------------------------
    @property
    def tracks(self) -> list[ReferenceTrack]:
        """The catalog's tracks, sorted by track id."""
        return [self._tracks[key] for key in sorted(self._tracks)]

    @property
    def index_hash(self) -> str:
        """SHA-256 over the format version, the params and the sorted (id, sha256) of the tracks."""
        payload = {"format_version": FORMAT_VERSION, "params": self.params.to_dict(),
                   "tracks": [[t.track_id, t.sha256] for t in self.tracks]}
        return hashlib.sha256(canonical_json(payload).encode("utf-8")).hexdigest()

    @property
    def size_bytes(self) -> int:
        """Bytes the saved index would take: 8 per hash entry, 6 per peak, plus the manifest."""
        tracks = self.tracks
        return sum(8 * t.n_hashes + 6 * t.n_peaks for t in tracks) + 300 * len(tracks) + 2000

    @property
    def postings_cap(self) -> int:
        """Largest hash bucket a lookup reads (see ``FingerprintParams.stop_factor``)."""
        entries = sum(t.n_hashes for t in self._tracks.values())
        return max(16, int(self.params.stop_factor * entries / (1 << HASH_BITS)))

    def peaks(self, track_id: str) -> tuple[np.ndarray, np.ndarray]:
        """``(frames, bins)`` of a track's landmark peaks (see :class:`TrackPrint`)."""
        if track_id in self._pending:
            fp = self._pending[track_id]
            return fp.peak_frames, fp.peak_bins
        _, start = self._saved_rows[track_id]
        n = self._tracks[track_id].n_peaks
        return (np.asarray(self._saved.peak_frames[start:start + n]),
                np.asarray(self._saved.peak_bins[start:start + n]))

    def lookup(self, hashes: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Every reference entry of each query hash.

        Parameters
        ----------
        hashes : np.ndarray
            Query hashes (uint32).

        Returns
        -------
        query_row, track_id_number, frame : np.ndarray
            For each hit: the position in ``hashes``, the track's position in
            :attr:`tracks`, and the anchor frame in the reference track.
        """
        hashes = np.asarray(hashes, dtype=np.int64)
        rows, numbers, frames = [], [], []
        position = {t.track_id: i for i, t in enumerate(self.tracks)}
        if self._saved is not None and self._saved_rows:
            row, saved_number, frame = self._lookup_saved(hashes)
            n_saved = self._n_saved
            to_public = np.full(n_saved, -1, np.int64)
            for track_id, (number, _) in self._saved_rows.items():
                to_public[number] = position[track_id]
            if not np.array_equal(to_public, np.arange(n_saved)):  # changed since the save
                public = to_public[saved_number]
                keep = public >= 0  # removed since the save
                row, saved_number, frame = row[keep], public[keep], frame[keep]
            rows.append(row), numbers.append(saved_number), frames.append(frame)
        if self._pending:
            row, number, frame = self._lookup_pending(hashes, position)
            rows.append(row), numbers.append(number), frames.append(frame)
        if not rows:
            empty = np.zeros(0, np.int64)
            return empty, empty, empty
        if len(rows) == 1:
            return rows[0], numbers[0], frames[0]
        return np.concatenate(rows), np.concatenate(numbers), np.concatenate(frames)

    def _lookup_saved(self, hashes: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        low_bits = HASH_BITS - SHARD_BITS
        shard_of = (hashes >> low_bits).astype(np.uint8)
        order = np.argsort(shard_of, kind="stable")  # a radix sort for uint8
        bounds = np.searchsorted(shard_of[order], np.arange((1 << SHARD_BITS) + 1))
        out_rows, out_keys = [], []
        for shard in range(1 << SHARD_BITS):
            sel = order[bounds[shard]:bounds[shard + 1]]
            if sel.size == 0:
                continue
            offsets = self._saved.offsets(shard)
            low = hashes[sel] & ((1 << low_bits) - 1)
            start, stop = offsets[low], offsets[low + 1]
            counts = stop - start
            counts[counts > self.postings_cap] = 0
            take = _expand(start, counts)
            out_rows.append(np.repeat(sel, counts))
            out_keys.append(np.asarray(self._saved.keys[shard][take]))
        keys = np.concatenate(out_keys).astype(np.int64) if out_keys else np.zeros(0, np.int64)
        rows = np.concatenate(out_rows) if out_rows else np.zeros(0, np.int64)
        return rows, (keys >> _TRACK_SHIFT) & _LOW_MASK, keys & _LOW_MASK

    def _lookup_pending(self, hashes: np.ndarray, position: dict[str, int]
                        ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        if self._lookup_cache is None:
            keys = _pack([(position[tid], fp) for tid, fp in self._pending.items()]).astype(np.int64)
            self._lookup_cache = (keys, keys >> _KEY_SHIFT)
        keys, key_hashes = self._lookup_cache
        start = np.searchsorted(key_hashes, hashes, side="left")
        counts = np.searchsorted(key_hashes, hashes, side="right") - start
        counts[counts > self.postings_cap] = 0
        take = _expand(start, counts)
        found = keys[take]
        return (np.repeat(np.arange(hashes.size), counts), (found >> _TRACK_SHIFT) & _LOW_MASK,
                found & _LOW_MASK)

    # -- saving ---------------------------------------------------------------------------
    def save(self) -> None:
        """Write the index to its folder atomically.

        New shard and peak files get names that include their content hash; the manifest
        is then replaced in one rename, and files no manifest refers to are removed after.
        A save killed before the rename leaves the previous index as it was.
        """
        self.folder.mkdir(parents=True, exist_ok=True)
        tracks = self.tracks
        number = {t.track_id: i for i, t in enumerate(tracks)}
        pending = _pack([(number[tid], fp) for tid, fp in self._pending.items()])
        pending_shard = (pending >> np.uint64(_KEY_SHIFT + HASH_BITS - SHARD_BITS)).astype(np.int64)
        bounds = np.searchsorted(pending_shard, np.arange((1 << SHARD_BITS) + 1))
        remap = self._saved_remap(number)
        shard_names = []
        for shard in range(1 << SHARD_BITS):
            parts = [pending[bounds[shard]:bounds[shard + 1]]]
            if remap is not None:
                parts.append(_renumber(np.asarray(self._saved.keys[shard]), remap))
            keys = np.sort(np.concatenate(parts), kind="stable")
            shard_names.append(_write_array(self.folder, f"shard-{shard:02d}", keys))
        peaks = [self.peaks(t.track_id) for t in tracks]
        starts = np.concatenate([[0], np.cumsum([frames.size for frames, _ in peaks])]).astype(int)
        peak_frames = np.concatenate([f for f, _ in peaks] + [np.zeros(0, np.uint32)]).astype(np.uint32)
        peak_bins = np.concatenate([b for _, b in peaks] + [np.zeros(0, np.uint16)]).astype(np.uint16)
        manifest = {
            "format_version": FORMAT_VERSION,
            "params": self.params.to_dict(),
            "index_hash": self.index_hash,
            "shards": shard_names,
            "peak_frames": _write_array(self.folder, "peak-frames", peak_frames),
            "peak_bins": _write_array(self.folder, "peak-bins", peak_bins),
            "tracks": [{**asdict(t), "peak_start": int(starts[i])} for i, t in enumerate(tracks)],
        }
        write_text(self.folder / MANIFEST, json.dumps(manifest, indent=1, sort_keys=True) + "\n")
        self._cleanup(set(shard_names) | {manifest["peak_frames"], manifest["peak_bins"]})
        self._saved = _Shards(self.folder, manifest)
        self._saved_rows = {t.track_id: (i, int(starts[i])) for i, t in enumerate(tracks)}
        self._n_saved = len(tracks)
        self._pending = {}
        self._lookup_cache = None

    def _saved_remap(self, number: dict[str, int]) -> np.ndarray | None:
        """Saved track number -> new track number (-1: removed or replaced)."""
        if self._saved is None or not self._saved_rows:
            return None
        remap = np.full(self._n_saved, -1, np.int64)
        for track_id, (old, _) in self._saved_rows.items():
            remap[old] = number[track_id]
        return remap

    def _cleanup(self, keep: set[str]) -> None:
        for path in self.folder.glob("*.npy"):
            if path.name not in keep:
                with contextlib.suppress(OSError):
                    path.unlink()
        for path in self.folder.glob(".*.part"):
            with contextlib.suppress(OSError):
                path.unlink()


def _check_sizes(path: Path, tracks: list[ReferenceTrack], rows: dict[str, tuple[int, int]],
                 saved: _Shards) -> None:
    """Raise IndexError_ unless the manifest's counts agree with the saved arrays (cheap: shapes only).

    Each track's peaks follow the previous track's, and the shards hold every track's hashes:
    a manifest edited or paired with other arrays would otherwise scan against wrong peaks.
    """
    start = 0
    for track in tracks:
        if rows.get(track.track_id, (None, None))[1] != start:
            raise IndexError_(f"{path}: damaged index manifest (peaks of {track.name!r} are not where the "
                              "manifest says); rebuild the index")
        start += track.n_peaks
    shard_entries = sum(int(keys.shape[0]) for keys in saved.keys)
    if (len(rows) != len(tracks) or start != saved.peak_frames.shape[0] or start != saved.peak_bins.shape[0]
            or shard_entries != sum(track.n_hashes for track in tracks)):
        raise IndexError_(f"{path}: the index manifest does not match its shard and peak files "
                          "(damaged or mixed with another index); rebuild the index")


def _pack(prints: list[tuple[int, TrackPrint]]) -> np.ndarray:
    """Sorted uint64 keys ``hash << 40 | track << 20 | frame`` of the prints."""
    parts = []
    for number, fp in prints:
        parts.append((fp.hashes.astype(np.uint64) << np.uint64(_KEY_SHIFT))
                     | np.uint64(number << _TRACK_SHIFT) | fp.hash_frames.astype(np.uint64))
    keys = np.concatenate(parts) if parts else np.zeros(0, np.uint64)
    keys.sort(kind="stable")
    return keys


def _renumber(keys: np.ndarray, remap: np.ndarray) -> np.ndarray:
    """Keys with their track numbers mapped through ``remap``; keys of removed tracks dropped."""
    old = ((keys >> np.uint64(_TRACK_SHIFT)) & np.uint64(_LOW_MASK)).astype(np.int64)
    new = remap[old]
    keep = new >= 0
    track_mask = np.uint64(_LOW_MASK << _TRACK_SHIFT)
    return (keys[keep] & ~track_mask) | (new[keep].astype(np.uint64) << np.uint64(_TRACK_SHIFT))


def _expand(start: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Concatenation of ``arange(start[i], start[i] + counts[i])`` for all i."""
    total = int(counts.sum())
    if total == 0:
        return np.zeros(0, np.int64)
    ends = np.cumsum(counts)
    base = np.repeat(start - (ends - counts), counts)
    return base + np.arange(total)


def _write_array(folder: Path, stem: str, array: np.ndarray) -> str:
    """Save ``array`` as ``stem-<sha256[:16]>.npy`` (temp name, fsync, rename); return the name."""
    array = np.ascontiguousarray(array)
    digest = hashlib.sha256(array.dtype.str.encode() + array.tobytes()).hexdigest()[:16]
    name = f"{stem}-{digest}.npy"
    path = folder / name
    if not path.exists():
        tmp = folder / f".{name}.{os.getpid()}.part"
        with open(tmp, "wb") as handle:
            np.save(handle, array)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    return name
