"""The practitioner bar register: ``rm_bars`` (proposed, approved and in
force, reversed), with the positions each step was recorded at.

Defined by the person's own state (``Person.bars``, replayed by its event
bodies). Handler: ``BarRows._bars``, for ``Person.BarProposed``,
``BarApproved`` and ``BarReversed``.
"""
from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa


if TYPE_CHECKING:
    from domain.person import Person
    from adapters.readmodels.schema import ReadModelView


def tables(metadata: sa.MetaData, prefix: str) -> dict[str, sa.Table]:
    t = {}
    t["bars"] = sa.Table(
        f"{prefix}_bars", metadata,
        sa.Column("person", sa.String(64), nullable=False),
        sa.Column("bar_no", sa.String(64), nullable=False),
        sa.Column("institution", sa.String(64), nullable=False),
        sa.Column("years", sa.Integer, nullable=False),
        sa.Column("finding", sa.Text, nullable=False),
        sa.Column("proposed_on", sa.Date, nullable=False),
        sa.Column("approved_on", sa.Date, nullable=True),
        sa.Column("approved_known_from", sa.BigInteger, nullable=True),
        sa.Column("until", sa.Date, nullable=True),
        sa.Column("reversed_on", sa.Date, nullable=True),
        sa.Column("reversed_known_from", sa.BigInteger, nullable=True),
        sa.Column("known_from", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint("person", "bar_no"))
    return t


class BarRows:
    """The handler of ``ReadModels`` (a part of it) that makes bar rows."""

    def _bars(self, person: Person, e: Any, n: int) -> None:
        name = type(e).__qualname__
        if name == "Person.BarProposed":
            bar = person.bars[e.bar_no]
            self.batch.bars.append({"person": person.person_id, "bar_no": e.bar_no,
                                    "institution": bar["institution"], "years": bar["years"],
                                    "finding": bar["finding"], "proposed_on": e.effective_on,
                                    "approved_on": None, "approved_known_from": None,
                                    "until": None, "reversed_on": None,
                                    "reversed_known_from": None, "known_from": n})
            return
        if name == "Person.BarApproved":
            values = {"approved_on": e.effective_on, "approved_known_from": n,
                      "until": e.until}
        elif name == "Person.BarReversed":
            values = {"reversed_on": e.effective_on, "reversed_known_from": n}
        else:
            return
        for row in self.batch.bars:
            if (row["person"], row["bar_no"]) == (person.person_id, e.bar_no):
                row.update(values)
                return
        self.batch.bar_updates.append(((person.person_id, e.bar_no), values))


def bars_as_of(view: ReadModelView, on: date | None, position: int, *,
               person: str | None = None, institution: str | None = None
               ) -> list[dict[str, Any]]:
    """The bar register on ``on`` (every step when None) as known at
    ``position``: each bar awaiting approval, approved (in force until its
    ``until``) or reversed, as its steps recorded by then say."""
    t = view.t["bars"]
    q = sa.select(t).where(t.c.known_from <= position)
    if person:
        q = q.where(t.c.person == person)
    if institution:
        q = q.where(t.c.institution == institution)
    rows = []
    with view.engine.connect() as conn:
        for r in conn.execute(q.order_by(t.c.person, t.c.bar_no)).mappings():
            row = dict(r)
            approved = row["approved_on"] is not None and \
                row["approved_known_from"] <= position and \
                (on is None or row["approved_on"] <= on)
            reversed_ = row["reversed_on"] is not None and \
                row["reversed_known_from"] <= position and \
                (on is None or row["reversed_on"] <= on)
            row["status"] = "reversed" if reversed_ else (
                "approved" if approved else "awaiting approval")
            if not approved:
                row["approved_on"] = row["until"] = None
            rows.append(row)
    return rows


def __getattr__(name: str) -> Any:
    """``HANDLERS`` (every Person event: it picks a bar's proposal, approval
    and reversal), made when the projection asks: a question on the table
    imports no domain (start-up, issue #14)."""
    if name == "HANDLERS":
        from domain.person import Person
        return {Person: BarRows._bars}
    raise AttributeError(name)
