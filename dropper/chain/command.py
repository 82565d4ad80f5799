"""``dropper publish``: the click command over :func:`dropper.chain.publish.publish`."""

from __future__ import annotations

import sys

import click

from dropper.cli import drop_argument, emit, json_option, open_drop

WEI_PER_ETH = 10**18


@click.command()
@drop_argument
@click.option("--dry-run", is_flag=True,
              help="Print each remaining transaction with its estimated gas and cost (gas price from the "
                   "node); send nothing.")
@json_option
def publish(drop_dir: str, dry_run: bool, as_json: bool) -> None:
    """Deploy and configure the drop's ERC-721 contract, then check it against the package.

    Publishes on chain.rpc_url, or on the embedded in-process EVM (kept in build/chain/) when
    it is empty. The deployer key comes from the environment variable named by chain.key_env
    (default DROPPER_DEPLOYER_KEY) or the encrypted keystore chain.keystore (password in
    DROPPER_KEYSTORE_PASSWORD); it is never printed. Refused (exit 3) unless the drop is
    cleared; needs `dropper package` first. Every transaction is recorded in dropper.db: a rerun
    continues where a publish stopped and never deploys twice. Exit 1 when the check after
    publishing finds a token that differs from the package.
    """
    from dropper.chain.publish import publish as publish_drop
    from dropper.progress import Progress

    with open_drop(drop_dir) as drop:
        report = publish_drop(drop, dry_run=dry_run, progress=Progress.for_terminal(json_output=as_json))
    emit(as_json, report.to_dict(), "\n".join(report_lines(report)))
    sys.exit(report.exit_code)


def report_lines(report) -> list[str]:
    """The text form of a PublishReport."""
    where = f"{report.network} (chain id {report.chain_id})"
    if report.dry_run:
        price = report.gas_price_wei / 1e9
        lines = [f"publish --dry-run on {where}: gas price {price:g} gwei; nothing was sent"]
        for step in report.steps:
            lines.append(f"  {step.step:<22} already done ({step.tx_hash})" if step.status == "done" else
                         f"  {step.step:<22} {step.gas:>12,} gas  {step.cost_wei / WEI_PER_ETH:.6f} ETH")
        total = sum(step.gas or 0 for step in report.steps)
        lines.append(f"  {'total':<22} {total:>12,} gas  {total * report.gas_price_wei / WEI_PER_ETH:.6f} ETH")
        return lines
    head = (f"publish: {report.sent} transaction(s) sent to {where}" if report.sent else
            f"publish: nothing to do: the drop is already published on {where}")
    lines = [head, f"  contract {report.address}"]
    lines += [f"  {step.step:<22} {step.tx_hash}  {step.gas:,} gas" for step in report.steps if step.status == "sent"]
    lines += check_lines(report.check)
    return lines


def check_lines(check) -> list[str]:
    """The text form of a ChainCheck."""
    if check.ok:
        return [f"check: {check.checked} values read back from {check.address}, all match the package"]
    return [f"check: {len(check.mismatches)} of {check.checked} values read back from {check.address} differ:",
            *(f"  {line}" for line in check.mismatches)]
