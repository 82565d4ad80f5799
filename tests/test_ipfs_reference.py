"""dropper.ipfs against an independent implementation: js-ipfs-unixfs set up like kubo.

``tests/ipfs_reference`` pins ``ipfs-unixfs-importer`` and ``@ipld/car``; the fixture installs
them once with ``npm ci`` into a cache folder (``$DROPPER_CACHE`` or ``~/.cache/dropper``) and
skips, saying why, where node/npm are missing or the registry cannot be reached.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from dropper import ipfs
from dropper.ipfs import KUBO_CIDV1, UNIXFS_V0_2015, UNIXFS_V1_2025
from dropper.ipfs.cid import cid_from_text, cid_text
from dropper.ipfs.dagpb import decode_node
from dropper.ipfs.unixfs import HAMT_SHARD, decode_data
from tests.conftest import REPO
from tests.npm import installed

REFERENCE = REPO / "tests" / "ipfs_reference"
_FILES = ("package.json", "package-lock.json", "reference.mjs")
CHUNK = 256 * 1024
PROFILE_NAMES = {KUBO_CIDV1: "kubo-cidv1", UNIXFS_V0_2015: "unixfs-v0-2015",
                 UNIXFS_V1_2025: "unixfs-v1-2025"}


def _install_reference() -> Path:
    """The reference project with its node_modules, installed once per lockfile."""
    return installed(REFERENCE, _FILES, "ipfs_reference")


@pytest.fixture(scope="session")
def js_reference() -> Callable[..., dict]:
    """``js_reference("tree", folder, "kubo-cidv1")`` runs reference.mjs and parses its JSON."""
    project = _install_reference()

    def run(*args: str | os.PathLike) -> dict:
        result = subprocess.run(["node", str(project / "reference.mjs"), *map(str, args)],
                                check=False, capture_output=True, text=True, timeout=600)
        assert result.returncode == 0, result.stderr[-2000:]
        return json.loads(result.stdout)

    return run


def _import_with_blocks(folder: Path, **options) -> tuple[ipfs.ImportResult, dict[bytes, bytes]]:
    blocks: dict[bytes, bytes] = {}
    result = ipfs.import_tree(folder, sink=lambda cid, block: blocks.setdefault(cid, bytes(block)),
                              **options)
    return result, blocks


def assert_same_as_reference(js_reference, folder: Path, profile=KUBO_CIDV1,
                             include_hidden: bool = False) -> ipfs.ImportResult:
    """Root, every entry the reference reports, and the whole block set agree."""
    args = ["tree", folder, PROFILE_NAMES[profile]] + (["--hidden"] if include_hidden else [])
    expected = js_reference(*args)
    result, blocks = _import_with_blocks(folder, profile=profile, include_hidden=include_hidden)
    assert result.root_cid == expected["root"]
    assert {path: result.entries[path].cid for path in expected["entries"]} == expected["entries"]
    assert sorted(cid_text(cid) for cid in blocks) == expected["blocks"]
    return result


def _sparse_file(path: Path, size: int) -> Path:
    """A file of ``size`` bytes, mostly holes, with a distinct marker at each chunk's start."""
    with open(path, "wb") as handle:
        handle.truncate(size)
        for offset in range(0, size, CHUNK):
            handle.seek(offset)
            handle.write(hashlib.sha256(offset.to_bytes(8, "big")).digest()[:size - offset])
    return path


def test_files_at_every_chunk_boundary_match_reference(js_reference, tmp_path):
    folder = tmp_path / "media"
    folder.mkdir()
    sizes = {"empty.bin": 0, "one.bin": 1, "chunk-minus-1.bin": CHUNK - 1, "chunk.bin": CHUNK,
             "chunk-plus-1.bin": CHUNK + 1, "three-chunks.bin": 3 * CHUNK + 5}
    for name, size in sizes.items():
        (folder / name).write_bytes(os.urandom(size))
    # 175 chunks: one more than a file node holds, so kubo adds a second layer.
    _sparse_file(folder / "two-layers.bin", 174 * CHUNK + 1)
    result = assert_same_as_reference(js_reference, folder)
    assert result.entries["one.bin"].cid.startswith("bafkrei")  # a lone chunk is its raw leaf
    assert result.entries["chunk.bin"].cid.startswith("bafkrei")
    assert result.entries["chunk-plus-1.bin"].cid.startswith("bafybei")
    assert result.entries["two-layers.bin"].file_bytes == 174 * CHUNK + 1


