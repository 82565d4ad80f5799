"""Every JSON Schema in metadata/ is a valid 2020-12 schema, and accepts and rejects what it should."""

from __future__ import annotations

import json

import pytest
from jsonschema import Draft202012Validator

from dropper import schemas
from dropper.resources import data_dir

SHA = "a" * 64
CID = "bafybeid7572mie6diy6mo5eik2e62h2qdjjaucajvviopzz27wrqhsxpwe"


@pytest.mark.parametrize("name", sorted(p.name for p in data_dir("metadata").glob("*.schema.json")))
def test_schema_is_valid_2020_12(name):
    schema = json.loads((data_dir("metadata") / name).read_text())
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"].endswith("2020-12/schema") and schema.get("description")


def manifest() -> dict:
    return {
        "manifest": "dropper-drop", "format_version": 1, "tool": {"name": "dropper", "version": "0.1.0"},
        "drop": {"title": "Fake Feelings", "artist": "X", "license": {"spdx": "CC-BY-NC-4.0",
                                                                     "uri": "https://creativecommons.org/licenses/by-nc/4.0/"}},
        "contract": {"standard": "ERC-721", "chain_id": 1, "address": None, "base_uri": f"ipfs://{CID}/",
                     "token_uri_suffix": ".json", "provenance_hash": SHA, "max_supply": 1, "distribution": "premint",
                     "royalty": {"receiver": "0x" + "1" * 40, "basis_points": 500}},
        "ipfs": {"root_cid": CID, "metadata_cid": CID},
        "tokens": [{"token_id": 1, "title": "mock mood", "song_sha256": SHA, "token_uri": f"ipfs://{CID}/1.json",
                    "image": f"ipfs://{CID}", "animation_url": f"ipfs://{CID}"}],
        "originality": {"report": f"ipfs://{CID}/reports/originality.json", "index_hash": SHA, "params_hash": SHA,
                        "waivers": [{"token_id": 1, "reason": "our own sample", "author": "ana", "at": "2026-11-25"}]},
        "carbon": {"report": f"ipfs://{CID}/reports/carbon.json", "estimated_kg_co2e": 0.5,
                   "offset_multiplier": 8, "offset_kg_co2e": 4.0},
    }


def test_manifest_schema_accepts_a_manifest_and_names_a_bad_field():
    assert schemas.violations(manifest(), "drop-manifest.schema.json") == []
    bad = manifest()
    bad["contract"]["royalty"]["basis_points"] = 20000
    bad["tokens"][0]["token_uri"] = "https://gateway.invalid/1.json"
    found = schemas.violations(bad, "drop-manifest.schema.json")
    assert any(line.startswith("$.contract.royalty.basis_points") for line in found)
    assert any(line.startswith("$.tokens[0].token_uri") for line in found)


def test_carbon_schema_accepts_a_report_and_rejects_a_multiplier_below_one():
    report = {"report": "carbon", "format_version": 1, "tool": {"name": "dropper", "version": "0.1.0"},
              "drop": {"title": "Fake Feelings", "artist": "X"},
              "method": {"description": "gas x factor", "kg_co2e_per_gas": 1e-7, "source": "a study"},
              "transactions": [{"kind": "deploy", "count": 1, "gas_each": 2_000_000, "gas": 2_000_000}],
              "total_gas": 2_000_000, "estimated_kg_co2e": 0.2, "offset_multiplier": 8, "offset_kg_co2e": 1.6,
              "offsets": []}
    assert schemas.violations(report, "carbon-report.schema.json") == []
    report["offset_multiplier"] = 0.5
    assert schemas.violations(report, "carbon-report.schema.json")[0].startswith("$.offset_multiplier")
