"""Plain-text renderings of dropper's reports for a terminal (rich tables)."""

from __future__ import annotations

import io

from rich.console import Console
from rich.table import Table

from dropper.status import DropStatus


def _render(*tables: Table | str) -> str:
    buffer = io.StringIO()
    console = Console(file=buffer, width=120, no_color=True, highlight=False)
    for table in tables:
        console.print(table)
    return buffer.getvalue().rstrip("\n")


def status_text(status: DropStatus, *, songs: bool = False, failures: bool = False) -> str:
    """The summary table, optionally followed by the song list and the failures."""
    summary = Table(show_header=False)
    for label, value in (("songs", status.songs), ("screened", status.screened),
                         ("screening flags", status.flagged), ("tempo estimated", status.tempo_estimated),
                         ("rendered", status.rendered),
                         ("kept", status.kept), ("rejected", status.rejected),
                         ("unreviewed", status.unreviewed), ("in the drop", status.in_drop),
                         ("failed files", len(status.failures))):
        summary.add_row(label, str(value))
    parts: list[Table | str] = [f"drop: {status.drop}", summary, f"clearance: {status.clearance}"]
    if songs:
        parts.append(_song_table(status))
    if failures or (status.failures and not songs):
        parts.append(_failure_table(status) if status.failures else "no failures")
    return _render(*parts)


def _song_table(status: DropStatus) -> Table:
    table = Table(title="songs")
    for column in ("song", "title", "dur s", "temp", "LUFS", "flags", "tempo", "decision", "style", "distinctions"):
        table.add_column(column)
    for row in status.rows:
        tapped, estimate = row["tempo_tapped_bpm"], row["tempo_estimate_bpm"]
        tempo = f"{tapped:g} (tapped)" if tapped is not None else _tempo(estimate)
        table.add_row(row["name"], row["title"] or "", f"{row['duration_s']:.1f}", _fmt(row["temperature"]),
                      _fmt(row["loudness_lufs"], "{:.1f}"), ", ".join(row["flags"]), tempo,
                      row["decision"], row["style"] or "", ", ".join(row["distinctions"]))
    return table


def _failure_table(status: DropStatus) -> Table:
    table = Table(title="failures")
    for column in ("stage", "file", "reason"):
        table.add_column(column)
    for failure in status.failures:
        table.add_row(failure.stage, failure.source, failure.reason)
    return table


def _tempo(estimate_bpm: float | None) -> str:
    if estimate_bpm is None:
        return ""
    return "0 (no pulse)" if estimate_bpm == 0 else f"{estimate_bpm:.1f}"


def _fmt(value: float | None, pattern: str = "{:g}") -> str:
    return "" if value is None else pattern.format(value)
