"""The ledger's persistence module: eventsourcing-sqlalchemy with a bulk insert.

eventsourcing-sqlalchemy's application recorder builds one ORM object per
stored event and lets the session flush them, which costs about 100 µs an
event (measured in docs/performance.md). This recorder keeps everything else
of the library (its tables, the PostgreSQL ``LOCK TABLE ... EXCLUSIVE`` that
makes insert order equal commit order, the ``NOTIFY`` its subscription
listens for, the tracking recorders) and writes the rows of one
``insert_events`` call as a multi-row ``INSERT ... RETURNING id`` in the same
transaction, so the notification ids come back in the order the events were
given.

Selected by ``PERSISTENCE_MODULE=adapters.persistence:LedgerFactory``
(``adapters/settings.py`` sets it).
"""
from __future__ import annotations

from typing import Any, Sequence

import sqlalchemy as sa
from eventsourcing.persistence import StoredEvent
from eventsourcing_sqlalchemy.factory import SQLAlchemyFactory
from eventsourcing_sqlalchemy.recorders import SQLAlchemyApplicationRecorder
from sqlalchemy.orm import Session

TOPIC = "adapters.persistence:LedgerFactory"


class BulkApplicationRecorder(SQLAlchemyApplicationRecorder):
    """Inserts a batch of stored events with one statement per 1,000 rows."""

    def _insert_stored_events(self, session: Session, stored_events: Sequence[StoredEvent],
                              **kwargs: Any) -> Sequence[int]:
        if not stored_events:
            return []
        table = self.events_record_cls.__table__  # type: ignore[attr-defined]
        if self._has_autoincrementing_ids:
            self._lock_table(session)
        rows = [{"originator_id": e.originator_id, "originator_version": e.originator_version,
                 "topic": e.topic, "state": e.state} for e in stored_events]
        # sort_by_parameter_order: the ids are returned in the order of ``rows``
        # even when SQLAlchemy splits them into several multi-row statements.
        result = session.execute(
            sa.insert(table).returning(table.c.id, sort_by_parameter_order=True), rows)
        ids = [row[0] for row in result]
        self._notify_channel(session)
        return ids


class LedgerFactory(SQLAlchemyFactory):
    application_recorder_class = BulkApplicationRecorder
