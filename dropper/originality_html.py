"""The originality report as a page for an auditor: summary first, then every flag with both
spectrogram excerpts side by side and both audio snippets to listen to."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from dropper import audio, ogg
from dropper.errors import DropperError
from dropper.files import write_if_changed
from dropper.templates import render_template
from dropper.workspace import Drop

PAD_S = 1.0  # context around each copied passage in the excerpts
EXCERPT_SR = 22050


def render(drop: Drop, document: dict[str, Any], excerpt_dir: Path) -> str:
    """HTML text of the report; writes the excerpt audio and spectrograms into ``excerpt_dir``."""
    sources = _audio_sources(drop)
    flags, written = [], set()
    for song in document["songs"]:
        for number, match in enumerate(song["matches"], start=1):
            stem = f"{song['name']}-{number}"
            query = _excerpt(sources.get(song["sha256"]), match["query_start_s"], match["query_end_s"],
                             excerpt_dir, f"{stem}-song")
            other = _excerpt(sources.get(match["track_id"]), match["reference_start_s"],
                             match["reference_end_s"], excerpt_dir, f"{stem}-{match['source']}")
            flags.append({"song": song, "match": match, "number": number, "query": query, "other": other})
            written.update(Path(part[key]).name for part in (query, other) if part for key in ("audio", "image"))
    _remove_stale(excerpt_dir, keep=written)
    return render_template("originality.html.j2", report=document, flags=flags,
                           folder=excerpt_dir.name)


def _remove_stale(folder: Path, *, keep: set[str]) -> None:
    """Drop excerpts of earlier reports: the folder is published with the report."""
    if folder.is_dir():
        for path in folder.iterdir():
            if path.suffix in (".ogg", ".png") and path.name not in keep:
                path.unlink()


def _audio_sources(drop: Drop) -> dict[str, Path]:
    sources = {row["sha256"]: Path(row["path"]) for row in drop.db.execute("SELECT sha256, path FROM reference_tracks")}
    sources.update({song.sha256: drop.absolute(song.path) for song in drop.songs("all")})
    return sources


def _excerpt(path: Path | None, start_s: float, end_s: float, folder: Path, stem: str) -> dict[str, str] | None:
    """Write ``stem``.ogg and ``stem``.png for the passage (with context); None if the audio is gone."""
    from dropper.spectrogram import png_bytes, render_spectrogram

    if path is None or not path.exists():
        return None
    try:
        y, sr = audio.load(path, sr=EXCERPT_SR, mono=True)
    except DropperError:
        return None
    first = max(0, int((start_s - PAD_S) * sr))
    clip = np.ascontiguousarray(y[first:int((end_s + PAD_S) * sr)])
    if clip.size < sr // 10:
        return None
    write_if_changed(folder / f"{stem}.ogg", ogg.vorbis_bytes(clip, sr))
    write_if_changed(folder / f"{stem}.png", png_bytes(render_spectrogram(clip, sr, width=480, height=160)))
    return {"audio": f"{folder.name}/{stem}.ogg", "image": f"{folder.name}/{stem}.png",
            "from_s": f"{first / sr:.2f}"}
