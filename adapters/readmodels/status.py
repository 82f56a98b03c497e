"""The status view: ``rm_status``, each agreement's status over business
time (``valid_from``, ``valid_to``) per knowledge version (``known_from``,
``known_to``).

Defined by the pure fold ``projections/status.py`` (``status_of`` and
``timeline`` in ``projections/rows.py``: the agreement's own event bodies).
Handler: ``StatusRows._status``, for every Agreement event.
"""
from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from adapters.readmodels.columns import FAR, _key_text

# projections.rows' status_of and timeline: bound with HANDLERS (below), which
# alone hands the handler to the projection, so they are there when it runs
status_of: Any = None
timeline: Any = None

if TYPE_CHECKING:
    from domain.agreement import Agreement
    from adapters.readmodels.schema import ReadModelView


def tables(metadata: sa.MetaData, prefix: str) -> dict[str, sa.Table]:
    t = {}
    t["status"] = sa.Table(
        f"{prefix}_status", metadata,
        sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("agreement", _key_text(64), nullable=False),
        sa.Column("institution", sa.String(64), nullable=False),
        sa.Column("agency", sa.String(8), nullable=False),
        sa.Column("valid_from", sa.Date, nullable=False),
        sa.Column("valid_to", sa.Date, nullable=False),
        sa.Column("status", sa.String(64), nullable=False),
        sa.Column("why", sa.Text, nullable=False),
        sa.Column("known_from", sa.BigInteger, nullable=False),
        sa.Column("known_to", sa.BigInteger, nullable=False),
        sa.Index(f"{prefix}_status_agreement", "agreement", "valid_from"))
    return t


class StatusRows:
    """The handler of ``ReadModels`` (a part of it) that makes status rows."""

    def _status(self, ag: Agreement, e: Any, n: int) -> None:
        """Bitemporal status: a new knowledge version of the agreement's
        timeline whenever what it says changes."""
        rows = self._open_rows("status", ag.number, new=hasattr(e, "originator_topic"))
        status, why = status_of(ag, e.effective_on)
        tail = rows[-1] if rows else None
        if tail is not None and e.effective_on >= tail["valid_from"]:
            if (tail["status"], tail["why"]) == (status, why):
                return
            self._close("status", tail, n)
            rows.pop()
            if e.effective_on > tail["valid_from"]:
                rows.append(self._row(ag, tail["valid_from"], e.effective_on, tail["status"],
                                      tail["why"], n))
            rows.append(self._row(ag, e.effective_on, FAR, status, why, n))
            return
        if tail is None and not hasattr(e, "originator_topic"):
            pass  # first sight of an older agreement: recompute its timeline below
        elif tail is None:
            rows.append(self._row(ag, e.effective_on, FAR, status, why, n))
            return
        # A backdated event: recompute the whole timeline as now known.
        for row in rows:
            self._close("status", row, n)
        rows.clear()
        events = self._events_recorded_by(e.originator_id, e)
        points = timeline(events)
        for i, (start, st, wy) in enumerate(points):
            end = points[i + 1][0] if i + 1 < len(points) else FAR
            rows.append(self._row(ag, start, end, st, wy, n))

    def _row(self, ag: Agreement, start: date, end: date, status: str, why: str,
             n: int) -> dict[str, Any]:
        return self._new_row("status", {
            "agreement": ag.number, "institution": ag.institution_code, "agency": ag.agency,
            "valid_from": start, "valid_to": end, "status": status, "why": why,
            "known_from": n, "known_to": 0})


def status_as_of(view: ReadModelView, on: date, position: int,
                 agreement: str | None = None,
                 institution: str | None = None) -> list[dict[str, Any]]:
    """Each agreement's status on ``on`` as the ledger knew it at
    ``position`` (AUD-03): the row valid then, of the version known then."""
    t = view.t["status"]
    q = (sa.select(t.c.agreement, t.c.institution, t.c.agency, t.c.status, t.c.why,
                   t.c.valid_from)
         .where(t.c.valid_from <= on).where(t.c.valid_to > on)
         .where(t.c.known_from <= position)
         .where(sa.or_(t.c.known_to == 0, t.c.known_to > position)))
    if agreement:
        q = q.where(t.c.agreement == agreement)
    if institution:
        q = q.where(t.c.institution == institution)
    from adapters.list_words import in_words, said_why
    with view.engine.connect() as conn:
        rows = [dict(r) for r in conn.execute(q.order_by(t.c.agreement)).mappings()]
    return in_words(rows, "why", said_why)


def __getattr__(name: str) -> Any:
    """``HANDLERS`` (every agreement event), made when the projection asks:
    a question on the table imports no domain (start-up, issue #14)."""
    if name == "HANDLERS":   # with what the handler uses, bound before it runs
        from domain.agreement import Agreement
        from projections import rows
        globals().update(status_of=rows.status_of, timeline=rows.timeline)
        return {Agreement: StatusRows._status}
    raise AttributeError(name)
