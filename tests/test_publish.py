"""dropper publish on the embedded chain: from `dropper build`, resumable, checked against the package."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pytest

from dropper.chain.embedded import JOURNAL
from dropper.errors import ConfigError
from dropper.workspace import Drop
from tests.conftest import run_cli


def _copy(example: Path, target: Path, settings: str = "", *, published: bool = True) -> Path:
    """A copy of the built example drop, optionally without its publish, with extra settings."""
    shutil.copytree(example, target)
    if not published:
        shutil.rmtree(target / "build" / "chain", ignore_errors=True)
        with sqlite3.connect(target / "dropper.db") as connection:
            connection.execute("DELETE FROM chain_steps")
            connection.execute("DELETE FROM deployments")
    if settings:
        with open(target / "drop.toml", "a") as handle:
            handle.write(f"\n[chain]\n{settings}\n")
    return target


class Interrupted(Exception):
    """Stands for the process being killed right after a transaction."""


def test_build_publishes_the_example_and_a_rerun_sends_nothing(built_example, tmp_path):
    example, first_build = built_example
    stage = next(report for report in first_build["stages"] if report["stage"] == "publish")
    assert "contract 0x" in stage["notes"][0] and "1 transaction(s) sent" in stage["notes"][0]
    drop = _copy(example, tmp_path / "drop")
    journal = (drop / "build" / JOURNAL).read_text()

    rerun = json.loads(run_cli("publish", str(drop), "--json", check=True).stdout)

    assert rerun["sent"] == 0 and [step["status"] for step in rerun["steps"]] == ["done"]
    assert rerun["check"]["ok"] and rerun["check"]["checked"] == 6 + 2 * 11
    assert (drop / "build" / JOURNAL).read_text() == journal
    with Drop.open(drop) as opened:
        from dropper.chain.publish import recorded_deployment

        deployment = recorded_deployment(opened)
    assert deployment.address == rerun["address"] and deployment.network == "embedded"
    assert deployment.distribution == "premint" and deployment.max_supply == 11
    assert deployment.contract_uri == deployment.base_uri + "contract.json"
    assert [step[0] for step in deployment.steps] == ["deploy"] and deployment.steps[0][2] > 2_000_000
    assert json.loads((drop / "build" / "metadata" / "contract.json").read_text())["name"] == "Fake Feelings"
    assert run_cli("verify", str(drop), "--chain").returncode == 0


def test_a_publish_killed_after_deployment_resumes_without_deploying_again(example_drop, tmp_path):
    from dropper.chain.publish import publish, recorded_deployment

    drop_dir = _copy(example_drop, tmp_path / "drop", 'distribution = "premint-batched"\npremint_batch = 4',
                     published=False)

    def kill_after_deploy(outcome):
        if outcome.step == "deploy":
            raise Interrupted

    with Drop.open(drop_dir) as drop, pytest.raises(Interrupted):
        publish(drop, on_step=kill_after_deploy)
    with Drop.open(drop_dir) as drop:
        deployed = recorded_deployment(drop)
    assert [step[0] for step in deployed.steps] == ["deploy"]

    resumed = json.loads(run_cli("publish", str(drop_dir), "--json", check=True).stdout)

    assert resumed["address"] == deployed.address
    assert [(step["step"], step["status"]) for step in resumed["steps"]] == [
        ("deploy", "done"), ("premint 1-4", "sent"), ("premint 5-8", "sent"), ("premint 9-11", "sent")]
    assert resumed["check"]["ok"]
    journal = (drop_dir / "build" / JOURNAL).read_text().splitlines()
    assert len(journal) == 4  # one deployment and three batches, nothing twice


def test_the_chain_check_names_the_token_after_a_wrong_base_uri(example_drop, tmp_path):
    from dropper.chain.network import open_chain
    from dropper.chain.publish import contract_at, recorded_deployment

    drop_dir = _copy(example_drop, tmp_path / "drop")
    with Drop.open(drop_dir) as drop:
        chain = open_chain(drop)
        contract = contract_at(chain.w3, recorded_deployment(drop).address)
        transaction = chain.prepare(contract.functions.setBaseURI("ipfs://wrong/").build_transaction(
            {"from": chain.deployer}))
        chain.broadcast(*chain.sign(transaction))

    result = run_cli("verify", str(drop_dir), "--chain")

    assert result.returncode == 1
    assert "token 1 (" in result.stdout and "tokenURI is 'ipfs://wrong/1.json'" in result.stdout
    assert "contractURI is 'ipfs://wrong/contract.json'" in result.stdout


def test_a_chain_id_other_than_the_node_or_the_record_is_an_error(example_drop, tmp_path):
    from dropper.chain.publish import publish

    drop_dir = _copy(example_drop, tmp_path / "drop", "chain_id = 1")
    result = run_cli("publish", str(drop_dir))
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0 and "chain.chain_id is 1 but the node" in result.stderr

    other = _copy(example_drop, tmp_path / "other")
    with sqlite3.connect(other / "dropper.db") as connection:
        connection.execute("UPDATE deployments SET chain_id = 5")
    with Drop.open(other) as drop, pytest.raises(ConfigError, match="published there on chain id 5"):
        publish(drop)


def test_a_changed_drop_is_deployed_afresh_on_the_embedded_chain(example_drop, tmp_path):
    from dropper.chain.publish import publish, recorded_deployment

    drop_dir = _copy(example_drop, tmp_path / "drop", "royalty_bps = 250")
    with Drop.open(drop_dir) as drop:
        before = recorded_deployment(drop)
        report = publish(drop)
        after = recorded_deployment(drop)
    assert report.check.ok and after.address == report.address != before.address
    assert (before.royalty_bps, after.royalty_bps) == (500, 250)


def test_dry_run_estimates_every_transaction_and_sends_nothing(example_drop, tmp_path):
    drop_dir = _copy(example_drop, tmp_path / "drop", 'distribution = "public-mint"\nprice_eth = 0.01',
                     published=False)

    result = run_cli("publish", str(drop_dir), "--dry-run")

    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert "nothing was sent" in lines[0]
    assert lines[1].split()[0] == "deploy" and "gas" in lines[1] and "ETH" in lines[1]
    assert lines[2].split()[:2] == ["open", "sale"]
    assert not (drop_dir / "build" / JOURNAL).exists()
    with sqlite3.connect(drop_dir / "dropper.db") as connection:
        assert connection.execute("SELECT COUNT(*) FROM deployments").fetchone()[0] == 0


def test_preflight_refuses_token_uris_that_name_no_metadata_file(example_drop, tmp_path):
    drop_dir = _copy(example_drop, tmp_path / "drop", 'token_uri_suffix = ""', published=False)
    result = run_cli("publish", str(drop_dir))
    assert result.returncode == 2
    assert "token 1 (" in result.stderr and "tokenURI would be ipfs://" in result.stderr
    assert "chain.token_uri_suffix" in result.stderr


def test_missing_key_is_one_line_naming_the_variable(example_drop, tmp_path, monkeypatch):
    from dropper.chain.publish import publish

    drop_dir = _copy(example_drop, tmp_path / "drop", 'rpc_url = "http://127.0.0.1:9"\nkey_env = "MY_DEPLOYER_KEY"',
                     published=False)
    result = run_cli("publish", str(drop_dir))
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "MY_DEPLOYER_KEY" in result.stderr

    secret = "0x" + "ab" * 31 + "zz"
    monkeypatch.setenv("MY_DEPLOYER_KEY", secret)
    with Drop.open(drop_dir) as drop, pytest.raises(ConfigError, match="MY_DEPLOYER_KEY: not a private key") as error:
        publish(drop)
    assert "ab" * 31 not in str(error.value)


def test_publish_refuses_without_clearance(small_drop):
    with open(small_drop / "drop.toml", "a") as settings:
        settings.write("[curate]\nkeep_unreviewed = true\n")
    run_cli("ingest", str(small_drop), check=True)
    result = run_cli("publish", str(small_drop))
    assert result.returncode == 3 and "publish refused" in result.stderr
    assert not (small_drop / "build" / "chain").exists()


def test_network_names_never_keep_credentials():
    from dropper.chain.network import network_name

    assert network_name("https://alice:s3cret@node.example:8545/rpc?apikey=xyz") == "https://node.example:8545/rpc"
    assert network_name("https://eth-mainnet.g.alchemy.com/v2/AbCdEfGhIjKlMnOpQrStUvWx") == \
        "https://eth-mainnet.g.alchemy.com/v2/***"



def test_the_embedded_chain_persists_in_its_journal_and_starts_over_without_it(example_drop, tmp_path):
    from dropper.chain.network import open_chain
    from dropper.chain.publish import publish, recorded_deployment

    drop_dir = _copy(example_drop, tmp_path / "drop")
    with Drop.open(drop_dir) as drop:
        address = recorded_deployment(drop).address
        assert open_chain(drop).w3.eth.get_code(address)  # replayed from build/chain/embedded.jsonl
        shutil.rmtree(drop_dir / "build" / "chain")
        report = publish(drop)
    assert report.sent == 1 and report.check.ok and (drop_dir / "build" / JOURNAL).is_file()


def test_the_chain_check_catches_a_wrong_base_uri_before_any_token_is_sold(example_drop, tmp_path):
    from dropper.chain.network import open_chain
    from dropper.chain.publish import contract_at, recorded_deployment

    drop_dir = _copy(example_drop, tmp_path / "drop", 'distribution = "public-mint"\nprice_eth = 0.01',
                     published=False)
    run_cli("publish", str(drop_dir), check=True)
    with Drop.open(drop_dir) as drop:
        chain = open_chain(drop)
        contract = contract_at(chain.w3, recorded_deployment(drop).address)
        assert contract.functions.totalSupply().call() == 0  # no tokenURI to read back
        transaction = chain.prepare(contract.functions.setBaseURI("ipfs://wrong/").build_transaction(
            {"from": chain.deployer}))
        chain.broadcast(*chain.sign(transaction))

    result = run_cli("verify", str(drop_dir), "--chain")

    assert result.returncode == 1
    assert "baseURI is 'ipfs://wrong/'" in result.stdout


def test_verify_chain_without_the_embedded_journal_is_one_line(example_drop, tmp_path):
    drop_dir = _copy(example_drop, tmp_path / "drop")
    shutil.rmtree(drop_dir / "build" / "chain")

    result = run_cli("verify", str(drop_dir), "--chain")

    assert result.returncode == 2, result.stderr
    assert result.stderr.strip().splitlines() == [result.stderr.strip()]
    assert "not published on embedded" in result.stderr and "run dropper publish" in result.stderr


def test_a_node_that_stops_answering_after_the_chain_id_is_one_line(example_drop, tmp_path):
    """A real HTTP server on 127.0.0.1 that answers eth_chainId, then drops every other call."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Dying(BaseHTTPRequestHandler):
        def do_POST(self):
            request = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            if request.get("method") != "eth_chainId":
                self.close_connection = True
                self.connection.close()  # the node went away mid-publish
                return
            body = json.dumps({"jsonrpc": "2.0", "id": request["id"], "result": hex(31337)}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Dying)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}"
        drop_dir = _copy(example_drop, tmp_path / "drop", f'rpc_url = "{url}"', published=False)
        key = {"DROPPER_DEPLOYER_KEY": "0x" + "11" * 32}
        for args in (["--dry-run"], []):
            result = run_cli("publish", str(drop_dir), *args, env=key)
            assert result.returncode == 2, result.stderr
            assert result.stderr.count("\n") == 1 and "stopped answering" in result.stderr, result.stderr
            assert "Traceback" not in result.stderr
    finally:
        server.shutdown()
        server.server_close()
