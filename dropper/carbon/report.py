"""The carbon report: the drop's share of Ethereum's emissions and the offset to buy.

emissions (kg CO2e) = total gas of the drop's transactions x the emission factor (kg per gas) of
the network on the drop's date; offset = emissions x the offset multiplier (8 by default). The
report records every input, factor and source, and estimates the same drop for proof-of-work
Ethereum in 2021 and for proof-of-stake on the drop's date (today for a drop dated before the
Merge), so the difference is visible.
``reports/carbon.json`` is validated by metadata/carbon-report.schema.json and is identical on a
rerun with nothing changed; ``reports/carbon.html`` is the same for people.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from dropper import __version__, schemas
from dropper.carbon.factors import MERGE, Factor, coverage, era_for, factor, parse_date
from dropper.carbon.gas import RECORDED, Transactions, drop_transactions
from dropper.errors import ConfigError
from dropper.files import write_if_changed
from dropper.workspace import Drop

SCHEMA = "carbon-report.schema.json"
# The comparison's proof-of-work day: 2021-03-11, when the NFT market of that spring peaked.
POW_COMPARISON_DATE = dt.date(2021, 3, 11)


def significant(value: float, digits: int = 6) -> float:
    """``value`` rounded to ``digits`` significant digits (stable, readable JSON)."""
    return float(f"{value:.{digits}g}")


def estimate(transactions: list[Transactions], emission: Factor, multiplier: float) -> dict[str, Any]:
    """Emissions of ``transactions`` under ``emission``, and the offset to buy."""
    gas = sum(tx.gas for tx in transactions)
    kg = gas * emission.kg_co2e_per_gas
    return {"total_gas": gas, "estimated_kg_co2e": significant(kg),
            "estimated_kg_co2e_range": [significant(gas * emission.low), significant(gas * emission.high)],
            "offset_multiplier": multiplier, "offset_kg_co2e": significant(kg * multiplier),
            "offset_tonnes": significant(kg * multiplier / 1000)}


def drop_date(drop: Drop) -> tuple[dt.date, str]:
    """The date the factor is looked up for, and why: drop.toml, the publish date, or today."""
    if drop.config.carbon.date:
        return parse_date(drop.config.carbon.date), "drop.toml carbon.date"
    row = drop.db.execute("SELECT created_at FROM deployments WHERE address IS NOT NULL "
                          "ORDER BY id DESC LIMIT 1").fetchone()
    if row is not None:
        return dt.date.fromisoformat(row["created_at"][:10]), "date of the recorded publish"
    return parse_date(None), "today (set carbon.date to fix it)"


def build(drop: Drop, transactions: list[Transactions] | None = None, *, date: str | None = None,
          network: str | None = None) -> dict[str, Any]:
    """The report document (validated by the caller through :func:`validate`); ``date`` and
    ``network`` override drop.toml's carbon settings."""
    settings = drop.config.carbon
    transactions = drop_transactions(drop) if transactions is None else transactions
    transactions = described(drop, transactions)
    day, why = (parse_date(date, setting="--date"), "--date") if date else drop_date(drop)
    try:
        emission = factor(day, network or settings.network)
    except ConfigError as exc:  # name where the date came from, and how to pick one the data covers
        hint = _date_hint(day, network or settings.network, what_if=bool(date or network))
        raise ConfigError(f"{why}: {exc}{hint}") from None
    result = estimate(transactions, emission, settings.offset_multiplier)
    cost = None
    if settings.price_per_tonne:
        cost = {"price_per_tonne": settings.price_per_tonne, "currency": settings.currency,
                "cost": round(result["offset_tonnes"] * settings.price_per_tonne, 2)}
    comparison = []
    pos_day = day if day >= MERGE else _pos_comparison_day(drop)
    for label, when, era in (("2021, proof-of-work", POW_COMPARISON_DATE, "pow"),
                             (f"{pos_day.isoformat()}, proof-of-stake", pos_day, "pos")):
        other = emission if (when, era) == (emission.date, emission.era) else factor(when, era)
        figures = estimate(transactions, other, settings.offset_multiplier)
        comparison.append({"label": label, "era": era, "date": when.isoformat(),
                           "kg_co2e_per_gas": other.kg_co2e_per_gas,
                           "estimated_kg_co2e": figures["estimated_kg_co2e"],
                           "offset_kg_co2e": figures["offset_kg_co2e"]})
    return {
        "report": "carbon", "format_version": 1,
        "tool": {"name": "dropper", "version": __version__},
        "drop": {"title": drop.config.drop.title, "artist": drop.config.drop.artist},
        "network": {"chain": "ethereum", "era": emission.era, "date": day.isoformat(), "date_from": why},
        "factor": emission.to_dict(),
        "transactions": [tx.to_dict() for tx in transactions],
        **result,
        "offset_cost": cost,
        "comparison": comparison,
    }


