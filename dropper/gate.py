"""The clearance gate and its waivers: nothing is packaged or published uncleared.

``require_clearance`` passes only when every kept song has a passing clearance made against
the current reference index with the current parameters, or a recorded waiver (reason and
name) that covers its current flag — which then appears in the originality report and the
manifest.

A waiver covers what it waived: it records the params hash of the clearance it was made
against, that clearance's verdict and the reference (or drop) track of each of its matches.
A later clearance (a changed index or parameters) stays waived while its matches are to those
same tracks; a match to another track, or a failed scan of another clearance, needs a new
waiver; a failed scan is covered only by a waiver of that failed scan. Waivers recorded before
dropper kept their scope (``covers`` NULL) are read as covering the clearance results that
existed when they were recorded, and no later one (nor one recorded in the same second: the
timestamps have whole seconds, and the doubt refuses).

A clearance is of a song's content: a kept song whose file no longer holds the content it was
ingested (and cleared) with is refused, as is a reference index without tracks. ``publish``
also refuses a package (build/package.json and its token metadata) that is not the one
``package`` would write now: other songs than the kept ones, or an originality block (verdict,
index and params hash, waiver) that is not today's.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from dropper.db import now
from dropper.errors import ConfigError, DropperError, GateRefused, MissingInput
from dropper.workspace import Drop, Song


@dataclass(frozen=True)
class Waiver:
    song_id: int
    reason: str
    author: str
    at: str
    covers: dict[str, Any] | None = None  # None: recorded before waivers kept their scope

    def to_dict(self) -> dict[str, str]:
        return {"reason": self.reason, "author": self.author, "at": self.at}


def check_reason(reason: str | None) -> str:
    """The waiver's reason, stripped; ConfigError when there is none."""
    if not reason or not reason.strip():
        raise ConfigError("--waive needs --reason: say why this song may be published despite its flag")
    return reason.strip()


def current_result(drop: Drop, song: Song) -> tuple[str, dict[str, Any] | None]:
    """The params hash of today's clearance and the song's result under it (None: not cleared)."""
    from dropper import reference
    from dropper.originality import stored_results
    from dropper.stages.clear import current_key

    index = reference.open_index(drop)
    key = current_key(drop, index, drop.songs("kept"))
    return key, stored_results(drop, [song], key)[song.sha256]


def waive(drop: Drop, song: Song, *, reason: str, author: str) -> Waiver:
    """Record that ``song`` may be published despite its current clearance flag, and why.

    The waiver covers that flag: the matched tracks of the song's clearance under today's
    index and parameters (see the module docstring). Refused for a song without such a
    clearance, or one that passes it."""
    reason = check_reason(reason)
    if song.id not in {kept.id for kept in drop.songs("kept")}:
        raise ConfigError(f"{song.name} is not kept: only kept songs are cleared and published, "
                          "so there is nothing to waive")
    key, result = current_result(drop, song)
    if result is None:
        raise MissingInput(f"{song.name}: not cleared against the current index and parameters yet: run "
                           f"dropper clear {drop.root}, then waive what it flags")
    if result.get("verdict") == "pass":
        raise ConfigError(f"{song.name} passes its clearance: there is nothing to waive")
    covers = {"params_hash": key, "verdict": result.get("verdict"),
              "matches": sorted(({"source": m.get("source"), "track_id": m["track_id"],
                                  "track_name": m.get("track_name")} for m in result.get("matches", [])),
                                key=lambda m: (str(m["source"]), m["track_id"]))}
    drop.db.execute("UPDATE waivers SET revoked_at = ? WHERE song_id = ? AND revoked_at IS NULL",
                    (now(), song.id))
    at = now()
    drop.db.execute("INSERT INTO waivers (song_id, reason, author, at, covers) VALUES (?, ?, ?, ?, ?)",
                    (song.id, reason, author, at, json.dumps(covers, sort_keys=True)))
    return Waiver(song.id, reason, author, at, covers)


def revoke(drop: Drop, song: Song) -> bool:
    """Revoke the song's waiver; True if there was one."""
    cursor = drop.db.execute("UPDATE waivers SET revoked_at = ? WHERE song_id = ? AND revoked_at IS NULL",
                             (now(), song.id))
    return cursor.rowcount > 0


def waivers(drop: Drop) -> dict[int, Waiver]:
    """The live waiver of each song that has one (whether or not it covers the song's flag today:
    see :func:`covering_waivers`)."""
    rows = drop.db.execute("SELECT song_id, reason, author, at, covers FROM waivers WHERE revoked_at IS NULL")
    return {row["song_id"]: Waiver(row["song_id"], row["reason"], row["author"], row["at"],
                                   json.loads(row["covers"]) if row["covers"] else None) for row in rows}


