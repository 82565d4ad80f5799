"""``dropper build``: run every stage in order over one drop, resuming where it stopped."""

from __future__ import annotations

import importlib

from dropper.errors import GateRefused
from dropper.pipeline import StageReport
from dropper.progress import Progress
from dropper.stages import BUILD_ORDER
from dropper.workspace import Drop


def run(drop: Drop, *, force: bool = False, jobs: int | None = None, ray_address: str | None = None,
        progress: Progress | None = None, until: str | None = None) -> list[StageReport]:
    """Run the stages of :data:`BUILD_ORDER` (up to and including ``until``); per-song
    failures are recorded and do not stop the build."""
    reports = []
    has_reference = _has_reference(drop)
    for name in BUILD_ORDER:
        if name == "clear" and not has_reference:
            reports.append(StageReport(stage="clear", notes=[
                "skipped: no reference catalog yet (dropper reference add PATH..., or drop.toml "
                "reference.catalog); packaging and publishing stay refused until the drop is cleared"]))
            continue
        if name in ("package", "publish", "carbon", "catalog", "manifest") and not has_reference:
            reports.append(StageReport(stage=name, notes=["skipped: the drop is not cleared (see clear)"]))
            continue
        stage = importlib.import_module(f"dropper.stages.{name}")
        try:
            reports.append(stage.run(drop, force=force, jobs=jobs, ray_address=ray_address,
                                     progress=progress))
        except GateRefused as refusal:  # the stages before it keep their results
            reports.append(StageReport(stage=name, refused=str(refusal)))
            break
        if name == until:
            break
    return reports


def _has_reference(drop: Drop) -> bool:
    from dropper.reference import index_folder

    return bool(drop.config.reference.catalog) or (index_folder(drop) / "manifest.json").exists()
