"""The log view: ``rm_log`` (every event's notification id, recording
instant, business date, topic and aggregate) and ``rm_log_windows`` (each
window of ``LOG_WINDOW_IDS`` notification ids' earliest recording instant).

It answers "as known at T": ``log_position`` turns an instant into the last
notification recorded by then, the position every other view filters by.
There is no fold behind it: the rows are the event store's own columns.
Every event gets its row (``ReadModels.apply`` / ``apply_stored``; the
rebuild's log-only partition writes them in SQL, ``logsql._log_rows_sql``).
"""
from __future__ import annotations

from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, Iterable, Sequence

import sqlalchemy as sa

from adapters.readmodels.columns import _key_text

if TYPE_CHECKING:
    from adapters.readmodels.schema import ReadModelView

LOG_WINDOW_IDS = 1024   # notification ids a row of rm_log_windows speaks for


def _instant(moment: datetime) -> str:
    """A fixed-width UTC form, so instants compare as strings in any database."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _stored_instant(text: str) -> str:
    """``_instant`` of a stored ``datetime_iso`` (eventsourcing stamps UTC)."""
    if len(text) == 32 and text.endswith("+00:00"):
        return text[:26] + "Z"
    return _instant(datetime.fromisoformat(text))


def _windows_upsert(name: str, rows_sql: str) -> str:
    """SQL: insert ``rows_sql``'s (window, earliest instant) pairs into the
    windows table ``name``, keeping the earlier instant where a window is."""
    return (f"INSERT INTO {name} AS w (window_no, earliest_recorded_at) {rows_sql} "
            f"ON CONFLICT (window_no) DO UPDATE SET earliest_recorded_at = CASE WHEN "
            f"excluded.earliest_recorded_at < w.earliest_recorded_at THEN "
            f"excluded.earliest_recorded_at ELSE w.earliest_recorded_at END")


def _windows_of(rows: str) -> str:
    """SQL: (window, earliest instant) of the log rows of ``rows`` (a table
    with notification_id and recorded_at), window by window upwards. An
    instant still marked for ``_mend_instants`` does not count; a window
    holding only such rows gets "~", later than any instant, which the
    mending replaces (the window's row is so locked in order with the rest)."""
    return (f"SELECT notification_id / {LOG_WINDOW_IDS}, coalesce(min(CASE WHEN "
            f"substr(recorded_at, 1, 1) <> '!' THEN recorded_at END), '~') "
            f"FROM {rows} GROUP BY 1 ORDER BY 1")


def _earliest_by_window(rows: Iterable[Sequence[Any]]) -> dict[int, str]:
    """The earliest recording instant of each window (``LOG_WINDOW_IDS``) of
    log rows ``(notification id, recording instant, ...)``."""
    earliest: dict[int, str] = {}
    size = LOG_WINDOW_IDS
    for row in rows:
        window, instant = row[0] // size, row[1]
        known = earliest.get(window)
        if known is None or instant < known:
            earliest[window] = instant
    return earliest


def tables(metadata: sa.MetaData, prefix: str) -> dict[str, sa.Table]:
    t = {}
    t["log"] = sa.Table(
        f"{prefix}_log", metadata,
        # INTEGER on SQLite: the primary key is then the row id, not one more index
        sa.Column("notification_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
                  primary_key=True, autoincrement=False),
        # 27 characters (``_instant``); room for an instant in another form, marked
        # for ``_mend_instants`` while a partitioned rebuild writes it. No index:
        # an instant is looked up through rm_log_windows (``log_position``)
        sa.Column("recorded_at", _key_text(48), nullable=False),
        sa.Column("effective_on", sa.Date, nullable=True),
        sa.Column("topic", sa.String(200), nullable=False),
        # no index: no query looks the log up by aggregate (investigators
        # follow the event store itself), and a rebuild would pay to build it
        sa.Column("originator_id", sa.String(36), nullable=False))
    # the earliest recording instant among the log rows of each window of
    # LOG_WINDOW_IDS notification ids: where an "as known at" instant's
    # position lies, found without reading the whole log (``log_position``)
    t["log_windows"] = sa.Table(
        f"{prefix}_log_windows", metadata,
        sa.Column("window_no", sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
                  primary_key=True, autoincrement=False),
        sa.Column("earliest_recorded_at", _key_text(32), nullable=False))
    return t


def log_position(view: ReadModelView, known_at: datetime | None) -> int:
    """The last notification recorded by ``known_at`` (everything when None).

    Recording instants follow notification ids only nearly (an event is
    stamped when made, numbered when committed), so the answer is the
    greatest id among all rows recorded by then. Asked of the log alone, a
    database scans from one end until it is sure (docs/performance.md).
    rm_log_windows keeps each window's earliest instant, so the last window
    holding a row recorded by then is found among a thousandth as many rows,
    and the answer among that window's rows."""
    t, w = view.t["log"], view.t["log_windows"]
    with view.engine.connect() as conn:
        if known_at is None:
            return conn.execute(sa.select(sa.func.max(t.c.notification_id))).scalar() or 0
        instant = _instant(known_at)
        below = None
        while True:   # the first window found holds a row recorded by then
            q = sa.select(w.c.window_no).where(w.c.earliest_recorded_at <= instant)
            if below is not None:
                q = q.where(w.c.window_no < below)
            window = conn.execute(q.order_by(w.c.window_no.desc()).limit(1)).scalar()
            if window is None:
                return 0
            # the instant tested inside the aggregate: the window's rows are
            # read by position (a planner given "recorded_at <= x" to use took
            # the instants' index instead, through every earlier row)
            found = conn.execute(sa.select(sa.func.max(sa.case(
                (t.c.recorded_at <= instant, t.c.notification_id)))).where(
                t.c.notification_id >= window * LOG_WINDOW_IDS).where(
                t.c.notification_id < (window + 1) * LOG_WINDOW_IDS)).scalar()
            if found is not None:
                return found
            below = window
