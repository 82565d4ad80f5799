"""dropper publish over JSON-RPC against a real Hardhat node started on 127.0.0.1.

Hardhat (npm, pinned in tests/hardhat/package-lock.json) is installed once with ``npm ci`` into
a cache folder (``$DROPPER_CACHE`` or ``~/.cache/dropper``); the node is stopped by its pid.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import pytest

from tests.conftest import REPO, free_port, run_cli
from tests.npm import installed
from tests.processes import running
from tests.test_publish import _copy

PROJECT = REPO / "tests" / "hardhat"
FILES = ("package.json", "package-lock.json", "hardhat.config.js")
# Hardhat's first and second default accounts (public test keys printed by every `hardhat node`).
DEPLOYER_KEY = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"
BUYER = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"
CHAIN_ID = 31337


def _install() -> Path:
    """The hardhat project with its node_modules, installed once per lockfile."""
    return installed(PROJECT, FILES, "hardhat")


@pytest.fixture(scope="module")
def hardhat_node():
    """A Hardhat JSON-RPC node on 127.0.0.1; yields its URL and stops it by its pid."""
    project = _install()
    port = free_port()
    with tempfile.TemporaryFile(mode="w+") as log:
        yield from _serve(project, port, log)


def _serve(project: Path, port: int, log):
    url = f"http://127.0.0.1:{port}"
    command = ["node", str(project / "node_modules" / "hardhat" / "internal" / "cli" / "cli.js"),
               "node", "--hostname", "127.0.0.1", "--port", str(port)]
    with running(command, lambda: _answers(url), log, cwd=project,
                 env={**os.environ, "HARDHAT_DISABLE_TELEMETRY_PROMPT": "true"}):
        yield url


def _answers(url: str) -> bool:
    """True once the node answers eth_chainId with Hardhat's chain id."""
    import urllib.request

    request = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "eth_chainId", "params": []}).encode()
    try:
        with urllib.request.urlopen(urllib.request.Request(
                url, data=request, headers={"Content-Type": "application/json"}), timeout=5) as response:
            return json.loads(response.read())["result"] == hex(CHAIN_ID)
    except OSError:
        return False


def test_publish_over_json_rpc_with_an_env_key_then_a_keystore(hardhat_node, example_drop, tmp_path):
    from eth_account import Account
    from web3 import HTTPProvider, Web3

    drop = _copy(example_drop, tmp_path / "drop", f'rpc_url = "{hardhat_node}"\nchain_id = {CHAIN_ID}\n'
                 'distribution = "public-mint"\nprice_eth = 0.01\nwallet_limit = 2', published=False)
    env = {"DROPPER_DEPLOYER_KEY": DEPLOYER_KEY}

    dry = run_cli("publish", str(drop), "--dry-run", env=env)
    assert dry.returncode == 0, dry.stderr
    assert "gwei" in dry.stdout.splitlines()[0] and "open sale" in dry.stdout

    first = run_cli("publish", str(drop), "--json", env=env)
    assert first.returncode == 0, first.stderr
    published = json.loads(first.stdout)
    assert published["chain_id"] == CHAIN_ID and published["network"] == hardhat_node
    assert [(step["step"], step["status"]) for step in published["steps"]] == [("deploy", "sent"), ("open sale", "sent")]
    assert published["check"]["ok"]
    key_digits = DEPLOYER_KEY[2:]
    assert key_digits not in first.stdout + first.stderr + dry.stdout + dry.stderr
    assert key_digits.encode() not in (drop / "dropper.db").read_bytes()

    # A collector buys a token; the rerun signs with a keystore of the same key and sends nothing.
    w3 = Web3(HTTPProvider(hardhat_node))
    contract = w3.eth.contract(address=published["address"], abi=_abi())
    w3.eth.wait_for_transaction_receipt(contract.functions.mint(1).transact({"from": BUYER, "value": 10**16}))
    keystore = Account.encrypt(DEPLOYER_KEY, "correct horse", kdf="pbkdf2", iterations=1000)
    (drop / "deployer.json").write_text(json.dumps(keystore))
    with open(drop / "drop.toml", "a") as settings:
        settings.write('keystore = "deployer.json"\n')
    rerun = run_cli("publish", str(drop), "--json", env={"DROPPER_KEYSTORE_PASSWORD": "correct horse"})
    assert rerun.returncode == 0, rerun.stderr
    again = json.loads(rerun.stdout)
    assert again["sent"] == 0 and again["address"] == published["address"]
    assert again["check"]["ok"] and again["check"]["checked"] == published["check"]["checked"] + 1  # token 1

    with open(drop / "drop.toml", "a") as settings:  # on a real network a deployed drop stays as it is
        settings.write("royalty_bps = 250\n")
    changed = run_cli("publish", str(drop), env={"DROPPER_KEYSTORE_PASSWORD": "correct horse"})
    assert changed.returncode == 2 and "cannot be republished" in changed.stderr and "royalty_bps" in changed.stderr


def _abi():
    from dropper.chain.artifacts import load_artifact

    return load_artifact().abi
