"""``dropper build``: run every stage in order over one drop, resuming where it stopped."""

from __future__ import annotations

import importlib

from dropper.pipeline import StageReport
from dropper.progress import Progress
from dropper.stages import BUILD_ORDER
from dropper.workspace import Drop


def run(drop: Drop, *, force: bool = False, jobs: int | None = None, ray_address: str | None = None,
        progress: Progress | None = None, until: str | None = None) -> list[StageReport]:
    """Run the stages of :data:`BUILD_ORDER` (up to and including ``until``); per-song
    failures are recorded and do not stop the build."""
    reports = []
    for name in BUILD_ORDER:
        stage = importlib.import_module(f"dropper.stages.{name}")
        reports.append(stage.run(drop, force=force, jobs=jobs, ray_address=ray_address,
                                 progress=progress))
        if name == until:
            break
    return reports
