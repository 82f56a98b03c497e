"""The public list of ended agreements: ``rm_ended``, with reversals.

Defined by the agreement's own state (``ended_row`` in
``projections/rows.py``, as the status fold ``projections/status.py`` reads
it). Handler: ``EndedRows._ended``, for ``Agreement.Ended`` and an ending's
``Agreement.DecisionReversed``.
"""
from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa


# projections.rows.ended_row: bound with HANDLERS (below), which alone hands
# the handler to the projection, so it is there when it runs
ended_row: Any = None

if TYPE_CHECKING:
    from domain.agreement import Agreement
    from adapters.readmodels.schema import ReadModelView


def tables(metadata: sa.MetaData, prefix: str) -> dict[str, sa.Table]:
    t = {}
    t["ended"] = sa.Table(
        f"{prefix}_ended", metadata,
        sa.Column("agreement", sa.String(64), nullable=False),
        sa.Column("institution", sa.String(64), nullable=False),
        sa.Column("agency", sa.String(8), nullable=False),
        sa.Column("ended_on", sa.Date, nullable=False),
        sa.Column("ground", sa.String(32), nullable=False),
        sa.Column("article", sa.String(64), nullable=False),
        sa.Column("breach", sa.Boolean, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("known_from", sa.BigInteger, nullable=False),
        sa.Column("reversed_on", sa.Date, nullable=True),
        sa.Column("reversed_known_from", sa.BigInteger, nullable=True),
        sa.Index(f"{prefix}_ended_agreement", "agreement"))
    return t


class EndedRows:
    """The handler of ``ReadModels`` (a part of it) that makes the public list."""

    def _ended(self, ag: Agreement, e: Any, n: int) -> None:
        name = type(e).__qualname__
        if name == "Agreement.Ended":
            self.batch.ended.append({**ended_row(ag), "known_from": n, "reversed_on": None,
                                     "reversed_known_from": None})
        elif name == "Agreement.DecisionReversed" and e.decision == "ending":
            values = {"reversed_on": e.effective_on, "reversed_known_from": n}
            for row in self.batch.ended:
                if row["agreement"] == ag.number and row["reversed_on"] is None:
                    row.update(values)
                    return
            self.batch.ended_updates.append((ag.number, values))


def ended_as_of(view: ReadModelView, on: date | None, position: int) -> list[dict[str, Any]]:
    """The public list on ``on`` (every ending when None) as known at
    ``position``: endings by then, less those reversed by then."""
    t = view.t["ended"]
    q = sa.select(t).where(t.c.known_from <= position)
    if on is not None:
        q = q.where(t.c.ended_on <= on)
    rows = []
    with view.engine.connect() as conn:
        for r in conn.execute(q.order_by(t.c.ended_on, t.c.agreement)).mappings():
            reversed_ = r["reversed_on"] is not None and \
                (on is None or r["reversed_on"] <= on) and r["reversed_known_from"] <= position
            if not reversed_:
                rows.append(dict(r))
    return rows


def __getattr__(name: str) -> Any:
    """``HANDLERS`` (every Agreement event: it picks the endings and their
    reversals), made when the projection asks: a question on the table
    imports no domain (start-up, issue #14)."""
    if name == "HANDLERS":   # with what the handler uses, bound before it runs
        from domain.agreement import Agreement
        from projections.rows import ended_row
        globals()["ended_row"] = ended_row
        return {Agreement: EndedRows._ended}
    raise AttributeError(name)
