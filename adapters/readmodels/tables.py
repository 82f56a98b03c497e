"""The read models' table definitions, and their tables on an engine for a
question that only reads them (``ReadModelTables``): no eventsourcing
recorder, so no ORM and no datastore to import (start-up, issue #14
point 4). ``schema.ReadModelView``, which writes them, shares the same
definitions.
"""
from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from adapters.readmodels import (about, bars, deadlines, ended, log, positions, status,
                                 supervision)


def _tables(metadata: sa.MetaData, prefix: str) -> dict[str, sa.Table]:
    t = {}
    for view in (log, positions, status, deadlines, ended, bars, about, supervision):
        t.update(view.tables(metadata, prefix))
    return t


# every view's tables by (prefix, schema): made once a process (some 320
# columns, indexes and constraints), shared by each view opened on them; a
# definition holds no connection, so views on other stores share it too
_DEFINED: dict[tuple[str, str | None], tuple[sa.MetaData, dict[str, sa.Table], sa.Table]] = {}


def _definitions(prefix: str, schema: str | None
                 ) -> tuple[sa.MetaData, dict[str, sa.Table], sa.Table]:
    found = _DEFINED.get((prefix, schema))
    if found is None:
        metadata = sa.MetaData(schema=schema)
        # the rebuild's own state and plan: outside ``metadata``, so that
        # dropping the read models for a rebuild keeps it
        rebuild_table = sa.Table(
            f"{prefix}_rebuild", sa.MetaData(schema=schema),
            sa.Column("name", sa.String(32), primary_key=True),
            sa.Column("state", sa.String(16), nullable=False))
        found = _DEFINED[(prefix, schema)] = (metadata, _tables(metadata, prefix), rebuild_table)
    return found


class ReadModelTables:
    """The read-model tables on ``engine``, to read: what a question at the
    log's head asks of the view (``t``, ``engine``, ``rebuild_table``,
    ``tracking_table_name``), nothing that writes."""

    prefix = "rm"

    def __init__(self, engine: sa.Engine, *, schema_name: str | None = None,
                 tracking_table_name: str = "readmodels_tracking") -> None:
        self.engine = engine
        self.tracking_table_name = tracking_table_name
        self.metadata, self.t, self.rebuild_table = _definitions(self.prefix, schema_name)


def _rebuild_state(view: Any, what: str = "") -> str | None:
    """"in_progress" or "done" (``what`` empty); the plan ("partitions/last
    notification id") of the rebuild under way (``what`` = "plan")."""
    name = "readmodels" + (f".{what}" if what else "")
    with view.engine.connect() as conn:
        meta = view.rebuild_table
        return conn.execute(sa.select(meta.c.state).where(meta.c.name == name)).scalar()
