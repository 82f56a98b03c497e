"""Python's cyclic garbage collector, set for what a ledger process is
(issue #14: questions in well under a second, a steady p99).

Reference counting frees almost everything a command or a question makes
the moment it is dropped; the cyclic collector is only for cycles. By
default it runs a young collection every 700 new container objects and a
full one whenever the old generation has grown by a quarter. A question
makes hundreds of thousands (typer's parameters, SQLAlchemy's statements,
rows and their words), so the default spent about an eighth of `ledger
status`'s start-up collecting, and a full collection over the imported
libraries (up to 140 ms) landed on about one question in thirty of a
long-lived process: the p99 in docs/performance.md. So a ledger process
collects young objects every ``YOUNG_OBJECTS`` and the older generations
rarely, and what is alive once it has started (modules, the web app, the
table definitions, which never become garbage) is frozen out of every later
collection. Bulk paths that make millions of rows (rebuild, catch-up) turn
the collector off around their batches themselves
(adapters/readmodels/runner.py).
"""
from __future__ import annotations

import gc

YOUNG_OBJECTS = 20_000          # new container objects between young collections
OLDER_EVERY = (50, 100)         # young collections a middle one, middle ones a full one


def collect_less() -> None:
    """The thresholds above, for this process (never lowered if set higher)."""
    young, middle, old = gc.get_threshold()
    if young < YOUNG_OBJECTS:
        gc.set_threshold(YOUNG_OBJECTS, max(middle, OLDER_EVERY[0]), max(old, OLDER_EVERY[1]))


def settle() -> None:
    """The process has started: collect less from now on, and never look
    again at what is alive (it stays; a frozen object is still freed by
    reference counting once nothing holds it)."""
    collect_less()
    gc.freeze()
