"""Plain-text renderings of dropper's reports for a terminal (rich tables)."""

from __future__ import annotations

import io
import os
import shutil
import sys

from rich.console import Console
from rich.table import Table

from dropper.status import DropStatus

DEFAULT_WIDTH = 120  # a terminal that does not say how wide it is
PIPE_WIDTH = 400  # output to a file or a pipe: as wide as the table wants, nothing wrapped


def terminal_width() -> int:
    """The output's width in columns: COLUMNS if set, else the terminal's, else (a file or a
    pipe, e.g. `dropper status --songs > songs.txt`) wide enough that no column wraps."""
    if "COLUMNS" not in os.environ and not sys.stdout.isatty():
        return PIPE_WIDTH
    return shutil.get_terminal_size((DEFAULT_WIDTH, 24)).columns


def _render(*tables: Table | str, width: int | None = None) -> str:
    buffer = io.StringIO()
    console = Console(file=buffer, width=width or terminal_width(), no_color=True, highlight=False)
    for table in tables:
        console.print(table)
    return buffer.getvalue().rstrip("\n")


def status_text(status: DropStatus, *, songs: bool = False, failures: bool = False,
                width: int | None = None) -> str:
    """The summary table, optionally followed by the song list and the failures, laid out for
    ``width`` columns (default: the terminal's, see :func:`terminal_width`). Song names are never
    shortened: they are what ``dropper annotate SONG`` takes; a table wider than the terminal
    wraps the other columns first, and widens past ``width`` rather than cut a name."""
    summary = Table(show_header=False)
    for label, value in (("songs", status.songs), ("screened", status.screened),
                         ("screening flags", status.flagged), ("tempo estimated", status.tempo_estimated),
                         ("rendered", status.rendered),
                         ("kept", status.kept), ("rejected", status.rejected),
                         ("unreviewed", status.unreviewed), ("in the drop", status.in_drop),
                         ("failed files", len(status.failures))):
        summary.add_row(label, str(value))
    parts: list[Table | str] = [f"drop: {status.drop}", summary, f"clearance: {status.clearance}"]
    if failures or (status.failures and not songs):
        parts.append(_failure_table(status) if status.failures else "no failures")
    width = width or terminal_width()
    if songs:
        table, least = _song_table(status, width)
        parts.insert(3, table)
        width = max(width, least)
    return _render(*parts, width=width)


# The song table's columns. The song's name (what annotate takes) is never cut; numbers, the
# tempo and the decision keep their words whole when the terminal is wide enough for that; the
# other columns wrap, folding a word longer than the column.
SONG_COLUMNS = ("song", "title", "dur s", "temperature", "LUFS", "flags", "tempo", "decision", "style",
                "distinctions")
_WHOLE_WORDS = ("dur s", "temperature", "LUFS", "tempo", "decision")
_NARROWEST = 4  # the least a wrapping column is given
_READABLE = 8  # a wrapping column narrower than this reads worse than folded numbers
_BORDERS = 3  # a column's border and padding


def _song_table(status: DropStatus, width: int) -> tuple[Table, int]:
    """The song table for a ``width``-column terminal, and the least width that shows every name."""
    rows = [_song_cells(row) for row in status.rows]
    longest_word = {column: max([len(column), *(len(word) for row in rows for word in row[i].split())])
                    for i, column in enumerate(SONG_COLUMNS)}
    name = max((len(row[0]) for row in rows), default=len("song"))
    wrapping = len(SONG_COLUMNS) - 1 - len(_WHOLE_WORDS)
    least = name + _NARROWEST * (len(SONG_COLUMNS) - 1) + _BORDERS * len(SONG_COLUMNS) + 1
    whole = sum(longest_word[column] for column in _WHOLE_WORDS)
    roomy = name + whole + _READABLE * wrapping + _BORDERS * len(SONG_COLUMNS) + 1 <= width
    table = Table(title="songs")
    for column in SONG_COLUMNS:  # a fixed width is never taken from; the others share the rest
        if column == "song":
            table.add_column(column, no_wrap=True, width=name)
        else:
            table.add_column(column, overflow="fold",
                             width=longest_word[column] if roomy and column in _WHOLE_WORDS else None)
    for cells in rows:
        table.add_row(*cells)
    return table, least


def _song_cells(row: dict) -> list[str]:
    tapped, estimate = row["tempo_tapped_bpm"], row["tempo_estimate_bpm"]
    tempo = f"{tapped:g} (tapped)" if tapped is not None else _tempo(estimate)
    return [row["name"], row["title"] or "", f"{row['duration_s']:.1f}", _fmt(row["temperature"], "{:.2f}"),
            _fmt(row["loudness_lufs"], "{:.1f}"), ", ".join(row["flags"]), tempo, row["decision"],
            row["style"] or "", ", ".join(row["distinctions"])]


def _failure_table(status: DropStatus) -> Table:
    table = Table(title="failures")
    for column in ("stage", "file", "reason"):
        table.add_column(column, overflow="fold")  # a path is folded, never cut short
    for failure in status.failures:
        table.add_row(failure.stage, failure.source, failure.reason)
    return table


def _tempo(estimate_bpm: float | None) -> str:
    if estimate_bpm is None:
        return ""
    return "0 (no pulse)" if estimate_bpm == 0 else f"{estimate_bpm:.1f}"


def _fmt(value: float | None, pattern: str) -> str:
    return "" if value is None else pattern.format(value)
