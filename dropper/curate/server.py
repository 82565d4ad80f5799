"""Run the curation app with uvicorn on a socket bound before the URL is printed."""

from __future__ import annotations

import secrets
import socket
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from dropper.errors import ConfigError


@dataclass(frozen=True)
class Address:
    """Where the app listens and the URL (with its token) that opens it."""

    host: str
    port: int
    token: str

    @property
    def url(self) -> str:
        shown = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{shown}:{self.port}/?token={self.token}"


def bind(host: str, port: int) -> socket.socket:
    """A listening socket on ``host:port`` (0 = any free port); one clear error if taken."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise ConfigError(f"dropper curate: cannot listen on {host}:{port} ({exc.strerror}); "
                          "pick another --port (0 = any free port) or --host") from None
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


def serve(root: str | Path, *, host: str = "127.0.0.1", port: int = 0, author: str,
          token: str | None = None, on_ready: Callable[[Address], None] = lambda address: None) -> None:
    """Serve the drop in ``root`` until interrupted; ``on_ready`` gets the address first."""
    import uvicorn

    from dropper.curate.app import create_app, render_page
    from dropper.workspace import Drop

    token = token or secrets.token_urlsafe(24)
    sock = bind(host, port)
    address = Address(host=host, port=sock.getsockname()[1], token=token)
    app = create_app(root, token=token, author=author)
    with Drop.open(root) as drop:  # compile the page once now: the first visit is as quick as the next
        render_page(drop, token=token, author=author)
    # Access logs would print the token with every request: only warnings go to the terminal.
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False,
                                           timeout_graceful_shutdown=2))
    on_ready(address)
    server.run(sockets=[sock])
