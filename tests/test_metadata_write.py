"""Writing token metadata: every document is checked before anything is written, a bad one is
named with its song and JSON path, and the metadata already in place stays whole."""

from __future__ import annotations

import json

import pytest

from dropper import schemas
from dropper.stages.package import write_metadata
from dropper.workspace import Song

CID = "bafybeid7572mie6diy6mo5eik2e62h2qdjjaucajvviopzz27wrqhsxpwe"


def song(number: int, name: str) -> Song:
    return Song(id=number, sha256=f"{number:064x}", name=name, path=f"songs/{name}.wav", format="wav",
                size_bytes=1000, duration_s=30.0, sample_rate=22050, channels=1, frames=661500,
                temperature=1.0, model="tiny", checkpoint=None, seed=number)


def document(title: str) -> dict:
    return {
        "name": title, "description": f"{title}: a song.", "image": f"ipfs://{CID}", "animation_url": f"ipfs://{CID}",
        "attributes": [{"trait_type": "Tempo", "value": 120.0, "display_type": "number"},
                       {"trait_type": "License", "value": "CC-BY-NC-4.0"}],
        "license": {"spdx": "CC-BY-NC-4.0", "name": "Creative Commons Attribution-NonCommercial 4.0 International",
                    "uri": "https://creativecommons.org/licenses/by-nc/4.0/", "statement": "Share, credit, no sales."},
        "audio": {"uri": f"ipfs://{CID}", "sha256": "a" * 64, "mime_type": "audio/wav", "duration_s": 30.0},
        "originality": {"verdict": "pass", "index_hash": "b" * 64, "params_hash": "c" * 64, "waiver": None},
    }


def snapshot(folder) -> dict[str, str]:
    return {path.name: path.read_text() for path in sorted(folder.iterdir())}


def test_tokens_are_numbered_by_song_name_and_every_file_validates(tmp_drop, open_drop):
    drop = open_drop(tmp_drop())
    packaged = write_metadata(drop, [(song(1, "zebra"), document("mock mood")),
                                     (song(2, "alpha"), document("phony fear"))])
    assert [(t["token_id"], t["song"]) for t in packaged.tokens] == [(1, "alpha"), (2, "zebra")]
    for token in packaged.tokens:
        written = json.loads((packaged.folder / token["metadata"]).read_text())
        assert schemas.violations(written, "token-metadata.schema.json") == []
        assert written["name"] == token["title"]
    again = write_metadata(drop, [(song(2, "alpha"), document("phony fear")),
                                  (song(1, "zebra"), document("mock mood"))])
    assert not again.changed and again.root_cid == packaged.root_cid


def test_a_bad_document_is_named_with_its_path_and_nothing_is_written(tmp_drop, open_drop):
    drop = open_drop(tmp_drop())
    good = [(song(1, "alpha"), document("phony fear")), (song(2, "beta"), document("mock mood"))]
    packaged = write_metadata(drop, good)
    before, summary = snapshot(packaged.folder), (drop.build_dir / "package.json").read_text()

    bad = document("bogus hope")
    bad["attributes"][0]["value"] = "fast"
    bad["image"] = "https://example.invalid/timelapse.gif"
    with pytest.raises(schemas.SchemaError) as caught:
        write_metadata(drop, [good[0], (song(2, "beta"), bad)])
    message = str(caught.value)
    assert "beta: $.image:" in message and "beta: $.attributes[0]" in message
    assert "alpha" not in message  # only the bad song is named
    assert snapshot(packaged.folder) == before  # the published folder is untouched
    assert (drop.build_dir / "package.json").read_text() == summary
    assert not (drop.build_dir / ".metadata.new").exists()


def test_more_than_ten_violations_list_ten_and_count_the_rest(tmp_drop, open_drop):
    drop = open_drop(tmp_drop())
    bad = []
    for number in range(1, 7):  # two violations each: 12 in all
        broken = document(f"title {number}")
        broken["image"] = "https://example.invalid/timelapse.gif"
        broken["attributes"][0]["value"] = "fast"
        bad.append((song(number, f"song{number:02d}"), broken))
    with pytest.raises(schemas.SchemaError) as caught:
        write_metadata(drop, bad)
    message = str(caught.value)
    assert message.startswith("token metadata: 12 schema violation(s): song01: ")
    assert message.count("$.") == 10 and message.endswith("; and 2 more")
    assert "song06" not in message and not (drop.build_dir / "metadata").exists()


def test_two_tokens_with_one_title_are_refused_naming_both_songs(tmp_drop, open_drop):
    from dropper.errors import DropperError

    drop = open_drop(tmp_drop())
    with pytest.raises(DropperError) as caught:
        write_metadata(drop, [(song(1, "alpha"), document("Mock Melancholy")),
                              (song(2, "beta"), document("phony fear")),
                              (song(3, "gamma"), document("mock melancholy"))])
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith("token metadata: songs alpha and gamma have the same title 'mock melancholy'")
    assert "dropper annotate gamma --title" in message
    assert not (drop.build_dir / "metadata").exists() and not (drop.build_dir / "package.json").exists()
