"""The stage engine: cache, per-song failures, run records and the report of a stage.

A stage module builds :class:`Task` s (one per input file) and a top-level ``work(task)``
function; :func:`run_stage` skips tasks whose (content hash, stage, version, parameters) has a
result already, runs the rest through ``parallel_map``, and records every outcome as it arrives.
"""

from __future__ import annotations

import json
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from dropper.db import now
from dropper.errors import EXIT_GATE, EXIT_OK, EXIT_SONGS_FAILED, AudioError, DropperError
from dropper.files import canonical_json, hash_params, remove_stale_parts
from dropper.parallel import parallel_map
from dropper.progress import Progress
from dropper.workspace import Drop


@dataclass(frozen=True)
class Task:
    """One unit of a stage's work: an input file, identified by its content hash."""

    sha256: str
    name: str
    source: str  # absolute path of the input file
    params: dict[str, Any]
    outputs: dict[str, str] = field(default_factory=dict)  # role -> absolute output path
    inputs: dict[str, str] = field(default_factory=dict)  # other input folders (not in the cache key)


@dataclass(frozen=True)
class Outcome:
    """What ``work`` made of a task: a result, or a failure with its reason."""

    ok: bool
    result: dict[str, Any] = field(default_factory=dict)
    reason: str | None = None
    final: bool = True  # a final failure is cached (bad input); an internal error is retried


@dataclass
class SongOutcome:
    name: str
    sha256: str
    status: str  # done | skipped | failed
    reason: str | None = None
    result: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "sha256": self.sha256, "status": self.status,
                "reason": self.reason, "result": self.result}


@dataclass
class StageReport:
    """The outcome of one stage run, for people (:meth:`summary`) and scripts (:meth:`to_dict`)."""

    stage: str
    params_hash: str = ""
    run_id: int | None = None
    songs: list[SongOutcome] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    failure_hint: str | None = None  # where to read the reasons; default: dropper status --failures
    refused: str | None = None  # a gate's refusal: the stage did not run
    built: bool = False  # a stage without per-song work (the catalog) did its work

    def count(self, status: str) -> int:
        return sum(1 for song in self.songs if song.status == status)

    @property
    def exit_code(self) -> int:
        if self.refused:
            return EXIT_GATE
        return EXIT_SONGS_FAILED if self.count("failed") else EXIT_OK

    def summary(self) -> str:
        done, skipped, failed = self.count("done"), self.count("skipped"), self.count("failed")
        line = f"{self.stage}: {done} done, {skipped} skipped (already done), {failed} failed"
        if self.refused:
            return f"{self.stage}: {self.refused}"
        if not self.songs:
            line = f"{self.stage}: {'built' if self.built else 'nothing to do'}"
        elif done == 0 and failed == 0:
            line += " — nothing to do, all results are up to date"
        if failed:
            line += "; " + (self.failure_hint or f"reasons: dropper status --failures (or dropper {self.stage} --json)")
        return line

    def to_dict(self) -> dict[str, Any]:
        return {"stage": self.stage, "params_hash": self.params_hash, "run_id": self.run_id,
                "done": self.count("done"), "skipped": self.count("skipped"),
                "failed": self.count("failed"), "refused": self.refused, "notes": self.notes,
                "songs": [song.to_dict() for song in self.songs]}


def compute_target(drop: Drop, jobs: int | None, ray_address: str | None) -> tuple[int, str]:
    """Workers and Ray address for a run: the flag if given, else drop.toml / DROPPER_* settings."""
    return (drop.config.compute.jobs if jobs is None else jobs,
            drop.config.compute.ray_address if ray_address is None else ray_address)


def params_hash(stage: str, version: int, params: dict[str, Any]) -> str:
    """The cache key part shared by all songs of a stage run."""
    return hash_params({"stage": stage, "version": version, "params": params})


def run_stage(drop: Drop, *, stage: str, version: int, params: dict[str, Any],
              tasks: Sequence[Task], work: Callable[[Task], Outcome], force: bool = False,
              jobs: int | None = None, ray_address: str | None = None,
              progress: Progress | None = None) -> StageReport:
    """Run ``work`` over the tasks that have no up-to-date result; record every outcome."""
    key = params_hash(stage, version, params)
    report = StageReport(stage=stage, params_hash=key)
    remove_stale_parts(drop.build_dir)
    todo, changed = [], []
    for task in tasks:
        cached = None if force else _cached(drop, task, stage, key)
        if cached is not None:
            report.songs.append(cached)
        elif (reason := _changed_since_ingest(drop, task)) is not None:
            changed.append((task, Outcome(ok=False, reason=reason, final=False)))
        else:
            todo.append(task)
    report.run_id = _start_run(drop, stage, key)
    for task, outcome in changed:  # recorded for dropper status --failures; retried next run
        if not force:  # --force keeps the result the song's own content had
            _record(drop, task, stage, key, outcome, report.run_id)
        report.songs.append(SongOutcome(task.name, task.sha256, "failed", outcome.reason))
    progress = progress or Progress.quiet()
    jobs, address = compute_target(drop, jobs, ray_address)
    status = "interrupted"
    try:
        with progress.task(stage, total=len(todo)) as advance:
            for index, outcome in parallel_map(guarded(work), todo, jobs=jobs, ray_address=address):
                task = todo[index]
                outcome = _relative_files(drop, outcome)
                _record(drop, task, stage, key, outcome, report.run_id)
                report.songs.append(SongOutcome(task.name, task.sha256,
                                                "done" if outcome.ok else "failed",
                                                outcome.reason, outcome.result))
                advance(task.name)
        status = "finished"
    finally:
        _finish_run(drop, report, status)
    order = {task.sha256: position for position, task in enumerate(tasks)}
    report.songs.sort(key=lambda song: order.get(song.sha256, 0))
    return report


