"""The originality report: what the clearance found, for an auditor and for the public.

``reports/originality.json`` (validated against ``metadata/originality-report.schema.json``,
byte-identical on a rerun) and ``reports/originality.html`` (summary first, then each flag with
both spectrogram excerpts side by side and both audio snippets). :func:`audit` re-runs the
scan from a report's recorded parameters and says whether it reproduces the report exactly.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dropper import __version__, schemas
from dropper.errors import DropperError, MissingInput
from dropper.files import write_if_changed
from dropper.workspace import Drop, Song

SCORE_MEANING = ("log-likelihood ratio in bits that the passage is a copy rather than a chance alignment "
                 "(each reference landmark found again adds evidence, each one missing subtracts); "
                 "flagged at params.thresholds.min_score_bits")


def build(drop: Drop, index, songs: list[Song], results: dict[str, dict[str, Any] | None],
          params: dict[str, Any], key: str, waived: dict[int, Any]) -> dict[str, Any]:
    """The report document from per-song results (``None`` for a failed song: ``reason`` kept)."""
    rows = []
    for song in sorted(songs, key=lambda s: s.name):
        result = results.get(song.sha256) or {"verdict": "failed", "matches": [], "reason": "not scanned"}
        verdict = result["verdict"]
        waiver = waived.get(song.id)
        if verdict == "flagged" and waiver is not None:
            verdict = "waived"
        rows.append({"name": song.name, "sha256": song.sha256, "duration_s": round(song.duration_s, 3),
                     "verdict": verdict, "matches": result.get("matches", []),
                     "waiver": waiver.to_dict() if waiver is not None else None,
                     **({"reason": result.get("reason")} if verdict == "failed" else {})})
    count = {name: sum(row["verdict"] == name for row in rows) for name in ("pass", "flagged", "waived", "failed")}
    return {
        "report": "originality", "format_version": 1,
        "tool": {"name": "dropper", "version": __version__},
        "drop": {"title": drop.config.drop.title, "artist": drop.config.drop.artist},
        "reference": {"index_hash": index.index_hash, "track_count": len(index.tracks),
                      "hours": round(sum(t.duration_s for t in index.tracks) / 3600, 4),
                      "tracks": [{"id": t.track_id, "name": t.name, "duration_s": round(t.duration_s, 3)}
                                 for t in index.tracks]},
        "params": {**params, "score_meaning": SCORE_MEANING, "params_hash": key},
        "summary": {"songs": len(rows), "passed": count["pass"], "flagged": count["flagged"],
                    "waived": count["waived"], "failed": count["failed"]},
        "songs": rows,
    }


def to_text(document: dict[str, Any]) -> str:
    """The report's bytes: sorted keys, fixed indentation, so a rerun gives the same file."""
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def validate(document: dict[str, Any], *, source: str = "originality report") -> None:
    """Raise SchemaError listing every schema violation with its JSON path."""
    schemas.validate(document, "originality-report.schema.json", source=source)


def stored_results(drop: Drop, songs: list[Song], key: str) -> dict[str, dict[str, Any] | None]:
    """The clear stage's recorded result of each song for the params hash ``key``."""
    results: dict[str, dict[str, Any] | None] = {}
    for song in songs:
        row = drop.db.execute("SELECT status, reason, result FROM results WHERE sha256 = ? AND stage = 'clear' "
                              "AND params_hash = ?", (song.sha256, key)).fetchone()
        if row is None:
            results[song.sha256] = None
        elif row["status"] == "ok":
            results[song.sha256] = json.loads(row["result"])
        else:
            results[song.sha256] = {"verdict": "failed", "matches": [], "reason": row["reason"]}
    return results


def write(drop: Drop, index, songs: list[Song], key: str, params: dict[str, Any],
          results: dict[str, dict[str, Any] | None], waived: dict[int, Any]) -> dict[str, Path]:
    """Write reports/originality.json and .html (with excerpts) for the current clearance:
    ``results`` as :func:`stored_results` gives them, ``waived`` the covering waivers."""
    document = build(drop, index, songs, results, params, key, waived)
    validate(document)
    paths = {"json": drop.reports_dir / "originality.json", "html": drop.reports_dir / "originality.html"}
    write_if_changed(paths["json"], to_text(document))
    from dropper.originality_html import render

    write_if_changed(paths["html"], render(drop, document, drop.reports_dir / "originality"))
    return paths


