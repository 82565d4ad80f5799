"""Emission factors per unit of gas, looked up by date and era from the data in metadata/carbon/.

Proof-of-work (before the Merge, 2022-09-15): a daily factor, the network's estimated emissions
that day divided by the gas it used that day (Kyle McDonald's bottom-up daily series and
Etherscan's daily gas). Proof-of-stake: the published annual emissions estimate since the Merge
divided by the network's annual gas, per period of the protocol's gas target. A date outside the
data is an error, never a guess. Sources and methods travel with every factor into the report.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from dropper.errors import ConfigError
from dropper.resources import data_path, load_json

MERGE = dt.date(2022, 9, 15)
SLOTS_PER_DAY = 7200
ERAS = ("pow", "pos")


@dataclass(frozen=True)
class Factor:
    """kg CO2e per gas on one date, with its bounds, method, inputs and sources."""

    era: str
    date: dt.date
    kg_co2e_per_gas: float
    low: float
    high: float
    method: str
    inputs: dict[str, Any] = field(default_factory=dict)
    sources: tuple[dict[str, str], ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"era": self.era, "date": self.date.isoformat(), "kg_co2e_per_gas": self.kg_co2e_per_gas,
                "kg_co2e_per_gas_low": self.low, "kg_co2e_per_gas_high": self.high,
                "method": self.method, "inputs": self.inputs, "sources": list(self.sources)}


def parse_date(text: str | dt.date | None, *, setting: str = "carbon.date") -> dt.date:
    """A YYYY-MM-DD date; empty or None means today (UTC)."""
    if isinstance(text, dt.date):
        return text
    if not text:
        return dt.datetime.now(dt.UTC).date()
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise ConfigError(f"{setting}: {text!r} is not a date (expected YYYY-MM-DD)") from None


def era_for(date: dt.date, network: str = "auto") -> str:
    """'pow' before the Merge and 'pos' from it, unless ``network`` names one."""
    if network in ERAS:
        return network
    if network != "auto":
        raise ConfigError(f"carbon.network: {network!r} is not one of auto, pow, pos")
    return "pow" if date < MERGE else "pos"


def factor(date: str | dt.date | None, network: str = "auto") -> Factor:
    """The emission factor for ``date`` (ConfigError when the data does not cover it)."""
    day = parse_date(date)
    era = era_for(day, network)
    return _pow_factor(day) if era == "pow" else _pos_factor(day)


def coverage(era: str) -> tuple[dt.date, dt.date]:
    """First and last date the data of ``era`` covers."""
    if era == "pow":
        days = sorted(_pow_series())
        return days[0], days[-1]
    periods = _sources()["pos"]["periods"]
    return dt.date.fromisoformat(periods[0]["from"]), dt.date.fromisoformat(periods[-1]["to"])


def _out_of_range(era: str, day: dt.date) -> ConfigError:
    first, last = coverage(era)
    name = "proof-of-work" if era == "pow" else "proof-of-stake"
    return ConfigError(f"{day.isoformat()} is outside the {name} data "
                       f"({first.isoformat()} to {last.isoformat()}, metadata/carbon/); "
                       f"dropper does not guess a factor")


def _pow_factor(day: dt.date) -> Factor:
    row = _pow_series().get(day)
    if row is None:
        raise _out_of_range("pow", day)
    gas, best, low, high = row
    info = _sources()["pow"]
    per_gas = 1e6 / gas  # kilotonnes -> kg, per unit of gas
    return Factor("pow", day, best * per_gas, low * per_gas, high * per_gas, info["method"],
                  {"daily_gas_used": gas, "daily_kt_co2_best": best, "daily_kt_co2_lower": low,
                   "daily_kt_co2_upper": high, "data_file": f"metadata/carbon/{info['file']}"},
                  tuple(info["sources"]))


def _pos_factor(day: dt.date) -> Factor:
    info = _sources()["pos"]
    for period in info["periods"]:
        if dt.date.fromisoformat(period["from"]) <= day <= dt.date.fromisoformat(period["to"]):
            break
    else:
        raise _out_of_range("pos", day)
    annual_gas = period["gas_target_per_block"] * SLOTS_PER_DAY * 365 * info["slot_fill"]
    per_gas = info["annual_t_co2e"] * 1000 / annual_gas
    return Factor("pos", day, per_gas, per_gas, per_gas, info["method"],
                  {"annual_electricity_mwh": info["annual_electricity_mwh"],
                   "annual_t_co2e": info["annual_t_co2e"], "annual_gas": round(annual_gas),
                   "gas_target_per_block": period["gas_target_per_block"], "slot_fill": info["slot_fill"],
                   "period": {"from": period["from"], "to": period["to"], "note": period["note"]},
                   "data_file": "metadata/carbon/sources.json"},
                  tuple(info["sources"]))


@lru_cache(maxsize=1)
def _sources() -> dict[str, Any]:
    return load_json("metadata", "carbon/sources.json")


@lru_cache(maxsize=1)
def _pow_series() -> dict[dt.date, tuple[int, float, float, float]]:
    text = data_path("metadata", f"carbon/{_sources()['pow']['file']}").read_text(encoding="utf-8")
    return {dt.date.fromisoformat(row["date"]): (int(row["gas_used"]), float(row["kt_co2_best"]),
                                                 float(row["kt_co2_lower"]), float(row["kt_co2_upper"]))
            for row in csv.DictReader(io.StringIO(text))}
