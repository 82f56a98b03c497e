"""What runs once however many workers serve: the read-model follower, the
daily tick and the sealing of new events into the hash chain (AUD-05).

On PostgreSQL every worker tries for a session-level advisory lock on a
connection of its own; the one that holds it runs the three, and the
others try again every few seconds, so when that worker dies (its
connection closes, the lock goes with it) another takes over within
``RETRY_SECONDS``. On SQLite the service is one worker and runs them
itself.

The follower is a catch-up every ``FOLLOW_SECONDS`` taken in the read
models' turn (``Service.read_models_turn``, an advisory lock of its own),
not eventsourcing's ProjectionRunner: questions that find the read models
short of a client's last write catch up too (read your writes; the
timeline always does), and two applying the same events at once would
collide, so every catch-up, the follower's included, takes that one turn.
Do not run ``ledger follow`` beside the service.

The tick: once at start and then whenever the date in China changes, the
clock is advanced to today (``ledger-clock``, role ``system``), as the
nightly cron job does (docs/operations.md); only when ``ledger serve``
was started with ``--tick``.
"""
from __future__ import annotations

import hashlib
import logging
import threading
from typing import Any

import sqlalchemy as sa

from domain.base import Context

RETRY_SECONDS = 5.0
FOLLOW_SECONDS = 0.5
SEAL_EVERY = 4          # follows between two seals
log = logging.getLogger("ledger.http")


def lock_key(service: Any) -> int:
    """One lock per store (database and schema)."""
    text = f"ledger-service:{service.schema or 'public'}"
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big", signed=True)


class Background:
    def __init__(self, service: Any) -> None:
        self.service = service
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._run, name="ledger-background", daemon=True)
        self.holds_lock = False
        self._ticked: Any = None

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.stopping.set()
        self.thread.join(timeout=10)

    def _run(self) -> None:
        try:
            if self.service.sqlite:
                self.holds_lock = True
                self._duties()
            else:
                self._postgres()
        except Exception:  # noqa: BLE001 - a background failure is logged, never shown
            log.exception("the service's background work stopped")

    def _postgres(self) -> None:
        engine = sa.create_engine(self.service.url, poolclass=sa.pool.NullPool)
        try:
            with engine.connect() as conn:
                while not self.stopping.is_set():
                    got = conn.execute(sa.text("SELECT pg_try_advisory_lock(:k)"),
                                       {"k": lock_key(self.service)}).scalar()
                    conn.commit()
                    if got:
                        self.holds_lock = True
                        self._duties()
                        return
                    self.stopping.wait(RETRY_SECONDS)
        finally:
            engine.dispose()

    def _duties(self) -> None:
        rounds = 0
        while not self.stopping.is_set():
            try:
                if self.service.tick:
                    self._tick_today()
                if not self.service.sqlite:   # on SQLite each question catches up
                    self.service.catch_up()
                if rounds % SEAL_EVERY == 0:
                    self._seal()
            except Exception:  # noqa: BLE001 - logged; the next round tries again
                log.exception("the service's background round failed")
            rounds += 1
            self.stopping.wait(FOLLOW_SECONDS)

    def _tick_today(self) -> None:
        from domain.calendar import today_in_china
        today = today_in_china()
        if self._ticked == today:
            return
        with self.service.writing():
            self.service.ledger.tick(Context(f"tick:{today.isoformat()}", today, "ledger-clock",
                                             "system"), to=today)
        self._ticked = today

    def _seal(self) -> None:
        from adapters.integrity import seal
        with self.service.writing():
            result = seal(self.service.ledger)
        if result.blocked is not None:
            log.error("%s", result.message())
