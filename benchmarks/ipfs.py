"""Benchmark dropper's CID importer against plain SHA-256 over the same bytes.

Usage: ``python benchmarks/ipfs.py [--quick] [--mb N] [--drop-gb G]``

Hashes one generated file (1024 MB by default, 64 MB with ``--quick``; cached in
~/.cache/dropper-bench, never committed) with :func:`dropper.ipfs.file_cid` (256 KiB chunks,
raw leaves, balanced DAG: what ``ipfs add --cid-version=1`` does) and, in the same run, with
``hashlib.sha256`` read in the same 256 KiB pieces: a CID can't be cheaper than hashing every
byte once. Each is run three times, alternating, and the faster run counts (the file is in the page
cache by then). Max RSS shows memory stays flat whatever the file size.

Then the whole drop, as ``dropper car`` exports it, each part in a child process of its own
(so that its max RSS is its own): the example drop (release/example, when built: ``make
example``) hashed fresh and written to a CAR; and a generated drop of ``--drop-gb`` GB (2 by
default, 0.05 with ``--quick``) laid out like one (per token: 40 MB audio, 80 MB video, 4 MB
GIF, poster, spectrogram) through the same virtual-tree import and CAR writer.
The last line printed is one JSON object with the headline figures.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from dropper import ipfs

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
        handle.writelines(rng.bytes(min(4, size_mb - done) * MB) for done in range(0, size_mb, 4))
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


#: One generated token's files (MB): what a 3-minute song's renders weigh, roughly.
TOKEN_FILES_MB = {"audio.wav": 40, "video.mp4": 80, "gif.gif": 4, "poster.png": 1, "spectrogram.png": 1}


def example_drop_part() -> dict:
    """Child process: the example drop (linked into a temp folder) hashed fresh, then its CAR."""
    from dropper.ipfs.export import export_tree, write_drop_car
    from dropper.workspace import Drop

    source = Path(__file__).resolve().parents[1] / "release" / "example"
    if not (source / "build" / "package.json").is_file():
        return {"skipped": "release/example is not built (make example)"}
    with tempfile.TemporaryDirectory() as folder:
        copy = Path(folder) / "example"
        shutil.copytree(source, copy, ignore=shutil.ignore_patterns("catalog", "reference", "drop.car"),
                        copy_function=lambda a, b: (shutil.copy2 if "dropper.db" in a else os.link)(a, b))
        with Drop.open(copy) as drop:
            start = time.perf_counter()
            export = export_tree(drop, fresh=True)
            cids_s = time.perf_counter() - start
            start = time.perf_counter()
            car = write_drop_car(drop)
            car_s = time.perf_counter() - start
    return {"cids_s": cids_s, "car_s": car_s, "file_bytes": export.file_bytes, "car_bytes": car.car_bytes,
            "files": export.files}


def generated_drop_part(drop_gb: float) -> dict:
    """Child process: a generated drop of ``drop_gb`` GB through import_layout and the CAR writer."""
    from dropper.ipfs.car import stream_car
    from dropper.ipfs.importer import import_layout

    token_mb = sum(TOKEN_FILES_MB.values())
    tokens = max(1, round(drop_gb * 1024 / token_mb))
    rng = np.random.default_rng(7)
    CACHE.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=CACHE) as folder:
        root = Path(folder)
        layout: dict = {"media": {}, "metadata": root / "metadata"}
        (root / "metadata").mkdir()
        for token in range(1, tokens + 1):
            files = layout["media"][str(token)] = {}
            for name, size_mb in TOKEN_FILES_MB.items():
                path = root / f"{token}-{name}"
                with open(path, "wb") as handle:
                    handle.writelines(rng.bytes(MB) for _ in range(size_mb))
                files[name] = path
            (root / "metadata" / f"{token}.json").write_text(json.dumps({"name": f"token {token}"}))
        start = time.perf_counter()
        summary, _ = stream_car(root / "drop.car", lambda sink: import_layout(layout, sink=sink))
        car_s = time.perf_counter() - start
    return {"tokens": tokens, "file_bytes": tokens * token_mb * MB, "car_s": car_s, "car_bytes": summary.car_bytes}


def run_part(*args: str) -> dict:
    """Run this script's ``--part`` in a child; its figures plus its own max RSS (MB)."""
    result = subprocess.run([sys.executable, __file__, "--part", *args], capture_output=True, text=True, check=True)
    return json.loads(result.stdout.strip().splitlines()[-1])


def part_main(args: argparse.Namespace) -> None:
    figures = example_drop_part() if args.part == "example" else generated_drop_part(args.drop_gb)
    figures["max_rss_mb"] = own_peak_rss_mb()
    print(json.dumps(figures))


def own_peak_rss_mb() -> float:
    """This process's peak RSS: VmHWM, which exec resets (ru_maxrss keeps the parent's peak)."""
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="64 MB instead of 1024 MB")
    parser.add_argument("--mb", type=int, default=None, help="file size in MB")
    parser.add_argument("--drop-gb", type=float, default=None, help="size of the generated drop in GB")
    parser.add_argument("--part", choices=["example", "generated"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.part:
        part_main(args)
        return
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
    drop_gb = args.drop_gb if args.drop_gb is not None else (0.05 if args.quick else 2.0)
    example = run_part("example")
    generated = run_part("generated", "--drop-gb", str(drop_gb))
    if "skipped" in example:
        print(f"{'example drop':<28}{'skipped':>12}  {example['skipped']}")
    else:
        print(f"{'example drop (MB)':<28}{example['file_bytes'] / MB:>12.1f}  {example['files']} files")
        print(f"{'  CIDs, fresh (s)':<28}{example['cids_s']:>12.2f}  seconds")
        print(f"{'  CAR written (s)':<28}{example['car_s']:>12.2f}")
        print(f"{'  max RSS (MB)':<28}{example['max_rss_mb']:>12.1f}")
    generated_gb = generated["file_bytes"] / 1024 ** 3
    print(f"{'generated drop (GB)':<28}{generated_gb:>12.2f}  {generated['tokens']} tokens")
    print(f"{'  CIDs + CAR (s)':<28}{generated['car_s']:>12.2f}")
    print(f"{'  CAR (MB/s)':<28}{generated['file_bytes'] / MB / generated['car_s']:>12.1f}")
    print(f"{'  max RSS (MB)':<28}{generated['max_rss_mb']:>12.1f}  <= 200 for 20 GB")
    print(json.dumps({"benchmark": "ipfs", "cid_mb_per_s": round(cid_mb_s, 1),
                      "sha256_mb_per_s": round(sha_mb_s, 1), "ratio": round(ratio, 3),
                      "max_rss_mb": round(max_rss_mb, 1), "bytes_hashed": size_mb * MB,
                      "example_cids_s": None if "skipped" in example else round(example["cids_s"], 3),
                      "example_car_s": None if "skipped" in example else round(example["car_s"], 3),
                      "example_max_rss_mb": example.get("max_rss_mb") and round(example["max_rss_mb"], 1),
                      "drop_gb": round(generated_gb, 2), "drop_car_s": round(generated["car_s"], 2),
                      "drop_max_rss_mb": round(generated["max_rss_mb"], 1)}))


if __name__ == "__main__":
    main()
