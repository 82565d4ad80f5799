"""``dropper status``: what the drop holds — songs, screening, decisions, failures."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from dropper.annotations import decisions
from dropper.stages import BUILD_ORDER
from dropper.workspace import Drop


@dataclass
class Failure:
    stage: str
    source: str
    reason: str

    def to_dict(self) -> dict[str, str]:
        return {"stage": self.stage, "source": self.source, "reason": self.reason}


@dataclass
class DropStatus:
    """Counts a release manager checks before moving on, and the failures to fix."""

    drop: str
    songs: int = 0
    screened: int = 0
    flagged: int = 0
    tempo_estimated: int = 0
    rendered: int = 0
    clearance: str = "no reference catalog yet"  # one line: how many kept songs may be published
    kept: int = 0
    rejected: int = 0
    unreviewed: int = 0
    in_drop: int = 0  # the songs later stages work on: kept (+ unreviewed if curate.keep_unreviewed)
    failures: list[Failure] = field(default_factory=list)
    rows: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"drop": self.drop, "songs": self.songs, "screened": self.screened,
                "flagged": self.flagged, "tempo_estimated": self.tempo_estimated,
                "rendered": self.rendered, "clearance": self.clearance,
                "kept": self.kept, "rejected": self.rejected, "unreviewed": self.unreviewed, "in_drop": self.in_drop,
                "failures": [failure.to_dict() for failure in self.failures], "song_rows": self.rows}


def collect(drop: Drop) -> DropStatus:
    """Gather the drop's status from dropper.db."""
    from dropper.stages.title import song_titles

    status = DropStatus(drop=str(drop.root))
    state = decisions(drop)
    titles = song_titles(drop)
    for song in drop.songs("all"):
        screened = drop.latest_result(song, "screen")
        tempo = drop.latest_result(song, "tempo")
        note = state[song.id]
        status.songs += 1
        status.screened += screened is not None
        status.flagged += bool(screened and screened.get("flags"))
        status.tempo_estimated += tempo is not None
        status.rendered += drop.latest_result(song, "visualize") is not None
        decision = note.decision or "unreviewed"
        bucket = {"keep": "kept", "reject": "rejected"}.get(decision, "unreviewed")
        setattr(status, bucket, getattr(status, bucket) + 1)
        metrics = (screened or {}).get("metrics", {})
        status.rows.append({
            "name": song.name, "sha256": song.sha256, "duration_s": song.duration_s,
            "title": titles[song.id].title if song.id in titles else None,
            "temperature": song.temperature, "loudness_lufs": metrics.get("loudness_lufs"),
            "flags": (screened or {}).get("flags", []),
            "tempo_estimate_bpm": (tempo or {}).get("tempo_bpm"), "tempo_tapped_bpm": note.tempo_bpm,
            "decision": decision, "reason": note.reason, "style": note.style,
            "distinctions": list(note.distinctions)})
    status.in_drop = len(drop.songs("kept"))
    status.clearance = _clearance_line(drop)
    status.failures = _failures(drop)
    return status


def _clearance_line(drop: Drop) -> str:
    """What the clearance gate would say now, in one line."""
    from dropper.errors import GateRefused
    from dropper.gate import require_clearance

    try:
        require_clearance(drop, action="publishing")
    except GateRefused as refusal:
        return str(refusal)
    return "every kept song is cleared (or waived) against the current reference index"


def _failures(drop: Drop) -> list[Failure]:
    """Failures of each stage's newest run parameters for files that still fail."""
    rows = drop.db.execute(
        "SELECT stage, source, reason, sha256 FROM results r WHERE status = 'failed' AND params_hash = "
        "(SELECT params_hash FROM runs WHERE runs.stage = r.stage ORDER BY id DESC LIMIT 1) "
        "ORDER BY stage, source").fetchall()
    order = {name: position for position, name in enumerate(BUILD_ORDER)}
    failures = [Failure(row["stage"], row["source"], row["reason"]) for row in rows
                if row["stage"] != "ingest" or _still_there(drop, row["source"], row["sha256"])]
    return sorted(failures, key=lambda failure: (order.get(failure.stage, 99), failure.source))


def _still_there(drop: Drop, source: str, sha256: str) -> bool:
    """Whether the file that failed ingest is still in place unchanged (not removed or replaced)."""
    try:
        return drop.content_hash(drop.absolute(source)) == sha256
    except OSError:
        return False


def as_json(status: DropStatus) -> str:
    return json.dumps(status.to_dict(), indent=2)
