"""`dropper pin` against real servers on 127.0.0.1: a kubo-RPC node and a pinning service."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import requests

from dropper import ipfs
from dropper.errors import ConfigError
from dropper.ipfs.kubo import check_version, to_multiaddr
from tests.conftest import free_port, run_cli
from tests.ipfs_servers import link_copy, replace_file, serve

TOKEN = "psa-secret-token-0123456789"
TOKEN_ENV = "DROPPER_TEST_PSA_TOKEN"


@pytest.fixture(scope="module")
def node(tmp_path_factory) -> Iterator[str]:
    """A kubo-RPC node (the one `dropper pin` talks to directly)."""
    with serve("kubo_rpc", "--repo", str(tmp_path_factory.mktemp("node"))) as url:
        yield url


@pytest.fixture(scope="module")
def service(tmp_path_factory) -> Iterator[str]:
    """A pinning service backed by its own node, so data reaches it only by upload."""
    with serve("kubo_rpc", "--repo", str(tmp_path_factory.mktemp("service-node"))) as backing, \
            serve("pinning_service", "--node", backing, "--token-env", "PSA_TOKEN",
                  env={"PSA_TOKEN": TOKEN}) as url:
        yield url


@pytest.fixture
def drop_dir(example_drop, tmp_path) -> Path:
    return link_copy(example_drop, tmp_path / "drop")


def _settings(drop_dir: Path, text: str) -> None:
    with open(drop_dir / "drop.toml", "a", encoding="utf-8") as settings:
        settings.write("\n" + text)


def _kubo(node: str, call: str, **params: str) -> requests.Response:
    return requests.post(f"{node}/api/v0/{call}", params=params, timeout=60)


def _service_pins(service: str, cid: str) -> list[dict]:
    reply = requests.get(f"{service}/pins", params={"cid": cid, "status": "queued,pinning,pinned,failed"},
                         headers={"Authorization": f"Bearer {TOKEN}"}, timeout=60)
    return reply.json()["results"]


def test_pin_to_kubo_imports_the_drop_and_pins_root_and_metadata(drop_dir, node):
    _settings(drop_dir, f'[ipfs]\napi = "{node}"\n')
    result = run_cli("pin", str(drop_dir), "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    summary = json.loads((drop_dir / "build" / "package.json").read_text())
    assert report["metadata_cid"] == summary["metadata_root_cid"]
    assert [(pin["label"], pin["status"], pin["verified"]) for pin in report["pins"]] == \
        [("drop", "pinned", True), ("metadata", "pinned", True)]
    pinned = _kubo(node, "pin/ls", type="recursive").json()["Keys"]
    assert {report["root_cid"], report["metadata_cid"]} <= set(pinned)
    # The node serves the token's video, under the CID its metadata records.
    video_cid = json.loads((drop_dir / "build" / "metadata" / "2.json").read_text())["animation_url"][7:]
    assert _kubo(node, "block/stat", arg=video_cid).status_code == 200

    again = run_cli("pin", str(drop_dir), "--json")
    assert again.returncode == 0, again.stderr
    assert [pin["status"] for pin in json.loads(again.stdout)["pins"]] == ["skipped", "skipped"]


def test_pin_via_service_uploads_the_car_and_never_shows_the_token(drop_dir, service):
    _settings(drop_dir, f'[pinning]\nurl = "{service}"\ntoken_env = "{TOKEN_ENV}"\n'
                        f'upload_url = "{service}/upload"\n')
    result = run_cli("pin", str(drop_dir), env={TOKEN_ENV: TOKEN})
    assert result.returncode == 0, result.stderr
    assert "every pin is in place" in result.stdout
    root = ipfs.read_car_roots(drop_dir / "build" / "drop.car")[0]
    assert [pin["status"] for pin in _service_pins(service, root)] == ["pinned"]
    again = run_cli("pin", str(drop_dir), "--json", env={TOKEN_ENV: TOKEN})
    assert [pin["status"] for pin in json.loads(again.stdout)["pins"]] == ["skipped", "skipped"]
    assert len(_service_pins(service, root)) == 1  # no second request
    wrong = run_cli("pin", str(drop_dir), env={TOKEN_ENV: TOKEN[::-1]})
    assert wrong.returncode == 2 and "refused the access token" in wrong.stderr
    for output in (result, again, wrong):
        assert TOKEN not in output.stdout + output.stderr
        assert TOKEN[::-1] not in output.stdout + output.stderr


def test_an_interrupted_service_pin_resumes_its_request(drop_dir, tmp_path):
    with serve("kubo_rpc", "--repo", str(tmp_path / "node")) as backing, \
            serve("pinning_service", "--node", backing, "--token-env", "PSA_TOKEN",
                  env={"PSA_TOKEN": TOKEN}) as service:
        # wait_s cuts the first run short while the service still has the request queued.
        _settings(drop_dir, f'[pinning]\nurl = "{service}"\ntoken_env = "{TOKEN_ENV}"\n'
                            f'upload_url = "{service}/upload"\nwait_s = 0.01\n')
        first = run_cli("pin", str(drop_dir), env={TOKEN_ENV: TOKEN})
        assert first.returncode == 2 and "run dropper pin again to keep waiting" in first.stderr
        settings = (drop_dir / "drop.toml").read_text().replace("wait_s = 0.01", "wait_s = 600")
        (drop_dir / "drop.toml").write_text(settings)
        second = run_cli("pin", str(drop_dir), "--json", env={TOKEN_ENV: TOKEN})
        assert second.returncode == 0, second.stderr
        for pin in json.loads(second.stdout)["pins"]:
            assert pin["verified"]
            assert len(_service_pins(service, pin["cid"])) == 1, "one request per CID, followed up"


def test_a_file_changed_after_package_pins_nothing(drop_dir, tmp_path):
    with serve("kubo_rpc", "--repo", str(tmp_path / "node")) as node:
        _settings(drop_dir, f'[ipfs]\napi = "{node}"\n')
        audio = min((drop_dir / "songs").glob("*.wav"))
        replace_file(audio, audio.read_bytes()[:-2] + b"\x01\x02")
        result = run_cli("pin", str(drop_dir))
        assert result.returncode == 2
        assert f"songs/{audio.name} hashes to" in result.stderr
        assert _kubo(node, "pin/ls").json()["Keys"] == {}
        assert not list((tmp_path / "node" / "blocks").iterdir())


def test_unreachable_node_is_one_line_naming_it_and_a_rerun_resumes(drop_dir, tmp_path):
    port = free_port()
    api = f"http://127.0.0.1:{port}"
    _settings(drop_dir, f'[ipfs]\napi = "{api}"\n')
    down = run_cli("pin", str(drop_dir))
    assert down.returncode == 2
    assert down.stderr.strip().splitlines() == [down.stderr.strip()]
    assert api in down.stderr and "unreachable" in down.stderr
    with serve("kubo_rpc", "--repo", str(tmp_path / "node"), port=port):
        up = run_cli("pin", str(drop_dir))
    assert up.returncode == 0, up.stderr


def test_missing_token_is_one_line_naming_the_variable(drop_dir, service):
    _settings(drop_dir, f'[pinning]\nurl = "{service}"\ntoken_env = "{TOKEN_ENV}"\n')
    result = run_cli("pin", str(drop_dir))
    assert result.returncode == 2
    expected = (f"error: pinning.url is set but the environment variable {TOKEN_ENV} is empty: "
                f"export {TOKEN_ENV}=<the service's access token> (it is never read from drop.toml)")
    assert result.stderr.strip().splitlines() == [expected]


def test_nothing_to_pin_to_says_which_settings(drop_dir):
    result = run_cli("pin", str(drop_dir))
    assert result.returncode == 2 and "set ipfs.api" in result.stderr and "pinning.url" in result.stderr


def test_kubo_versions_newer_than_ipfshttpclient_knows_are_accepted():
    check_version("http://n", "0.39.0")
    check_version("http://n", "0.7.0")
    with pytest.raises(ConfigError, match="kubo 0.4.22 is too old"):
        check_version("http://n", "0.4.22")
    assert to_multiaddr("http://localhost:5001") == "/dns/localhost/tcp/5001/http"
    with pytest.raises(ConfigError, match="ipfs.api"):
        to_multiaddr("ftp://x")


def test_unreachable_service_is_one_line_naming_it(drop_dir):
    url = f"http://127.0.0.1:{free_port()}/psa"
    _settings(drop_dir, f'[pinning]\nurl = "{url}"\ntoken_env = "{TOKEN_ENV}"\n')
    result = run_cli("pin", str(drop_dir), env={TOKEN_ENV: TOKEN})
    assert result.returncode == 2
    expected = f"error: {url}/pins: the pinning service is unreachable; check pinning.url and the network, then run again"
    assert result.stderr.strip().splitlines() == [expected]


@contextmanager
def _any_json_server(body: bytes) -> Iterator[str]:
    """A real HTTP server on 127.0.0.1 that answers every GET and POST with 200 and ``body``:
    the wrong URL that still speaks JSON (another API, a misconfigured proxy)."""
    class Handler(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = _answer

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def _one_line_error(result) -> str:
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stderr.strip().splitlines() == [result.stderr.strip()], result.stderr
    return result.stderr


def test_a_wrong_node_address_or_a_server_that_is_not_kubo_is_one_line(drop_dir, service):
    with open(drop_dir / "drop.toml", encoding="utf-8") as handle:
        settings = handle.read()
    for api, expected in [("http://127.0.0.1:99999", "ipfs.api: 'http://127.0.0.1:99999' has no valid port"),
                          ("/ip4/not-an-address", "ipfs.api: '/ip4/not-an-address' is not an address"),
                          (service, "is ipfs.api a kubo node's RPC API?")]:
        (drop_dir / "drop.toml").write_text(settings + f'\n[ipfs]\napi = "{api}"\n', encoding="utf-8")
        assert expected in _one_line_error(run_cli("pin", str(drop_dir)))
    for body in (b"{}", b"[1, 2]"):
        with _any_json_server(body) as api:
            (drop_dir / "drop.toml").write_text(settings + f'\n[ipfs]\napi = "{api}"\n', encoding="utf-8")
            message = _one_line_error(run_cli("pin", str(drop_dir)))
        assert f"{api}: the answer to version is not a kubo node's" in message


def test_a_server_that_is_not_a_pinning_service_is_one_line(drop_dir, node):
    with open(drop_dir / "drop.toml", encoding="utf-8") as handle:
        settings = handle.read()
    (drop_dir / "drop.toml").write_text(settings + f'\n[pinning]\nurl = "{node}"\ntoken_env = "{TOKEN_ENV}"\n',
                                        encoding="utf-8")
    assert f"GET {node}/pins: HTTP 4" in _one_line_error(run_cli("pin", str(drop_dir), env={TOKEN_ENV: TOKEN}))
    for body in (b"{}", b"[1, 2]", b'{"results": [{"no": "pin status"}]}'):
        with _any_json_server(body) as url:
            (drop_dir / "drop.toml").write_text(
                settings + f'\n[pinning]\nurl = "{url}"\ntoken_env = "{TOKEN_ENV}"\n', encoding="utf-8")
            message = _one_line_error(run_cli("pin", str(drop_dir), env={TOKEN_ENV: TOKEN}))
        assert f"{url}/pins" in message and "Pinning Service API" in message


def test_an_unreachable_node_is_named_before_the_files_are_hashed_again(drop_dir):
    api = f"http://127.0.0.1:{free_port()}"
    _settings(drop_dir, f'[ipfs]\napi = "{api}"\n')
    audio = min((drop_dir / "songs").glob("*.wav"))
    replace_file(audio, audio.read_bytes()[:-2] + b"\x01\x02")  # would stop the run once hashed

    message = _one_line_error(run_cli("pin", str(drop_dir)))

    assert api in message and "unreachable" in message and "hashes to" not in message