def test_nested_unicode_tree_with_symlink_matches_reference(js_reference, tmp_path):
    root = tmp_path / "site"
    deep = root / "Ünïcødé テスト" / "nested dir" / "deeper"
    deep.mkdir(parents=True)
    (root / "index.html").write_text("<h1>Fake Feelings</h1>")
    (root / "Ünïcødé テスト" / "café ☕.txt").write_text("crème brûlée")
    (deep / "🎵 track 01.json").write_text('{"name": "Woeful <Wail>"}')
    (root / "empty-folder").mkdir()
    (root / "empty-file").write_bytes(b"")
    (root / ".DS_Store").write_bytes(b"hidden")
    (root / "Ünïcødé テスト" / ".secret").write_text("hidden too")
    os.symlink("index.html", root / "latest.html")
    result = assert_same_as_reference(js_reference, root)
    assert ".DS_Store" not in result.entries
    assert result.entries["latest.html"].kind == "symlink"
    with_hidden = assert_same_as_reference(js_reference, root, include_hidden=True)
    assert ".DS_Store" in with_hidden.entries
    assert with_hidden.root_cid != result.root_cid


def test_folder_past_the_threshold_shards_like_reference(js_reference, tmp_path):
    folder = tmp_path / "metadata" / "tokens"
    folder.mkdir(parents=True)
    # 1600 * (150 + 36) bytes of names and CIDs is past kubo's 256 KiB: a HAMT.
    for index in range(1600):
        (folder / f"{index:05d}-{'long-token-name-' * 9}"[:150]).write_text(f'{{"id": {index}}}')
    (folder.parent / "collection.json").write_text("{}")
    result = assert_same_as_reference(js_reference, folder.parent)
    _, blocks = _import_with_blocks(folder.parent)
    shard = decode_node(blocks[_raw(result.entries["tokens"].cid)])
    assert decode_data(shard.data).type == HAMT_SHARD


def _raw(cid: str) -> bytes:
    return cid_from_text(cid).raw


@pytest.mark.parametrize("profile", [UNIXFS_V0_2015, UNIXFS_V1_2025], ids=PROFILE_NAMES.get)
def test_other_kubo_profiles_match_reference(js_reference, tmp_path, profile):
    folder = tmp_path / "reports"
    (folder / "html").mkdir(parents=True)
    (folder / "originality.json").write_text('{"passed": true}')
    (folder / "html" / "carbon.html").write_text("<p>0.3 kg CO2e</p>")
    _sparse_file(folder / "video.mp4", 5 * 1024 * 1024 + 3)
    assert_same_as_reference(js_reference, folder, profile=profile)


def test_car_reads_back_in_ipld_car_with_the_reference_blocks(js_reference, tmp_path):
    folder = tmp_path / "media"
    (folder / "gifs").mkdir(parents=True)
    (folder / "gifs" / "song.gif").write_bytes(os.urandom(CHUNK * 2 + 17))
    (folder / "song.mp3").write_bytes(os.urandom(CHUNK + 1))
    (folder / "copy.mp3").write_bytes((folder / "song.mp3").read_bytes())  # same blocks twice
    summary = ipfs.write_car(folder, tmp_path / "media.car")
    from_car = js_reference("car", tmp_path / "media.car")
    expected = js_reference("tree", folder)
    assert from_car["roots"] == [summary.root] == [expected["root"]]
    assert from_car["blocks"] == expected["blocks"]  # every block, each once
    assert summary.blocks == len(expected["blocks"])
