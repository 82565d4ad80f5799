"""The shapes kubo gives files and folders, and what import_tree includes or refuses."""

from __future__ import annotations

import io
import os
import tracemalloc

import pytest

from dropper import ipfs
from dropper.errors import MissingInput
from dropper.ipfs.balanced import stream_dag
from dropper.ipfs.cid import cid_from_text
from dropper.ipfs.dagpb import decode_node
from dropper.ipfs.unixfs import FILE, decode_data

CHUNK = 256 * 1024


def _blocks(data: bytes) -> dict[bytes, bytes]:
    blocks: dict[bytes, bytes] = {}
    stream_dag(io.BytesIO(data), sink=lambda cid, block: blocks.setdefault(cid, bytes(block)))
    return blocks


@pytest.mark.parametrize("size", [0, 1, CHUNK])
def test_a_file_of_one_chunk_is_its_raw_leaf(size):
    data = os.urandom(size)
    cid = cid_from_text(ipfs.bytes_cid(data))
    assert cid.codec == "raw"
    assert _blocks(data) == {cid.raw: data}


def test_one_byte_past_a_chunk_makes_a_file_node_with_two_raw_leaves():
    data = os.urandom(CHUNK + 1)
    cid = cid_from_text(ipfs.bytes_cid(data))
    assert cid.codec == "dag-pb"
    node = decode_node(_blocks(data)[cid.raw])
    unixfs = decode_data(node.data)
    assert (unixfs.type, unixfs.filesize, unixfs.blocksizes) == (FILE, CHUNK + 1, (CHUNK, 1))
    assert [link.tsize for link in node.links] == [CHUNK, 1]


def test_file_cid_streams_in_constant_memory(tmp_path):
    path = tmp_path / "long.bin"
    with open(path, "wb") as handle:
        handle.truncate(64 * 1024 * 1024)
    tracemalloc.start()
    ipfs.file_cid(path)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < 4 * 1024 * 1024  # one 256 KiB chunk and bookkeeping, not the 64 MiB file


def test_hidden_names_are_left_out_unless_asked_for(tmp_path):
    (tmp_path / "site").mkdir()
    (tmp_path / "site" / "index.html").write_text("hi")
    (tmp_path / "site" / ".git").mkdir()
    (tmp_path / "site" / ".git" / "HEAD").write_text("ref")
    plain = ipfs.import_tree(tmp_path / "site")
    assert list(plain.entries) == ["index.html"]
    hidden = ipfs.import_tree(tmp_path / "site", include_hidden=True)
    assert set(hidden.entries) == {"index.html", ".git", ".git/HEAD"}
    (tmp_path / "site" / ".git" / "HEAD").write_text("changed")
    assert ipfs.tree_cid(tmp_path / "site") == plain.root_cid


def test_empty_folder_has_kubos_empty_directory_cid(tmp_path):
    assert ipfs.tree_cid(tmp_path) == "bafybeiczsscdsbs7ffqz55asqdf3smv6klcw3gofszvwlyarci47bgf354"


def test_entries_record_kind_and_sizes(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "song.wav").write_bytes(os.urandom(CHUNK + 5))
    result = ipfs.import_tree(tmp_path)
    song, folder = result.entries["a/song.wav"], result.entries["a"]
    assert (song.kind, song.file_bytes) == ("file", CHUNK + 5)
    assert song.dag_bytes > CHUNK + 5  # the leaves plus the file node
    assert folder.kind == "directory" and folder.dag_bytes > song.dag_bytes
    assert ipfs.file_cid(tmp_path / "a" / "song.wav") == song.cid


def test_missing_folder_and_unsupported_entries_are_refused(tmp_path):
    with pytest.raises(MissingInput, match="no such folder"):
        ipfs.import_tree(tmp_path / "nope")
    with pytest.raises(MissingInput, match="no such file"):
        ipfs.file_cid(tmp_path / "nope.bin")
    os.mkfifo(tmp_path / "pipe")
    with pytest.raises(ipfs.UnsupportedEntry, match="FIFO"):
        ipfs.import_tree(tmp_path)
