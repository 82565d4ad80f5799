"""The drop contract on an embedded EVM: minting, royalties, metadata, limits and owner checks."""

from __future__ import annotations

import hashlib
from contextlib import contextmanager
from dataclasses import replace

import pytest

pytest.importorskip("web3")
pytest.importorskip("eth_tester")

from eth_tester.exceptions import TransactionFailed  # noqa: E402
from eth_utils import keccak  # noqa: E402
from web3.exceptions import ContractLogicError  # noqa: E402
from web3.logs import DISCARD  # noqa: E402

from dropper.chain.drop import (  # noqa: E402
    TX_GAS_CAP, DropSettings, PremintMode, deploy_drop, in_process_web3, premint_batches, provenance_hash)
from dropper.errors import ConfigError  # noqa: E402

PRICE = 10**16
MEDIA_HASHES = [hashlib.sha256(f"song {i}".encode()).hexdigest() for i in range(10)]


@pytest.fixture(scope="module")
def w3():
    return in_process_web3()


@pytest.fixture
def accounts(w3):
    owner, artist, split, alice, bob, carol = w3.eth.accounts[:6]
    return {"owner": owner, "artist": artist, "split": split, "alice": alice, "bob": bob, "carol": carol}


@pytest.fixture
def settings(accounts):
    return DropSettings(
        name="Woeful Wail", symbol="WAIL", base_uri="ipfs://bafybase/", contract_uri="ipfs://bafycontract",
        license_uri="ipfs://bafylicense/LICENSE.txt", provenance_hash=provenance_hash(MEDIA_HASHES),
        max_supply=10, artist=accounts["artist"], royalty_receiver=accounts["split"], royalty_bps=750,
        premint_count=4, premint_mode=PremintMode.CONSECUTIVE, price_wei=PRICE, wallet_limit=2)


def deploy(w3, settings, *, sale_open=True):
    contract = deploy_drop(w3, settings).contract
    if sale_open:
        contract.functions.setSale(settings.price_wei, settings.wallet_limit, True).transact()
    return contract


@contextmanager
def reverts_with(signature: str):
    """Expect a revert with the custom error ``signature``, e.g. ``"SaleClosed()"``."""
    selector = keccak(text=signature)[:4]
    with pytest.raises((ContractLogicError, TransactionFailed)) as failure:
        yield
    # web3 gives the selector in hex for transactions; eth-tester gives raw bytes for calls.
    text = f"{failure.value} {getattr(failure.value, 'data', '')}"
    assert "0x" + selector.hex() in text or repr(selector)[2:-1] in text, text


def test_consecutive_premint_gives_ids_1_to_n_to_the_artist(w3, settings, accounts):
    contract = deploy(w3, settings)
    fn = contract.functions
    assert [fn.ownerOf(i).call() for i in range(1, 5)] == [accounts["artist"]] * 4
    assert fn.balanceOf(accounts["artist"]).call() == 4
    assert fn.totalSupply().call() == 4
    with reverts_with("ERC721NonexistentToken(uint256)"):
        fn.ownerOf(5).call()
    with reverts_with("ERC721NonexistentToken(uint256)"):
        fn.ownerOf(0).call()


def test_deployment_emits_one_erc2309_consecutive_transfer(w3, settings, accounts):
    contract = deploy(w3, settings, sale_open=False)
    events = contract.events.ConsecutiveTransfer.get_logs(from_block=0)
    assert [(e.args.fromTokenId, e.args.toTokenId, e.args.toAddress) for e in events] == [(1, 4, accounts["artist"])]


def test_public_mint_sells_ids_after_the_premint(w3, settings, accounts):
    contract = deploy(w3, settings)
    fn = contract.functions
    fn.mint(1).transact({"from": accounts["alice"], "value": PRICE})
    fn.mint(1).transact({"from": accounts["bob"], "value": PRICE})
    assert fn.ownerOf(5).call() == accounts["alice"]
    assert fn.ownerOf(6).call() == accounts["bob"]
    assert fn.totalSupply().call() == 6
    assert w3.eth.get_balance(contract.address) == 2 * PRICE


