"""Progress on long work, on standard error so that standard output (tables,
JSON) stays clean for pipes and files.

Shown when standard error is a terminal, or when ``LEDGER_PROGRESS=always``
(tests, logs that want it); never when ``LEDGER_PROGRESS=never``. A step
count where the work knows its total (events to verify, lines of a
statement), a spinner with what is happening where it does not.
"""
from __future__ import annotations

import contextlib
import os
import sys
from typing import Iterator

SETTING = "LEDGER_PROGRESS"


class Steps:
    """What a long piece of work tells about itself."""

    def __init__(self, progress, task) -> None:   # type: ignore[no-untyped-def]
        self._progress, self._task = progress, task

    def advance(self, n: int = 1) -> None:
        if self._progress is not None:
            self._progress.advance(self._task, n)

    def total(self, n: int) -> None:
        if self._progress is not None:
            self._progress.update(self._task, total=n)

    def say(self, text: str) -> None:
        if self._progress is not None:
            self._progress.update(self._task, description=text)


def shown() -> bool:
    wanted = os.environ.get(SETTING, "").lower()
    if wanted in ("always", "never"):
        return wanted == "always"
    return sys.stderr.isatty()


@contextlib.contextmanager
def progress(description: str, total: int | None = None) -> Iterator[Steps]:
    if not shown():
        yield Steps(None, None)
        return
    from rich.console import Console
    from rich.progress import (BarColumn, MofNCompleteColumn, Progress, SpinnerColumn,
                               TextColumn, TimeElapsedColumn)
    columns = [SpinnerColumn(), TextColumn("{task.description}"), BarColumn(),
               MofNCompleteColumn(), TimeElapsedColumn()]
    # on a terminal the bar goes when done; in a log its last state stays
    with Progress(*columns, console=Console(stderr=True),
                  transient=sys.stderr.isatty()) as bar:
        yield Steps(bar, bar.add_task(description, total=total))
