"""dropper verify also re-hashes the published tree and compares it with manifest.json."""

from __future__ import annotations

import json
import shutil

from tests.conftest import run_cli


def test_verify_checks_every_cid_the_manifest_gives_the_marketplace(example_drop, tmp_path):
    drop = tmp_path / "copy"
    shutil.copytree(example_drop, drop)
    manifest = json.loads((drop / "manifest.json").read_text())
    recorded = {key for key in manifest["ipfs"] if key.endswith("_cid")}
    assert {"root_cid", "site_cid", "reports_cid"} <= recorded

    clean = json.loads(run_cli("verify", str(drop), "--json", check=True).stdout)
    assert clean["ok"]

    # A catalog page edited after the manifest was written: no token file changed, but the site
    # and the root the marketplace was given no longer match.
    page = drop / "site" / "index.html"
    page.write_text(page.read_text() + "\n<!-- edited -->\n")
    result = run_cli("verify", str(drop), "--json")
    assert result.returncode == 1
    document = json.loads(result.stdout)
    assert document["checked"] == clean["checked"]
    named = sorted(line.split(":")[1].strip().split(" ")[0] for line in document["mismatches"])
    assert named == ["ipfs.root_cid", "ipfs.site_cid"], document["mismatches"]


def test_a_damaged_manifest_is_a_mismatch_not_a_traceback(example_drop, tmp_path):
    drop = tmp_path / "copy"
    shutil.copytree(example_drop, drop)
    (drop / "manifest.json").write_text("{not json")
    result = run_cli("verify", str(drop))
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "manifest.json: unreadable" in result.stdout
