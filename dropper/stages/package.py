"""package: one ERC-721 metadata JSON per kept song, with IPFS CIDs, checked by schema.

Refuses (exit 3) unless every kept song is cleared or waived. Token ids are 1..N in the order
of the songs' names (their file names without extension): stable while the set of kept songs
stays the same. The metadata folder is built beside the old one and swapped in whole; its CID
is the contract's base URI.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dropper import schemas
from dropper.chain.drop import CONTRACT_METADATA
from dropper.errors import DropperError, MissingInput
from dropper.files import read_json, write_if_changed, write_text
from dropper.gate import originality_block
from dropper.pipeline import SongOutcome, StageReport
from dropper.progress import Progress
from dropper.resources import load_json
from dropper.workspace import Drop, Song

STAGE = "package"
_TOKEN_KEYS = {"token_id", "song", "sha256", "title", "metadata"}
MIME = {"wav": "audio/wav", "flac": "audio/flac", "ogg": "audio/ogg", "mp3": "audio/mpeg"}


@dataclass(frozen=True)
class Packaged:
    """Where the metadata went and the CID that becomes the contract's base URI."""

    folder: Path
    root_cid: str
    tokens: list[dict[str, Any]]
    changed: bool = True

    @property
    def base_uri(self) -> str:
        return f"ipfs://{self.root_cid}/"


def run(drop: Drop, *, progress: Progress | None = None, **_: object) -> StageReport:
    """Gate, then write build/metadata/<token id>.json for every kept song and build/package.json."""
    from dropper.gate import require_clearance

    require_clearance(drop, action="package")
    kept = drop.songs("kept")
    context = DropContext.gather(drop, kept)
    _check_titles(drop, kept, context.titles)
    documents = [token_document(drop, song, context) for song in kept]
    if drop.config.catalog.base_url:
        from dropper.catalog.model import page_slugs

        slugs = page_slugs([song.name for song in kept])
        base = drop.config.catalog.base_url.rstrip("/")
        for song, document in documents:
            document["external_url"] = f"{base}/songs/{slugs[song.name]}.html"
    packaged = write_metadata(drop, documents)
    report = StageReport(stage=STAGE)
    report.songs = [SongOutcome(token["song"], token["sha256"], "done" if packaged.changed else "skipped", None,
                                {"token_id": token["token_id"], "title": token["title"]})
                    for token in packaged.tokens]
    report.notes.append(f"metadata: {drop.relative(packaged.folder)}, base URI {packaged.base_uri}")
    unknown = unknown_tags_note(kept, context.notes)
    if unknown:
        report.notes.append(unknown)
    return report


def _check_titles(drop: Drop, kept: list[Song], titles: dict[int, Any]) -> None:
    """An automatic title the blocklist now blocks needs a title run first (a human title stays:
    the title stage notes it)."""
    from dropper.titles import blocklist, is_blocked

    blocked = blocklist()
    for song in kept:
        title = titles.get(song.id)
        if title is not None and title.source == "dropper" and is_blocked(title.title, blocked):
            raise DropperError(f"{song.name}: its title {title.title!r} is now blocklisted: "
                               f"run dropper title {drop.root} to give it another")


def unknown_tags_note(kept: list[Song], notes: dict[int, Any]) -> str | None:
    """One line naming the styles and distinctions of kept songs that are not in
    metadata/vocabulary (allowed, but usually typos), with the closest known tag, whoever
    entered them: dropper annotate, the curation app or a CSV import."""
    from dropper.titles import unknown_tags

    users: dict[tuple[str, str], tuple[str, list[str]]] = {}  # (kind, folded tag) -> (tag as typed, songs)
    for song in kept:
        note = notes.get(song.id)
        if note is None:
            continue
        for kind, tags in (("styles", [note.style] if note.style else []), ("distinctions", note.distinctions)):
            for tag in tags:
                users.setdefault((kind, " ".join(tag.casefold().split())), (tag, []))[1].append(song.name)
    parts = []
    for (kind, _), (tag, names) in sorted(users.items()):
        for message in unknown_tags([tag], kind=kind):
            shown = ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
            parts.append(f"{message} on {shown}")
    if not parts:
        return None
    return "unknown tags (allowed; check for typos): " + "; ".join(parts)


