"""Gas of dropper's drop contract against a plain OpenZeppelin ERC-721, in one embedded EVM.

Usage: python benchmarks/gas.py [--quick]   (both sizes are the same: gas is deterministic)
Last line: one JSON object with the headline figures (see shared BENCHMARKS.md).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from dropper.carbon.gas import measure_steps  # noqa: E402
from dropper.chain.artifacts import BASELINE_CONTRACT, load_artifact  # noqa: E402
from dropper.chain.drop import DropSettings, PremintMode, deploy_drop, in_process_web3, provenance_hash  # noqa: E402

PREMINT = 1000
PRICE_WEI = 10**16
CID = "bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi"
GOALS = {"deploy": 2_100_000, "premint_1000": 75_000, "public_mint": 80_000, "public_mint_later": 61_000,
         "first_transfer": 85_000}


def _gas(w3, tx_hash) -> int:
    return w3.eth.wait_for_transaction_receipt(tx_hash).gasUsed


def _settings(w3, premint_count: int) -> DropSettings:
    accounts = w3.eth.accounts
    return DropSettings(
        name="Woeful Wail", symbol="WAIL", base_uri=f"ipfs://{CID}/", contract_uri=f"ipfs://{CID}/contract.json",
        license_uri=f"ipfs://{CID}/LICENSE.txt", provenance_hash=provenance_hash(["00" * 32] * 8),
        max_supply=PREMINT + 100, artist=accounts[1], royalty_receiver=accounts[2], royalty_bps=500,
        premint_count=premint_count, premint_mode=PremintMode.CONSECUTIVE if premint_count else PremintMode.NONE,
        price_wei=PRICE_WEI, wallet_limit=5)


def measure_drop(w3) -> dict[str, int]:
    """The steps the carbon report measures (deploy, sell, transfer); the premint's share of the deployment."""
    drop = measure_steps(w3, _settings(w3, PREMINT))
    without = deploy_drop(w3, _settings(w3, 0))
    return {"deploy": drop.deploy, "premint_1000": drop.deploy - without.deploy_gas,
            "public_mint": drop.public_mint, "public_mint_later": drop.public_mint_later,
            "first_transfer": drop.first_transfer, "transfer": drop.transfer}


def measure_baseline(w3) -> dict[str, int]:
    """Plain OZ ERC721: owner mint loop of 1000 to one wallet, then a paid public mint."""
    artifact = load_artifact(BASELINE_CONTRACT)
    factory = w3.eth.contract(abi=artifact.abi, bytecode=artifact.bytecode)
    receipt = w3.eth.wait_for_transaction_receipt(factory.constructor(PRICE_WEI).transact())
    contract = w3.eth.contract(address=receipt.contractAddress, abi=artifact.abi)
    premint = _gas(w3, contract.functions.ownerMint(w3.eth.accounts[1], PREMINT).transact({"gas": 29_000_000}))
    public_mint = _gas(w3, contract.functions.mint().transact({"from": w3.eth.accounts[6], "value": PRICE_WEI}))
    return {"baseline_deploy": receipt.gasUsed, "baseline_premint_1000": premint, "baseline_public_mint": public_mint}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="accepted for symmetry; gas needs no sampling")
    parser.parse_args()
    w3 = in_process_web3()
    figures = {**measure_drop(w3), **measure_baseline(w3)}
    print(f"{'measure':<24}{'gas':>12}{'goal':>12}")
    for key, value in figures.items():
        goal = GOALS.get(key)
        mark = "" if goal is None else ("  ok" if value <= goal else "  OVER")
        print(f"{key:<24}{value:>12,}{'' if goal is None else f'{goal:,}':>12}{mark}")
    print(json.dumps({"benchmark": "gas", **figures}))


if __name__ == "__main__":
    main()
