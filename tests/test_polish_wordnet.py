"""scripts/install_wordnet.py: NLTK's downloader errors become one line of the script's own."""

from __future__ import annotations

import importlib.util
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "install_wordnet.py"


def _script():
    spec = importlib.util.spec_from_file_location("install_wordnet", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class _NotFound(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        self.send_error(404)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def unreachable_index(monkeypatch):
    """NLTK's downloader pointed at a real server on 127.0.0.1 that has no index."""
    import nltk.downloader

    server = ThreadingHTTPServer(("127.0.0.1", 0), _NotFound)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    downloader = nltk.downloader._downloader
    monkeypatch.setattr(downloader, "_url", f"http://127.0.0.1:{server.server_address[1]}/index.xml")
    monkeypatch.setattr(downloader, "_index", None)
    try:
        yield
    finally:
        server.shutdown()
        server.server_close()


def test_a_failed_nltk_download_prints_one_line_of_its_own(unreachable_index, tmp_path, capfd):
    install = _script()
    assert install.main(["--source", "nltk", "--target", str(tmp_path / "nltk_data")]) == 2
    out, err = capfd.readouterr()
    assert "[nltk_data]" not in out + err
    assert err.count("\n") == 1 and err.startswith("install_wordnet: NLTK's downloader failed (")
    assert "try --source debian" in err