def uncovered(drop: Drop, waiver: Waiver, song: Song, result: dict[str, Any], key: str) -> str | None:
    """Why ``waiver`` does not cover the song's ``result`` under params hash ``key``; None if it does."""
    if waiver.covers is None:
        row = drop.db.execute("SELECT created_at FROM results WHERE sha256 = ? AND stage = 'clear' "
                              "AND params_hash = ?", (song.sha256, key)).fetchone()
        # Strictly earlier: a result of the waiver's own second may have been written after it.
        if row is not None and row["created_at"] < waiver.at:
            return None
        return (f"its waiver of {waiver.at} predates this clearance and does not say what it waived: "
                "look at the flag and waive it again")
    if result.get("verdict") == "failed":
        if waiver.covers.get("params_hash") == key and waiver.covers.get("verdict") == "failed":
            return None
        return "its waiver was recorded for another clearance, not this failed scan: waive it again"
    covered = {(m.get("source"), m["track_id"]) for m in waiver.covers.get("matches", [])}
    new = sorted({m.get("track_name") or m["track_id"] for m in result.get("matches", [])
                  if (m.get("source"), m["track_id"]) not in covered})
    if not new:
        return None
    waived = sorted({str(m.get("track_name") or m["track_id"]) for m in waiver.covers.get("matches", [])})
    return (f"its waiver covers {', '.join(waived) or 'no match'}, not the new match(es) to {', '.join(new)}: "
            "look at them and waive again")


def covering_waivers(drop: Drop, songs: list[Song], results: dict[str, dict[str, Any] | None],
                     key: str) -> tuple[dict[int, Waiver], dict[int, str]]:
    """The live waivers that cover their song's current flag, and why each other one does not."""
    live, covering, stale = waivers(drop), {}, {}
    for song in songs:
        waiver, result = live.get(song.id), results.get(song.sha256)
        if waiver is None or result is None or result.get("verdict") == "pass":
            continue
        why = uncovered(drop, waiver, song, result, key)
        if why is None:
            covering[song.id] = waiver
        else:
            stale[song.id] = why
    return covering, stale


def require_clearance(drop: Drop, *, action: str, check_package: bool | None = None) -> None:
    """Raise GateRefused (exit 3) unless every kept song is cleared or waived, today.

    With ``check_package`` (default: for ``action="publish"``) the package must also be what
    ``package`` would write now (:func:`package_problems`): publish sends the package, not the
    database, so a package made before a song was rejected, kept, flagged or waived is refused."""
    from dropper import reference
    from dropper.originality import stored_results
    from dropper.pipeline import params_hash
    from dropper.stages.clear import STAGE, VERSION, clearance_params

    songs = drop.songs("kept")
    if not songs:
        raise GateRefused(f"{action} refused: the drop has no kept songs")
    try:
        index = reference.open_index(drop)
    except MissingInput as exc:
        raise GateRefused(f"{action} refused: clearance is mandatory and {exc}") from None
    if not index.tracks:
        raise GateRefused(f"{action} refused: clearance is mandatory and the reference index "
                          f"{reference.index_folder(drop)} holds no tracks; add the training catalog with: "
                          "dropper reference add PATH...")
    params = clearance_params(drop, index, songs)
    key = params_hash(STAGE, VERSION, params)
    results = stored_results(drop, songs, key)
    waived, not_covered = covering_waivers(drop, songs, results, key)
    stale = None
    problems = []
    changed = changed_files(drop, songs)
    for song in songs:
        result = results[song.sha256] or {}
        verdict = result.get("verdict")
        if song.id in changed:
            problems.append(f"{song.name} ({changed[song.id]})")
            continue
        if verdict == "pass" or (verdict and song.id in waived):
            continue
        waiver_note = f"; {not_covered[song.id]}" if song.id in not_covered else ""
        if verdict == "flagged":
            problems.append(f"{song.name} (flagged{waiver_note})")
        elif verdict == "failed":
            problems.append(f"{song.name} (its scan failed: {result.get('reason')}{waiver_note})")
        else:
            stale = stale or _what_changed(drop, params)
            problems.append(f"{song.name} ({stale.get(song.sha256, stale[None])})")
    if problems:
        shown = ", ".join(problems[:5]) + (f" and {len(problems) - 5} more" if len(problems) > 5 else "")
        raise GateRefused(f"{action} refused: {len(problems)} kept song(s) lack a passing clearance against "
                          f"reference index {index.index_hash[:12]}: {shown}; run `dropper clear`, "
                          "or waive a song with `dropper clear --waive SONG --reason ...`")
    if check_package is None:
        check_package = action == "publish"
    if check_package:
        stale_package = package_problems(drop, songs, index.index_hash, key, waived)
        if stale_package:
            shown = "; ".join(stale_package[:5]) + (f"; and {len(stale_package) - 5} more"
                                                   if len(stale_package) > 5 else "")
            raise GateRefused(f"{action} refused: the package is not what the clearance gives today: {shown}; "
                              f"run dropper package {drop.root} again")


