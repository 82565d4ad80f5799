"""carbon: estimate the drop's share of Ethereum's emissions and the offset to buy.

Writes reports/carbon.json (schema-checked) and reports/carbon.html; skipped while nothing it
depends on changed (contract settings, publish record, drop.toml carbon section, date, data).
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import TYPE_CHECKING

from dropper import __version__, templates
from dropper.files import hash_params, write_text
from dropper.pipeline import StageReport
from dropper.progress import Progress
from dropper.workspace import Drop

if TYPE_CHECKING:
    from dropper.carbon.gas import GasInputs

STAGE = "carbon"
VERSION = 2  # 2: transactions described in words, units on the page's inputs


def run(drop: Drop, *, force: bool = False, progress: Progress | None = None, **_: object) -> StageReport:
    """Write the carbon report unless the one on disk was made from the same inputs."""
    from dropper.carbon import report as carbon
    from dropper.carbon.gas import drop_transactions, gas_inputs

    inputs = gas_inputs(drop)
    key = carbon_key(drop, inputs)
    stamp = drop.build_dir / "carbon.key"
    report = StageReport(stage=STAGE, params_hash=key)
    paths = carbon.write_paths(drop)
    if not force and stamp.is_file() and stamp.read_text(encoding="utf-8") == key \
            and all(path.is_file() for path in paths.values()):
        report.notes.append(f"{drop.relative(paths['json'])} is up to date")
        return report
    document = carbon.build(drop, drop_transactions(drop, inputs))
    carbon.write(drop, document)
    write_text(stamp, key)
    report.built = True
    report.notes.append(carbon.summary_line(document))
    return report


def carbon_key(drop: Drop, inputs: GasInputs) -> str:
    """Hash of everything the estimate depends on (``inputs``: :func:`dropper.carbon.gas.gas_inputs`)."""
    from dropper.carbon.report import drop_date
    from dropper.chain.artifacts import load_artifact
    from dropper.chain.records import settings_record
    from dropper.resources import data_path

    day, _ = drop_date(drop)
    data = hashlib.sha256()
    for name in ("carbon/sources.json", "carbon/pow-daily.csv", "carbon-report.schema.json"):
        data.update(data_path("metadata", name).read_bytes())
    data.update(Path(templates.__file__).with_name("carbon.html.j2").read_bytes())  # the page's look
    return hash_params({"version": __version__, "stage": VERSION, "settings": settings_record(inputs.settings),
                        "batch": drop.config.chain.premint_batch, "carbon": drop.config.carbon.as_dict(),
                        "date": day.isoformat(), "steps": inputs.deployment.steps if inputs.deployment else None,
                        "bytecode": hashlib.sha256(load_artifact().bytecode.encode()).hexdigest(),
                        "data": data.hexdigest()})
