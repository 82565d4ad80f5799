"""Preflight and post-publish check: token URIs as the contract builds them, read back from chain.

``token_uri`` is the contract's ``tokenURI`` rule in Python. ``preflight`` makes sure every URI
the contract will return names a packaged metadata file; ``check_contract`` reads the deployed
contract and lists every difference from build/package.json, naming the token.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from dropper.chain.drop import DropSettings, PremintMode
from dropper.errors import ConfigError, DropperError, MissingInput, NodeUnreachable
from dropper.workspace import Drop

if TYPE_CHECKING:
    from web3.contract import Contract

    from dropper.chain.publish import PackageSummary

# royaltyInfo is read for this sale price: the royalty in wei equals the basis points.
ROYALTY_PROBE_WEI = 10_000


def token_uri(base_uri: str, token_id: int, suffix: str) -> str:
    """What ``tokenURI(token_id)`` returns: base URI, decimal id, suffix (no slash added).

    Examples
    --------
    >>> token_uri("ipfs://bafy/", 7, ".json")
    'ipfs://bafy/7.json'
    """
    return f"{base_uri}{token_id}{suffix}"


def preflight(drop: Drop, summary: PackageSummary, settings: DropSettings) -> None:
    """Raise ConfigError naming the first token whose URI would not name its metadata file."""
    if not settings.base_uri.endswith("/"):
        raise ConfigError(f"base URI {settings.base_uri}: must end with '/' (token URIs are base + id + suffix)")
    folder = drop.build_dir / "metadata"
    for token in summary.tokens:
        uri = token_uri(settings.base_uri, token["token_id"], settings.uri_suffix)
        name = uri.removeprefix(summary.base_uri)
        if name != token["metadata"]:
            raise ConfigError(f"token {token['token_id']} ({token['title']}): tokenURI would be {uri}, but its "
                              f"metadata is {summary.base_uri}{token['metadata']}: set chain.token_uri_suffix "
                              f"to match the packaged file names")
        if not (folder / name).is_file():
            raise MissingInput(f"token {token['token_id']} ({token['title']}): {folder / name} is missing: "
                               f"run dropper package {drop.root}")


@dataclass
class ChainCheck:
    """What the post-publish check read back, and each difference (naming the token)."""

    address: str
    checked: int = 0
    mismatches: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.mismatches

    def compare(self, what: str, actual: Any, expected: Any) -> None:
        self.checked += 1
        if actual != expected:
            self.mismatches.append(f"{what} is {actual!r}, expected {expected!r}")

    def to_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "address": self.address, "checked": self.checked, "mismatches": self.mismatches}


def check_contract(contract: Contract, settings: DropSettings, summary: PackageSummary) -> ChainCheck:
    """Read the contract back and compare it with the package and the settings it was deployed with."""
    from web3.exceptions import Web3Exception

    try:
        return _read_back(contract, settings, summary)
    except OSError as exc:  # the node stopped answering
        raise NodeUnreachable(f"{contract.address}: the node stopped answering while the contract was "
                              f"read back ({type(exc).__name__}); run dropper verify --chain again") from None
    except Web3Exception as exc:
        raise DropperError(f"{contract.address}: the drop's contract could not be read back "
                           f"({type(exc).__name__}); is it deployed on this chain?") from None


def _read_back(contract: Contract, settings: DropSettings, summary: PackageSummary) -> ChainCheck:
    calls = contract.functions
    report = ChainCheck(address=contract.address)
    report.compare("maxSupply", calls.maxSupply().call(), len(summary.tokens))
    report.compare("provenanceHash", calls.provenanceHash().call().hex(), settings.provenance_hash.hex())
    # Read directly, not only through tokenURI: a public-mint drop has no token to read yet.
    report.compare("baseURI", calls.baseURI().call(), summary.base_uri)
    report.compare("licenseURI", calls.licenseURI().call(), settings.license_uri)
    report.compare("contractURI", calls.contractURI().call(), summary.contract_uri)
    receiver, amount = calls.royaltyInfo(1, ROYALTY_PROBE_WEI).call()
    report.compare("royaltyInfo", (receiver, amount), (settings.royalty_receiver, settings.royalty_bps))
    minted = _minted_ids(contract, settings)
    for token in summary.tokens:
        token_id = token["token_id"]
        if token_id not in minted:
            continue
        label = f"token {token_id} ({token['title']}): "
        expected = token_uri(summary.base_uri, token_id, settings.uri_suffix)
        report.compare(label + "tokenURI", calls.tokenURI(token_id).call(), expected)
        if settings.premint_mode != PremintMode.NONE:
            report.compare(label + "ownerOf", calls.ownerOf(token_id).call(), settings.artist)
    return report


def _minted_ids(contract: Contract, settings: DropSettings) -> range:
    """Ids that exist now: the premint so far, then the ids sold."""
    calls = contract.functions
    preminted = calls.premintedCount().call()
    next_sale_id = calls.sale().call()[2]
    if preminted < settings.premint_count:  # a batched premint still under way: no sale yet
        return range(1, preminted + 1)
    return range(1, next_sale_id)