def changed_files(drop: Drop, songs: list[Song]) -> dict[int, str]:
    """Why each song's file no longer holds the content it was ingested and cleared with, by song id."""
    changed = {}
    for song in songs:
        path = drop.absolute(song.path)
        try:
            same = drop.content_hash(path) == song.sha256
        except OSError:
            changed[song.id] = f"its file {song.path} is missing"
            continue
        if not same:
            changed[song.id] = (f"its file {song.path} changed since it was ingested and cleared: put the original "
                                "back, or run dropper ingest to add the new file as a song of its own")
    return changed


def originality_block(waiver: Waiver | None, index_hash: str, key: str) -> dict[str, Any]:
    """A token's ``originality`` metadata: pass, or waived with the covering waiver."""
    return {"verdict": "waived" if waiver else "pass", "index_hash": index_hash, "params_hash": key,
            "waiver": waiver.to_dict() if waiver else None}


def package_problems(drop: Drop, songs: list[Song], index_hash: str, key: str,
                     waived: dict[int, Waiver]) -> list[str]:
    """How build/package.json and its token metadata differ from what ``package`` would write now
    about the songs and their clearance; empty when they agree, or when nothing is packaged (the
    caller reads the package itself and says so)."""
    from dropper.stages.package import read_summary

    try:
        summary = read_summary(drop)
    except DropperError:
        return []
    kept = {song.sha256: song for song in songs}
    tokens = {str(token["sha256"]): token for token in summary["tokens"]}
    problems = [f"{name} is packaged but not kept"
                for name in sorted(str(token["song"]) for sha, token in tokens.items() if sha not in kept)]
    problems += [f"{song.name} is kept but not packaged" for sha, song in kept.items() if sha not in tokens]
    folder = drop.build_dir / "metadata"
    for sha, song in kept.items():
        if sha not in tokens:
            continue
        expected = originality_block(waived.get(song.id), index_hash, key)
        try:
            document = json.loads((folder / str(tokens[sha]["metadata"])).read_text(encoding="utf-8"))
            found = document["originality"]
            audio_sha = document["audio"]["sha256"]
        except (OSError, ValueError, KeyError, TypeError):
            problems.append(f"{song.name}: its token metadata is missing or damaged")
            continue
        if audio_sha != sha or not isinstance(found, dict):
            problems.append(f"{song.name}: its token metadata describes other audio")
        elif found != expected:
            problems.append(f"{song.name}: its token metadata {_difference(found, expected)}")
    return problems


def _difference(found: dict[str, Any], expected: dict[str, Any]) -> str:
    """What a token's originality block says that today's clearance does not (the first difference)."""
    if found.get("verdict") != expected["verdict"]:
        return f"says {found.get('verdict')!r}, today it is {expected['verdict']!r}"
    for field, what in (("index_hash", "reference index"), ("params_hash", "clearance parameters")):
        if found.get(field) != expected[field]:
            return f"was made against {what} {str(found.get(field))[:12]} (today: {expected[field][:12]})"
    return "records another waiver than today's"


_PARAMS = (("index_hash", "the reference index"), ("index_format", "the index format"),
           ("fingerprint", "the fingerprint settings"), ("thresholds", "the thresholds (drop.toml [clear])"),
           ("drop_set", "the set of kept songs"))


def _what_changed(drop: Drop, current: dict) -> dict[str | None, str]:
    """Why a song has no result under the current parameters, from the last report's recorded
    ones: per song hash (a song the report does not hold was never cleared), ``None`` for the rest."""
    try:
        report = json.loads((drop.reports_dir / "originality.json").read_text(encoding="utf-8"))
        recorded, scanned = report["params"], {row["sha256"] for row in report["songs"]}
    except (OSError, ValueError, KeyError, TypeError):
        return {None: "not cleared against the current index and parameters"}
    changed = [label for key, label in _PARAMS if recorded.get(key) != current.get(key)]
    if changed == ["the reference index"]:
        reason = "not cleared against the current index"
    else:
        reason = "not cleared against the current index and parameters" + (
            f": {', '.join(changed)} changed since the last clear" if changed else "")
    return {None: reason, **{sha: "not cleared yet" for sha in {s.sha256 for s in drop.songs("kept")} - scanned}}
