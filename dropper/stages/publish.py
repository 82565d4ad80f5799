"""publish (in `dropper build`): deploy and configure the drop's contract on the embedded chain.

`dropper build` publishes only on the embedded in-process EVM. With chain.rpc_url set, sending
real transactions is left to an explicit `dropper publish` (after a `--dry-run`), never a side
effect of a build.
"""

from __future__ import annotations

from dropper.errors import DropperError
from dropper.pipeline import StageReport
from dropper.progress import Progress
from dropper.workspace import Drop

STAGE = "publish"


def run(drop: Drop, *, progress: Progress | None = None, **_: object) -> StageReport:
    from dropper.chain.publish import publish

    report = StageReport(stage=STAGE)
    if drop.config.chain.rpc_url:
        report.notes.append("skipped: chain.rpc_url is set; publish there with dropper publish "
                            "(try --dry-run first)")
        return report
    result = publish(drop, progress=progress)
    if result.check is not None and not result.check.ok:
        raise DropperError(f"publish: the contract at {result.address} does not match the package "
                           f"(see: dropper verify --chain {drop.root})")
    report.built = result.sent > 0
    report.notes.append(f"contract {result.address} on the {result.network} chain (id {result.chain_id}): "
                        f"{result.sent} transaction(s) sent, {len(result.steps) - result.sent} already done")
    return report
