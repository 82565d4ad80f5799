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
        "manifest": "dropper-drop", "format_version": 1,
        "tool": {"name": "dropper", "version": "0.1.0", "versions": {"python": "3.11.7"}},
        "drop": {"title": "Fake Feelings", "artist": "X", "description": "songs",
                 "license": {"spdx": "CC-BY-NC-4.0", "name": "CC BY-NC 4.0",
                             "uri": "https://creativecommons.org/licenses/by-nc/4.0/"}},
        "contract": {"standard": "ERC-721", "chain_id": None, "network": None, "address": None,
                     "base_uri": f"ipfs://{CID}/", "token_uri_suffix": ".json", "contract_uri": f"ipfs://{CID}/contract.json",
                     "provenance_hash": SHA, "max_supply": 1, "distribution": "premint",
                     "royalty": {"receiver": "0x" + "1" * 40, "basis_points": 500}},
        "ipfs": {"root_cid": CID, "metadata_cid": CID},
        "token_count": 1,
        "tokens": [{"token_id": 1, "title": "mock mood", "song": "take-1", "token_uri": f"ipfs://{CID}/1.json",
                    "metadata_cid": CID, "media": {"audio": f"ipfs://{CID}", "image": f"ipfs://{CID}",
                                                   "animation_url": f"ipfs://{CID}"},
                    "audio_sha256": SHA, "tempo_bpm": 0, "temperature": 1.02, "style": None, "distinctions": []}],
        "originality": {"report": f"ipfs://{CID}/reports/originality.json", "report_cid": CID, "index_hash": SHA,
                        "params_hash": SHA, "summary": {"songs": 1, "passed": 0, "flagged": 0, "waived": 1},
                        "waivers": [{"token_id": 1, "song": "take-1", "reason": "our own sample", "author": "ana",
                                     "at": "2026-11-25"}]},
        "carbon": {"report": f"ipfs://{CID}/reports/carbon.json", "report_cid": CID, "era": "pos",
                   "date": "2026-11-25", "total_gas": 2_000_000, "estimated_kg_co2e": 0.5,
                   "offset_multiplier": 8, "offset_kg_co2e": 4.0, "offset_tonnes": 0.004},
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
    source = {"title": "a study", "url": "https://example.invalid/study", "version": "2022", "license": "MIT"}
    report = {"report": "carbon", "format_version": 1, "tool": {"name": "dropper", "version": "0.1.0"},
              "drop": {"title": "Fake Feelings", "artist": "X"},
              "network": {"chain": "ethereum", "era": "pos", "date": "2026-11-25", "date_from": "today"},
              "factor": {"era": "pos", "date": "2026-11-25", "kg_co2e_per_gas": 1e-8, "kg_co2e_per_gas_low": 1e-8,
                         "kg_co2e_per_gas_high": 1e-8, "method": "annual emissions / annual gas", "inputs": {},
                         "sources": [source]},
              "transactions": [{"kind": "deploy", "description": "deploy", "count": 1, "gas_each": 2_000_000,
                                "gas": 2_000_000, "source": "measured", "estimated": True}],
              "total_gas": 2_000_000, "estimated_kg_co2e": 0.02, "estimated_kg_co2e_range": [0.02, 0.02],
              "offset_multiplier": 8, "offset_kg_co2e": 0.16, "offset_tonnes": 0.00016, "offset_cost": None,
              "comparison": [{"label": "2021", "era": "pow", "date": "2021-03-11", "kg_co2e_per_gas": 1e-4,
                              "estimated_kg_co2e": 200.0, "offset_kg_co2e": 1600.0},
                             {"label": "now", "era": "pos", "date": "2026-11-25", "kg_co2e_per_gas": 1e-8,
                              "estimated_kg_co2e": 0.02, "offset_kg_co2e": 0.16}]}
    assert schemas.violations(report, "carbon-report.schema.json") == []
    report["offset_multiplier"] = 0.5
    assert schemas.violations(report, "carbon-report.schema.json")[0].startswith("$.offset_multiplier")