@dataclass(frozen=True)
class DropContext:
    """What every token's metadata shares, read once per run rather than once per song."""

    titles: dict[int, Any]
    notes: dict[int, Any]
    waivers: dict[int, Any]
    index_hash: str
    params_hash: str
    license: dict[str, str]

    @classmethod
    def gather(cls, drop: Drop, kept: list[Song]) -> DropContext:
        from dropper import reference
        from dropper.annotations import current
        from dropper.gate import covering_waivers
        from dropper.originality import stored_results
        from dropper.stages.clear import current_key
        from dropper.stages.title import song_titles

        index = reference.open_index(drop)
        spdx = drop.config.drop.license
        key = current_key(drop, index, kept)
        # Only a waiver that covers the song's flag today makes its verdict "waived" (the gate
        # has let the rest through because they pass).
        waived, _ = covering_waivers(drop, kept, stored_results(drop, kept, key), key)
        return cls(titles=song_titles(drop), notes=current(drop), waivers=waived,
                   index_hash=index.index_hash, params_hash=key,
                   license={"spdx": spdx, **load_json("metadata", "licenses.json")[spdx]})


def token_document(drop: Drop, song: Song, context: DropContext) -> tuple[Song, dict[str, Any]]:
    """The metadata of one song (schema-checked later, with every violation listed)."""
    title = context.titles.get(song.id)
    if title is None:
        raise MissingInput(f"{song.name}: no title yet: run dropper title {drop.root}")
    renders = drop.latest_result(song, "visualize")
    if renders is None:
        raise MissingInput(f"{song.name}: not rendered yet: run dropper visualize {drop.root}")
    note = context.notes.get(song.id)
    tempo = note.tempo_bpm if note and note.tempo_bpm is not None else \
        (drop.latest_result(song, "tempo") or {}).get("tempo_bpm")
    license_ = context.license
    media = {role: f"ipfs://{cached_cid(drop, drop.absolute(path))}" for role, path in renders["files"].items()}
    waiver = context.waivers.get(song.id)
    document = {
        "name": title.title,
        "description": _description(drop, song, title.title, license_["statement"]),
        "image": media["gif"], "animation_url": media["video"], "poster": media["poster"],
        "attributes": _attributes(drop, song, note, tempo),
        "license": license_,
        "audio": {"uri": f"ipfs://{cached_cid(drop, drop.absolute(song.path))}", "sha256": song.sha256,
                  "mime_type": MIME.get(song.format, "audio/wav"), "duration_s": round(song.duration_s, 3)},
        "originality": originality_block(waiver, context.index_hash, context.params_hash),
    }
    return song, document


def cached_cid(drop: Drop, path: Path) -> str:
    """The file's CIDv1 (as kubo computes it), reused from dropper.db while it is unchanged."""
    from dropper import ipfs
    from dropper.ipfs.filecache import DropFileCache

    return ipfs.file_cid(path, cache=DropFileCache(drop))


def write_metadata(drop: Drop, documents: list[tuple[Song, dict[str, Any]]]) -> Packaged:
    """Validate all documents, then write the folder beside the old one and swap it in."""
    from dropper import ipfs

    ordered = sorted(documents, key=lambda pair: pair[0].name)
    problems = [f"{song.name}: {violation}" for song, document in ordered
                for violation in schemas.violations(document, "token-metadata.schema.json")]
    if problems:
        more = f"; and {len(problems) - 10} more" if len(problems) > 10 else ""
        raise schemas.SchemaError(f"token metadata: {len(problems)} schema violation(s): "
                                  + "; ".join(problems[:10]) + more)
    _check_unique_titles(ordered)
    folder = drop.build_dir / "metadata"
    texts = {f"{token_id}.json": json.dumps(document, indent=2, ensure_ascii=False) + "\n"
             for token_id, (_, document) in enumerate(ordered, start=1)}
    # ERC-7572 collection metadata beside the tokens: the contract's default contractURI.
    texts[CONTRACT_METADATA] = json.dumps(contract_document(drop, ordered), indent=2, ensure_ascii=False) + "\n"
    unchanged = folder.is_dir() and sorted(p.name for p in folder.iterdir()) == sorted(texts) and all(
        (folder / name).read_text(encoding="utf-8") == text for name, text in texts.items())
    fresh = drop.build_dir / ".metadata.new"
    if not unchanged:
        shutil.rmtree(fresh, ignore_errors=True)
        for name, text in texts.items():
            write_text(fresh / name, text)
        old = drop.build_dir / ".metadata.old"
        shutil.rmtree(old, ignore_errors=True)
        if folder.exists():
            os.replace(folder, old)
        os.replace(fresh, folder)
        shutil.rmtree(old, ignore_errors=True)
    root = ipfs.tree_cid(folder)
    tokens = [{"token_id": token_id, "song": song.name, "sha256": song.sha256, "title": document["name"],
               "metadata": f"{token_id}.json"} for token_id, (song, document) in enumerate(ordered, start=1)]
    summary = {"metadata_root_cid": root, "base_uri": f"ipfs://{root}/", "token_uri_suffix": ".json",
               "contract_uri": f"ipfs://{root}/{CONTRACT_METADATA}", "tokens": tokens}
    write_if_changed(drop.build_dir / "package.json", json.dumps(summary, indent=2, ensure_ascii=False) + "\n")
    return Packaged(folder, root, tokens, changed=not unchanged)


