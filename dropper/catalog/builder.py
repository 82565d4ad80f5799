"""``dropper catalog``: build the drop's static site in ``site/``, beside the old one, then swap.

Pages are rendered from the package's Jinja2 templates; media are hard-linked (copied across
file systems) under their content-hash build names; links are relative, so the folder works
from file:// and from any static server.
"""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dropper import schemas
from dropper.catalog import album
from dropper.catalog.model import Catalog, CatalogSong, collect
from dropper.templates import render_template
from dropper.workspace import Drop

DEFAULT_IPFS_GATEWAY = "https://ipfs.io/ipfs/"
SITE_DIR = "site"
ASSETS = ("catalog.css", "catalog.js")
# A song page shows whatever of these exists (a failed render leaves a song without video).
MEDIA_ROLES = {"video": None, "poster": None, "gif": None, "spectrogram": None}
CSV_FIELDS = ("token_id", "name", "sha256", "title", "title_source", "decision", "reason", "decided_by",
              "style", "tempo_bpm", "tempo_tapped_bpm", "tempo_estimate_bpm", "temperature", "duration_s",
              "distinctions", "notes", "updated_at", "originality")
_ASSET_DIR = Path(__file__).resolve().parent.parent / "templates" / "catalog"


@dataclass
class SiteReport:
    """What ``build_site`` wrote, for people (:meth:`summary`) and scripts (:meth:`to_dict`)."""

    folder: Path
    songs: int = 0
    pages: int = 0
    media_linked: int = 0
    media_copied: int = 0
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)
    exit_code: int = 0

    def summary(self) -> str:
        return (f"catalog: {self.songs} songs, {self.pages} pages, "
                f"{self.media_linked + self.media_copied} media files in {self.folder} ({self.seconds:.1f} s)")

    def to_dict(self) -> dict[str, Any]:
        return {"stage": "catalog", "folder": str(self.folder), "songs": self.songs, "pages": self.pages,
                "media_linked": self.media_linked, "media_copied": self.media_copied,
                "seconds": round(self.seconds, 3), "notes": self.notes}


def build_site(drop: Drop, *, gateway: str = DEFAULT_IPFS_GATEWAY, catalog: Catalog | None = None,
               reference_clips: bool = False) -> SiteReport:
    """Build ``<drop>/site/`` from the kept songs; IPFS links go through ``gateway``.

    ``catalog`` is ``collect(drop)`` where the caller already has it. The site's copy of the
    originality report leaves out the audio clips of the reference (training) tracks unless
    ``reference_clips``: they stay in the auditor's report, reports/originality.html, which the
    public copy links to.
    """
    started = time.perf_counter()
    catalog = collect(drop) if catalog is None else catalog
    final, fresh = drop.root / SITE_DIR, drop.root / f"{SITE_DIR}.new"
    exported = _catalog_json(catalog)  # checked first: an invalid export leaves site/ as it was
    schemas.validate(json.loads(exported), "catalog.schema.json", source="site/catalog.json")
    shutil.rmtree(fresh, ignore_errors=True)
    report = SiteReport(folder=final, songs=len(catalog.songs))
    try:
        _fill(drop, fresh, catalog, gateway, exported, report, reference_clips=reference_clips)
    except BaseException:
        shutil.rmtree(fresh, ignore_errors=True)
        raise
    _swap(fresh, final)
    report.seconds = time.perf_counter() - started
    return report


