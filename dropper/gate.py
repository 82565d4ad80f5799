"""The clearance gate and its waivers: nothing is packaged or published uncleared.

``require_clearance`` passes only when every kept song has a passing clearance made against
the current reference index with the current parameters, or a recorded waiver (reason and
name) — which then appears in the originality report and the manifest.
"""

from __future__ import annotations

from dataclasses import dataclass

from dropper.db import now
from dropper.errors import ConfigError, GateRefused, MissingInput
from dropper.workspace import Drop, Song


@dataclass(frozen=True)
class Waiver:
    song_id: int
    reason: str
    author: str
    at: str

    def to_dict(self) -> dict[str, str]:
        return {"reason": self.reason, "author": self.author, "at": self.at}


def waive(drop: Drop, song: Song, *, reason: str, author: str) -> Waiver:
    """Record that ``song`` may be published despite a clearance flag, and why."""
    if not reason or not reason.strip():
        raise ConfigError("--waive needs --reason: say why this song may be published despite its flag")
    drop.db.execute("UPDATE waivers SET revoked_at = ? WHERE song_id = ? AND revoked_at IS NULL",
                    (now(), song.id))
    at = now()
    drop.db.execute("INSERT INTO waivers (song_id, reason, author, at) VALUES (?, ?, ?, ?)",
                    (song.id, reason.strip(), author, at))
    return Waiver(song.id, reason.strip(), author, at)


def revoke(drop: Drop, song: Song) -> bool:
    """Revoke the song's waiver; True if there was one."""
    cursor = drop.db.execute("UPDATE waivers SET revoked_at = ? WHERE song_id = ? AND revoked_at IS NULL",
                             (now(), song.id))
    return cursor.rowcount > 0


def waivers(drop: Drop) -> dict[int, Waiver]:
    """The live waiver of each song that has one."""
    rows = drop.db.execute("SELECT song_id, reason, author, at FROM waivers WHERE revoked_at IS NULL")
    return {row["song_id"]: Waiver(row["song_id"], row["reason"], row["author"], row["at"]) for row in rows}


def require_clearance(drop: Drop, *, action: str) -> None:
    """Raise GateRefused (exit 3) unless every kept song is cleared or waived, today."""
    from dropper import reference
    from dropper.originality import stored_results
    from dropper.stages.clear import current_key

    songs = drop.songs("kept")
    if not songs:
        raise GateRefused(f"{action} refused: the drop has no kept songs")
    try:
        index = reference.open_index(drop)
    except MissingInput as exc:
        raise GateRefused(f"{action} refused: clearance is mandatory and {exc}") from None
    results = stored_results(drop, songs, current_key(drop, index, songs))
    waived = waivers(drop)
    problems = []
    for song in songs:
        verdict = (results[song.sha256] or {}).get("verdict")
        if verdict == "pass" or song.id in waived:
            continue
        problems.append(f"{song.name} ({'flagged' if verdict == 'flagged' else 'not cleared against the current index'})")
    if problems:
        shown = ", ".join(problems[:5]) + (f" and {len(problems) - 5} more" if len(problems) > 5 else "")
        raise GateRefused(f"{action} refused: {len(problems)} kept song(s) lack a passing clearance against "
                          f"reference index {index.index_hash[:12]}: {shown}; run `dropper clear`, "
                          "or waive a song with `dropper clear --waive SONG --reason ...`")
