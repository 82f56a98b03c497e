"""The fund-position view: ``rm_postings``, every change an event makes to a
fund-position column, per agreement and year, with its business date and
log position; a position as of D, as known at N, is a filtered sum.

Defined by the pure fold ``projections/fund.py`` (the aggregates' own
``money_numbers``); the rows come from the posting rules in
``projections/postings.py``, which a test checks against that fold event by
event. Handler: ``PostingRows._money``, for every Claim and FundAccount
event whose rule moves money (``routing.MONEY``).
"""
from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from adapters.readmodels.columns import _key_text
# the posting rules and the money checks import no aggregate: the folds that
# do (``projections.fund``, ``projections.rows``) are imported where used, so
# a question on another table does not load the domain (start-up, issue #14)
from domain.money import SUM_MAX_FEN, check_sum
from projections import postings

if TYPE_CHECKING:
    from projections.fund import Position
    from adapters.readmodels.schema import ReadModelView


def tables(metadata: sa.MetaData, prefix: str) -> dict[str, sa.Table]:
    t = {}
    t["postings"] = sa.Table(
        f"{prefix}_postings", metadata,
        sa.Column("notification_id", sa.BigInteger, nullable=False, index=True),
        sa.Column("agency", sa.String(8), nullable=False),
        sa.Column("agreement", _key_text(64), nullable=False),
        sa.Column("institution", sa.String(64), nullable=False),
        sa.Column("year", sa.Integer, nullable=False),
        sa.Column("col", sa.String(40), nullable=False),
        sa.Column("amount", sa.BigInteger, nullable=False),
        sa.Column("effective_on", sa.Date, nullable=False),
        sa.Index(f"{prefix}_postings_agreement", "agreement", "year"))
    return t


class PostingRows:
    """The handler of ``ReadModels`` (a part of it) that makes posting rows."""

    def _money(self, name: str, originator_id: str, version: int, payload: Any,
               day: str, n: int, is_created: bool, topic: str | None = None,
               state: bytes | None = None, domain_event: Any = None) -> None:
        """Postings of a claim or fund-account event by its posting rule; an
        event with no rule is replayed on its aggregate instead."""
        if is_created and name in postings.CREATED:
            money, deltas = postings.created(name, payload)
            self._about_money(name, originator_id, payload, n)
            if not deltas:
                # a zero posting: the account exists from its opening day, so its
                # agreement-year has a (zero) position before any money moves, as
                # the fold gives it
                deltas = {"returned": 0}
        elif not is_created and name in postings.RULES:
            money = self.money.get(originator_id)
            if money is None:   # first sight since this process started: as it stood before
                money = postings.from_aggregate(self._stored_aggregate(originator_id,
                                                                       version - 1))
            deltas = postings.apply(name, money, payload)
        else:   # an event no rule covers (rare): replayed on its aggregate
            from projections.rows import money_numbers, posting_deltas
            e = domain_event if domain_event is not None else \
                self._event(topic, originator_id, version, payload, state)
            before = None if is_created else self._stored_aggregate(originator_id, version - 1)
            numbers = money_numbers(before) if before is not None else {}
            after = e.mutate(None) if before is None else (e.apply(before) or before)
            deltas = posting_deltas(numbers, money_numbers(after))
            money = postings.from_aggregate(after)
        self.money[originator_id] = money
        agency, agreement, institution, year = money.key
        append = self.batch.postings.append
        for col, amount in deltas.items():
            if type(amount) is not int or not -SUM_MAX_FEN <= amount <= SUM_MAX_FEN:
                # PAY-10: stop here rather than let SQLite keep a float or
                # PostgreSQL refuse the row on every later query
                check_sum(amount, f"posting {col} of event #{n}")
            append((n, agency, agreement, institution, year, col, amount, day))


def positions_as_of(view: ReadModelView, on: date | None, position: int, *,
                    agreement: str | None = None, year: int | None = None,
                    agency: str | None = None) -> list[Position]:
    """Fund positions per agreement-year on ``on`` (every business date
    when None) as known at ``position``: the sums of the postings, with
    the still-held deposit and approved-but-unpaid amounts derived from
    them so that they cannot drift."""
    from projections.fund import Position
    t = view.t["postings"]
    q = (sa.select(t.c.agency, t.c.agreement, t.c.institution, t.c.year, t.c.col,
                   sa.func.sum(t.c.amount))
         .where(t.c.notification_id <= position)
         .group_by(t.c.agency, t.c.agreement, t.c.institution, t.c.year, t.c.col))
    if on is not None:
        q = q.where(t.c.effective_on <= on)
    if agreement:
        q = q.where(t.c.agreement == agreement)
    if year:
        q = q.where(t.c.year == year)
    if agency:
        q = q.where(t.c.agency == agency)
    rows: dict[tuple[str, int], Position] = {}
    with view.engine.connect() as conn:
        for agency_, agreement_, institution, year_, col, amount in conn.execute(q):
            p = rows.setdefault((agreement_, year_),
                                Position(agency_, agreement_, institution, year_))
            amount = check_sum(int(amount), f"{col} of {agreement_} {year_}")
            if col.startswith("refused:"):
                reason = col.split(":", 1)[1]
                p.refused_by_reason[reason] = p.refused_by_reason.get(reason, 0) + amount
                p.refused += amount
            else:
                setattr(p, col, getattr(p, col) + amount)
    for p in rows.values():
        p.still_held = p.withheld - p.returned - p.forfeited
        p.approved_unpaid = p.approved - p.paid - p.withheld
    return sorted(rows.values(), key=lambda p: (p.agency, p.agreement, p.year))
