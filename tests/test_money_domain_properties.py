"""The money identities on what the domain produces (issue #18, AUD-06).

Hypothesis drives a Claim and its FundAccount through random queries,
explanations, holds and releases, corrections, a sample and its review,
approvals, payments, deposit clearing and forfeits, recoveries ordered and
received; commands the rules refuse are part of the run (and must change
nothing). After every step the figures the aggregates hold, the fund position
``projections.fund`` folds from their events and the columns the posting
rules (``projections.postings``) add up from the same events must satisfy
the identities and agree with one another, and the claimed total must be the
sum of the amounts the test itself put in: nothing here recomputes the
identities from numbers it made up.
"""
from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from domain.base import Envelope
from domain.calendar import WorkingCalendar
from domain.claim import Claim
from domain.errors import LedgerError
from domain.fund_account import FundAccount
from projections import postings
from projections.fund import positions
from projections.rows import money_numbers
from projections.status import build

ENV = Envelope("li.na", "finance", "c-prop")
CAL = WorkingCalendar()
START = date(2025, 4, 1)

amounts = st.integers(min_value=1, max_value=10**8)   # up to 1,000,000.00 yuan an item
item_ids = st.integers(min_value=0, max_value=5)   # an item of the claim, modulo its count
steps = st.one_of(
    st.tuples(st.just("query"), item_ids),
    st.tuples(st.just("explain"), item_ids, st.booleans()),
    st.tuples(st.just("refuse_unexplained"), item_ids),
    st.tuples(st.just("hold"), item_ids, st.sampled_from(["medical_dispute", "investigation"])),
    st.tuples(st.just("release"), item_ids, st.booleans()),
    st.tuples(st.just("correct"), item_ids, amounts, st.booleans()),
    st.tuples(st.just("sample")),
    st.tuples(st.just("review"), st.integers(min_value=0, max_value=100)),
    st.tuples(st.just("approve")),
    st.tuples(st.just("pay")),
    st.tuples(st.just("approve_and_pay")),
    st.tuples(st.just("dispute"), item_ids, st.booleans()),
    st.tuples(st.just("order_recovery"), st.integers(min_value=1, max_value=10**7)),
    st.tuples(st.just("record_recovery"), st.integers(min_value=1, max_value=10**7)),
    st.tuples(st.just("forfeit"), st.sampled_from([50, 100])),
    st.tuples(st.just("clear"), st.decimals(min_value=0, max_value=100, places=2)),
)


