"""Gas of every transaction of a drop: recorded by `dropper publish`, or measured by running the
drop's own contract, with the drop's own settings, on a scratch in-process EVM.

Transactions still to come (public mints, sales and transfers) are always measured: one of each
is sent on the scratch chain and its gas multiplied by the expected count from drop.toml.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from dropper.workspace import Drop

RECORDED = "recorded by dropper publish"
MEASURED = "measured on the in-process EVM"


@dataclass(frozen=True)
class Transactions:
    """One kind of transaction of the drop: how many, the gas of each, and where that came from."""

    kind: str  # deploy, configure, premint, mint, transfer
    description: str
    count: int
    gas_each: int
    source: str
    estimated: bool  # not sent yet: a count expected by the release manager

    @property
    def gas(self) -> int:
        return self.count * self.gas_each

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "description": self.description, "count": self.count,
                "gas_each": self.gas_each, "gas": self.gas, "source": self.source, "estimated": self.estimated}


def drop_transactions(drop: Drop) -> list[Transactions]:
    """Every transaction of the drop: its publication (recorded or measured), then the expected
    public mints and transfers."""
    from dropper.chain.drop import PremintMode
    from dropper.chain.publish import recorded_deployment

    settings = estimate_settings(drop)
    measured = measure(settings, batch_size=drop.config.chain.premint_batch)
    deployment = recorded_deployment(drop)
    if deployment is not None and deployment.steps:
        published = [_recorded(step, gas) for step, _, gas in deployment.steps]
    else:
        published = [Transactions("deploy", _deploy_text(settings), 1, measured["deploy"], MEASURED, True)]
        published += [Transactions("premint", f"premint batch of up to {size} tokens", 1, gas, MEASURED, True)
                      for size, gas in measured["premint_batches"]]
        if settings.premint_mode == PremintMode.NONE:
            published.append(Transactions("configure", "open the public sale", 1, measured["open_sale"],
                                          MEASURED, True))
    tokens = settings.max_supply
    expected: list[Transactions] = []
    sale = tokens - settings.premint_count
    if sale:
        mints = drop.config.carbon.expected_public_mints or sale
        expected.append(Transactions("mint", "public mint of a wallet's first token", min(mints, sale),
                                     measured["public_mint"], MEASURED, True))
    transfers = drop.config.carbon.expected_transfers or tokens
    expected.append(Transactions("transfer", "first sale or transfer of a token to a new wallet", transfers,
                                 measured["first_transfer"], MEASURED, True))
    return published + expected


# Gas does not depend on which (non-zero) address receives the tokens: without a recorded
# deployment or a configured artist, an estimate needs no deployer key.
STAND_IN_ADDRESS = "0x000000000000000000000000000000000000dEaD"


def estimate_settings(drop: Drop):
    """The contract settings publish would use, with a stand-in artist when no key is at hand."""
    from dropper.chain.publish import drop_settings

    return drop_settings(drop, deployer=STAND_IN_ADDRESS if drop.config.chain.rpc_url else None)


def measure(settings, *, batch_size: int = 500) -> dict[str, Any]:
    """Deploy, premint, open the sale, mint and transfer on a fresh in-process EVM; gas of each."""
    from dropper.chain.drop import (
        PremintMode,
        deploy_drop,
        in_process_web3,
        premint_batches,
    )

    w3 = in_process_web3()
    owner, artist, buyer, collector = w3.eth.accounts[:4]
    scratch = dataclasses.replace(settings, artist=artist, royalty_receiver=artist,
                                  price_wei=settings.price_wei, wallet_limit=max(settings.wallet_limit, 2))
    deployed = deploy_drop(w3, scratch, sender=owner)
    contract = deployed.contract
    batches: list[tuple[int, int]] = []
    if scratch.premint_mode == PremintMode.BATCHED:
        gas = premint_batches(deployed, batch_size=batch_size, sender=owner)
        batches = [(batch_size, g) for g in gas]

    def gas_of(call, **tx) -> int:
        return w3.eth.wait_for_transaction_receipt(call.transact(tx)).gasUsed

    open_sale = gas_of(contract.functions.setSale(scratch.price_wei, scratch.wallet_limit, True), **{"from": owner})
    public_mint = 0
    if scratch.premint_count < scratch.max_supply:
        public_mint = gas_of(contract.functions.mint(1), **{"from": buyer, "value": scratch.price_wei})
    if scratch.premint_count:
        holder, token = artist, 1
    else:
        holder, token = buyer, 1
    first_transfer = gas_of(contract.functions.transferFrom(holder, collector, token), **{"from": holder})
    return {"deploy": deployed.deploy_gas, "premint_batches": batches, "open_sale": open_sale,
            "public_mint": public_mint, "first_transfer": first_transfer}


def _recorded(step: str, gas: int) -> Transactions:
    kind = "deploy" if step.startswith("deploy") else "premint" if step.startswith("premint") else "configure"
    return Transactions(kind, step, 1, gas, RECORDED, False)


def _deploy_text(settings) -> str:
    from dropper.chain.drop import PremintMode

    if settings.premint_mode == PremintMode.CONSECUTIVE:
        return f"deploy the contract, preminting {settings.premint_count} tokens (ERC-2309)"
    return "deploy the contract"
