"""The curation web app: one page, a JSON API over the drop's database, audio by song id.

Every request needs the access token (``?token=`` or the ``X-Dropper-Token`` header) or is
refused with 403; a request naming a file path (``..``, encoded slashes) gets 404. Each
request opens its own database connection, and every edit is committed before the answer.
"""

from __future__ import annotations

import json
import mimetypes
import secrets
from collections.abc import Awaitable, Callable
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

from dropper import annotations
from dropper.curate import queue as queue_module
from dropper.errors import DropperError
from dropper.workspace import Drop, Song

STATIC_DIR = Path(__file__).resolve().parent / "static"
VENDOR_FILE = STATIC_DIR / "vendor" / "wavesurfer.min.js"
STATIC_FILES = {"curate.js": STATIC_DIR / "curate.js", "curate.css": STATIC_DIR / "curate.css",
                "wavesurfer.min.js": VENDOR_FILE}
TOKEN_HEADER = "x-dropper-token"
EDIT_FIELDS = {"decision", "reason", "style", "tempo_bpm", "add_tags", "remove_tags", "notes"}
# Raw request targets holding any of these name a path, not a song: refused before routing.
_PATH_MARKERS = (b"..", b"%2e", b"%2f", b"%5c", b"\\", b"//")

Scope = dict[str, Any]
ASGIApp = Callable[[Scope, Callable, Callable], Awaitable[None]]


class Guard:
    """ASGI middleware: 403 without the token, 404 for anything that looks like a file path."""

    def __init__(self, app: ASGIApp, token: str):
        self.app = app
        self.token = token.encode()

    async def __call__(self, scope: Scope, receive: Callable, send: Callable) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        query = scope.get("query_string", b"")
        headers = dict(scope.get("headers", []))
        given = headers.get(TOKEN_HEADER.encode()) or dict(parse_qsl(query.decode("latin-1"))).get(
            "token", "").encode()
        if not secrets.compare_digest(given, self.token):
            await _plain(send, 403, "forbidden: open the URL that `dropper curate` printed "
                                    "(it carries the access token)")
        elif names_a_path(scope.get("raw_path") or scope["path"].encode(), query):
            await _plain(send, 404, "not found: songs are served by id only, never by path")
        else:
            await self.app(scope, receive, send)


def names_a_path(raw_path: bytes, query: bytes) -> bool:
    """True when the request target holds path syntax (``..``, ``//``, encoded slashes)."""
    target = (raw_path + b"?" + query).lower()
    return any(marker in target for marker in _PATH_MARKERS) or b"/" in query.replace(b"%2f", b"/")


