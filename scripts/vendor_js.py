#!/usr/bin/env python3
"""Vendor the curation app's browser libraries (wavesurfer.js) into the package. No CDN.

Installs dropper/curate/js/package-lock.json with ``npm ci`` into a cache folder
(``$DROPPER_CACHE`` or ``~/.cache/dropper``, once per lockfile) and copies the pinned dist
files into dropper/curate/static/vendor/ (ignored by git, included in the wheel by
hatch_build.py). Safe to run again: up-to-date files are left alone.

    python scripts/vendor_js.py          # vendor (or say it is up to date)
    python scripts/vendor_js.py --check  # exit 1 if the vendored files are missing
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
JS_PROJECT = REPO / "dropper" / "curate" / "js"
VENDOR = REPO / "dropper" / "curate" / "static" / "vendor"
PROJECT_FILES = ("package.json", "package-lock.json")
# node_modules path -> name under static/vendor/
DIST_FILES = {"wavesurfer.js/dist/wavesurfer.min.js": "wavesurfer.min.js"}


class VendorError(RuntimeError):
    """npm is missing or failed; the message says what to do."""


def vendored() -> bool:
    """True when every vendored file is in place."""
    return all((VENDOR / name).is_file() for name in DIST_FILES.values())


def install(cache_root: Path | None = None) -> Path:
    """``npm ci`` of the pinned lockfile into the cache; returns its node_modules folder."""
    return npm_ci_cached(JS_PROJECT, PROJECT_FILES, "curate-js", cache_root) / "node_modules"


def npm_ci_cached(project: Path, files: tuple[str, ...], name: str, cache_root: Path | None = None) -> Path:
    """Copy ``files`` of an npm ``project`` into ``<cache>/<name>/<hash of files>`` and run
    ``npm ci`` there once; returns that folder. Also used by the tests' npm projects.

    The cache is ``cache_root``, ``$DROPPER_CACHE`` or ``~/.cache/dropper``. Raises VendorError
    (saying what to do) when npm is missing or fails.
    """
    npm = shutil.which("npm")
    if npm is None or shutil.which("node") is None:
        raise VendorError("node and npm are not installed: install them (Debian: apt-get install npm), "
                          f"then try again ({project.name})")
    digest = hashlib.sha256(b"".join((project / file).read_bytes() for file in files))
    cache_root = cache_root or Path(os.environ.get("DROPPER_CACHE", Path.home() / ".cache" / "dropper"))
    target = cache_root / name / digest.hexdigest()[:16]
    if (target / "node_modules" / ".package-lock.json").is_file():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    build = Path(tempfile.mkdtemp(dir=target.parent, prefix=".build-"))
    for file in files:
        shutil.copy2(project / file, build / file)
    result = subprocess.run([npm, "ci", "--no-audit", "--no-fund", "--ignore-scripts"], cwd=build,
                            capture_output=True, text=True, timeout=600, check=False)
    if result.returncode != 0:
        shutil.rmtree(build, ignore_errors=True)
        raise VendorError(f"npm ci failed in {project} (is the npm registry reachable?): "
                          f"{result.stderr.strip()[-400:]}")
    try:
        os.replace(build, target)
    except OSError:  # another process finished first; its copy is the same
        shutil.rmtree(build, ignore_errors=True)
    return target


def vendor(cache_root: Path | None = None) -> list[Path]:
    """Copy the dist files into static/vendor/; returns the files written (none if up to date)."""
    modules = install(cache_root)
    written = []
    VENDOR.mkdir(parents=True, exist_ok=True)
    for source, name in DIST_FILES.items():
        payload = (modules / source).read_bytes()
        target = VENDOR / name
        if target.is_file() and target.read_bytes() == payload:
            continue
        part = target.with_name(f".{name}.part")
        part.write_bytes(payload)
        os.replace(part, target)
        written.append(target)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="only check that the files are vendored")
    args = parser.parse_args(argv)
    if args.check:
        print("vendor_js: " + ("vendored" if vendored() else "missing: run python scripts/vendor_js.py"))
        return 0 if vendored() else 1
    try:
        written = vendor()
    except VendorError as exc:
        print(f"vendor_js: {exc}", file=sys.stderr)
        return 2
    print("vendor_js: " + (", ".join(str(path.relative_to(REPO)) for path in written) or "up to date"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