class Run:
    """One claim and its fund account, the events they produced, and the
    amounts the test put in (its own record of what was claimed)."""

    def __init__(self, items: list[tuple[int, bool]], agreement_type: str) -> None:
        self.day = START
        self.put_in = {f"i{n}": fen for n, (fen, _) in enumerate(items)}
        self.claim = Claim.submit(
            agreement="XY-1", institution_code="TY-H001", agency="TY", month="2025-03",
            items=[{"item_id": f"i{n}", "amount_fen": fen, "service_date": date(2025, 3, 3),
                    "injury": injury, "practitioner_id": None, "description": "费用"}
                   for n, (fen, injury) in enumerate(items)],
            networked=False, effective_on=START, envelope=ENV)
        self.account = FundAccount.open(agreement="XY-1", institution_code="TY-H001",
                                        agency="TY", agreement_type=agreement_type, year=2025,
                                        effective_on=START, envelope=ENV)
        self.events: list = []
        self.posted: dict[str, int] = {}
        self.posting_state: dict = {}
        self.collect()

    def collect(self) -> None:
        for aggregate in (self.claim, self.account):
            for e in aggregate.collect_events():
                self.events.append(e)
                name = type(e).__qualname__
                if e.originator_id not in self.posting_state:
                    self.posting_state[e.originator_id], deltas = postings.created(name,
                                                                                   e.__dict__)
                else:
                    deltas = postings.apply(name, self.posting_state[e.originator_id],
                                            e.__dict__)
                for col, fen in deltas.items():
                    self.posted[col] = self.posted.get(col, 0) + fen

    def step(self, op: tuple) -> None:
        op = list(op)
        self.day += timedelta(days=3)
        c, a, on = self.claim, self.account, {"effective_on": self.day, "envelope": ENV}
        kind, args = op[0], op[1:]
        if kind in ("query", "explain", "refuse_unexplained", "hold", "release", "correct") \
                and isinstance(args[0], int):
            args[0] = f"i{args[0] % len(self.put_in)}"
        if kind == "query":
            c.query_item(item_id=args[0], question="?", calendar=CAL, **on)
        elif kind == "explain":
            c.record_explanation(item_id=args[0], accepted=args[1], **on)
        elif kind == "refuse_unexplained":
            self.day += timedelta(days=7)   # past the 5 working days, most of the time
            c.refuse_unexplained(item_id=args[0], effective_on=self.day, envelope=ENV)
        elif kind == "hold":
            c.hold_item(item_id=args[0], hold=args[1], ref="h", **on)
        elif kind == "release":
            c.release_hold(item_id=args[0], medical_accident=args[1], **on)
        elif kind == "correct":
            c.correct_item(item_id=args[0], amount_fen=args[1], service_date=date(2025, 3, 9),
                           injury=args[2], reason="更正", corrects="c-0", **on)
            self.put_in[args[0]] = args[1]
        elif kind == "sample":
            c.draw_sample(seed="s", **on)
        elif kind == "review":
            todo = [i for i in (c.sample or {"items": []})["items"]
                    if i not in c.sample["reviewed"]]
            target = todo[0] if todo else "i0"
            part = c.items[target]["amount_fen"] * args[0] // 100
            c.review_sampled_item(item_id=target, noncompliant_fen=part, reason="不符", **on)
        elif kind == "approve":
            c.approve(**on)
        elif kind == "dispute":   # held for a medical dispute, released on the finding
            self.step(("hold", args[0], "medical_dispute"))
            self.collect()
            self.step(("release", args[0], args[1]))
        elif kind == "approve_and_pay":
            self.step(("approve",))
            self.collect()
            self.step(("pay",))
        elif kind == "pay":
            batch = next((b["batch"] for b in c.batches if b["paid_on"] is None), 1)
            paid = c.pay(batch=batch, ref="r", **on)
            # as the service books it: the withheld part goes to the year's deposit
            a.withhold(claim="XY-1:2025-03", batch=batch, amount_fen=paid["withheld"], **on)
            if paid["excess"]:
                a.order_recovery(amount_fen=paid["excess"], ground="PAY-03", ref="x", **on)
        elif kind == "order_recovery":
            a.order_recovery(amount_fen=args[0], ground="MA43-1", ref="追", **on)
        elif kind == "record_recovery":
            a.record_recovery(amount_fen=min(args[0], max(a.outstanding, 1)), ref="收", **on)
        elif kind == "forfeit":
            a.forfeit_share(percent=args[0], clause="DA36", **on)
        elif kind == "clear":
            a.clear(score=args[0], assessment="A", ref="清", **on)

    def check(self) -> None:
        c, a = self.claim, self.account
        # the claimed total is what the test put in, and every item is counted once
        assert c.claimed == sum(self.put_in.values())
        by_status: dict[str, int] = {}
        for row in c.items.values():
            by_status[row["status"]] = by_status.get(row["status"], 0) + row["amount_fen"]
        assert sum(by_status.values()) == c.claimed
        assert by_status.get("refused", 0) == sum(c.refused_by_reason().values())
        assert by_status.get("held", 0) == c.held
        # each approval: its items' amounts less what it deducted; paid 90%, withheld 10%
        for b in c.batches:
            gross = sum(r["amount_fen"] for r in c.items.values() if r["batch"] == b["batch"])
            assert b["gross"] == gross and b["approved"] == gross - b["deducted"] >= 0
            assert 0 <= b["deducted"] <= gross and b["excess"] >= 0
            if b["paid_on"] is not None:
                assert b["paid"] + b["withheld"] == b["approved"]
                assert b["withheld"] == (b["approved"] + 5) // 10   # 10%, half up
        unpaid = sum(b["approved"] for b in c.batches if b["paid_on"] is None)
        assert c.approved == c.paid + c.withheld + unpaid                    # AUD-06
        assert c.deducted == sum(d["deducted"] for d in c.deductions
                                 if d["batch"] is not None) - sum(b["excess"] for b in c.batches)
        # the deposit: what the payments withheld is returned, forfeited or still held
        assert a.withheld == c.withheld
        assert a.withheld == a.returned + a.forfeited + a.held and a.held >= 0   # AUD-06
        assert 0 <= a.recovered <= a.to_recover                                # AUD-06
        # the fund position folded from the events says the same
        [p] = positions(build(self.events))
        assert p.identities() == []
        assert (p.claimed, p.approved, p.paid, p.withheld, p.approved_unpaid) == \
            (c.claimed, c.approved, c.paid, c.withheld, unpaid)
        assert (p.returned, p.forfeited, p.still_held, p.to_recover, p.recovered) == \
            (a.returned, a.forfeited, a.held, a.to_recover, a.recovered)
        assert p.refused_by_reason == c.refused_by_reason() and p.held == c.held
        # and so do the posting rules, column by column
        expected = {k: v for k, v in {**money_numbers(c), **money_numbers(a)}.items() if v}
        assert {k: v for k, v in self.posted.items() if v} == expected


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(items=st.lists(st.tuples(amounts, st.booleans()), min_size=1, max_size=6),
       agreement_type=st.sampled_from(["MA", "RA", "DA"]),
       ops=st.lists(steps, min_size=3, max_size=30))
