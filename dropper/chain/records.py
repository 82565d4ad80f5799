"""The publish records in dropper.db: one row per deployment, one per transaction step.

Only this module reads and writes the ``deployments`` and ``chain_steps`` tables. A step row is
written as ``sent`` (with the transaction hash known from local signing) before the
transaction goes out, so that a publish killed at any point finds its transaction again.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from dropper.chain.drop import DropSettings, PremintMode
from dropper.db import now
from dropper.files import canonical_json, hash_params
from dropper.workspace import Drop

DISTRIBUTIONS = {PremintMode.CONSECUTIVE: "premint", PremintMode.BATCHED: "premint-batched",
                 PremintMode.NONE: "public-mint"}


@dataclass(frozen=True)
class Deployment:
    """A drop contract as recorded by ``dropper publish`` (stable API for manifest and carbon).

    ``network`` is ``"embedded"`` or the RPC URL without credentials; ``provenance_hash`` is hex
    without ``0x``; ``steps`` lists every mined transaction as ``(step, tx_hash, gas_used)``.
    """

    chain_id: int
    network: str
    address: str
    base_uri: str
    token_uri_suffix: str
    provenance_hash: str
    max_supply: int
    distribution: str
    royalty_receiver: str
    royalty_bps: int
    contract_uri: str
    steps: list[tuple[str, str, int]]


@dataclass(frozen=True)
class DeploymentRow:
    """A row of ``deployments``: the record publish resumes from (address None until mined)."""

    id: int
    chain_id: int
    network: str
    settings_hash: str
    settings: dict[str, Any]
    deployer: str
    address: str | None
    deploy_tx: str | None
    block: int | None


@dataclass(frozen=True)
class StepRow:
    step: str
    tx_hash: str
    status: str
    gas_used: int | None
    block: int | None


def settings_record(settings: DropSettings) -> dict[str, Any]:
    """The settings as plain JSON values (bytes as hex, the premint mode by name)."""
    return {"name": settings.name, "symbol": settings.symbol, "base_uri": settings.base_uri,
            "uri_suffix": settings.uri_suffix, "contract_uri": settings.contract_uri,
            "license_uri": settings.license_uri, "provenance_hash": settings.provenance_hash.hex(),
            "max_supply": settings.max_supply, "artist": settings.artist,
            "royalty_receiver": settings.royalty_receiver, "royalty_bps": settings.royalty_bps,
            "premint_count": settings.premint_count, "distribution": DISTRIBUTIONS[settings.premint_mode],
            "price_wei": str(settings.price_wei), "wallet_limit": settings.wallet_limit}


def settings_hash(settings: DropSettings) -> str:
    return hash_params(settings_record(settings))


def latest(drop: Drop, network: str) -> DeploymentRow | None:
    """The newest deployment record on ``network``, or None."""
    row = drop.db.execute("SELECT * FROM deployments WHERE network = ? ORDER BY id DESC LIMIT 1",
                          (network,)).fetchone()
    if row is None:
        return None
    return DeploymentRow(id=row["id"], chain_id=row["chain_id"], network=row["network"],
                         settings_hash=row["settings_hash"], settings=json.loads(row["settings"]),
                         deployer=row["deployer"], address=row["address"], deploy_tx=row["deploy_tx"],
                         block=row["block"])


def create(drop: Drop, *, chain_id: int, network: str, settings: DropSettings, deployer: str) -> DeploymentRow:
    """Record a deployment about to be sent."""
    drop.db.execute("INSERT INTO deployments (chain_id, network, settings_hash, settings, deployer, created_at) "
                    "VALUES (?, ?, ?, ?, ?, ?)",
                    (chain_id, network, settings_hash(settings), canonical_json(settings_record(settings)),
                     deployer, now()))
    found = latest(drop, network)
    assert found is not None
    return found


def set_address(drop: Drop, deployment_id: int, *, address: str | None, deploy_tx: str | None,
                block: int | None) -> None:
    drop.db.execute("UPDATE deployments SET address = ?, deploy_tx = ?, block = ? WHERE id = ?",
                    (address, deploy_tx, block, deployment_id))


def steps(drop: Drop, deployment_id: int) -> dict[str, StepRow]:
    """Every recorded step of a deployment, in the order they were first sent."""
    rows = drop.db.execute("SELECT * FROM chain_steps WHERE deployment_id = ? ORDER BY rowid", (deployment_id,))
    return {row["step"]: StepRow(row["step"], row["tx_hash"], row["status"], row["gas_used"], row["block"])
            for row in rows}


def record_step(drop: Drop, deployment_id: int, step: str, *, tx_hash: str, status: str,
                gas_used: int | None = None, block: int | None = None) -> None:
    """Insert or update one step (a resent step replaces its earlier transaction)."""
    drop.db.execute("INSERT INTO chain_steps (deployment_id, step, tx_hash, status, gas_used, block, at) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (deployment_id, step) DO UPDATE SET "
                    "tx_hash = excluded.tx_hash, status = excluded.status, gas_used = excluded.gas_used, "
                    "block = excluded.block, at = excluded.at",
                    (deployment_id, step, tx_hash, status, gas_used, block, now()))


def as_deployment(drop: Drop, row: DeploymentRow) -> Deployment | None:
    """The public view of a record, or None while its contract is not mined yet."""
    if row.address is None:
        return None
    settings = row.settings
    mined = [(step.step, step.tx_hash, int(step.gas_used or 0))
             for step in steps(drop, row.id).values() if step.status == "mined"]
    return Deployment(chain_id=row.chain_id, network=row.network, address=row.address,
                      base_uri=settings["base_uri"], token_uri_suffix=settings["uri_suffix"],
                      provenance_hash=settings["provenance_hash"], max_supply=int(settings["max_supply"]),
                      distribution=settings["distribution"], royalty_receiver=settings["royalty_receiver"],
                      royalty_bps=int(settings["royalty_bps"]), contract_uri=settings["contract_uri"],
                      steps=mined)
