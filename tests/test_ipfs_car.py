"""CAR v1 archives: written atomically, read back with every block verified."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from dropper import ipfs
from dropper.errors import DropperError, MissingInput
from dropper.ipfs import CarError

CHUNK = 256 * 1024


@pytest.fixture
def drop_media(tmp_path: Path) -> Path:
    folder = tmp_path / "media"
    (folder / "video").mkdir(parents=True)
    (folder / "video" / "01.mp4").write_bytes(os.urandom(3 * CHUNK + 11))
    (folder / "01.flac").write_bytes(os.urandom(CHUNK + 1))
    (folder / "01 copy.flac").write_bytes((folder / "01.flac").read_bytes())
    (folder / "poster.png").write_bytes(b"\x89PNG tiny")
    return folder


def test_car_root_is_the_tree_cid_and_every_block_verifies(drop_media, tmp_path):
    written = ipfs.write_car(drop_media, tmp_path / "media.car")
    assert written.root == ipfs.tree_cid(drop_media)
    read = ipfs.read_car(tmp_path / "media.car")
    assert read == written
    assert read.car_bytes == (tmp_path / "media.car").stat().st_size
    # 01.mp4: 4 leaves + 1 node; 01.flac: 2 leaves + 1 node (its copy adds nothing); poster;
    # the video folder and the root.
    assert read.blocks == 5 + 3 + 1 + 2


def test_car_holds_every_block_of_the_import(drop_media, tmp_path):
    made: dict[bytes, bytes] = {}
    ipfs.import_tree(drop_media, sink=lambda cid, block: made.setdefault(cid, bytes(block)))
    ipfs.write_car(drop_media, tmp_path / "media.car")
    stored = {block.cid.raw: block.data for block in ipfs.iter_car(tmp_path / "media.car")}
    assert stored == made


def test_flipped_byte_is_detected(drop_media, tmp_path):
    car = tmp_path / "media.car"
    ipfs.write_car(drop_media, car)
    payload = bytearray(car.read_bytes())
    payload[len(payload) // 2] ^= 0x01
    car.write_bytes(bytes(payload))
    with pytest.raises(CarError, match="do not hash to the CID"):
        ipfs.read_car(car)
    assert ipfs.read_car(car, verify=False).blocks > 0  # framing is intact, only bytes changed


def test_truncated_car_is_reported(drop_media, tmp_path):
    car = tmp_path / "media.car"
    ipfs.write_car(drop_media, car)
    car.write_bytes(car.read_bytes()[:-100])
    with pytest.raises(CarError, match="truncated"):
        ipfs.read_car(car)


def test_not_a_car_is_reported(tmp_path):
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(CarError, match="not a CAR file"):
        ipfs.read_car(tmp_path / "notes.txt")
    with pytest.raises(MissingInput):
        ipfs.read_car(tmp_path / "missing.car")


def test_write_car_from_an_import_refuses_a_changed_folder_and_keeps_the_old_car(
        drop_media, tmp_path):
    car = tmp_path / "media.car"
    result = ipfs.import_tree(drop_media)
    assert ipfs.write_car(result, car).root == result.root_cid
    before = car.read_bytes()
    (drop_media / "poster.png").write_bytes(b"a different poster")
    with pytest.raises(CarError, match="changed since the import"):
        ipfs.write_car(result, car)
    assert car.read_bytes() == before
    assert not list(tmp_path.glob(".media.car.*"))  # no temporary file left behind


def test_car_errors_are_dropper_errors():
    assert issubclass(CarError, DropperError)