def test_aud06_random_claim_and_deposit_histories_keep_every_identity_at_every_step(
        items, agreement_type, ops):
    run = Run(items, agreement_type)
    run.check()
    for op in ops:
        before = (run.claim.state(), run.account.state(), len(run.events))
        try:
            run.step(op)
        except LedgerError:
            # a refused command changes nothing and records nothing
            assert (run.claim.state(), run.account.state()) == before[:2]
            assert run.claim.collect_events() == [] and run.account.collect_events() == []
            continue
        run.collect()
        run.check()


@settings(max_examples=60, deadline=None)
@given(items=st.lists(st.tuples(amounts, st.booleans()), min_size=1, max_size=6),
       ops=st.lists(steps, min_size=3, max_size=30))
def test_aud02_the_aggregates_replayed_from_their_events_hold_the_same_money(items, ops):
    run = Run(items, "DA")
    for op in ops:
        try:
            run.step(op)
        except LedgerError:
            continue
        run.collect()
    state = build(run.events)
    [claim] = state.claims.values()
    [account] = state.accounts.values()
    assert claim.state() == run.claim.state() and account.state() == run.account.state()


def test_aud06_a_clearing_score_between_bands_is_cleared_on_what_is_held_then():
    """One worked history: 3 approvals of odd amounts, a DA half forfeit,
    then clearing at 79.99 points (80%) of what is still held."""
    run = Run([(100005, True), (33333, True), (7, True)], "DA")
    for op in [("query", 1), ("approve",), ("pay",), ("explain", 1, True), ("approve",),
               ("pay",), ("forfeit", 50), ("clear", Decimal("79.99"))]:
        run.step(op)
        run.collect()
        run.check()
    c, a = run.claim, run.account
    # approvals 100012 and 33333: withheld 10001 + 3333 = 13334; paid 90011 + 30000
    assert (c.approved, c.paid, c.withheld) == (133345, 120011, 13334)
    # half of 133.34 = 66.67 forfeited; 80% of the 66.67 left = 53.336 -> 53.34 returned
    assert (a.forfeited, a.returned, a.held) == (6667 + 1333, 5334, 0)


def test_aud06_positions_add_every_claim_of_an_agreement_year_and_totals_keep_agencies_apart():
    """Two months of one agreement-year add up in one row; another agency's
    agreement is its own row; the fund's total is both, agency ALL."""
    def claim(agreement, agency, month, fen):
        c = Claim.submit(agreement=agreement, institution_code="TY-H001", agency=agency,
                         month=month, items=[{"item_id": "a", "amount_fen": fen,
                                              "service_date": date(2025, int(month[5:]), 3),
                                              "injury": True, "practitioner_id": None,
                                              "description": "费用"}],
                         networked=True, effective_on=START, envelope=ENV)
        c.approve(effective_on=START, envelope=ENV)
        c.pay(batch=1, ref="r", effective_on=START, envelope=ENV)
        return c
    claims = [claim("XY-1", "TY", "2025-02", 10001), claim("XY-1", "TY", "2025-03", 20003),
              claim("XY-9", "DT", "2025-03", 7)]
    events = [e for c in claims for e in c.collect_events()]
    rows = positions(build(events))
    assert [(p.agency, p.agreement, p.claimed, p.approved, p.paid, p.withheld) for p in rows] == [
        ("DT", "XY-9", 7, 7, 6, 1),
        ("TY", "XY-1", 30004, 30004, 27004, 3000)]   # 9001 + 18003 paid, 1000 + 2000 withheld
    from projections.fund import totals
    per_agency, fund = totals(rows)
    assert sorted(per_agency) == ["DT", "TY"] and per_agency["TY"].paid == 27004
    assert (fund.agency, fund.claimed, fund.paid, fund.withheld) == ("ALL", 30011, 27010, 3001)