@dataclass
class AuditResult:
    reproduced: bool
    differences: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"reproduced": self.reproduced, "differences": self.differences}


def audit(drop: Drop, report_path: str | Path, *, jobs: int | None = None,
          ray_address: str | None = None) -> AuditResult:
    """Re-scan the songs of a report with its recorded parameters; compare the result byte for byte."""
    from dropper import reference
    from dropper.gate import waivers
    from dropper.pipeline import params_hash
    from dropper.stages.clear import STAGE, VERSION, clearance_params, rescan

    path = Path(report_path)
    if not path.is_file():
        raise MissingInput(f"{path}: no such report")
    try:
        recorded_text = path.read_text(encoding="utf-8")
        recorded = json.loads(recorded_text)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DropperError(f"{path}: not a JSON report ({exc})") from None
    validate(recorded, source=str(path))
    index = reference.open_index(drop)
    if index.index_hash != recorded["reference"]["index_hash"]:
        return AuditResult(False, [f"the reference index changed: the report used "
                                   f"{recorded['reference']['index_hash'][:16]}, the drop now has "
                                   f"{index.index_hash[:16]}; the report cannot be reproduced"])
    by_sha = {song.sha256: song for song in drop.songs("all")}
    missing = [row["name"] for row in recorded["songs"] if row["sha256"] not in by_sha]
    if missing:
        return AuditResult(False, [f"song audio not in this drop: {', '.join(missing)}"])
    songs = [by_sha[row["sha256"]] for row in recorded["songs"]]
    params = {key: value for key, value in recorded["params"].items() if key not in ("score_meaning", "params_hash")}
    if params_hash(STAGE, VERSION, params) != recorded["params"]["params_hash"]:
        by = recorded["tool"].get("version", "?")
        why = "the report was edited" if by == __version__ else \
            f"the report was edited, or dropper {by}, which wrote it, hashes them differently: audit with it"
        return AuditResult(False, [f"params: the recorded parameters do not hash to the report's params_hash "
                                   f"{recorded['params']['params_hash'][:16]}: {why}"])
    current = clearance_params(drop, index, drop.songs("kept"))
    notes = [f"note: the report's {key} differ from this drop's current ones (the gate checks the current ones)"
             for key in ("fingerprint", "thresholds", "drop_set") if params.get(key) != current[key]]
    results = rescan(drop, songs, params, jobs=jobs, ray_address=ray_address)
    recorded_waivers = {by_sha[row["sha256"]].id: _RecordedWaiver(row["waiver"])
                        for row in recorded["songs"] if row["waiver"]}
    fresh = build(drop, index, songs, results, params, recorded["params"]["params_hash"], recorded_waivers)
    fresh["tool"] = recorded["tool"]  # a newer dropper may audit an older report
    if to_text(fresh) == recorded_text:
        live = waivers(drop)
        note = [] if all(song.id in live for song in songs if song.id in recorded_waivers) else \
            ["note: a waiver recorded in the report has since been revoked"]
        return AuditResult(True, notes + note)
    return AuditResult(False, _differences(recorded, fresh) + notes)


@dataclass(frozen=True)
class _RecordedWaiver:
    values: dict[str, str]

    def to_dict(self) -> dict[str, str]:
        return dict(self.values)


def _differences(recorded: dict[str, Any], fresh: dict[str, Any]) -> list[str]:
    lines = []
    for old, new in zip(recorded["songs"], fresh["songs"], strict=True):
        if old != new:
            lines.append(f"{old['name']}: report says {old['verdict']} with {len(old['matches'])} match(es), "
                         f"the re-scan gives {new['verdict']} with {len(new['matches'])}")
    if recorded["drop"] != fresh["drop"] and not lines:
        lines.append(f"drop: the report names {recorded['drop']['title']!r} by {recorded['drop']['artist']!r}, "
                     f"drop.toml now {fresh['drop']['title']!r} by {fresh['drop']['artist']!r} "
                     "(every song's scan reproduces; only the title or artist changed)")
    for key in ("reference", "params", "summary"):
        if recorded.get(key) != fresh.get(key) and not lines:
            lines.append(f"{key}: differs from the re-run")
    return lines or ["the re-run differs in formatting only (the file was edited?)"]
