"""The service's access log: logins, failed logins, lock-outs and refusals,
kept apart from the event store (issue #15).

It is a table of its own (``service_access_log``) beside the ledger's, in
the same database unless ``LEDGER_ACCESS_LOG_URL`` names another: not an
event, not in the hash chain, never replayed, so a stranger hammering the
login cannot write to the ledger itself. All workers share it, so the
lock-out counts every worker's failures. Nothing secret is written: no
password, no token, no cookie; only the user name given, where from, what
was asked and why it was refused.

Lock-out: ``FAILURES_MAX`` failed logins of one user within
``WINDOW_SECONDS`` (since their last good login or unlock) lock the user's
password logins until the window has passed since the last failure; an
administrator's password reset unlocks at once.
"""
from __future__ import annotations

import os
from datetime import datetime, timedelta, timezone

import sqlalchemy as sa

FAILURES_MAX = 5
WINDOW_SECONDS = 15 * 60
URL_SETTING = "LEDGER_ACCESS_LOG_URL"
TEXT_MAX = 300


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _utc(moment: datetime) -> datetime:
    # SQLite hands the time back without its zone; every time written is UTC
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


class AccessLog:
    def __init__(self, url: str, schema: str | None = None) -> None:
        self.engine = sa.create_engine(url, pool_pre_ping=True)
        metadata = sa.MetaData(schema=schema)
        self.table = sa.Table(
            "service_access_log", metadata,
            sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
                      primary_key=True, autoincrement=True),
            sa.Column("at", sa.DateTime(timezone=True), nullable=False),
            sa.Column("kind", sa.String(24), nullable=False),
            sa.Column("user", sa.String(64), nullable=True),
            sa.Column("remote", sa.String(64), nullable=True),
            sa.Column("method", sa.String(8), nullable=True),
            sa.Column("path", sa.String(TEXT_MAX), nullable=True),
            sa.Column("status", sa.Integer, nullable=True),
            sa.Column("reason", sa.String(TEXT_MAX), nullable=True),
            sa.Index("ix_service_access_log_user", "user", "id"))
        metadata.create_all(self.engine, checkfirst=True)

    @classmethod
    def beside(cls, store_url: str, schema: str | None) -> "AccessLog":
        return cls(os.environ.get(URL_SETTING) or store_url, schema)

    def write(self, kind: str, *, user: str | None = None, remote: str | None = None,
              method: str | None = None, path: str | None = None, status: int | None = None,
              reason: str | None = None) -> None:
        row = {"at": _now(), "kind": kind, "user": (user or "")[:64] or None,
               "remote": (remote or "")[:64] or None, "method": (method or "")[:8] or None,
               "path": (path or "")[:TEXT_MAX] or None, "status": status,
               "reason": (reason or "")[:TEXT_MAX] or None}
        with self.engine.begin() as conn:
            conn.execute(self.table.insert().values(**row))

    def locked_until(self, user: str) -> datetime | None:
        """When the user's password logins open again; None when not locked.

        The last ``FAILURES_MAX`` failures since the last good login or unlock
        are read with no window on the query: filtering them by "the last 15
        minutes" would let the oldest of five leave the window before the
        announced time, and open the logins at 09:15:01 after five failures
        from 09:00 to 09:12 announced "until 09:27". Locked when there are
        that many, at most ``WINDOW_SECONDS`` apart, and until the window has
        passed since the newest: the time announced is the time it opens."""
        t = self.table
        with self.engine.connect() as conn:
            last_good = conn.execute(sa.select(sa.func.max(t.c.id)).where(
                t.c.user == user, t.c.kind.in_(("login", "unlock")))).scalar() or 0
            failures = conn.execute(sa.select(t.c.at).where(
                t.c.user == user, t.c.kind == "login_failed", t.c.id > last_good,
            ).order_by(t.c.id.desc()).limit(FAILURES_MAX)).scalars().all()
        if len(failures) < FAILURES_MAX:
            return None
        newest, oldest = _utc(failures[0]), _utc(failures[-1])
        window = timedelta(seconds=WINDOW_SECONDS)
        until = newest + window
        if newest - oldest > window or _now() > until:
            return None
        return until

    def rows(self, user: str | None = None, limit: int = 100) -> list[dict]:
        t = self.table
        q = sa.select(t).order_by(t.c.id.desc()).limit(limit)
        if user is not None:
            q = q.where(t.c.user == user)
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(q)]

    def close(self) -> None:
        self.engine.dispose()
