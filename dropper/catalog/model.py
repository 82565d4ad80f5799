"""What the catalog shows of each kept song, gathered from dropper.db, build/ and reports/.

One pass over the database and the small JSON files the earlier stages wrote: no audio is
read and no hash is computed here, so a 1000-song drop is gathered in well under a second.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dropper.files import read_json
from dropper.workspace import Drop

MEDIA_ROLES = ("gif", "video", "poster", "spectrogram")


@dataclass(frozen=True)
class Event:
    """One human annotation event, as the song page lists it."""

    kind: str
    value: Any
    author: str
    at: str
    undone: bool

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "value": self.value, "author": self.author, "at": self.at,
                "undone": self.undone}


@dataclass
class CatalogSong:
    """One kept song with everything its card, its page and the exports show."""

    name: str
    slug: str
    sha256: str
    title: str
    title_source: str
    duration_s: float
    temperature: float | None
    model: str | None
    tempo_bpm: float | None  # the tapped tempo when a person gave one, else the estimate; 0: no pulse
    tempo_estimate_bpm: float | None
    tempo_tapped_bpm: float | None
    style: str | None
    distinctions: tuple[str, ...]
    notes: str | None
    decision: str | None
    reason: str | None
    decided_by: str | None
    updated_at: str | None
    verdict: str | None  # originality: pass / flagged / waived / None when not cleared yet
    waiver: dict[str, Any] | None
    token_id: int | None
    metadata: dict[str, Any] | None
    media: dict[str, Path] = field(default_factory=dict)  # role -> absolute source file
    events: list[Event] = field(default_factory=list)

    @property
    def duration_clock(self) -> str:
        seconds = int(round(self.duration_s))
        return f"{seconds // 60}:{seconds % 60:02d}"

    @property
    def tempo_shown(self) -> int | None:
        """The tempo as pages show it (whole BPM); the index page's tempo filter compares this."""
        return None if self.tempo_bpm is None else int(f"{self.tempo_bpm:.0f}")

    @property
    def tempo_label(self) -> str:
        if self.tempo_bpm is None:
            return "tempo unknown"
        return "ambient (no pulse)" if self.tempo_bpm == 0 else f"{self.tempo_shown} BPM"

    def annotation_row(self) -> dict[str, Any]:
        """The flat row of catalog.csv (and the core of catalog.json)."""
        return {"token_id": self.token_id, "name": self.name, "sha256": self.sha256, "title": self.title,
                "title_source": self.title_source, "decision": self.decision, "reason": self.reason,
                "decided_by": self.decided_by, "style": self.style, "tempo_bpm": self.tempo_bpm,
                "tempo_tapped_bpm": self.tempo_tapped_bpm, "tempo_estimate_bpm": self.tempo_estimate_bpm,
                "temperature": self.temperature, "duration_s": round(self.duration_s, 3),
                "distinctions": list(self.distinctions), "notes": self.notes, "updated_at": self.updated_at,
                "originality": self.verdict}


@dataclass
class Catalog:
    """The drop's identity and its kept songs, in name order."""

    title: str
    artist: str
    license: dict[str, str]
    songs: list[CatalogSong]
    metadata_base_uri: str | None
    contract: dict[str, Any] | None = None  # chain id, network and address once published