async def _plain(send: Callable, status: int, text: str) -> None:
    body = text.encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"text/plain; charset=utf-8"),
                            (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


def create_app(root: str | Path, *, token: str, author: str) -> Any:
    """The ASGI app for the drop in ``root``; ``author`` signs edits that name nobody."""
    from fastapi import FastAPI, HTTPException
    from fastapi.responses import FileResponse, HTMLResponse, JSONResponse

    root = Path(root).resolve()
    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)

    def opened() -> Drop:  # one connection per request: sqlite3 connections stay in their thread
        return Drop.open(root)

    def song_or_404(drop: Drop, song_id: int) -> Song:
        row = drop.db.execute("SELECT * FROM songs WHERE id = ?", (song_id,)).fetchone()
        if row is None:
            raise HTTPException(404, f"no song with id {song_id}")
        return Song.from_row(row)

    @app.get("/", response_class=HTMLResponse)
    def page() -> str:
        with opened() as drop:
            return render_page(drop, token=token, author=author)

    @app.get("/api/queue")
    def queue_json() -> JSONResponse:  # plain JSON: no response-model validation of 1000 rows
        with opened() as drop:
            songs = queue_module.load_queue(drop)
        return JSONResponse({"progress": vars(queue_module.progress(songs)),
                             "songs": [song.to_dict() for song in songs]})

    @app.get("/api/songs/{song_id:int}")
    def song_json(song_id: int) -> dict[str, Any]:
        with opened() as drop:
            return queue_module.load_song(drop, song_or_404(drop, song_id)).to_dict()

    @app.get("/api/songs/{song_id:int}/peaks")
    def peaks_json(song_id: int) -> dict[str, Any]:
        from dropper.curate.waveform import peaks

        with opened() as drop:
            song = song_or_404(drop, song_id)
            path = drop.absolute(song.path)
        try:
            return {"duration_s": song.duration_s, "peaks": peaks(path)}
        except (OSError, DropperError) as exc:
            raise HTTPException(404, f"{song.name}: audio unavailable ({exc})") from None

    @app.post("/api/songs/{song_id:int}")
    def edit(song_id: int, payload: dict[str, Any]) -> Any:
        with opened() as drop:
            song = song_or_404(drop, song_id)
            try:
                recorded = annotations.apply_edits(drop, song, author=_author(payload, author),
                                                   expected_revision=_revision(payload),
                                                   **_edit_fields(payload))
            except annotations.EditConflict as exc:
                return _conflict(drop, song, exc)
            except (DropperError, ValueError, TypeError) as exc:  # a bad value: say which
                return JSONResponse({"error": str(exc)}, status_code=400)
            return {"song": queue_module.load_song(drop, song).to_dict(), "recorded": recorded}

    @app.post("/api/songs/{song_id:int}/undo")
    def undo(song_id: int, payload: dict[str, Any]) -> Any:
        with opened() as drop:
            song = song_or_404(drop, song_id)
            try:
                kind = annotations.undo_last(drop, song, author=_author(payload, author),
                                             expected_revision=_revision(payload))
            except annotations.EditConflict as exc:
                return _conflict(drop, song, exc)
            return {"undone": kind, "song": queue_module.load_song(drop, song).to_dict()}

    @app.get("/audio/{song_id:int}")
    def audio(song_id: int) -> FileResponse:
        with opened() as drop:
            song = song_or_404(drop, song_id)
            path = drop.absolute(song.path)
        if not path.is_file():
            raise HTTPException(404, f"{song.name}: the audio file is gone from {path.parent}")
        return FileResponse(path, media_type=mimetypes.guess_type(path.name)[0] or "application/octet-stream",
                            headers={"Cache-Control": "private, max-age=3600"})

    @app.get("/spectrogram/{song_id:int}")
    def spectrogram(song_id: int) -> FileResponse:
        with opened() as drop:
            song = song_or_404(drop, song_id)
            path = queue_module.spectrogram_path(drop, song)
        if path is None:
            raise HTTPException(404, f"{song.name}: no spectrogram yet (run: dropper screen)")
        return FileResponse(path, media_type="image/png", headers={"Cache-Control": "private, max-age=600"})

    @app.get("/static/{name}")
    def static(name: str) -> FileResponse:
        path = STATIC_FILES.get(name)
        if path is None or not path.is_file():
            raise HTTPException(404, f"no static file {name!r}")
        return FileResponse(path, headers={"Cache-Control": "private, max-age=60"})

    return Guard(app, token)


def render_page(drop: Drop, *, token: str, author: str) -> str:
    """The whole page, with the queue and the vocabularies inlined (one request opens it)."""
    from markupsafe import Markup

    from dropper.titles import load_vocabulary

    songs = queue_module.load_queue(drop)
    bootstrap = {
        "token": token, "author": author, "title": drop.config.drop.title,
        "progress": vars(queue_module.progress(songs)), "songs": [song.to_dict() for song in songs],
        "styles": load_vocabulary("styles"), "style_keys": list(drop.config.curate.style_keys),
        "distinctions": load_vocabulary("distinctions"), "used_tags": queue_module.used_tags(songs),
        "waveform": VENDOR_FILE.is_file()}
    # "<" escaped so that no value can close the <script> element it sits in.
    inline = Markup(json.dumps(bootstrap, separators=(",", ":")).replace("<", "\\u003c"))
    return _templates().get_template("curate.html.j2").render(
        title=drop.config.drop.title, token=token, bootstrap=inline, waveform=VENDOR_FILE.is_file())


@cache
def _templates() -> Any:
    from jinja2 import Environment, PackageLoader, StrictUndefined

    # As dropper.templates: autoescape=True (select_autoescape() would not escape *.html.j2).
    return Environment(loader=PackageLoader("dropper.curate", "templates"), autoescape=True,
                       undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)


def _author(payload: dict[str, Any], default: str) -> str:
    given = payload.get("author")
    return given.strip()[:80] if isinstance(given, str) and given.strip() else default


def _revision(payload: dict[str, Any]) -> int | None:
    value = payload.get("revision")
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _edit_fields(payload: dict[str, Any]) -> dict[str, Any]:
    fields = {key: value for key, value in payload.items() if key in EDIT_FIELDS}
    for key in ("add_tags", "remove_tags"):
        fields[key] = tuple(str(tag) for tag in fields.get(key) or ())
    return fields


def _conflict(drop: Drop, song: Song, exc: annotations.EditConflict) -> Any:
    from fastapi.responses import JSONResponse

    return JSONResponse({"error": str(exc), "song": queue_module.load_song(drop, song).to_dict()},
                        status_code=409)