def described(drop: Drop, transactions: list[Transactions]) -> list[Transactions]:
    """Recorded publish steps (named ``deploy``, ``premint 1-500``, ``open sale`` in dropper.db)
    described the way the estimate before publishing describes them."""
    from dataclasses import replace

    if not any(tx.source == RECORDED for tx in transactions):
        return transactions
    from dropper.chain import records
    from dropper.chain.publish import network

    row = records.latest(drop, network(drop))
    settings = row.settings if row is not None else {}
    premint = int(settings.get("premint_count") or 0) if settings.get("distribution") == "premint" else 0
    return [replace(tx, description=_step_text(tx.description, premint)) if tx.source == RECORDED else tx
            for tx in transactions]


def _step_text(step: str, premint: int) -> str:
    if step == "deploy":
        if premint:
            return f"deploy the contract, preminting {premint} token{'s' if premint != 1 else ''} (ERC-2309)"
        return "deploy the contract"
    if step.startswith("premint "):
        first, _, last = step.removeprefix("premint ").partition("-")
        return f"premint tokens {first} to {last}" if last else f"premint token {first}"
    if step == "open sale":
        return "open the public sale"
    return step


def _pos_comparison_day(drop: Drop) -> dt.date:
    """The proof-of-stake day a pre-Merge estimate is compared with: the drop's own date
    (carbon.date or the publish date) when that is after the Merge, else today; the last day
    the proof-of-stake data covers once that day is past it."""
    try:
        own, _ = drop_date(drop)
    except ConfigError:  # a malformed carbon.date: the what-if still compares with today
        own = parse_date(None)
    if own < MERGE:
        own = parse_date(None)
    return min(own, coverage("pos")[1])


def _date_hint(day: dt.date, network: str, *, what_if: bool) -> str:
    """``; pass --date ...`` when ``day`` is outside the data of its era; else ''."""
    try:
        network = era_for(day, network)
    except ConfigError:
        return ""
    first, last = coverage(network)
    if first <= day <= last:
        return ""
    within = f"between {first.isoformat()} and {last.isoformat()}"
    example = " (e.g. --date 2021-03-11)" if network == "pow" else ""
    if what_if:
        return f"; pass --date YYYY-MM-DD {within}{example}"
    return f"; set carbon.date {within}, or carbon.network = \"auto\""


def validate(document: dict[str, Any]) -> None:
    schemas.validate(document, SCHEMA, source="carbon report")


