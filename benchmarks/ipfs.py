"""Benchmark dropper's CID importer against plain SHA-256 over the same bytes.

Usage: ``python benchmarks/ipfs.py [--quick] [--mb N]``

Hashes one generated file (1024 MB by default, 64 MB with ``--quick``; cached in
~/.cache/dropper-bench, never committed) with :func:`dropper.ipfs.file_cid` (256 KiB chunks,
raw leaves, balanced DAG: what ``ipfs add --cid-version=1`` does) and, in the same run, with
``hashlib.sha256`` read in the same 256 KiB pieces: a CID can't be cheaper than hashing every
byte once. Each is run three times, alternating, and the faster run counts (the file is in the page
cache by then). Max RSS shows memory stays flat whatever the file size.
The last line printed is one JSON object with the headline figures.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import resource
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from dropper import ipfs  # noqa: E402

CACHE = Path.home() / ".cache" / "dropper-bench"
MB = 1024 * 1024
PIECE = 256 * 1024
GOAL_RATIO = 0.8  # CID throughput at least 80 % of plain SHA-256's


def make_file(size_mb: int) -> Path:
    """A deterministic pseudo-random file, written once in 4 MB pieces."""
    path = CACHE / f"ipfs-{size_mb}mb.bin"
    if path.exists() and path.stat().st_size == size_mb * MB:
        return path
    CACHE.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(20240501)
    part = path.with_suffix(".part")
    with open(part, "wb") as handle:
        for done in range(0, size_mb, 4):
            handle.write(rng.bytes(min(4, size_mb - done) * MB))
    part.replace(path)
    return path


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    buffer = bytearray(PIECE)
    view = memoryview(buffer)
    with open(path, "rb") as handle:
        while count := handle.readinto(buffer):
            digest.update(view[:count])
    return digest.hexdigest()


def seconds(function, path: Path) -> float:
    start = time.perf_counter()
    function(path)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="64 MB instead of 1024 MB")
    parser.add_argument("--mb", type=int, default=None, help="file size in MB")
    args = parser.parse_args()
    size_mb = args.mb or (64 if args.quick else 1024)
    path = make_file(size_mb)
    sha256_file(path)  # bring the file into the page cache before either timing
    cid_s, sha_s = [], []
    for _ in range(3):  # alternate so that drift on a shared machine hits both alike
        cid_s.append(seconds(ipfs.file_cid, path))
        sha_s.append(seconds(sha256_file, path))
    cid_mb_s, sha_mb_s = size_mb / min(cid_s), size_mb / min(sha_s)
    ratio = cid_mb_s / sha_mb_s
    max_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"file: {size_mb} MB, CID {ipfs.file_cid(path)}")
    print(f"{'measure':<28}{'value':>12}  goal")
    print(f"{'dropper CID (MB/s)':<28}{cid_mb_s:>12.1f}")
    print(f"{'hashlib.sha256 (MB/s)':<28}{sha_mb_s:>12.1f}")
    print(f"{'ratio CID / sha256':<28}{ratio:>12.3f}  >= {GOAL_RATIO}")
    print(f"{'max RSS (MB)':<28}{max_rss_mb:>12.1f}  flat in file size")
    print(json.dumps({"benchmark": "ipfs", "cid_mb_per_s": round(cid_mb_s, 1),
                      "sha256_mb_per_s": round(sha_mb_s, 1), "ratio": round(ratio, 3),
                      "max_rss_mb": round(max_rss_mb, 1), "bytes_hashed": size_mb * MB}))


if __name__ == "__main__":
    main()