def _check_unique_titles(ordered: list[tuple[Song, dict[str, Any]]]) -> None:
    """Two tokens with one name: refused, naming both songs (titles must stay unique)."""
    first: dict[str, Song] = {}
    for song, document in ordered:
        name = str(document.get("name", ""))
        other = first.setdefault(name.casefold(), song)
        if other is not song:
            raise DropperError(f"token metadata: songs {other.name} and {song.name} have the same title {name!r}: "
                               f"titles must be unique (dropper annotate {song.name} --title ... for a title "
                               "set by hand, else dropper title)")


def read_summary(drop: Drop) -> dict[str, Any]:
    """build/package.json as :func:`package` wrote it: MissingInput before the first package, a
    DropperError naming the file when it is damaged (the way to mend both: package again)."""
    path = drop.build_dir / "package.json"
    if not path.is_file():
        raise MissingInput(f"{path}: nothing packaged yet: run dropper package {drop.root}")
    summary = read_json(path, hint=f"run dropper package {drop.root} again")
    tokens = summary.get("tokens") if isinstance(summary, dict) else None
    if not (isinstance(tokens, list) and isinstance(summary.get("metadata_root_cid"), str)
            and all(isinstance(token, dict) and _TOKEN_KEYS <= token.keys() for token in tokens)):
        raise DropperError(f"{path}: damaged (not what dropper package writes): "
                           f"run dropper package {drop.root} again")
    return summary


def contract_document(drop: Drop, ordered: list[tuple[Song, dict[str, Any]]]) -> dict[str, Any]:
    """ERC-7572 contract-level metadata (the collection), beside the token files."""
    config = drop.config
    document = {"name": config.drop.title, "symbol": config.chain.symbol,
                "description": f"{config.drop.title} by {config.drop.artist}: {len(ordered)} songs of raw audio "
                               "from a neural network trained on the band's music.",
                "image": ordered[0][1]["image"] if ordered else ""}
    if config.catalog.base_url:
        document["external_link"] = config.catalog.base_url
    return document


def _description(drop: Drop, song: Song, title: str, statement: str) -> str:
    made = f" Generated by {song.model}" + (f" at temperature {song.temperature:g}" if song.temperature else "") \
        + "." if song.model else ""
    return (f"“{title}” by {drop.config.drop.artist}, from the album {drop.config.drop.title}: "
            f"raw audio from a neural network trained on the band's music.{made} {statement}")


def _attributes(drop: Drop, song: Song, note, tempo: float | None) -> list[dict[str, Any]]:
    attributes: list[dict[str, Any]] = []
    if tempo is not None:
        attributes.append({"trait_type": "Tempo", "value": round(float(tempo), 1), "display_type": "number"})
    if song.temperature is not None:
        attributes.append({"trait_type": "Temperature", "value": song.temperature, "display_type": "number"})
    attributes.append({"trait_type": "Duration", "value": round(song.duration_s, 1), "display_type": "number"})
    if note and note.style:
        attributes.append({"trait_type": "Style", "value": note.style})
    attributes += [{"trait_type": "Distinction", "value": tag} for tag in (note.distinctions if note else ())]
    if song.model:
        attributes.append({"trait_type": "Model", "value": song.model})
    attributes.append({"trait_type": "License", "value": drop.config.drop.license})
    return attributes