def to_text(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def write(drop: Drop, document: dict[str, Any] | None = None) -> dict[str, Path]:
    """Validate and write reports/carbon.json and carbon.html (untouched when unchanged)."""
    from dropper.templates import render_template

    document = build(drop) if document is None else document
    validate(document)
    paths = write_paths(drop)
    texts = {"json": to_text(document),
             "html": render_template("carbon.html.j2", report=document, kg=format_kg, mass=format_mass,
                                     factor_inputs=factor_inputs(document["factor"]["inputs"]),
                                     bars=comparison_bars(document), decade_px=DECADE_PX)}
    for key, path in paths.items():
        write_if_changed(path, texts[key])
    return paths


DECADE_PX = 50


def comparison_bars(document: dict[str, Any]) -> list[tuple[dict[str, Any], float]]:
    """Each comparison row with a bar length in px on a log scale (the largest is 340 px)."""
    import math

    rows = document["comparison"]
    top = max((row["estimated_kg_co2e"] for row in rows), default=0)
    bars = []
    for row in rows:
        value = row["estimated_kg_co2e"]
        width = 340 - DECADE_PX * math.log10(top / value) if value > 0 else 0
        bars.append((row, max(4.0, width)))
    return bars


def write_paths(drop: Drop) -> dict[str, Path]:
    return {"json": drop.reports_dir / "carbon.json", "html": drop.reports_dir / "carbon.html"}


def summary_line(document: dict[str, Any]) -> str:
    """One line for the terminal: the estimate, the offset and its cost."""
    cost = document["offset_cost"]
    line = (f"{document['total_gas']:,} gas on {document['network']['date']} ({document['factor']['era']}): "
            f"{format_kg(document['estimated_kg_co2e'])} CO2e; offset x{document['offset_multiplier']:g} = "
            f"{format_kg(document['offset_kg_co2e'])}")
    if cost:
        line += f" ({cost['cost']:,.2f} {cost['currency']})"
    return line


def format_kg(kg: float) -> str:
    """kg with a unit that keeps the figure readable (g, kg or t)."""
    if kg >= 1000:
        return f"{kg / 1000:,.3g} t"
    if kg >= 1:
        return f"{kg:,.3g} kg"
    return f"{kg * 1000:,.3g} g"


_MASS_UNITS = (("t", 1e3), ("kg", 1.0), ("g", 1e-3), ("mg", 1e-6), ("µg", 1e-9), ("ng", 1e-12))


def format_mass(kg: float, digits: int = 4) -> str:
    """A mass given in kg, in the unit (t down to ng) that puts it between 1 and 1,000:
    ``1.115e-08`` -> ``11.15 µg``; the emission factor per unit of gas is read this way."""
    if kg == 0:
        return "0 kg"
    unit, size = next(((unit, size) for unit, size in _MASS_UNITS if abs(kg) >= size), _MASS_UNITS[-1])
    value = kg / size
    return f"{value:,.0f} {unit}" if abs(value) >= 10 ** digits else f"{value:.{digits}g} {unit}"


# The factor's inputs (metadata/carbon/) as people read them: a label and the unit of the figure.
FACTOR_INPUTS = {
    "daily_gas_used": ("gas used that day", "gas"),
    "daily_kt_co2_best": ("emissions that day, best estimate", "kt CO2"),
    "daily_kt_co2_lower": ("emissions that day, lower bound", "kt CO2"),
    "daily_kt_co2_upper": ("emissions that day, upper bound", "kt CO2"),
    "annual_electricity_mwh": ("annual electricity use", "MWh"),
    "annual_t_co2e": ("annual emissions", "t CO2e"),
    "annual_gas": ("annual gas", "gas"),
    "gas_target_per_block": ("gas target per block", "gas"),
    "slot_fill": ("share of slots that carry a block", ""),
    "period": ("period", ""),
    "data_file": ("data file", ""),
}


def factor_inputs(inputs: dict[str, Any]) -> list[tuple[str, str]]:
    """(label, value with its unit) for each input of the emission factor, numbers with thousands
    separators: ``annual_electricity_mwh: 2601.38`` -> ``("annual electricity use", "2,601.38 MWh")``."""
    rows = []
    for key, value in inputs.items():
        label, unit = FACTOR_INPUTS.get(key, (key.replace("_", " "), ""))
        if isinstance(value, dict):
            text = f"{value.get('from')} to {value.get('to')}" + (f": {value['note']}" if value.get("note") else "")
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            text = f"{value:,}" + (f" {unit}" if unit else "")
        else:
            text = str(value)
        rows.append((label, text))
    return rows
