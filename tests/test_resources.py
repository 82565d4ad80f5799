"""metadata/ and contracts/ load the same from a checkout and from an installed wheel."""

from __future__ import annotations

import subprocess
import sys
import zipfile

from dropper import resources
from tests.conftest import REPO


def test_checkout_finds_the_drop_schema():
    assert resources.data_dir("metadata") == REPO / "metadata"
    assert resources.load_json("metadata", "drop.schema.json")["title"] == "drop.toml"


def test_wheel_carries_metadata_and_loads_it(tmp_path):
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                    "-w", str(tmp_path / "wheel"), str(REPO)], check=True, capture_output=True)
    wheel = next((tmp_path / "wheel").glob("dropper-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    assert "dropper/_data/metadata/drop.schema.json" in names
    assert any(name.startswith("generator/") for name in names)
    target = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(target)
    probe = ("import dropper.resources as r; p = r.data_dir('metadata'); "
             "assert '_data' in str(p), p; print(r.load_json('metadata', 'drop.schema.json')['title'])")
    result = subprocess.run([sys.executable, "-c", probe], cwd=tmp_path, capture_output=True, text=True,
                            env={"PYTHONPATH": str(target), "PATH": "/usr/bin:/bin"})
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "drop.toml"


def test_wheel_carries_the_compiled_contract_but_not_node_modules(tmp_path):
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                    "-w", str(tmp_path), str(REPO)], check=True, capture_output=True)
    names = zipfile.ZipFile(next(tmp_path.glob("dropper-*.whl"))).namelist()
    assert "dropper/_data/contracts/artifacts/DropERC721.json" in names
    assert not [name for name in names if "node_modules" in name]
