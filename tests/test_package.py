"""package: refused without clearance; metadata follows its schema, with CIDs of the real files."""

from __future__ import annotations

import json

from dropper import ipfs, schemas
from tests.conftest import run_cli


def test_package_is_refused_without_a_reference_catalog(small_drop):
    with open(small_drop / "drop.toml", "a") as settings:
        settings.write("[curate]\nkeep_unreviewed = true\n")
    run_cli("ingest", str(small_drop), check=True)
    result = run_cli("package", str(small_drop))
    assert result.returncode == 3
    assert "package refused: clearance is mandatory" in result.stderr
    assert not (small_drop / "build" / "metadata").exists()


def test_schema_lists_every_violation_with_its_path():
    bad = {"name": "", "description": "x", "image": "https://example.invalid/a.gif",
           "animation_url": "ipfs://bafybeiaybwtwonajul2dhf3pxr5gic56sxifh55xtgkwew74rckiwgcrsi",
           "attributes": [{"trait_type": "Tempo", "value": "fast", "display_type": "number"}],
           "license": {}, "audio": {}, "originality": {}}
    found = schemas.violations(bad, "token-metadata.schema.json")
    paths = " ".join(found)
    assert "$.name" in paths and "$.image" in paths and "$.attributes[0]" in paths and "$.license" in paths
    assert len(found) >= 5


def test_example_metadata_validates_and_points_at_the_real_files(example_drop):
    drop = example_drop
    summary = json.loads((drop / "build" / "package.json").read_text())
    assert [token["token_id"] for token in summary["tokens"]] == list(range(1, 12))
    assert summary["metadata_root_cid"] == ipfs.tree_cid(drop / "build" / "metadata")
    files = sorted((drop / "build" / "metadata").glob("[0-9]*.json"), key=lambda path: int(path.stem))
    assert [path.name for path in files] == [token["metadata"] for token in summary["tokens"]]
    for path in files:  # every token file, not only the first
        document = json.loads(path.read_text())
        assert schemas.violations(document, "token-metadata.schema.json") == [], path.name
        assert document["name"] == summary["tokens"][int(path.stem) - 1]["title"]
    assert len({json.loads(path.read_text())["name"].casefold() for path in files}) == len(files)
    first = json.loads(files[0].read_text())
    song = next(p for p in (drop / "songs").iterdir() if p.stem == summary["tokens"][0]["song"]
                and p.suffix != ".json")
    assert first["audio"]["uri"] == f"ipfs://{ipfs.file_cid(song)}"
    assert first["license"]["spdx"] == "CC-BY-NC-4.0" and first["originality"]["verdict"] == "pass"
    traits = {attribute["trait_type"] for attribute in first["attributes"]}
    assert {"Tempo", "Temperature", "Duration", "Model", "License"} <= traits


def test_verify_names_the_token_whose_file_changed(example_drop, tmp_path):
    import shutil

    drop = tmp_path / "copy"
    shutil.copytree(example_drop, drop)
    assert run_cli("verify", str(drop)).returncode == 0
    summary = json.loads((drop / "build" / "package.json").read_text())
    first = json.loads((drop / "build" / "metadata" / "1.json").read_text())
    poster = next((drop / "build" / "posters").glob("*.png"))
    cid = f"ipfs://{ipfs.file_cid(poster)}"
    token = next(t for t in summary["tokens"]
                 if json.loads((drop / "build" / "metadata" / t["metadata"]).read_text())["poster"] == cid)
    poster.write_bytes(poster.read_bytes() + b"\0")
    result = run_cli("verify", str(drop))
    assert result.returncode == 1
    assert f"token {token['token_id']} ({token['title']}): poster:" in result.stdout
    assert first["name"] in (drop / "build" / "metadata" / "1.json").read_text()


def test_external_url_points_at_the_song_page_when_a_catalog_url_is_set(example_drop, tmp_path):
    import shutil

    drop = tmp_path / "copy"
    shutil.copytree(example_drop, drop)
    with open(drop / "drop.toml", "a") as settings:
        settings.write('\n[catalog]\nbase_url = "https://fakefeelings.example/"\n')
    run_cli("package", str(drop), check=True)
    run_cli("catalog", str(drop), check=True)
    document = json.loads((drop / "build" / "metadata" / "1.json").read_text())
    assert document["external_url"].startswith("https://fakefeelings.example/songs/")
    page = document["external_url"].removeprefix("https://fakefeelings.example/")
    assert (drop / "site" / page).is_file()
    assert schemas.violations(document, "token-metadata.schema.json") == []


def test_unknown_tags_from_a_csv_import_are_noted_by_package(example_drop, tmp_path):
    # `dropper annotate` reports a typo as it is typed; tags from the curation app or a CSV
    # import are only seen here, so package names them (allowed, but listed once).
    import csv
    import shutil

    drop = tmp_path / "copy"
    shutil.copytree(example_drop, drop)
    summary = json.loads((drop / "build" / "package.json").read_text())
    song = summary["tokens"][0]["song"]
    sheet = tmp_path / "tags.csv"
    with open(sheet, "w", newline="") as handle:
        csv.writer(handle).writerows([["name", "style", "tags"], [song, "dom metal", "doom rif; cool drums"]])
    run_cli("curate", str(drop), "--import", str(sheet), "--author", "test", check=True)
    result = run_cli("package", str(drop), check=True)
    notes = [line for line in result.stdout.splitlines() if line.startswith("unknown tags")]
    assert notes == ["unknown tags (allowed; check for typos): unknown distinction 'doom rif' (did you mean "
                     f"'doom riff'?) on {song}; unknown style 'dom metal' (did you mean 'doom metal'?) "
                     f"on {song}"], result.stdout
