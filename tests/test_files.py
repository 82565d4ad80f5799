"""Atomic writes: a final path holds a whole file or nothing; hashes are stable."""

from __future__ import annotations

import os
import stat

import pytest

from dropper.files import (atomic_write, canonical_json, hash_params, remove_stale_parts, sha256_file, write_if_changed,
                           write_text)


def test_atomic_write_replaces_whole_file(tmp_path):
    target = tmp_path / "out" / "a.txt"
    write_text(target, "first")
    write_text(target, "second")
    assert target.read_text() == "second"
    assert [p.name for p in target.parent.iterdir()] == ["a.txt"]


def test_failed_write_leaves_old_file_and_no_temporary(tmp_path):
    target = tmp_path / "a.bin"
    target.write_bytes(b"old")
    with pytest.raises(RuntimeError):
        with atomic_write(target) as handle:
            handle.write(b"half of the new")
            raise RuntimeError("killed")
    assert target.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.bin"]


def test_atomic_files_get_ordinary_permissions(tmp_path):
    target = tmp_path / "a.txt"
    write_text(target, "x")
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(target.stat().st_mode) == 0o666 & ~umask


def test_stale_parts_are_removed_but_not_a_running_writers(tmp_path):
    (tmp_path / "sub").mkdir()
    stale = tmp_path / "sub" / ".x.png.abc.part"
    stale.write_bytes(b"half")
    old = stale.stat().st_mtime - 3600  # a killed run's part, untouched for an hour
    os.utime(stale, (old, old))
    (tmp_path / "sub" / ".y.mp4.def.part").write_bytes(b"growing")  # another run is writing it now
    (tmp_path / "sub" / "x.png").write_bytes(b"whole")
    assert remove_stale_parts(tmp_path) == 1
    assert sorted(p.name for p in (tmp_path / "sub").iterdir()) == [".y.mp4.def.part", "x.png"]
    assert remove_stale_parts(tmp_path, older_than_s=0) == 1


def test_hashes_are_canonical(tmp_path):
    assert canonical_json({"b": 1, "a": [1, 2]}) == '{"a":[1,2],"b":1}'
    assert hash_params({"a": 1, "b": 2}) == hash_params({"b": 2, "a": 1})
    assert hash_params({"a": 1}) != hash_params({"a": 2})
    path = tmp_path / "f"
    path.write_bytes(b"abc")
    assert sha256_file(path) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"


def test_write_if_changed_leaves_identical_bytes_untouched(tmp_path):
    target = tmp_path / "report.json"
    assert write_if_changed(target, "{}\n") is True  # a new file is written
    old = 1_000_000_000_000_000_000  # ns: a modification time no write would give it
    os.utime(target, ns=(old, old))
    inode = target.stat().st_ino
    assert write_if_changed(target, "{}\n") is False
    assert write_if_changed(target, b"{}\n") is False  # the same bytes, given as bytes
    assert target.stat().st_mtime_ns == old and target.stat().st_ino == inode
    assert write_if_changed(target, "{ }\n") is True
    assert target.read_text() == "{ }\n" and target.stat().st_mtime_ns != old
    assert write_if_changed(target, "{ }\n\n") is True  # longer: same prefix is not the same file
    assert target.read_bytes() == b"{ }\n\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.json"]  # no temporary left

