"""A kubo node over its RPC API, through ``ipfshttpclient`` 0.7.0.

ipfshttpclient 0.7.0 refuses daemons outside go-ipfs 0.4.23 .. 0.8.0 (``assert_version``).
Every call dropper makes (version, id, dag/import, pin/add, pin/ls) has kept its form since
go-ipfs 0.5 (dag import), so dropper accepts any kubo from 0.5 on: the client's check is run,
and a version newer than it knows is let through; an older one is refused.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from dropper.errors import ConfigError, DropperError, NodeUnreachable
from dropper.ipfs.streams import CountingReader

#: The oldest daemon with every call dropper uses (``dag import`` came in go-ipfs 0.5).
MINIMUM_VERSION = (0, 5, 0)


def to_multiaddr(api: str) -> str:
    """``http://host:port`` (or a multiaddr) as the multiaddr ipfshttpclient wants.

    Examples
    --------
    >>> to_multiaddr("http://127.0.0.1:5001")
    '/ip4/127.0.0.1/tcp/5001/http'
    >>> to_multiaddr("https://ipfs.example:443")
    '/dns/ipfs.example/tcp/443/https'
    """
    if api.startswith("/"):
        return api
    parts = urlsplit(api if "://" in api else f"http://{api}")
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"ipfs.api: {api!r} is not an http(s) URL or a multiaddr "
                          "(e.g. http://127.0.0.1:5001 or /ip4/127.0.0.1/tcp/5001)")
    host = parts.hostname
    kind = "ip6" if ":" in host else "ip4" if re.fullmatch(r"[\d.]+", host) else "dns"
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:  # urllib's "Port out of range" / "could not be cast to integer"
        raise ConfigError(f"ipfs.api: {api!r} has no valid port (e.g. http://127.0.0.1:5001)") from None
    return f"/{kind}/{host}/tcp/{port}/{parts.scheme}"


class KuboNode:
    """One kubo node: :meth:`connect` checks that it answers and that its version will do."""

    def __init__(self, api: str, client: Any, version: str) -> None:
        self.api = api
        self.version = version
        self._client = client

    @classmethod
    def connect(cls, api: str, *, timeout_s: float = 60) -> KuboNode:
        """Connect to ``api`` and read its version.

        Raises
        ------
        NodeUnreachable
            Nothing answers at ``api``.
        ConfigError
            The daemon is older than kubo 0.5, or ``api`` is not an address.
        """
        import ipfshttpclient

        # ipfshttpclient 0.7.0 passes urllib3 a parameter urllib3 2 only warns about.
        warnings.filterwarnings("ignore", message="The 'strict' parameter", category=FutureWarning)
        try:
            client = ipfshttpclient.Client(to_multiaddr(api), timeout=timeout_s)
        except ipfshttpclient.exceptions.AddressError:
            raise ConfigError(f"ipfs.api: {api!r} is not an address ipfshttpclient can use (e.g. "
                              "http://127.0.0.1:5001 or /ip4/127.0.0.1/tcp/5001/http)") from None
        with _rpc_errors(api, "version"):
            try:
                version = str(client.apply_workarounds()["Version"])
            except (KeyError, TypeError, ValueError, AttributeError):  # JSON, but not kubo's answer
                raise DropperError(f"{api}: the answer to version is not a kubo node's; is ipfs.api "
                                   "the node's RPC API (port 5001 by default)?") from None
        check_version(api, version)
        return cls(api, client, version)

    def close(self) -> None:
        self._client.close()

    def addresses(self) -> list[str]:
        """The node's peer addresses (multiaddrs ending in /p2p/<peer id>), for origins."""
        with _rpc_errors(self.api, "id"):
            found = self._client.id()
        peer = found.get("ID", "")
        return [address if "/p2p/" in address else f"{address}/p2p/{peer}"
                for address in found.get("Addresses") or []]

    def is_pinned(self, cid: str) -> bool:
        """Whether ``cid`` is pinned recursively (its whole DAG is kept)."""
        import ipfshttpclient.exceptions as rpc

        try:
            with _rpc_errors(self.api, "pin/ls", passthrough=rpc.ErrorResponse):
                found = self._client.pin.ls(cid, type="recursive")
        except rpc.ErrorResponse as error:
            if "not pinned" in str(error):
                return False
            raise DropperError(f"{self.api}: pin/ls {cid}: {error}") from error
        return cid in (found.get("Keys") or {})

    def import_car(self, path: Path, *, advance: Callable[[str], None] | None = None) -> list[str]:
        """``ipfs dag import`` the CAR (its roots get pinned); returns the roots kubo read."""
        with open(path, "rb") as stream, _rpc_errors(self.api, "dag/import"):
            result = self._client.dag.imprt(CountingReader(stream, advance))  # pins the roots
        items = result if isinstance(result, list) else [result]
        roots = []
        for item in items:
            root = item.get("Root") or {}
            if root.get("PinErrorMsg"):
                raise DropperError(f"{self.api}: dag/import {path.name}: {root['PinErrorMsg']}")
            roots.append(root.get("Cid", {}).get("/", ""))
        return roots

    def pin(self, cid: str) -> None:
        """Pin ``cid`` recursively (its blocks are fetched by the node if it lacks them)."""
        with _rpc_errors(self.api, "pin/add"):
            self._client.pin.add(cid, recursive=True)


def check_version(api: str, version: str) -> None:
    """ipfshttpclient's own check, with newer kubo versions let through (see module doc)."""
    from ipfshttpclient import assert_version
    from ipfshttpclient.exceptions import VersionMismatch

    try:
        assert_version(version)
    except VersionMismatch:
        if _version_tuple(version) < MINIMUM_VERSION:
            raise ConfigError(f"{api}: kubo {version} is too old: dropper needs kubo (go-ipfs) "
                              f"0.5 or newer") from None
    except ValueError:
        raise ConfigError(f"{api}: the node reports an unreadable version {version!r}") from None


def _version_tuple(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("-", 1)[0].split("."))


@contextmanager
def _rpc_errors(api: str, call: str, *, passthrough: type[Exception] | None = None) -> Iterator[None]:
    """ipfshttpclient's errors as one line that names the node (and never a traceback)."""
    import ipfshttpclient.exceptions as rpc

    try:
        yield
    except (rpc.ConnectionError, rpc.TimeoutError) as error:
        kind = "did not answer in time" if isinstance(error, rpc.TimeoutError) else "is unreachable"
        raise NodeUnreachable(f"{api}: the kubo node {kind} ({call}); start it (ipfs daemon) "
                              "or fix ipfs.api in drop.toml, then run again") from None
    except rpc.Error as error:
        if passthrough is not None and isinstance(error, passthrough):
            raise
        hint = ("; is ipfs.api a kubo node's RPC API?" if isinstance(error, rpc.StatusError)
                and not isinstance(error, rpc.ErrorResponse) else "")  # an HTTP error from another server
        raise DropperError(f"{api}: {call} failed: {error}{hint}") from None
