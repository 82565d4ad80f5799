"""manifest.json: schema-valid, every CID matches its file, identical on a rerun."""

from __future__ import annotations

import json
import shutil

from dropper import ipfs, schemas
from dropper.ipfs.car import read_car
from tests.conftest import run_cli


def cid_uri(path) -> str:
    return f"ipfs://{ipfs.file_cid(path)}"


def test_example_manifest_is_valid_and_its_cids_match_the_files(example_drop):
    manifest = json.loads((example_drop / "manifest.json").read_text())
    assert schemas.violations(manifest, "drop-manifest.schema.json") == []
    package = json.loads((example_drop / "build" / "package.json").read_text())
    assert manifest["ipfs"]["metadata_cid"] == package["metadata_root_cid"] == \
        ipfs.tree_cid(example_drop / "build" / "metadata")
    assert manifest["contract"]["base_uri"] == f"ipfs://{package['metadata_root_cid']}/"
    assert manifest["token_count"] == len(manifest["tokens"]) == manifest["contract"]["max_supply"] == 11
    assert manifest["contract"]["address"] and manifest["contract"]["chain_id"]
    songs = {p.stem: p for p in (example_drop / "songs").iterdir() if p.suffix != ".json"}
    for token in manifest["tokens"]:
        metadata = example_drop / "build" / "metadata" / f"{token['token_id']}.json"
        assert token["metadata_cid"] == ipfs.file_cid(metadata)
        assert token["media"]["audio"] == cid_uri(songs[token["song"]])
        document = json.loads(metadata.read_text())
        assert token["media"]["animation_url"] == document["animation_url"]
        assert token["audio_sha256"] == document["audio"]["sha256"]
    video = next((example_drop / "build" / "videos").glob("*.mp4"))
    assert cid_uri(video) in {token["media"]["animation_url"] for token in manifest["tokens"]}
    assert manifest["originality"]["report_cid"] == ipfs.file_cid(example_drop / "reports" / "originality.json")
    assert manifest["carbon"]["report_cid"] == ipfs.file_cid(example_drop / "reports" / "carbon.json")
    assert manifest["originality"]["summary"]["songs"] == 11


def test_manifest_root_is_the_car_root_and_holds_every_folder(example_drop):
    manifest = json.loads((example_drop / "manifest.json").read_text())
    summary = read_car(example_drop / "build" / "drop.car")  # verifies every block against its CID
    assert list(summary.roots) == [manifest["ipfs"]["root_cid"]] and summary.blocks > 20
    for key in ("metadata_cid", "media_cid", "reports_cid", "site_cid"):
        assert manifest["ipfs"][key]


def test_manifest_rerun_is_byte_identical_and_follows_a_change(example_drop, tmp_path):
    drop = tmp_path / "copy"
    shutil.copytree(example_drop, drop)
    before = (drop / "manifest.json").read_bytes()
    again = run_cli("manifest", str(drop), check=True)
    assert "is up to date" in again.stdout
    assert (drop / "manifest.json").read_bytes() == before
    run_cli("annotate", "--drop", str(drop), json.loads(before)["tokens"][0]["song"], "--tag", "ambient outro",
            check=True)
    run_cli("build", str(drop), check=True)
    after = json.loads((drop / "manifest.json").read_text())
    assert "ambient outro" in after["tokens"][0]["distinctions"]
    assert after["ipfs"]["root_cid"] != json.loads(before)["ipfs"]["root_cid"]
