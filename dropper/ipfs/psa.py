"""A client of the IPFS Pinning Service API (ipfs.github.io/pinning-services-api-spec).

The access token is sent as ``Authorization: Bearer``; it never appears in a message, a log
line or an exception (errors name the URL and the HTTP status only).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dropper.errors import ConfigError, DropperError, NodeUnreachable
from dropper.ipfs.streams import CountingReader

#: Every status a pin request can have, in the order a request goes through them.
STATUSES = ("queued", "pinning", "pinned", "failed")


@dataclass(frozen=True)
class PinStatus:
    """One pin request as the service reports it."""

    request_id: str
    status: str
    cid: str
    name: str | None = None

    @classmethod
    def from_json(cls, body: Any, *, where: str = "the service") -> PinStatus:
        """A PinStatus object of the spec; DropperError naming ``where`` for anything else."""
        pin = body.get("pin") if isinstance(body, dict) else None
        if not isinstance(pin, dict) or "requestid" not in body or body.get("status") not in STATUSES:
            raise DropperError(f"{where}: the answer is not a pin status of the Pinning Service API; "
                               "is pinning.url the service's API endpoint?")
        return cls(str(body["requestid"]), str(body["status"]), str(pin.get("cid", "")), pin.get("name"))


def service_token(token_env: str, environ: dict[str, str] | None = None) -> str:
    """The token from the environment variable ``token_env`` (one clear line when it is unset)."""
    token = (os.environ if environ is None else environ).get(token_env, "").strip()
    if not token:
        raise ConfigError(f"pinning.url is set but the environment variable {token_env} is empty: "
                          f"export {token_env}=<the service's access token> (it is never read "
                          "from drop.toml)")
    return token


class PinningService:
    """One Pinning Service API endpoint, with its bearer token."""

    def __init__(self, url: str, token: str, *, timeout_s: float = 60) -> None:
        import requests

        self.url = url.rstrip("/")
        self.timeout_s = timeout_s
        self._session = requests.Session()
        self._session.headers["Authorization"] = f"Bearer {token}"

    def close(self) -> None:
        self._session.close()

    def find(self, cid: str) -> PinStatus | None:
        """The newest pin request for ``cid`` in any status, or None."""
        results = self._listing({"cid": cid, "status": ",".join(STATUSES), "limit": 1})
        return PinStatus.from_json(results[0], where=f"GET {self.url}/pins") if results else None

    def check_access(self) -> None:
        """One cheap listing: the service answers, speaks the API and takes the token."""
        self._listing({"limit": 1})

    def _listing(self, params: dict[str, Any]) -> list[Any]:
        """``GET /pins``'s results; an answer without a list of them is not this API."""
        results = self._call("GET", "/pins", params=params).get("results")
        if not isinstance(results, list):
            raise DropperError(f"GET {self.url}/pins: the answer has no list of results; is pinning.url "
                               "the service's Pinning Service API endpoint?")
        return results

    def get(self, request_id: str) -> PinStatus | None:
        """The request ``request_id``, or None when the service no longer has it."""
        body = self._call("GET", f"/pins/{request_id}", missing_ok=True)
        return PinStatus.from_json(body, where=f"GET {self.url}/pins/{request_id}") if body else None

    def add(self, cid: str, *, name: str, origins: list[str]) -> PinStatus:
        """Ask the service to pin ``cid`` (fetching it from ``origins`` if it needs to)."""
        return PinStatus.from_json(self._call("POST", "/pins", json={"cid": cid, "name": name,
                                                                     "origins": origins}),
                                   where=f"POST {self.url}/pins")

    def upload_car(self, upload_url: str, path: Path, *,
                   advance: Callable[[str], None] | None = None) -> None:
        """POST the CAR to ``upload_url`` (streamed, with its length)."""
        with open(path, "rb") as stream:
            self._call("POST", "", url=upload_url, data=CountingReader(stream, advance),
                       headers={"Content-Type": "application/vnd.ipld.car"}, any_body=True)

    def _call(self, method: str, path: str, *, url: str | None = None, missing_ok: bool = False,
              any_body: bool = False, **kwargs: Any) -> dict[str, Any]:
        """One request; the answer's JSON object (``any_body``: any 2xx answer will do, as {})."""
        target = url or f"{self.url}{path}"
        with _http_errors(target):
            response = self._session.request(method, target, timeout=self.timeout_s, **kwargs)
        if missing_ok and response.status_code == 404:
            return {}
        if response.status_code in (401, 403):
            raise ConfigError(f"{target}: the service refused the access token (HTTP "
                              f"{response.status_code}); check the token in the environment")
        if response.status_code >= 400:
            raise DropperError(f"{method} {target}: HTTP {response.status_code}: {_reason(response)}")
        if any_body:
            return {}
        try:
            body = response.json() if response.content else {}
        except ValueError:
            body = None
        if not isinstance(body, dict):
            raise DropperError(f"{method} {target}: the answer is not a JSON object; is it a Pinning "
                               "Service API endpoint (pinning.url)?")
        return body


@contextmanager
def _http_errors(url: str) -> Iterator[None]:
    import requests

    try:
        yield
    except (requests.exceptions.MissingSchema, requests.exceptions.InvalidSchema,
            requests.exceptions.InvalidURL):
        raise ConfigError(f"{url}: not an http(s) URL; check pinning.url and pinning.upload_url "
                          "in drop.toml") from None
    except requests.Timeout:
        raise NodeUnreachable(f"{url}: the pinning service did not answer in time; run again") from None
    except requests.ConnectionError:
        raise NodeUnreachable(f"{url}: the pinning service is unreachable; check pinning.url "
                              "and the network, then run again") from None


def _reason(response: Any) -> str:
    """The spec's error reason/details, or the start of the body, on one line."""
    try:
        error = response.json().get("error") or {}
        reason = f"{error.get('reason', '')}: {error.get('details', '')}".strip(": ")
    except (ValueError, AttributeError):  # not JSON, or JSON that is not an object
        reason = response.text[:200]
    return " ".join(reason.split())
