"""Progress bars on a terminal (rich, on stderr), silence everywhere else."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator


class Progress:
    """Shows one bar per stage when enabled; ``Progress.quiet()`` shows nothing."""

    def __init__(self, enabled: bool):
        self.enabled = enabled

    @classmethod
    def quiet(cls) -> Progress:
        return cls(False)

    @classmethod
    def for_terminal(cls, *, json_output: bool = False) -> Progress:
        """Bars only when stderr is a terminal and the output is not JSON for a script."""
        return cls(sys.stderr.isatty() and not json_output)

    @contextlib.contextmanager
    def task(self, label: str, *, total: int, done: int = 0) -> Iterator[Callable[[str], None]]:
        """Yield ``advance(name)`` to call once per finished item (``done`` of them finished before)."""
        if not self.enabled or total == 0:
            yield lambda name: None
            return
        from rich.console import Console
        from rich.progress import (BarColumn, MofNCompleteColumn, TextColumn,
                                   TimeElapsedColumn, TimeRemainingColumn)
        from rich.progress import Progress as Bar

        columns = (TextColumn("[bold]{task.description:<10}"), BarColumn(), MofNCompleteColumn(),
                   TimeElapsedColumn(), TextColumn("eta"), TimeRemainingColumn(),
                   TextColumn("{task.fields[song]}"))
        with Bar(*columns, console=Console(stderr=True), transient=False) as bar:
            handle = bar.add_task(label, total=total, completed=done, song="")
            yield lambda name: bar.update(handle, advance=1, song=name)
