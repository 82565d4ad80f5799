"""dropper.ipfs reproduces the CIDs pinned in kubo's own tests, byte for byte.

Vectors come from ipfs/kubo: ``test/cli/cid_profiles_test.go`` (IPIP-499 profiles; data is
kubo's ChaCha20 stream keyed by sha256(seed), zero nonce), ``test/cli/add_test.go``,
``test/sharness/t0040-add-and-cat.sh`` (planets) and ``t0260-sharding.sh`` (2000 files).
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
from collections.abc import Iterator

import numpy as np
import pytest

from dropper import ipfs
from dropper.ipfs import KUBO_CIDV1, UNIXFS_V0_2015, UNIXFS_V1_2025
from dropper.ipfs.balanced import stream_dag
from dropper.ipfs.cid import cid_text
from dropper.ipfs.dagpb import decode_node
from dropper.ipfs.directory import build_directory
from dropper.ipfs.hamt import DirEntry
from dropper.ipfs.unixfs import DIRECTORY, HAMT_SHARD, decode_data

KIB = 1024
MIB = 1024 * KIB


def _rotl(x: np.ndarray, bits: int) -> np.ndarray:
    return (x << np.uint32(bits)) | (x >> np.uint32(32 - bits))


def _chacha20_blocks(key: np.ndarray, first: int, count: int) -> bytes:
    """``count`` 64-byte ChaCha20 keystream blocks (RFC 8439, zero nonce), vectorised."""
    state = np.zeros((16, count), dtype=np.uint32)
    state[0:4] = np.array([0x61707865, 0x3320646E, 0x79622D32, 0x6B206574], np.uint32)[:, None]
    state[4:12] = key[:, None]
    state[12] = np.arange(first, first + count, dtype=np.uint64).astype(np.uint32)
    x = [row.copy() for row in state]

    def quarter(a: int, b: int, c: int, d: int) -> None:
        for p, q, r, bits in ((a, b, d, 16), (c, d, b, 12), (a, b, d, 8), (c, d, b, 7)):
            x[p] += x[q]
            x[r] = _rotl(x[r] ^ x[p], bits)

    for _ in range(10):
        for column in ((0, 4, 8, 12), (1, 5, 9, 13), (2, 6, 10, 14), (3, 7, 11, 15),
                       (0, 5, 10, 15), (1, 6, 11, 12), (2, 7, 8, 13), (3, 4, 9, 14)):
            quarter(*column)
    return (np.stack(x) + state).T.astype("<u4").tobytes()


def kubo_random(size: int, seed: str) -> Iterator[bytes]:
    """kubo's ``DeterministicRandomReaderBytes(size, seed)`` (test/cli/testutils)."""
    key = np.frombuffer(hashlib.sha256(seed.encode()).digest(), dtype="<u4").astype(np.uint32)
    block, remaining = 0, size
    while remaining > 0:
        count = min(1 << 15, (remaining + 63) // 64)
        piece = _chacha20_blocks(key, block, count)[:remaining]
        block += count
        remaining -= len(piece)
        yield piece


def kubo_random_bytes(size: int, seed: str) -> bytes:
    return b"".join(kubo_random(size, seed))


def test_chacha20_stream_matches_rfc8439_test_vector():
    # RFC 8439 A.1, test vector 1: all-zero key and nonce, block counter 0.
    assert _chacha20_blocks(np.zeros(8, np.uint32), 0, 1)[:16].hex() == (
        "76b8e0ada0f13d90405d6ae55386bd28")


@pytest.mark.parametrize(("profile", "expected"), [
    (KUBO_CIDV1, "bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e"),
    (UNIXFS_V0_2015, "Qmf412jQZiuVUtdgnB36FXFX7xg5V6KEbSJ4dpQuhkLyfD"),
    (dataclasses.replace(KUBO_CIDV1, raw_leaves=False),
     "bafybeihykld7uyxzogax6vgyvag42y7464eywpf55gxi5qpoisibh3c5wa"),
])
def test_hello_world_has_kubos_cid(profile, expected):
    assert ipfs.bytes_cid(b"hello world", profile=profile) == expected


def test_empty_file_is_the_empty_raw_leaf():
    assert ipfs.bytes_cid(b"") == "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku"
    assert (ipfs.bytes_cid(b"", profile=UNIXFS_V0_2015)
            == "QmbFMke1KXqnYyBBWxB74N4c5SBnJMVAiMNRcGu6x1AwQH")


@pytest.mark.parametrize(("profile", "size", "seed", "expected"), [
    (UNIXFS_V0_2015, 256 * KIB, "chunk-v0-seed", "QmWmRj3dFDZdb6ABvbmKhEL6TmPbAfBZ1t5BxsEyJrcZhE"),
    (UNIXFS_V0_2015, 256 * KIB + 1, "chunk-v0-seed",
     "QmYyLxtzZyW22zpoVAtKANLRHpDjZtNeDjQdJrcQNWoRkJ"),
    (UNIXFS_V1_2025, MIB, "chunk-v1-seed",
     "bafkreiacndfy443ter6qr2tmbbdhadvxxheowwf75s6zehscklu6ezxmta"),
    (UNIXFS_V1_2025, MIB + 1, "chunk-v1-seed",
     "bafybeigmix7t42i6jacydtquhet7srwvgpizfg7gjbq7627d35mjomtu64"),
])
def test_chunk_boundary_files_match_kubo_profiles(profile, size, seed, expected):
    assert ipfs.bytes_cid(kubo_random_bytes(size, seed), profile=profile) == expected


def test_file_past_174_chunks_gets_a_second_layer_like_kubo(tmp_path):
    path = tmp_path / "big.bin"
    with open(path, "wb") as handle:
        for piece in kubo_random(174 * 256 * KIB + 1, "v0-seed"):
            handle.write(piece)
    assert (ipfs.file_cid(path, profile=UNIXFS_V0_2015)
            == "QmV81WL765sC8DXsRhE5fJv2rwhS4icHRaf3J9Zk5FdRnW")
    with open(path, "r+b") as handle:
        handle.truncate(174 * 256 * KIB)
    assert (ipfs.file_cid(path, profile=UNIXFS_V0_2015)
            == "QmUbBALi174SnogsUzLpYbD4xPiBSFANF4iztWCsHbMKh2")


def test_planets_folder_matches_kubo_for_each_cid_setting(tmp_path):
    planets = tmp_path / "planets"
    planets.mkdir()
    (planets / "mars.txt").write_text("Hello Mars!\n")
    (planets / "venus.txt").write_text("Hello Venus!\n")
    result = ipfs.import_tree(planets)
    assert result.root_cid == "bafybeih7e5dmkyk25up5vxug4q3hrg2fxbzf23dfrac2fns5h7z4aa7ioi"
    assert result.entries["mars.txt"].cid == (
        "bafkreibmlvvgdyihetgocpof6xk64kjjzdeq2e4c7hqs3krdheosk4tgj4")
    assert (ipfs.tree_cid(planets, profile=UNIXFS_V0_2015)
            == "QmWSgS32xQEcXMeqd3YPJLrNBLSdsfYCep2U7CFkyrjXwY")
    assert (ipfs.tree_cid(planets, profile=dataclasses.replace(KUBO_CIDV1, raw_leaves=False))
            == "bafybeif5tuep5ap2d7zyhbktucey75aoacxufgt6i3v4gebmixyipnyp7y")


def test_forced_sharding_of_2000_files_matches_kubo(tmp_path):
    folder = tmp_path / "testdata"
    folder.mkdir()
    for i in range(1, 2001):
        (folder / f"file{i}").write_text(f"{i}\n")
    never = dataclasses.replace(UNIXFS_V0_2015, hamt_threshold_bytes=1 << 30)
    assert ipfs.tree_cid(folder, profile=never) == "QmavrTrQG4VhoJmantURAYuw3bowq3E2WcvP36NRQDAC1N"
    always_v0 = dataclasses.replace(UNIXFS_V0_2015, hamt_threshold_bytes=1)
    assert (ipfs.tree_cid(folder, profile=always_v0)
            == "QmSCJD1KYLhVVHqBK3YyXuoEqHt7vggyJhzoFYbT8v1XYL")
    always_v1 = dataclasses.replace(KUBO_CIDV1, hamt_threshold_bytes=1)
    assert (ipfs.tree_cid(folder, profile=always_v1)
            == "bafybeibiemewfzzdyhq2l74wrd6qj2oz42usjlktgnlqv4yfawgouaqn4u")


_EASY_ALPHABET = "abcdefghijklmnopqrstuvwxyz01234567890-_"  # kubo's testutils.AlphabetEasy


def _kubo_names(files: int, name_len: int, last_name_len: int, seed: str) -> list[str]:
    """kubo's createDeterministicFiles names: drawn from the seed's stream, last one longer."""
    stream, offset, names = kubo_random_bytes(MIB, seed), 0, []
    for index in range(files):
        length = last_name_len if index == files - 1 else name_len
        names.append("".join(_EASY_ALPHABET[b % len(_EASY_ALPHABET)]
                             for b in stream[offset:offset + length]))
        offset += length
    return names


def _root_of(names: list[str], profile: ipfs.ImportProfile) -> tuple[str, int]:
    """Root CID and UnixFS type of a folder of files holding "x", built in memory.

    Thousands of one-byte files are slow to create on some file systems, and a folder's node
    depends only on its children's names, CIDs and sizes, so the entries are made directly.
    """
    leaf = stream_dag(io.BytesIO(b"x"), profile)
    entries = [DirEntry(name.encode(), leaf.cid, leaf.dag_bytes) for name in names]
    blocks: dict[bytes, bytes] = {}
    root = build_directory(entries, profile, lambda cid, block: blocks.setdefault(cid, block))
    return cid_text(root.cid), decode_data(decode_node(blocks[root.cid]).data).type


@pytest.mark.parametrize(("profile", "files", "name_len", "at_len", "seed", "at_cid", "over_cid"), [
    (UNIXFS_V0_2015, 4096, 30, 30, "hamt-unixfs-v0-2015",
     "QmX5GtRk3TSSEHtdrykgqm4eqMEn3n2XhfkFAis5fjyZmN", None),
    (UNIXFS_V1_2025, 4766, 11, 21, "hamt-unixfs-v1-2025",
     "bafybeic3h7rwruealwxkacabdy45jivq2crwz6bufb5ljwupn36gicplx4",
     "bafybeiegvuterwurhdtkikfhbxcldohmxp566vpjdofhzmnhv6o4freidu"),
], ids=["unixfs-v0-2015", "unixfs-v1-2025"])
def test_directory_at_kubos_threshold_stays_flat_and_one_byte_over_shards(
        profile, files, name_len, at_len, seed, at_cid, over_cid):
    # The last name grows by one byte to cross the threshold.
    names = _kubo_names(files, name_len, at_len + 1, seed)
    assert _root_of(names[:-1] + [names[-1][:at_len]], profile) == (at_cid, DIRECTORY)
    over = _root_of(names, profile)
    assert over[1] == HAMT_SHARD
    if over_cid:
        assert over[0] == over_cid


def test_directory_one_byte_over_kubos_v0_threshold_matches_kubo():
    # kubo's v0 vector uses 4033 names of 31 characters (4033 * (31 + 34) = 262145 bytes).
    names = _kubo_names(4033, 31, 31, "hamt-unixfs-v0-2015")
    assert _root_of(names, UNIXFS_V0_2015) == (
        "QmeMiJzmhpJAUgynAcxTQYek5PPKgdv3qEvFsdV3XpVnvP", HAMT_SHARD)
