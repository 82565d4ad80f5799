"""Deploy the drop's ERC-721 contract, premint it and read it back, through web3.py.

Works with any web3 provider; ``in_process_web3()`` gives the embedded EVM used by tests and
the gas benchmark.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from enum import IntEnum
from typing import TYPE_CHECKING, Any

from dropper.chain.artifacts import DROP_CONTRACT, load_artifact
from dropper.errors import ConfigError

if TYPE_CHECKING:
    from web3 import Web3
    from web3.contract import Contract

# Each batched-premint transaction must stay under 2**24 gas (EIP-7825's per-transaction cap);
# one ordinary mint costs about 25k gas, so 500 leaves a wide margin.
TX_GAS_CAP = 2**24
DEFAULT_PREMINT_BATCH = 500
MAX_ROYALTY_BPS = 10_000
# The contract returns base URI + this as contractURI unless given another URI (saves storage).
CONTRACT_METADATA = "contract.json"
# Limits of the contract's compact storage (see contracts/DropERC721.sol).
MAX_LICENSE_URI_BYTES = 96
MAX_SUPPLY = 2**32 - 1
MAX_PRICE_WEI = 2**96 - 1


class PremintMode(IntEnum):
    """How the artist's share of the drop is minted."""

    NONE = 0
    CONSECUTIVE = 1  # at deployment, ERC-2309 ConsecutiveTransfer events
    BATCHED = 2  # after deployment, ordinary Transfer mints in owner transactions


@dataclass(frozen=True)
class DropSettings:
    """Constructor arguments of the drop contract.

    ``max_supply`` is the number of kept songs; ids 1..``premint_count`` go to ``artist``, the
    rest are sold at ``price_wei`` with at most ``wallet_limit`` held per wallet.
    """

    name: str
    symbol: str
    base_uri: str
    contract_uri: str
    license_uri: str
    provenance_hash: bytes
    max_supply: int
    artist: str
    royalty_receiver: str
    royalty_bps: int = 500
    premint_count: int = 0
    premint_mode: PremintMode = PremintMode.NONE
    price_wei: int = 0
    wallet_limit: int = 1
    uri_suffix: str = ".json"

    def check(self) -> None:
        """Raise ConfigError naming the first inconsistent field."""
        if len(self.provenance_hash) != 32:
            raise ConfigError(f"provenance_hash: must be 32 bytes (SHA-256), got {len(self.provenance_hash)}")
        if not 0 <= self.premint_count <= self.max_supply:
            raise ConfigError(f"premint_count: {self.premint_count} is outside 0..max_supply ({self.max_supply})")
        if (self.premint_mode == PremintMode.NONE) != (self.premint_count == 0):
            raise ConfigError("premint_mode: must be NONE exactly when premint_count is 0")
        if not 0 <= self.royalty_bps <= MAX_ROYALTY_BPS:
            raise ConfigError(f"royalty_bps: {self.royalty_bps} is outside 0..{MAX_ROYALTY_BPS}")
        if len(self.license_uri.encode("utf-8")) > MAX_LICENSE_URI_BYTES:
            raise ConfigError(f"license_uri: {self.license_uri} is longer than {MAX_LICENSE_URI_BYTES} bytes")
        if not 0 < self.max_supply <= MAX_SUPPLY:
            raise ConfigError(f"max_supply: {self.max_supply} is outside 1..{MAX_SUPPLY}")
        if not 0 <= self.price_wei <= MAX_PRICE_WEI:
            raise ConfigError(f"price_wei: {self.price_wei} is outside 0..{MAX_PRICE_WEI}")

    def as_tuple(self) -> tuple[Any, ...]:
        """The ``DropConfig`` struct, in the contract's field order.

        A contract URI equal to the default (base URI + ``contract.json``) is passed empty: the
        contract derives it instead of storing it.
        """
        contract_uri = "" if self.contract_uri == self.base_uri + CONTRACT_METADATA else self.contract_uri
        return (self.name, self.symbol, self.base_uri, self.uri_suffix, contract_uri, self.license_uri,
                self.provenance_hash, self.max_supply, self.premint_count, int(self.premint_mode), self.artist,
                self.royalty_receiver, self.royalty_bps, self.price_wei, self.wallet_limit)


def provenance_hash(content_hashes: Iterable[str]) -> bytes:
    """SHA-256 over the ordered media content hashes (hex strings, joined without separator).

    Examples
    --------
    >>> provenance_hash(["ab", "cd"]).hex() == hashlib.sha256(b"abcd").hexdigest()
    True
    """
    return hashlib.sha256("".join(h.lower() for h in content_hashes).encode("ascii")).digest()


def in_process_web3() -> Web3:
    """A Web3 on an embedded EVM (eth-tester + py-evm) with funded test accounts."""
    from web3 import EthereumTesterProvider, Web3

    w3 = Web3(EthereumTesterProvider())
    w3.eth.default_account = w3.eth.accounts[0]
    return w3


@dataclass(frozen=True)
class DeployedDrop:
    """A deployed drop contract and the receipt of its deployment."""

    contract: Contract
    deploy_gas: int

    @property
    def address(self) -> str:
        return self.contract.address


def deploy_drop(w3: Web3, settings: DropSettings, *, sender: str | None = None) -> DeployedDrop:
    """Deploy the drop contract; ``sender`` (default: the default account) becomes its owner."""
    settings.check()
    artifact = load_artifact(DROP_CONTRACT)
    factory = w3.eth.contract(abi=artifact.abi, bytecode=artifact.bytecode)
    tx_hash = factory.constructor(settings.as_tuple()).transact({"from": sender or w3.eth.default_account})
    receipt = w3.eth.wait_for_transaction_receipt(tx_hash)
    contract = w3.eth.contract(address=receipt.contractAddress, abi=artifact.abi)
    return DeployedDrop(contract=contract, deploy_gas=receipt.gasUsed)


def premint_batches(drop: DeployedDrop, *, batch_size: int = DEFAULT_PREMINT_BATCH,
                    sender: str | None = None) -> list[int]:
    """Mint the rest of a ``BATCHED`` premint, one transaction per batch; returns each batch's gas."""
    contract = drop.contract
    w3 = contract.w3
    remaining = contract.functions.premintCount().call() - contract.functions.premintedCount().call()
    gas_used = []
    while remaining > 0:
        count = min(batch_size, remaining)
        tx_hash = contract.functions.premintBatch(count).transact(
            {"from": sender or w3.eth.default_account, "gas": TX_GAS_CAP - 1})
        gas_used.append(w3.eth.wait_for_transaction_receipt(tx_hash).gasUsed)
        remaining -= count
    return gas_used
