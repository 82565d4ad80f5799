"""A small IPFS Pinning Service API server backed by a node's kubo RPC API, for tests.

Implements the spec's /pins endpoints (list with cid/status/limit filters, add, get, delete)
with bearer-token auth, plus POST /upload taking a CAR (imported into the node), as services
that need the data offer. A request goes queued -> pinning -> pinned as it is polled: pinning
asks the node to pin, which succeeds once the blocks are there (uploaded, or already held);
after ``--give-up`` polls without the blocks it is failed.

Run: ``python -m tests.ipfs_servers.pinning_service --port 8000 --node http://127.0.0.1:5001
--token-env PSA_TOKEN`` (the token is read from that environment variable).
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import tempfile
from datetime import UTC, datetime

import requests
from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool


class Requests:
    """Pin requests in memory, newest last."""

    def __init__(self, node: str, give_up: int) -> None:
        self.node = node.rstrip("/")
        self.give_up = give_up
        self.items: dict[str, dict] = {}
        self.polls: dict[str, int] = {}
        self.ids = itertools.count(1)

    def add(self, pin: dict) -> dict:
        request_id = f"req-{next(self.ids)}"
        self.items[request_id] = {"requestid": request_id, "status": "queued", "created": _now(),
                                  "pin": pin, "delegates": ["/ip4/127.0.0.1/tcp/4001/p2p/psa"], "info": {}}
        self.polls[request_id] = 0
        return self.items[request_id]

    def advance(self, request_id: str) -> dict:
        """One step of the request's life, taken when a client looks at it."""
        item = self.items[request_id]
        if item["status"] == "queued":
            item["status"] = "pinning"
        elif item["status"] == "pinning":
            self.polls[request_id] += 1
            reply = requests.post(f"{self.node}/api/v0/pin/add", params={"arg": item["pin"]["cid"]}, timeout=60)
            if reply.status_code == 200:
                item["status"] = "pinned"
            elif self.polls[request_id] >= self.give_up:
                item["status"] = "failed"
                item["info"] = {"reason": reply.json().get("Message", "")}
        return item


def create_app(node: str, token: str, give_up: int = 20) -> FastAPI:
    state = Requests(node, give_up)
    app = FastAPI()

    def authorized(request: Request) -> None:
        if request.headers.get("authorization") != f"Bearer {token}":
            raise HTTPException(401, "UNAUTHORIZED")

    @app.exception_handler(HTTPException)
    async def spec_error(request: Request, error: HTTPException) -> JSONResponse:
        return JSONResponse({"error": {"reason": str(error.detail), "details": ""}}, status_code=error.status_code)

    @app.get("/pins", dependencies=[Depends(authorized)])
    def list_pins(cid: str | None = None, status: str = "pinned", limit: int = 10) -> dict:
        wanted_cids = set(cid.split(",")) if cid else None
        wanted_status = set(status.split(","))
        found = [item for item in reversed(list(state.items.values()))
                 if (wanted_cids is None or item["pin"]["cid"] in wanted_cids) and item["status"] in wanted_status]
        return {"count": len(found), "results": found[:limit]}

    @app.post("/pins", status_code=202, dependencies=[Depends(authorized)])
    async def add_pin(request: Request) -> dict:
        body = await request.json()
        if not isinstance(body.get("cid"), str):
            raise HTTPException(400, "BAD_REQUEST")
        return state.add({"cid": body["cid"], "name": body.get("name"), "origins": body.get("origins", []),
                          "meta": body.get("meta", {})})

    @app.get("/pins/{request_id}", dependencies=[Depends(authorized)])
    def get_pin(request_id: str) -> dict:
        if request_id not in state.items:
            raise HTTPException(404, "NOT_FOUND")
        return state.advance(request_id)

    @app.delete("/pins/{request_id}", status_code=202, dependencies=[Depends(authorized)])
    def delete_pin(request_id: str) -> None:
        if state.items.pop(request_id, None) is None:
            raise HTTPException(404, "NOT_FOUND")

    @app.post("/upload", dependencies=[Depends(authorized)])
    async def upload(request: Request) -> dict:
        # Imported into the node as `ipfs dag import --pin-roots=false` would: pins come from
        # pin requests only.
        with tempfile.TemporaryFile() as car:
            async for chunk in request.stream():
                await run_in_threadpool(car.write, chunk)
            await run_in_threadpool(car.seek, 0)
            reply = await run_in_threadpool(
                requests.post, f"{node}/api/v0/dag/import", params={"pin-roots": "false"},
                files={"file": ("upload.car", car)}, timeout=600)
        if reply.status_code != 200:
            raise HTTPException(400, f"BAD_CAR: {reply.text[:200]}")
        lines = [json.loads(line) for line in reply.text.splitlines() if line.strip()]
        return {"roots": [line["Root"]["Cid"]["/"] for line in lines]}

    return app


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def main() -> None:
    import uvicorn

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--node", required=True, help="The backing node's RPC API URL.")
    parser.add_argument("--token-env", required=True, help="Environment variable holding the token.")
    parser.add_argument("--give-up", type=int, default=20, help="Polls before a pin without blocks fails.")
    options = parser.parse_args()
    app = create_app(options.node, os.environ[options.token_env], options.give_up)
    uvicorn.run(app, host=options.host, port=options.port, log_level="warning")


if __name__ == "__main__":
    main()
