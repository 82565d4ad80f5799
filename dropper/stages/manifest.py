"""manifest: write manifest.json for the marketplace (see dropper.manifest), then the drop's CAR.

Runs last: it needs the package, the reports, the catalog site and, when published, the
contract record. A rerun with nothing changed leaves both files as they are.
"""

from __future__ import annotations

from dropper.pipeline import StageReport
from dropper.progress import Progress
from dropper.workspace import Drop

STAGE = "manifest"


def run(drop: Drop, *, progress: Progress | None = None, **_: object) -> StageReport:
    from dropper import manifest
    from dropper.ipfs.export import car_status

    car, _, exported = car_status(drop)  # the tree the CAR holds is the one the manifest names
    path, changed = manifest.write(drop, manifest.build(drop, exported))
    report = StageReport(stage=STAGE, built=changed)
    report.notes.append(f"{drop.relative(path)} {'written' if changed else 'is up to date'}; "
                        f"CAR {drop.relative(car.path)} ({car.car_bytes:,} bytes, root {car.root_cid})")
    return report