def test_first_transfer_of_a_preminted_token_moves_only_that_token(w3, settings, accounts):
    contract = deploy(w3, settings)
    fn = contract.functions
    fn.transferFrom(accounts["artist"], accounts["alice"], 2).transact({"from": accounts["artist"]})
    assert fn.ownerOf(2).call() == accounts["alice"]
    assert [fn.ownerOf(i).call() for i in (1, 3, 4)] == [accounts["artist"]] * 3
    assert fn.balanceOf(accounts["artist"]).call() == 3
    fn.transferFrom(accounts["alice"], accounts["bob"], 2).transact({"from": accounts["alice"]})
    assert fn.ownerOf(2).call() == accounts["bob"]
    with reverts_with("ERC721InsufficientApproval(address,uint256)"):
        fn.transferFrom(accounts["artist"], accounts["carol"], 1).transact({"from": accounts["carol"]})


def test_token_uri_is_base_plus_id_plus_suffix(w3, settings):
    fn = deploy(w3, settings).functions
    assert fn.tokenURI(3).call() == "ipfs://bafybase/3.json"
    bare = deploy(w3, replace(settings, uri_suffix="")).functions
    assert bare.tokenURI(3).call() == "ipfs://bafybase/3"


def test_royalty_goes_to_the_split_receiver(w3, settings, accounts):
    fn = deploy(w3, settings).functions
    assert fn.royaltyInfo(1, 10_000).call() == [accounts["split"], 750]
    fn.setRoyalty(accounts["carol"], 1000).transact()
    assert fn.royaltyInfo(1, 1_000).call() == [accounts["carol"], 100]


@pytest.mark.parametrize("interface_id, supported", [
    ("0x80ac58cd", True),  # ERC-721
    ("0x5b5e139f", True),  # ERC-721 metadata
    ("0x2a55205a", True),  # ERC-2981
    ("0x49064906", True),  # ERC-4906
    ("0x01ffc9a7", True),  # ERC-165
    ("0x780e9d63", False),  # ERC-721 enumerable: incompatible with consecutive mints
    ("0xffffffff", False),
])
def test_supports_interface(w3, settings, interface_id, supported):
    fn = deploy(w3, settings, sale_open=False).functions
    assert fn.supportsInterface(bytes.fromhex(interface_id[2:])).call() is supported


def test_base_uri_change_emits_batch_metadata_update_until_frozen(w3, settings):
    contract = deploy(w3, settings, sale_open=False)
    fn = contract.functions
    receipt = w3.eth.wait_for_transaction_receipt(fn.setBaseURI("ipfs://bafynew/").transact())
    (event,) = contract.events.BatchMetadataUpdate().process_receipt(receipt)
    assert (event.args._fromTokenId, event.args._toTokenId) == (1, 10)
    assert fn.tokenURI(1).call() == "ipfs://bafynew/1.json"
    fn.freezeBaseURI().transact()
    assert fn.baseURIFrozen().call() is True
    with reverts_with("BaseURIIsFrozen()"):
        fn.setBaseURI("ipfs://bafyother/").transact()
    assert fn.baseURI().call() == "ipfs://bafynew/"


def test_contract_uri_update_emits_erc7572_event(w3, settings):
    contract = deploy(w3, settings, sale_open=False)
    assert contract.functions.contractURI().call() == "ipfs://bafycontract"
    receipt = w3.eth.wait_for_transaction_receipt(contract.functions.setContractURI("ipfs://bafyc2").transact())
    assert len(contract.events.ContractURIUpdated().process_receipt(receipt)) == 1
    assert contract.functions.contractURI().call() == "ipfs://bafyc2"


def test_default_contract_uri_is_contract_json_beside_the_tokens_and_follows_the_base_uri(w3, settings):
    contract = deploy(w3, replace(settings, contract_uri="ipfs://bafybase/contract.json"), sale_open=False)
    fn = contract.functions
    assert fn.contractURI().call() == "ipfs://bafybase/contract.json"
    receipt = w3.eth.wait_for_transaction_receipt(fn.setBaseURI("ipfs://bafynew/").transact())
    assert len(contract.events.ContractURIUpdated().process_receipt(receipt, errors=DISCARD)) == 1
    assert fn.contractURI().call() == "ipfs://bafynew/contract.json"


@pytest.mark.parametrize("length", [0, 33, 96])
def test_license_uri_up_to_96_bytes_reads_back_exactly(w3, settings, length):
    uri = ("https://licenses.example/" + "abcdefghij" * 10)[:length]
    assert deploy(w3, replace(settings, license_uri=uri), sale_open=False).functions.licenseURI().call() == uri


def test_provenance_license_and_supply_are_readable(w3, settings):
    fn = deploy(w3, settings, sale_open=False).functions
    assert fn.provenanceHash().call() == hashlib.sha256("".join(MEDIA_HASHES).encode()).digest()
    assert fn.licenseURI().call() == "ipfs://bafylicense/LICENSE.txt"
    assert fn.maxSupply().call() == 10
    assert fn.name().call() == "Woeful Wail" and fn.symbol().call() == "WAIL"


