"""The tests' npm projects (the JS reference importer, Hardhat), installed once per lockfile.

Uses the same cached ``npm ci`` as scripts/vendor_js.py; a test that needs one is skipped,
saying why, where node/npm are missing or the registry cannot be reached.
"""

from __future__ import annotations

import importlib.util
from functools import cache
from pathlib import Path

import pytest

from tests.conftest import REPO


@cache
def _vendor_js():
    spec = importlib.util.spec_from_file_location("dropper_vendor_js", REPO / "scripts" / "vendor_js.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def installed(project: Path, files: tuple[str, ...], name: str) -> Path:
    """The folder where ``project`` is installed with its node_modules (skips when impossible)."""
    vendor_js = _vendor_js()
    try:
        return vendor_js.npm_ci_cached(project, files, name)
    except vendor_js.VendorError as exc:
        pytest.skip(str(exc))