def collect(drop: Drop) -> Catalog:
    """Gather the catalog of ``drop``'s kept songs."""
    from dropper.annotations import decisions
    from dropper.resources import load_json
    from dropper.stages.title import song_titles

    spdx = drop.config.drop.license
    license_ = {"spdx": spdx, **load_json("metadata", "licenses.json").get(spdx, {})}
    state, titles = decisions(drop), song_titles(drop)
    tokens, base_uri = _tokens(drop)
    verdicts = _verdicts(drop)
    events = _events(drop)
    kept = drop.songs("kept")
    slugs = page_slugs([song.name for song in kept])
    songs = []
    for song in kept:
        note = state[song.id]
        renders = drop.latest_result(song, "visualize") or {}
        screened = drop.latest_result(song, "screen") or {}
        estimate = (drop.latest_result(song, "tempo") or {}).get("tempo_bpm")
        files = {**renders.get("files", {}), **screened.get("files", {})}
        token_id, metadata = tokens.get(song.sha256, (None, None))
        verdict = verdicts.get(song.sha256, {})
        title = titles.get(song.id)
        songs.append(CatalogSong(
            name=song.name, slug=slugs[song.name], sha256=song.sha256,
            title=title.title if title else song.name, title_source=title.source if title else "file name",
            duration_s=song.duration_s, temperature=song.temperature, model=song.model,
            tempo_bpm=note.tempo_bpm if note.tempo_bpm is not None else estimate,
            tempo_estimate_bpm=estimate, tempo_tapped_bpm=note.tempo_bpm, style=note.style,
            distinctions=tuple(note.distinctions), notes=note.notes, decision=note.decision,
            reason=note.reason, decided_by=note.decided_by, updated_at=note.updated_at,
            verdict=verdict.get("verdict"), waiver=verdict.get("waiver"), token_id=token_id,
            metadata=metadata, events=events.get(song.id, []),
            media={role: drop.absolute(files[role]) for role in MEDIA_ROLES
                   if role in files and drop.absolute(files[role]).is_file()}))
    return Catalog(title=drop.config.drop.title, artist=drop.config.drop.artist, license=license_,
                   songs=songs, metadata_base_uri=base_uri, contract=_contract(drop))


def _contract(drop: Drop) -> dict[str, Any] | None:
    """The published contract (chain id, network, address), or None before publish."""
    from dropper.chain.publish import recorded_deployment

    deployment = recorded_deployment(drop)
    if deployment is None:
        return None
    return {"chain_id": deployment.chain_id, "network": deployment.network, "address": deployment.address}


def page_slugs(names: list[str]) -> dict[str, str]:
    """Each song's page name in the site (``songs/<slug>.html``), for names in drop order."""
    taken: set[str] = set()
    return {name: _unique_slug(name, taken) for name in names}


def _unique_slug(name: str, taken: set[str]) -> str:
    """A file-name-safe page name; a number is appended where two names would collide."""
    base = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "song"
    slug, number = base, 2
    while slug in taken:
        slug, number = f"{base}-{number}", number + 1
    taken.add(slug)
    return slug


def _tokens(drop: Drop) -> tuple[dict[str, tuple[int, dict[str, Any]]], str | None]:
    """Token id and metadata document per song hash, from build/package.json (empty before package)."""
    summary_path = drop.build_dir / "package.json"
    if not summary_path.is_file():
        return {}, None
    from dropper.stages.package import read_summary

    summary = read_summary(drop)
    tokens = {}
    for token in summary.get("tokens", []):
        path = drop.build_dir / "metadata" / token["metadata"]
        document = read_json(path, f"run dropper package {drop.root} again") if path.is_file() else None
        tokens[token["sha256"]] = (int(token["token_id"]), document)
    return tokens, summary.get("base_uri")


def _verdicts(drop: Drop) -> dict[str, dict[str, Any]]:
    """Originality verdict per song hash, from reports/originality.json (empty before clear)."""
    path = drop.reports_dir / "originality.json"
    if not path.is_file():
        return {}
    report = read_json(path, f"run dropper clear {drop.root} again")
    return {entry["sha256"]: entry for entry in report.get("songs", [])}


def _events(drop: Drop) -> dict[int, list[Event]]:
    """Every human event per song id, oldest first; undo markers themselves are left out."""
    per_song: dict[int, list[Event]] = {}
    for row in drop.db.execute("SELECT id, song_id, kind, value, author, at, undone_by FROM events ORDER BY id"):
        if row["undone_by"] == row["id"]:
            continue
        per_song.setdefault(row["song_id"], []).append(
            Event(row["kind"], json.loads(row["value"]), row["author"], row["at"], row["undone_by"] is not None))
    return per_song
