"""``dropper pin``: pin the drop's root and its metadata folder to a kubo node and/or a service.

Files are hashed again first (a file changed since ``package`` stops everything). Each pin is
recorded in dropper.db (table pins) per target: a pin already in place is checked and skipped,
a service request still running is followed up by its id on the next run.
"""

from __future__ import annotations

import contextlib
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from dropper.db import now
from dropper.errors import ConfigError, DropperError
from dropper.ipfs.export import Export, export_tree, write_drop_car
from dropper.ipfs.kubo import KuboNode
from dropper.ipfs.psa import PinningService, PinStatus, service_token
from dropper.progress import Progress
from dropper.workspace import Drop

_POLL_FIRST_S, _POLL_MAX_S = 0.2, 5.0


@dataclass(frozen=True)
class PinOutcome:
    """One CID at one target: ``pinned`` now, ``skipped`` (was already), or ``failed``."""

    target: str
    kind: str  # "kubo" or "service"
    label: str  # "drop" (the root) or "metadata" (the base URI's folder)
    cid: str
    status: str
    request_id: str | None = None
    verified: bool = False


@dataclass
class PinReport:
    export: Export
    car_path: str | None = None
    outcomes: list[PinOutcome] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return bool(self.outcomes) and all(o.verified and o.status != "failed" for o in self.outcomes)

    @property
    def exit_code(self) -> int:
        return 0 if self.ok else 1

    def to_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "root_cid": self.export.root_cid, "metadata_cid": self.export.metadata_cid,
                "car": self.car_path, "pins": [asdict(outcome) for outcome in self.outcomes]}

    def text(self) -> str:
        lines = [f"pin: root {self.export.root_cid}, metadata {self.export.metadata_cid}"]
        lines += [f"  {o.kind} {o.target}: {o.label} "
                  + ("already pinned" if o.status == "skipped" else o.status)
                  + (", verified" if o.verified else ", NOT verified") for o in self.outcomes]
        lines.append("pin: every pin is in place and matches the local CIDs" if self.ok
                     else "pin: some pins are missing; run dropper pin again")
        return "\n".join(lines)


def run(drop: Drop, *, progress: Progress | None = None, environ: dict[str, str] | None = None) -> PinReport:
    """Pin to every target drop.toml names; see the module docstring."""
    progress = progress or Progress.quiet()
    api, url = drop.config.ipfs.api, drop.config.pinning.url
    if not api and not url:
        raise ConfigError(f"{drop.root / 'drop.toml'}: nothing to pin to: set ipfs.api (a kubo "
                          "node's RPC API) or pinning.url (a pinning service)")
    token = service_token(drop.config.pinning.token_env, environ) if url else None
    timeout_s = drop.config.ipfs.timeout_s
    # The targets are reached first: a node that is down or a refused token is reported in a
    # second, not after every byte of the drop was hashed again.
    with contextlib.ExitStack() as targets:
        node = KuboNode.connect(api, timeout_s=timeout_s) if api else None
        if node is not None:
            targets.callback(node.close)
        service = PinningService(url, token or "", timeout_s=timeout_s) if url else None
        if service is not None:
            targets.callback(service.close)
            service.check_access()
        export = export_tree(drop, fresh=True)  # every byte hashed again: StaleFiles stops here
        wanted = [("drop", export.root_cid), ("metadata", export.metadata_cid)]
        report = PinReport(export)
        car = _LazyCar(drop, progress, report)
        origins: list[str] = []
        if node is not None:
            report.outcomes += _pin_to_kubo(drop, node, wanted, car, progress)
            origins = node.addresses()
        if service is not None:
            report.outcomes += _pin_to_service(drop, service, wanted, car, origins, progress)
    return report


class _LazyCar:
    """build/drop.car, written (or found up to date) the first time a target needs the data."""

    def __init__(self, drop: Drop, progress: Progress, report: PinReport) -> None:
        self.drop, self.progress, self.report = drop, progress, report

    def path(self) -> Path:
        if self.report.car_path is None:
            written = write_drop_car(self.drop, progress=self.progress)
            if written.root_cid != self.report.export.root_cid:
                raise DropperError(f"{written.path}: its root {written.root_cid} is not the drop's "
                                   f"{self.report.export.root_cid}; run dropper pin again")
            self.report.car_path = str(written.path)
        return Path(self.report.car_path)


