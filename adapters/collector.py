"""Python's cyclic garbage collector, set for what a ledger process is
(issue #14: questions in well under a second, a steady p99, bounded memory).

Reference counting frees almost everything a command or a question makes
the moment it is dropped; the cyclic collector is only for cycles. By
default it runs a young collection every 700 new container objects and a
full one whenever the old generation has grown by a quarter, and every full
collection walks all the imported libraries again.

- A long-lived process (the service, once up): what is alive then (modules,
  the web app, the table definitions) never becomes garbage, so it is
  frozen out of every later collection (``settle``). A full collection then
  walks only what the requests since have left: at most 25 ms instead of up
  to 140 ms, which had landed on about one question in thirty (the p99 in
  docs/performance.md). The thresholds stay Python's: raising them let
  each request's garbage cycles pile up between collections (a
  whole-timeline question's process grew from 139 to 271 MB over 150
  questions).
- One command (``ledger ...``, one process for one command): young
  collections every ``YOUNG_OBJECTS`` (``for_one_command``), since a
  command makes hundreds of thousands of objects (typer's parameters,
  SQLAlchemy's statements, rows) and the default spent about an eighth of
  `ledger status`'s start-up and of `ledger run` collecting them; what
  piles up meanwhile is one command's at most, and ends with the process.

Bulk paths that make millions of rows (rebuild, catch-up) turn the
collector off around their batches themselves (adapters/readmodels/runner.py).
"""
from __future__ import annotations

import gc

YOUNG_OBJECTS = 20_000          # new container objects between young collections (one command)


def settle() -> None:
    """The process has started and will serve: never look again at what is
    alive now (it stays; a frozen object is still freed by reference
    counting once nothing holds it)."""
    gc.freeze()


def for_one_command() -> None:
    """This process gives one command: young collections less often (never
    more often than set already), and what it has imported frozen."""
    young, middle, old = gc.get_threshold()
    if young < YOUNG_OBJECTS:
        gc.set_threshold(YOUNG_OBJECTS, middle, old)
    settle()
