"""The committed contract artifacts are exactly what the pinned compiler makes of the sources."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from dropper.chain.artifacts import BASELINE_CONTRACT, DROP_CONTRACT, load_artifact
from tests.conftest import REPO

CONTRACTS = REPO / "contracts"
ARTIFACTS = CONTRACTS / "artifacts"
NAMES = (DROP_CONTRACT, BASELINE_CONTRACT)


def _npm_modules() -> Path:
    """node_modules for contracts/package-lock.json, installed once into a cache folder."""
    if shutil.which("npm") is None or shutil.which("node") is None:
        pytest.skip("node and npm are needed to recompile the contracts")
    lock = (CONTRACTS / "package-lock.json").read_bytes()
    cache_root = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "dropper" / "contracts-npm"
    folder = cache_root / hashlib.sha256(lock).hexdigest()[:16]
    modules = folder / "node_modules"
    if not (modules / "solc").is_dir():
        folder.mkdir(parents=True, exist_ok=True)
        for name in ("package.json", "package-lock.json"):
            shutil.copyfile(CONTRACTS / name, folder / name)
        result = subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--ignore-scripts"], cwd=folder,
                                capture_output=True, text=True, timeout=300)
        if result.returncode != 0:
            pytest.skip(f"npm ci could not install the pinned compiler: {result.stderr.strip()[-300:]}")
    return modules


def test_committed_artifacts_name_the_pinned_compiler():
    lock = json.loads((CONTRACTS / "package-lock.json").read_text())
    solc_version = lock["packages"]["node_modules/solc"]["version"]
    for name in NAMES:
        artifact = load_artifact(name)
        assert artifact.compiler_version.startswith(solc_version + "+")
        assert artifact.bytecode.startswith("0x") and len(artifact.bytecode) > 1000


def test_committed_artifacts_match_the_local_sources():
    for name in NAMES:
        artifact = load_artifact(name)
        for source, digest in artifact.source_hashes.items():
            if not source.startswith("@"):
                assert hashlib.sha256((CONTRACTS / source).read_bytes()).hexdigest() == digest, source


def test_recompiling_reproduces_the_committed_artifacts(tmp_path):
    modules = _npm_modules()
    result = subprocess.run(["node", str(CONTRACTS / "compile.js"), "--modules", str(modules),
                             "--out", str(tmp_path)], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    for name in NAMES:
        assert (tmp_path / f"{name}.json").read_text() == (ARTIFACTS / f"{name}.json").read_text(), name