def _pin_to_kubo(drop: Drop, node: KuboNode, wanted: list[tuple[str, str]], car: _LazyCar,
                 progress: Progress) -> list[PinOutcome]:
    target = node.api
    statuses = {}
    for label, cid in wanted:
        if node.is_pinned(cid):
            statuses[cid] = "skipped"
            _record(drop, target, cid, "pinned")
    missing = [(label, cid) for label, cid in wanted if cid not in statuses]
    if missing and statuses.get(wanted[0][1]) != "skipped":  # the root's blocks hold the rest
        path = car.path()
        with progress.task("import", total=max(1, path.stat().st_size >> 20)) as advance:
            roots = node.import_car(path, advance=advance)  # pins the root
        if wanted[0][1] not in roots:
            raise DropperError(f"{node.api}: dag/import read the roots {roots} from {path.name}, "
                               f"not the drop's {wanted[0][1]}")
    if missing:
        with progress.task("pin", total=len(missing)) as advance:
            for label, cid in missing:
                node.pin(cid)
                statuses[cid] = "pinned"
                _record(drop, target, cid, "pinned")
                advance(label)
    return [PinOutcome(target, "kubo", label, cid, statuses[cid], verified=node.is_pinned(cid))
            for label, cid in wanted]


def _pin_to_service(drop: Drop, service: PinningService, wanted: list[tuple[str, str]],
                    car: _LazyCar, origins: list[str], progress: Progress) -> list[PinOutcome]:
    target = service.url
    known = {cid: _known_request(drop, service, target, cid) for _, cid in wanted}
    asks = [cid for cid, current in known.items() if current is None or current.status == "failed"]
    upload_url = drop.config.pinning.upload_url
    if asks and upload_url:  # one upload holds the blocks of both CIDs
        path = car.path()
        with progress.task("upload", total=max(1, path.stat().st_size >> 20)) as advance:
            service.upload_car(upload_url, path, advance=advance)
    outcomes = []
    with progress.task("pin", total=len(wanted)) as advance:
        for label, cid in wanted:
            current = known[cid]
            status = "skipped" if current is not None and current.status == "pinned" else "pinned"
            if cid in asks:
                current = service.add(cid, name=f"{drop.config.drop.title} ({label})", origins=origins)
                _record(drop, target, cid, current.status, current.request_id)
            current = _wait(drop, service, target, current)
            if current.status == "failed":
                status = "failed"
            advance(label)
            outcomes.append(PinOutcome(target, "service", label, cid, status, current.request_id,
                                       verified=_service_verifies(service, cid)))
    return outcomes


def _known_request(drop: Drop, service: PinningService, target: str, cid: str) -> PinStatus | None:
    """The request this drop made before (by its recorded id), else any the service has."""
    row = drop.db.execute("SELECT request_id FROM pins WHERE target = ? AND cid = ?",
                          (target, cid)).fetchone()
    found = service.get(row["request_id"]) if row and row["request_id"] else None
    return found if found is not None and found.cid == cid else service.find(cid)


def _wait(drop: Drop, service: PinningService, target: str, current: PinStatus) -> PinStatus:
    """Poll the request until it is pinned or failed (or pinning.wait_s runs out)."""
    deadline = time.monotonic() + drop.config.pinning.wait_s
    delay = _POLL_FIRST_S
    while current.status not in ("pinned", "failed"):
        if time.monotonic() > deadline:
            raise DropperError(f"{target}: {current.cid} is still {current.status} after "
                               f"{drop.config.pinning.wait_s:g} s; run dropper pin again to keep waiting")
        time.sleep(delay)
        delay = min(delay * 2, _POLL_MAX_S)
        found = service.get(current.request_id)
        if found is None:
            raise DropperError(f"{target}: the service lost pin request {current.request_id}; "
                               "run dropper pin again to ask anew")
        current = found
    _record(drop, target, current.cid, current.status, current.request_id)
    return current


def _service_verifies(service: PinningService, cid: str) -> bool:
    found = service.find(cid)
    return found is not None and found.status == "pinned" and found.cid == cid


def _record(drop: Drop, target: str, cid: str, status: str, request_id: str | None = None) -> None:
    drop.db.execute("INSERT OR REPLACE INTO pins (target, cid, status, request_id, at) "
                    "VALUES (?, ?, ?, ?, ?)", (target, cid, status, request_id, now()))
