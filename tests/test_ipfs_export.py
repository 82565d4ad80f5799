"""The drop's publication tree (media/, metadata/, reports/, site/) and build/drop.car."""

from __future__ import annotations

import io
import json
import os
import shutil
from pathlib import Path

import pytest

from dropper import ipfs
from dropper.ipfs.balanced import file_dag_bytes, stream_dag
from dropper.ipfs.errors import StaleFiles
from dropper.ipfs.export import drop_layout, export_tree, write_drop_car
from tests.conftest import run_cli
from tests.ipfs_servers import link_copy, replace_file

CHUNK = 256 * 1024


@pytest.fixture
def drop_dir(example_drop, tmp_path) -> Path:
    """A copy of the built example drop, without the CAR its build wrote."""
    copy = link_copy(example_drop, tmp_path / "drop")
    (copy / "build" / "drop.car").unlink(missing_ok=True)
    return copy


def _materialize(layout, folder: Path) -> Path:
    """The virtual tree as a real folder of hard links (what `ipfs add -r` would be given)."""
    folder.mkdir(parents=True)
    for name, source in layout.items():
        if isinstance(source, dict):
            _materialize(source, folder / name)
        elif Path(source).is_dir():
            shutil.copytree(source, folder / name, copy_function=os.link)
        else:
            os.link(source, folder / name)
    return folder


@pytest.mark.parametrize("size", [0, 1, CHUNK, CHUNK + 1, 174 * CHUNK, 175 * CHUNK + 3])
def test_a_files_dag_size_follows_from_its_length(size):
    assert file_dag_bytes(size) == stream_dag(io.BytesIO(bytes(size))).dag_bytes


def test_export_is_the_tree_kubo_would_import_from_the_same_folder(drop_dir, open_drop, tmp_path):
    drop = open_drop(drop_dir)
    export = export_tree(drop)
    layout, media = drop_layout(drop)
    real = _materialize(layout, tmp_path / "real")
    imported = ipfs.import_tree(real)
    assert export.root_cid == imported.root_cid
    assert export.folder_cids() == {name: imported.entries[name].cid
                                    for name in ("media", "metadata", "reports", "site")}
    summary = json.loads((drop_dir / "build" / "package.json").read_text())
    assert export.metadata_cid == summary["metadata_root_cid"]
    first = json.loads((drop_dir / "build" / "metadata" / "1.json").read_text())
    assert first["animation_url"] == f"ipfs://{imported.entries['media/1/video.mp4'].cid}"
    assert first["image"] == f"ipfs://{imported.entries['media/1/gif.gif'].cid}"
    assert {path.name for path in (real / "media" / "1").iterdir()} >= {"poster.png", "spectrogram.png"}
    assert len(media) == 5 * len(summary["tokens"])


def test_rerun_reads_cids_from_the_cache_not_the_files(drop_dir, open_drop):
    drop = open_drop(drop_dir)
    first = export_tree(drop)
    video = next((drop_dir / "build" / "videos").glob("*.mp4"))
    cached = drop.db.execute("SELECT cid FROM file_cids WHERE path = ?", (str(video),)).fetchone()
    assert cached is not None
    # Poison the cached row: a rerun that trusts the cache now sees a "changed" video.
    drop.db.execute("UPDATE file_cids SET cid = ? WHERE path = ?", (ipfs.bytes_cid(b"other"), str(video)))
    with pytest.raises(StaleFiles, match=video.name):
        export_tree(drop)
    assert export_tree(drop, fresh=True) == first


def test_missing_site_and_reports_are_left_out(drop_dir, open_drop):
    shutil.rmtree(drop_dir / "site")
    shutil.rmtree(drop_dir / "reports")
    export = export_tree(open_drop(drop_dir))
    assert export.site_cid is None and export.reports_cid is None
    assert set(export.folder_cids()) == {"media", "metadata"}


def test_drop_car_round_trips_and_is_not_written_twice(drop_dir, open_drop, tmp_path):
    drop = open_drop(drop_dir)
    written = write_drop_car(drop)
    assert written.path == drop_dir / "build" / "drop.car"
    read = ipfs.read_car(written.path)  # every block checked against its CID
    assert (read.root, read.car_bytes) == (written.root_cid, written.car_bytes)
    assert written.root_cid == export_tree(drop).root_cid
    layout, _ = drop_layout(drop)
    made: set[bytes] = set()
    ipfs.import_tree(_materialize(layout, tmp_path / "real"), sink=lambda cid, block: made.add(cid))
    assert {block.cid.raw for block in ipfs.iter_car(written.path)} == made
    mtime = written.path.stat().st_mtime_ns
    assert write_drop_car(drop) == written
    assert written.path.stat().st_mtime_ns == mtime


def test_a_drop_car_cut_short_is_written_again_not_taken_as_current(drop_dir, open_drop):
    drop = open_drop(drop_dir)
    written = write_drop_car(drop)
    whole = written.path.read_bytes()
    with open(written.path, "r+b") as handle:  # e.g. a copy that ran out of disk
        handle.truncate(written.car_bytes // 2)
    assert ipfs.read_car_roots(written.path) == (written.root_cid,)  # the header alone looks fine

    again = write_drop_car(drop)

    assert again == written and written.path.read_bytes() == whole
    assert ipfs.read_car(written.path).root == written.root_cid


def test_car_command_refuses_a_file_changed_after_package(drop_dir):
    result = run_cli("car", str(drop_dir), "--json", "--verify")
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["written"] and document["verified_blocks"] > 0
    assert not json.loads(run_cli("car", str(drop_dir), "--json").stdout)["written"]
    car_bytes = (drop_dir / "build" / "drop.car").read_bytes()
    poster = next((drop_dir / "build" / "posters").glob("*.png"))
    replace_file(poster, poster.read_bytes() + b"\0")
    refused = run_cli("car", str(drop_dir))
    assert refused.returncode == 2
    assert f"build/posters/{poster.name} hashes to" in refused.stderr
    assert "run dropper package" in refused.stderr and len(refused.stderr.strip().splitlines()) == 1
    assert (drop_dir / "build" / "drop.car").read_bytes() == car_bytes