def _fill(drop: Drop, fresh: Path, catalog: Catalog, gateway: str, exported: str, report: SiteReport, *,
          reference_clips: bool) -> None:
    """Write every file of the site into ``fresh``."""
    media = _place_media(catalog.songs, fresh / "media", report)
    has_report = (_copy_report(drop, fresh, "originality", "Originality report", "run dropper clear")
                  if reference_clips else _public_originality(drop, fresh))
    if not has_report:
        report.notes.append("no originality report yet (run dropper clear): footers link to a placeholder")
    _copy_report(drop, fresh, "carbon", "Carbon report", "run dropper carbon")
    context = {"album": catalog, "gateway": gateway.rstrip("/") + "/", "has_report": has_report}
    for asset in ASSETS:
        shutil.copyfile(_ASSET_DIR / asset, _ensure_dir(fresh / "assets") / asset)
    pages = {"index.html": render_template("catalog/index.html.j2", root="", page="index",
                                           cards=[_card(s, media) for s in catalog.songs],
                                           filters=_filters(catalog.songs), **context),
             "album.html": render_template("catalog/album.html.j2", root="", page="album",
                                           figures=album.figures(catalog.songs), **context)}
    for position, song in enumerate(catalog.songs):
        neighbours = (catalog.songs[position - 1] if position else None,
                      catalog.songs[position + 1] if position + 1 < len(catalog.songs) else None)
        pages[f"songs/{song.slug}.html"] = render_template(
            "catalog/song.html.j2", root="../", page="song", song=song,
            media={**MEDIA_ROLES, **media.get(song.sha256, {})},
            ipfs=_ipfs_links(song, catalog, gateway), previous=neighbours[0], next=neighbours[1], **context)
    for name, text in pages.items():
        _write(fresh / name, text)
    _write(fresh / "catalog.json", exported)
    _write(fresh / "catalog.csv", _catalog_csv(catalog))
    report.pages = len(pages)


def _ensure_dir(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    return path


def _write(path: Path, text: str) -> None:
    # The whole folder is new and swapped in at the end, so a plain write is already atomic
    # for readers of site/; write_text adds a rename per file that 1000 pages do not need.
    _ensure_dir(path.parent)
    path.write_text(text, encoding="utf-8")


def _place_media(songs: list[CatalogSong], folder: Path, report: SiteReport) -> dict[str, dict[str, str]]:
    """Hard-link (or copy) each song's media into ``folder``; returns role -> site path per song."""
    _ensure_dir(folder)
    placed: dict[str, dict[str, str]] = {}
    for song in songs:
        for role, source in song.media.items():
            # Build names are content hashes (same name, same bytes); a folder per role keeps
            # a poster and a spectrogram of one song apart.
            target = folder / role / source.name
            if not target.exists():
                _ensure_dir(target.parent)
                try:
                    os.link(source, target)
                    report.media_linked += 1
                except OSError:
                    shutil.copyfile(source, target)
                    report.media_copied += 1
            placed.setdefault(song.sha256, {})[role] = f"media/{role}/{source.name}"
    return placed


def _copy_report(drop: Drop, site: Path, name: str, title: str, hint: str) -> bool:
    """Copy reports/<name>.html (and its asset folder, if any) into the site; False when missing."""
    html = drop.reports_dir / f"{name}.html"
    if not html.is_file():
        _write(site / f"{name}.html", f"<!doctype html><meta charset=utf-8><title>{title}</title>"
               f"<p>The {title.lower()} has not been written yet ({hint}).</p>")
        return False
    shutil.copyfile(html, site / f"{name}.html")
    assets = drop.reports_dir / name
    if assets.is_dir():
        shutil.copytree(assets, site / name, copy_function=_link_or_copy)
    return True


AUDITOR_REPORT = "../reports/originality.html"  # from site/originality.html, in the drop and in the CAR


def _public_originality(drop: Drop, site: Path) -> bool:
    """The originality report for the public: the auditor's page rendered again without the audio
    clips of the reference (training) tracks, each flag linking to the auditor's report instead.
    Spectrogram excerpts and the drop's own clips are kept. False when there is no report yet."""
    from dropper.files import read_json
    from dropper.originality_html import EXCERPT_SR, PAD_S

    source = drop.reports_dir / "originality.json"
    if not (drop.reports_dir / "originality.html").is_file() or not source.is_file():
        return _copy_report(drop, site, "originality", "Originality report", "run dropper clear")
    document = read_json(source, f"run dropper clear {drop.root} again")
    excerpts, published = drop.reports_dir / "originality", site / "originality"

    def excerpt(stem: str, start_s: float, *, audio: bool) -> dict[str, str | None] | None:
        if not (excerpts / f"{stem}.png").is_file():
            return None  # the audio was not available when the report was written
        for suffix in (".png", ".ogg") if audio else (".png",):
            if (excerpts / f"{stem}{suffix}").is_file():
                _ensure_dir(published)
                _link_or_copy(str(excerpts / f"{stem}{suffix}"), str(published / f"{stem}{suffix}"))
        first = max(0, int((start_s - PAD_S) * EXCERPT_SR))
        return {"image": f"{published.name}/{stem}.png", "from_s": f"{first / EXCERPT_SR:.2f}",
                "audio": f"{published.name}/{stem}.ogg" if audio else None}

    flags = []
    for song in document["songs"]:
        for number, match in enumerate(song["matches"], start=1):
            stem = f"{song['name']}-{number}"
            flags.append({"song": song, "match": match, "number": number,
                          "query": excerpt(f"{stem}-song", match["query_start_s"], audio=True),
                          "other": excerpt(f"{stem}-{match['source']}", match["reference_start_s"],
                                           audio=match["source"] != "reference")})
    _write(site / "originality.html", render_template("originality.html.j2", report=document, flags=flags,
                                                      folder=published.name, auditor_report=AUDITOR_REPORT))
    return True


def _link_or_copy(source: str, target: str) -> None:
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)