class guarded:
    """Wrap ``work`` so that no exception crosses a process boundary: it becomes an Outcome."""

    def __init__(self, work: Callable[[Task], Outcome]):
        self.work = work

    def __call__(self, task: Task) -> Outcome:
        try:
            return self.work(task)
        except AudioError as exc:  # bad input: the same bytes fail the same way, so it is cached
            # The report names the song already: "x.wav: corrupt audio", not "x.wav: /abs/x.wav: ...".
            return Outcome(ok=False, reason=str(exc).removeprefix(f"{task.source}: "), final=True)
        except DropperError as exc:  # e.g. a missing or stale index: retried on the next run
            return Outcome(ok=False, reason=str(exc), final=False)
        except MemoryError:
            return Outcome(ok=False, reason="out of memory", final=False)
        except Exception as exc:  # a bug: keep the traceback's last line for the report
            where = traceback.extract_tb(exc.__traceback__)[-1]
            return Outcome(ok=False, final=False,
                           reason=f"internal error: {type(exc).__name__}: {exc} "
                                  f"({where.filename.rsplit('/', 1)[-1]}:{where.lineno})")


def _changed_since_ingest(drop: Drop, task: Task) -> str | None:
    """Why the task's file no longer holds the song's content (replaced after ingest), or None.

    Recorded as a failure that is retried, so putting the file back makes the next run do the
    work. A missing file is left to ``work`` to report.
    """
    try:
        if drop.content_hash(task.source) == task.sha256:
            return None
    except OSError:
        return None
    return (f"{drop.relative(task.source)}: the file changed since ingest (song {task.name} is "
            f"{task.sha256[:12]}); put the original back, or run dropper ingest to add the new file "
            "as a song of its own")


def _relative_files(drop: Drop, outcome: Outcome) -> Outcome:
    """Record output paths relative to the drop folder, so the folder can move."""
    files = outcome.result.get("files")
    if not files:
        return outcome
    result = {**outcome.result, "files": {role: drop.relative(path) for role, path in files.items()}}
    return Outcome(ok=outcome.ok, result=result, reason=outcome.reason, final=outcome.final)


def _cached(drop: Drop, task: Task, stage: str, key: str) -> SongOutcome | None:
    row = drop.db.execute(
        "SELECT status, reason, result FROM results WHERE sha256 = ? AND stage = ? AND params_hash = ?",
        (task.sha256, stage, key)).fetchone()
    if row is None:
        return None
    result = json.loads(row["result"])
    if row["status"] == "failed":
        if not result.get("final", True):
            return None  # an internal error last time: try again
        return SongOutcome(task.name, task.sha256, "failed", row["reason"], result)
    if not all(drop.absolute(path).exists() for path in result.get("files", {}).values()):
        return None  # an output was deleted since: redo it
    return SongOutcome(task.name, task.sha256, "skipped", None, result)


def _record(drop: Drop, task: Task, stage: str, key: str, outcome: Outcome, run_id: int) -> None:
    result = dict(outcome.result)
    if not outcome.ok:
        result["final"] = outcome.final
    drop.db.execute(
        "INSERT OR REPLACE INTO results (sha256, stage, params_hash, status, reason, result, source, "
        "run_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (task.sha256, stage, key, "ok" if outcome.ok else "failed", outcome.reason,
         canonical_json(result), drop.relative(task.source), run_id, now()))


def _start_run(drop: Drop, stage: str, key: str) -> int:
    cursor = drop.db.execute("INSERT INTO runs (stage, params_hash, started_at) VALUES (?, ?, ?)",
                             (stage, key, now()))
    return int(cursor.lastrowid)


def _finish_run(drop: Drop, report: StageReport, status: str) -> None:
    drop.db.execute(
        "UPDATE runs SET finished_at = ?, done = ?, skipped = ?, failed = ?, status = ? WHERE id = ?",
        (now(), report.count("done"), report.count("skipped"), report.count("failed"), status,
         report.run_id))


def song_tasks(drop: Drop, songs: Sequence[Any], params: dict[str, Any], *, stage: str, version: int,
               outputs: dict[str, str] | None = None, inputs: dict[str, str] | None = None) -> list[Task]:
    """One task per song; ``outputs`` maps a role to ``folder/.ext`` under build/.

    Output files are named by the song's content hash and the stage's parameter hash, so a
    changed setting never overwrites the file an earlier result points to.
    """
    key = params_hash(stage, version, params)[:10]
    tasks = []
    for song in songs:
        files = {}
        for role, pattern in (outputs or {}).items():
            folder, extension = pattern.rsplit("/", 1)
            files[role] = str(drop.build_dir / folder / f"{song.sha256[:16]}-{key}{extension}")
        tasks.append(Task(sha256=song.sha256, name=song.name, source=str(drop.absolute(song.path)),
                          params=params, outputs=files, inputs=dict(inputs or {})))
    return tasks
