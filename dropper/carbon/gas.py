"""Gas of every transaction of a drop: recorded by `dropper publish`, or measured by running the
drop's own contract, with the drop's own settings, on a scratch in-process EVM.

Transactions still to come (public mints, sales and transfers) are always measured: one of each
is sent on the scratch chain and its gas multiplied by the expected count from drop.toml.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from dropper.workspace import Drop

if TYPE_CHECKING:
    from web3 import Web3

    from dropper.chain.drop import DropSettings
    from dropper.chain.records import Deployment

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


@dataclass(frozen=True)
class GasInputs:
    """What the drop's gas is estimated from: the contract settings publish would use
    (:func:`estimate_settings`) and the deployment publish recorded (None before publish)."""

    settings: DropSettings
    deployment: Deployment | None


def gas_inputs(drop: Drop) -> GasInputs:
    """Read the estimate's inputs once (the carbon stage hashes them, then estimates from them)."""
    from dropper.chain.publish import recorded_deployment

    return GasInputs(estimate_settings(drop), recorded_deployment(drop))


def drop_transactions(drop: Drop, inputs: GasInputs | None = None) -> list[Transactions]:
    """Every transaction of the drop: its publication (recorded or measured), then the expected
    public mints and transfers; ``inputs`` default to :func:`gas_inputs`."""
    from dropper.chain.drop import PremintMode

    inputs = inputs or gas_inputs(drop)
    settings, deployment = inputs.settings, inputs.deployment
    measured = measure(settings, batch_size=drop.config.chain.premint_batch)
    if deployment is not None and deployment.steps:
        published = [_recorded(step, gas) for step, _, gas in deployment.steps]
    else:
        published = [Transactions("deploy", _deploy_text(settings), 1, measured.deploy, MEASURED, True)]
        published += [Transactions("premint", f"premint batch of up to {size} tokens", 1, gas, MEASURED, True)
                      for size, gas in measured.premint_batches]
        if settings.premint_mode == PremintMode.NONE:
            published.append(Transactions("configure", "open the public sale", 1, measured.open_sale,
                                          MEASURED, True))
    tokens = settings.max_supply
    expected: list[Transactions] = []
    sale = tokens - settings.premint_count
    if sale:
        mints = drop.config.carbon.expected_public_mints or sale
        expected.append(Transactions("mint", "public mint of a wallet's first token", min(mints, sale),
                                     measured.public_mint, MEASURED, True))
    transfers = drop.config.carbon.expected_transfers or tokens
    expected.append(Transactions("transfer", "first sale or transfer of a token to a new wallet", transfers,
                                 measured.first_transfer, MEASURED, True))
    return published + expected


# Gas does not depend on which (non-zero) address receives the tokens: without a recorded
# deployment or a configured artist, an estimate needs no deployer key.
STAND_IN_ADDRESS = "0x000000000000000000000000000000000000dEaD"


def estimate_settings(drop: Drop):
    """The contract settings publish would use, with a stand-in artist when no key is at hand."""
    from dropper.chain.publish import drop_settings

    return drop_settings(drop, deployer=STAND_IN_ADDRESS if drop.config.chain.rpc_url else None)


@dataclass(frozen=True)
class DropGas:
    """Gas of each step of a drop on a scratch EVM; 0 for a step the settings leave out."""

    deploy: int
    premint_batches: tuple[tuple[int, int], ...]  # (batch size, gas) of each BATCHED premint
    open_sale: int
    public_mint: int  # a wallet's first token
    first_transfer: int  # a token's first move, to a wallet that held none
    transfer: int  # the same token moving on
    public_mint_later: int  # the first buyer's next token


def measure(settings: DropSettings, *, batch_size: int = 500) -> DropGas:
    """:func:`measure_steps` on a fresh in-process EVM, its second account standing in for the
    artist and the royalty receiver (the artist must be able to sign the transfer it measures)."""
    from dropper.chain.drop import in_process_web3

    w3 = in_process_web3()
    artist = w3.eth.accounts[1]
    scratch = dataclasses.replace(settings, artist=artist, royalty_receiver=artist,
                                  wallet_limit=max(settings.wallet_limit, 2))
    return measure_steps(w3, scratch, batch_size=batch_size)


def measure_steps(w3: Web3, settings: DropSettings, *, batch_size: int = 500) -> DropGas:
    """Deploy (from the first account), premint, open the sale, mint and transfer the drop's
    contract on ``w3``, then move the token on and mint again; the gas of each step.

    ``settings.artist`` must be an account of ``w3``: it sends the preminted token's transfer.
    Moving the token on and the second mint come last: the steps before them see the same chain
    whether or not the caller wants those two (the carbon report does not).
    """
    from dropper.chain.drop import PremintMode, deploy_drop, premint_batches

    owner = w3.eth.accounts[0]
    buyer, collector, next_holder = [account for account in w3.eth.accounts[1:] if account != settings.artist][:3]
    deployed = deploy_drop(w3, settings, sender=owner)
    contract = deployed.contract
    batches: tuple[tuple[int, int], ...] = ()
    if settings.premint_mode == PremintMode.BATCHED:
        batches = tuple((batch_size, gas) for gas in premint_batches(deployed, batch_size=batch_size, sender=owner))

    def gas_of(call, **tx) -> int:
        return w3.eth.wait_for_transaction_receipt(call.transact(tx)).gasUsed

    def buy() -> int:
        return gas_of(contract.functions.mint(1), **{"from": buyer, "value": settings.price_wei})

    open_sale = gas_of(contract.functions.setSale(settings.price_wei, settings.wallet_limit, True), **{"from": owner})
    unsold = settings.max_supply - settings.premint_count
    public_mint = buy() if unsold else 0
    holder = settings.artist if settings.premint_count else buyer
    first_transfer = gas_of(contract.functions.transferFrom(holder, collector, 1), **{"from": holder})
    transfer = gas_of(contract.functions.transferFrom(collector, next_holder, 1), **{"from": collector})
    public_mint_later = buy() if unsold >= 2 and settings.wallet_limit >= 2 else 0
    return DropGas(deploy=deployed.deploy_gas, premint_batches=batches, open_sale=open_sale,
                   public_mint=public_mint, first_transfer=first_transfer, transfer=transfer,
                   public_mint_later=public_mint_later)


def _recorded(step: str, gas: int) -> Transactions:
    kind = "deploy" if step.startswith("deploy") else "premint" if step.startswith("premint") else "configure"
    return Transactions(kind, step, 1, gas, RECORDED, False)


def _deploy_text(settings) -> str:
    from dropper.chain.drop import PremintMode

    if settings.premint_mode == PremintMode.CONSECUTIVE:
        return f"deploy the contract, preminting {settings.premint_count} tokens (ERC-2309)"
    return "deploy the contract"
