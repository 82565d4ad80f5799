"""Carbon: factors by date and era from the cited data, the multiplier, errors, the report."""

from __future__ import annotations

import csv
import datetime as dt
import json

import pytest

from dropper import schemas
from dropper.carbon.factors import MERGE, coverage, factor
from dropper.carbon.gas import Transactions
from dropper.carbon.report import estimate
from dropper.errors import ConfigError
from dropper.resources import data_path, load_json
from tests.conftest import run_cli


def pow_row(day: str) -> dict[str, str]:
    with open(data_path("metadata", "carbon/pow-daily.csv"), encoding="utf-8") as handle:
        return next(row for row in csv.DictReader(handle) if row["date"] == day)


def test_proof_of_work_factor_is_the_days_emissions_over_its_gas():
    row = pow_row("2021-03-11")
    found = factor("2021-03-11")
    assert found.era == "pow"
    assert found.kg_co2e_per_gas == pytest.approx(float(row["kt_co2_best"]) * 1e6 / int(row["gas_used"]))
    assert found.low < found.kg_co2e_per_gas < found.high
    assert factor("2021-03-12").kg_co2e_per_gas != found.kg_co2e_per_gas  # a daily series
    assert found.sources and all(source["url"] and source["title"] for source in found.sources)


def test_proof_of_stake_factor_is_annual_emissions_over_annual_gas():
    info = load_json("metadata", "carbon/sources.json")["pos"]
    first = info["periods"][0]
    found = factor("2023-06-01")
    annual_gas = first["gas_target_per_block"] * 7200 * 365 * info["slot_fill"]
    assert found.era == "pos"
    assert found.kg_co2e_per_gas == pytest.approx(info["annual_t_co2e"] * 1000 / annual_gas)
    assert factor("2021-03-11").kg_co2e_per_gas / found.kg_co2e_per_gas > 1000


def test_era_follows_the_merge_unless_named():
    assert factor(MERGE - dt.timedelta(days=60)).era == "pow"
    assert factor(MERGE).era == "pos"
    assert factor("2023-01-01", "pos").era == "pos"


@pytest.mark.parametrize("day,network", [("2014-01-01", "auto"), ("2022-08-01", "auto"),
                                         ("2099-01-01", "auto"), ("2021-03-11", "pos"), ("2023-01-01", "pow")])
def test_a_date_outside_the_data_is_an_error_naming_the_covered_range(day, network):
    with pytest.raises(ConfigError) as error:
        factor(day, network)
    message = str(error.value)
    assert day in message and "outside" in message
    first, last = coverage(network if network != "auto" else ("pow" if day < "2022-09-15" else "pos"))
    assert first.isoformat() in message and last.isoformat() in message


def test_a_malformed_date_names_the_setting():
    with pytest.raises(ConfigError, match="carbon.date: '11/03/2021' is not a date"):
        factor("11/03/2021")


def test_estimate_multiplies_gas_by_factor_and_the_offset_by_the_multiplier():
    transactions = [Transactions("deploy", "deploy", 1, 2_000_000, "test", False),
                    Transactions("transfer", "sales", 10, 80_000, "test", True)]
    found = factor("2021-03-11")
    figures = estimate(transactions, found, 8)
    assert figures["total_gas"] == 2_800_000
    assert figures["estimated_kg_co2e"] == pytest.approx(2_800_000 * found.kg_co2e_per_gas, rel=1e-5)
    assert figures["offset_kg_co2e"] == pytest.approx(8 * figures["estimated_kg_co2e"], rel=1e-5)
    assert figures["offset_tonnes"] == pytest.approx(figures["offset_kg_co2e"] / 1000, rel=1e-5)
    low, high = figures["estimated_kg_co2e_range"]
    assert low < figures["estimated_kg_co2e"] < high


def test_example_carbon_report_is_valid_recorded_and_compares_the_eras(example_drop):
    report = json.loads((example_drop / "reports" / "carbon.json").read_text())
    assert schemas.violations(report, "carbon-report.schema.json") == []
    assert report["offset_multiplier"] == 8
    assert report["total_gas"] == sum(tx["gas"] for tx in report["transactions"])
    deploy = next(tx for tx in report["transactions"] if tx["kind"] == "deploy")
    assert deploy["source"] == "recorded by dropper publish" and not deploy["estimated"]
    pow_row_, pos_row = report["comparison"]
    assert (pow_row_["era"], pos_row["era"]) == ("pow", "pos")
    assert pow_row_["estimated_kg_co2e"] > 1000 * pos_row["estimated_kg_co2e"]
    html = (example_drop / "reports" / "carbon.html").read_text()
    assert "Carbon report" in html and "<svg" in html and report["factor"]["sources"][0]["url"] in html


