"""One connection to the drop's chain: the embedded EVM or a JSON-RPC node, and its deployer.

Transactions are signed locally and sent raw, so the node never sees the key. The rest of
dropper does not know which kind of chain it talks to.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

from dropper.errors import ConfigError, NodeUnreachable
from dropper.workspace import Drop

if TYPE_CHECKING:
    from eth_account.signers.local import LocalAccount
    from web3 import Web3

    from dropper.chain.embedded import EmbeddedChain

EMBEDDED = "embedded"
# A path segment this long and this random is an API key (Infura /v3/<key>, Alchemy /v2/<key>).
_SECRET_SEGMENT = re.compile(r"^[A-Za-z0-9_-]{20,}$")
# Tip over the base fee for JSON-RPC nodes (the embedded chain needs none).
PRIORITY_FEE_WEI = 10**9


def network_name(rpc_url: str) -> str:
    """``"embedded"`` or the RPC URL without credentials (user info, query, key-like path segments).

    Examples
    --------
    >>> network_name("https://user:pw@mainnet.infura.io/v3/0123456789abcdef0123456789abcdef?x=1")
    'https://mainnet.infura.io/v3/***'
    >>> network_name("")
    'embedded'
    """
    if not rpc_url:
        return EMBEDDED
    parts = urlsplit(rpc_url)
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    path = "/".join("***" if _SECRET_SEGMENT.match(segment) else segment for segment in parts.path.split("/"))
    return urlunsplit((parts.scheme, netloc, path, "", ""))


@dataclass
class Chain:
    """A web3 connection, the deployer account and, on the embedded chain, its journal."""

    w3: Web3
    network: str
    chain_id: int
    account: LocalAccount | None
    embedded: EmbeddedChain | None = None

    @property
    def deployer(self) -> str:
        if self.account is None:
            raise ConfigError("this command needs the deployer key")
        return self.account.address

    def prepare(self, transaction: dict[str, Any]) -> dict[str, Any]:
        """Fill sender, nonce, chain id, fees and gas (estimated, with a 20% margin under the cap)."""
        from dropper.chain.drop import TX_GAS_CAP

        w3 = self.w3
        base_fee = int(w3.eth.get_block("latest").get("baseFeePerGas") or 0)
        tip = 0 if self.embedded else PRIORITY_FEE_WEI
        filled = {"from": self.deployer, "chainId": self.chain_id,
                  "nonce": w3.eth.get_transaction_count(self.deployer, "pending"),
                  "maxPriorityFeePerGas": tip, "maxFeePerGas": 2 * base_fee + tip,
                  **{key: value for key, value in transaction.items() if key in ("to", "data", "value")}}
        filled["gas"] = min(int(w3.eth.estimate_gas(filled) * 1.2), TX_GAS_CAP - 1)
        return filled

    def sign(self, transaction: dict[str, Any]) -> tuple[bytes, str]:
        """Sign locally; returns the raw transaction and its hash (0x hex)."""
        signed = self.account.sign_transaction(transaction)
        return bytes(signed.raw_transaction), signed.hash.to_0x_hex()

    def broadcast(self, raw_transaction: bytes, tx_hash: str) -> Any:
        """Send a signed transaction and wait for its receipt (recorded in the journal if embedded)."""
        self.w3.eth.send_raw_transaction(raw_transaction)
        receipt = self.w3.eth.wait_for_transaction_receipt(tx_hash, timeout=600)
        if self.embedded is not None:
            self.embedded.record(raw_transaction, tx_hash)
        return receipt

    def receipt(self, tx_hash: str) -> Any | None:
        """The receipt of a transaction sent earlier, waiting while it is pending; None if unknown."""
        from web3.exceptions import TransactionNotFound

        try:
            return self.w3.eth.get_transaction_receipt(tx_hash)
        except TransactionNotFound:
            pass
        try:
            self.w3.eth.get_transaction(tx_hash)
        except TransactionNotFound:
            return None
        return self.w3.eth.wait_for_transaction_receipt(tx_hash, timeout=600)


def open_chain(drop: Drop, *, need_key: bool = True) -> Chain:
    """Connect to the drop's chain (``chain.rpc_url``, or the embedded EVM when it is empty).

    Raises NodeUnreachable when the node does not answer and ConfigError when it reports
    another chain id than ``chain.chain_id``.
    """
    settings = drop.config.chain
    if not settings.rpc_url:
        from dropper.chain.embedded import JOURNAL, EmbeddedChain
        from dropper.chain.keys import embedded_account

        embedded = EmbeddedChain(drop.build_dir / JOURNAL)
        chain = Chain(embedded.w3, EMBEDDED, int(embedded.w3.eth.chain_id), embedded_account(), embedded)
    else:
        from dropper.chain.keys import deployer_account

        # The key first: a missing key is reported without a round trip to the node.
        account = deployer_account(settings.key_env, settings.keystore, root=drop.root) if need_key else None
        chain = Chain(_rpc_web3(settings.rpc_url), network_name(settings.rpc_url), 0, account)
        chain.chain_id = _node_chain_id(chain)
    if settings.chain_id and settings.chain_id != chain.chain_id:
        raise ConfigError(f"drop.toml: chain.chain_id is {settings.chain_id} but the node at {chain.network} "
                          f"reports chain id {chain.chain_id}: check chain.rpc_url")
    return chain


def _rpc_web3(rpc_url: str) -> Web3:
    from web3 import HTTPProvider, Web3

    if urlsplit(rpc_url).scheme not in ("http", "https"):
        raise ConfigError(f"drop.toml: chain.rpc_url {network_name(rpc_url)}: expected an http(s) URL")
    return Web3(HTTPProvider(rpc_url, request_kwargs={"timeout": 60}))


def _node_chain_id(chain: Chain) -> int:
    from web3.exceptions import Web3Exception

    try:
        return int(chain.w3.eth.chain_id)
    except (OSError, ValueError, Web3Exception) as exc:  # connection refused, timeout, not JSON-RPC
        raise NodeUnreachable(f"chain.rpc_url {chain.network}: the node does not answer "
                              f"({type(exc).__name__}); is it running?") from None