def test_mint_past_supply_is_refused(w3, settings, accounts):
    fn = deploy(w3, replace(settings, wallet_limit=10)).functions
    fn.mint(6).transact({"from": accounts["alice"], "value": 6 * PRICE})
    assert fn.totalSupply().call() == 10
    with reverts_with("SupplyExceeded(uint256)"):
        fn.mint(1).transact({"from": accounts["bob"], "value": PRICE})


def test_wrong_payment_is_refused(w3, settings, accounts):
    fn = deploy(w3, settings).functions
    for value in (0, PRICE - 1, PRICE + 1):
        with reverts_with("WrongPayment(uint256)"):
            fn.mint(1).transact({"from": accounts["alice"], "value": value})


def test_wallet_limit_counts_tokens_held(w3, settings, accounts):
    fn = deploy(w3, settings).functions
    fn.mint(2).transact({"from": accounts["alice"], "value": 2 * PRICE})
    with reverts_with("WalletLimitExceeded(uint256)"):
        fn.mint(1).transact({"from": accounts["alice"], "value": PRICE})


def test_closed_sale_refuses_mints(w3, settings, accounts):
    fn = deploy(w3, settings, sale_open=False).functions
    with reverts_with("SaleClosed()"):
        fn.mint(1).transact({"from": accounts["alice"], "value": PRICE})


def test_owner_only_functions_refuse_others(w3, settings, accounts):
    fn = deploy(w3, settings).functions
    stranger = {"from": accounts["carol"]}
    calls = [fn.setBaseURI("x"), fn.freezeBaseURI(), fn.setContractURI("x"), fn.setRoyalty(accounts["carol"], 1),
             fn.setSale(0, 100, True), fn.withdraw(accounts["carol"]), fn.premintBatch(1)]
    for call in calls:
        with reverts_with("OwnableUnauthorizedAccount(address)"):
            call.transact(stranger)


def test_withdraw_sends_proceeds_to_the_chosen_address(w3, settings, accounts):
    contract = deploy(w3, settings)
    contract.functions.mint(2).transact({"from": accounts["alice"], "value": 2 * PRICE})
    before = w3.eth.get_balance(accounts["split"])
    contract.functions.withdraw(accounts["split"]).transact()
    assert w3.eth.get_balance(accounts["split"]) - before == 2 * PRICE
    assert w3.eth.get_balance(contract.address) == 0


def test_batched_premint_mints_with_ordinary_transfers_under_the_tx_cap(w3, settings, accounts):
    drop = deploy_drop(w3, replace(settings, max_supply=30, premint_count=25, premint_mode=PremintMode.BATCHED))
    fn = drop.contract.functions
    assert fn.totalSupply().call() == 0
    gas = premint_batches(drop, batch_size=10)
    assert len(gas) == 3 and max(gas) < TX_GAS_CAP
    assert fn.balanceOf(accounts["artist"]).call() == 25
    assert fn.ownerOf(25).call() == accounts["artist"]
    assert len(drop.contract.events.Transfer.get_logs(from_block=0, argument_filters={"to": accounts["artist"]})) >= 25
    with reverts_with("BadPremint()"):
        fn.premintBatch(1).transact()
    fn.setSale(PRICE, 1, True).transact()
    fn.mint(1).transact({"from": accounts["alice"], "value": PRICE})
    assert fn.ownerOf(26).call() == accounts["alice"]


def test_settings_are_checked_before_deployment(w3, settings):
    with pytest.raises(ConfigError, match="premint_count"):
        deploy_drop(w3, replace(settings, premint_count=11))
    with pytest.raises(ConfigError, match="premint_mode"):
        deploy_drop(w3, replace(settings, premint_count=0))
    with pytest.raises(ConfigError, match="provenance_hash"):
        deploy_drop(w3, replace(settings, provenance_hash=b"short"))
    with pytest.raises(ConfigError, match="license_uri"):
        deploy_drop(w3, replace(settings, license_uri="ipfs://" + "x" * 90))


def test_gas_goals_for_premint_sale_and_transfer(w3):
    from benchmarks.gas import GOALS, measure_drop

    figures = measure_drop(w3)
    for key in ("deploy", "premint_1000", "public_mint", "public_mint_later", "first_transfer"):
        assert figures[key] <= GOALS[key], (key, figures[key])