def test_carbon_cli_prints_another_date_and_refuses_one_outside_the_data(example_drop):
    before = (example_drop / "reports" / "carbon.json").read_bytes()
    result = run_cli("carbon", str(example_drop), "--date", "2021-03-11", "--json", check=True)
    document = json.loads(result.stdout)
    assert document["network"] == {"chain": "ethereum", "era": "pow", "date": "2021-03-11", "date_from": "--date"}
    assert (example_drop / "reports" / "carbon.json").read_bytes() == before  # a what-if writes nothing
    refused = run_cli("carbon", str(example_drop), "--date", "2022-08-01")
    assert refused.returncode == 2
    assert refused.stderr.strip().count("\n") == 0
    assert refused.stderr.startswith("error: --date: 2022-08-01 is outside the proof-of-work data")


def test_a_proof_of_work_drop_compares_with_the_last_proof_of_stake_day_once_today_is_past_the_data(
        example_drop, monkeypatch):
    from dropper.carbon import report as carbon_report
    from dropper.workspace import Drop

    last = coverage("pos")[1]
    real = carbon_report.parse_date
    monkeypatch.setattr(carbon_report, "parse_date",
                        lambda text, **kw: last + dt.timedelta(days=400) if text is None else real(text, **kw))
    # a drop whose own date is before the Merge too: compared with today, which is past the data
    monkeypatch.setattr(carbon_report, "drop_date", lambda drop: (dt.date(2021, 3, 11), "drop.toml carbon.date"))
    with Drop.open(example_drop) as drop:
        document = carbon_report.build(drop, date="2021-03-11")
    assert document["network"]["era"] == "pow"
    assert document["comparison"][1]["era"] == "pos"
    assert document["comparison"][1]["date"] == last.isoformat()


def test_a_proof_of_work_what_if_compares_with_the_drops_own_proof_of_stake_date(example_drop):
    document = json.loads(run_cli("carbon", str(example_drop), "--date", "2021-03-11", "--json", check=True).stdout)
    stake = document["comparison"][1]
    assert stake["era"] == "pos" and stake["date"] == "2026-11-25"  # drop.toml carbon.date, not today
    assert stake["label"] == "2026-11-25, proof-of-stake"


def test_a_proof_of_work_estimate_outside_its_data_says_which_date_to_pass(example_drop):
    refused = run_cli("carbon", str(example_drop), "--network", "pow")
    assert refused.returncode == 2 and refused.stderr.strip().count("\n") == 0
    assert refused.stderr.startswith("error: drop.toml carbon.date: 2026-11-25 is outside the proof-of-work data")
    assert "pass --date YYYY-MM-DD between 2015-08-07 and 2022-07-18" in refused.stderr
    works = run_cli("carbon", str(example_drop), "--network", "pow", "--date", "2021-03-11", "--json", check=True)
    assert json.loads(works.stdout)["factor"]["era"] == "pow"


def test_emission_factors_and_their_inputs_read_with_units():
    from dropper.carbon.report import factor_inputs, format_mass

    assert format_mass(1.1150444065208145e-08) == "11.15 µg"
    assert format_mass(0.00013319413883894173) == "133.2 mg"
    assert format_mass(2.5) == "2.5 kg" and format_mass(1234.5) == "1.234 t" and format_mass(0) == "0 kg"
    rows = dict(factor_inputs({"annual_electricity_mwh": 2601.38, "annual_t_co2e": 870.31,
                               "annual_gas": 78051600000000, "slot_fill": 0.99, "data_file": "metadata/x.json",
                               "period": {"from": "2025-11-25", "to": "2027-12-31", "note": "gas limit 60 M"}}))
    assert rows == {"annual electricity use": "2,601.38 MWh", "annual emissions": "870.31 t CO2e",
                    "annual gas": "78,051,600,000,000 gas", "share of slots that carry a block": "0.99",
                    "data file": "metadata/x.json", "period": "2025-11-25 to 2027-12-31: gas limit 60 M"}


def test_the_carbon_page_reads_plainly(example_drop):
    html = (example_drop / "reports" / "carbon.html").read_text()
    assert "µg CO2e per unit of gas</b>." in html and "e-0" not in html
    assert "annual electricity use</th><td>2,601.38 MWh" in html and "annual emissions</th><td>870.31 t CO2e" in html
    assert "mwh" not in html and "annual t co2e" not in html
    report = json.loads((example_drop / "reports" / "carbon.json").read_text())
    deploy = next(tx for tx in report["transactions"] if tx["kind"] == "deploy")
    assert deploy["description"] == "deploy the contract, preminting 11 tokens (ERC-2309)"
    assert "<td>deploy</td><td>deploy the contract, preminting 11 tokens (ERC-2309)</td>" in html


def test_recorded_publish_steps_are_described():
    from dropper.carbon.report import _step_text

    assert _step_text("deploy", 11) == "deploy the contract, preminting 11 tokens (ERC-2309)"
    assert _step_text("deploy", 0) == "deploy the contract"
    assert _step_text("premint 1-500", 0) == "premint tokens 1 to 500"
    assert _step_text("premint 7", 0) == "premint token 7"
    assert _step_text("open sale", 0) == "open the public sale"