def _swap(fresh: Path, final: Path) -> None:
    """Put ``fresh`` in place of ``final``: two renames, so site/ is never half-written."""
    old = final.with_name(f"{final.name}.old")
    shutil.rmtree(old, ignore_errors=True)
    if final.exists():
        os.replace(final, old)
    os.replace(fresh, final)
    shutil.rmtree(old, ignore_errors=True)


def _card(song: CatalogSong, media: dict[str, dict[str, str]]) -> dict[str, Any]:
    files = media.get(song.sha256, {})
    text = " ".join(filter(None, [song.title, song.name, song.style, *song.distinctions, song.notes]))
    # The page lower-cases the query with JavaScript's toLowerCase, which Python's lower() matches;
    # the case-folded form is added where it differs, so "strasse" finds "Straße" too.
    search = text.lower() if text.lower() == text.casefold() else f"{text.lower()}\n{text.casefold()}"
    return {"song": song, "href": f"songs/{song.slug}.html", "gif": files.get("gif"),
            "poster": files.get("poster"), "search": search}


def _filters(songs: list[CatalogSong]) -> dict[str, Any]:
    tempos = [s.tempo_shown for s in songs if s.tempo_shown is not None]
    temperatures = [s.temperature for s in songs if s.temperature is not None]
    return {"styles": sorted({s.style for s in songs if s.style}),
            "tags": sorted({tag for s in songs for tag in s.distinctions}),
            "tempo": (min(tempos, default=0), max(tempos, default=0)),
            "temperature": (min(temperatures, default=0.0), max(temperatures, default=0.0))}


def _ipfs_links(song: CatalogSong, catalog: Catalog, gateway: str) -> list[dict[str, str]]:
    """(what, ipfs:// URI, gateway URL) for the song's token metadata and its media."""
    gateway = gateway.rstrip("/") + "/"
    document = song.metadata or {}
    uris = []
    if catalog.metadata_base_uri and song.token_id is not None:
        uris.append(("token metadata", f"{catalog.metadata_base_uri}{song.token_id}.json"))
    uris += [(what, document[key]) for what, key in (("video", "animation_url"), ("timelapse GIF", "image"),
                                                     ("poster", "poster")) if document.get(key)]
    if (document.get("audio") or {}).get("uri"):
        uris.append(("audio", document["audio"]["uri"]))
    return [{"what": what, "uri": uri, "url": gateway + uri.removeprefix("ipfs://")} for what, uri in uris]


def _catalog_json(catalog: Catalog) -> str:
    songs = [{**song.annotation_row(), "events": [event.to_dict() for event in song.events]}
             for song in catalog.songs]
    return json.dumps({"album": catalog.title, "artist": catalog.artist, "license": catalog.license,
                       "songs": songs}, indent=2, ensure_ascii=False) + "\n"


def _catalog_csv(catalog: Catalog) -> str:
    buffer = io.StringIO()
    rows = [song.annotation_row() for song in catalog.songs]
    writer = csv.DictWriter(buffer, fieldnames=CSV_FIELDS, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({**row, "distinctions": "; ".join(row["distinctions"])})
    return buffer.getvalue()
