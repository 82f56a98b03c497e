"""Every invariant checker shown broken data (issue #18): a checker that
never reports would pass every test that only feeds it valid data.

- the AUD-06 identities of a fund position (projections/fund.py), each
  broken on its own;
- the identities over history (adapters/readmodels/verify.py), each of its
  four findings from a read-model row no event justifies, and rebuild ==
  live (AUD-02) from a corrupted status row and a lost one, on both stores;
- the hash chain (AUD-05): an event replaced by another one never sealed
  (the other tampering kinds are in tests/test_integrity.py).
"""
from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa

from adapters import integrity as I
from adapters.readmodels import catch_up, money_identities_at_every_point, verify, view_for
from projections.fund import Position, totals
from tests.audit_scenario import dba, sisters, table
from tests.builders import effective_agreement

AG = "XY-2025-001"


# --- AUD-06 on one position --------------------------------------------------------------------
def balanced(**changes) -> Position:
    """A position whose figures balance: 1,000.05 approved, 900.04 paid,
    100.01 withheld of which 70.01 returned, 25.00 forfeited, 5.00 held;
    8.00 to recover, 3.00 recovered; 12.34 refused by two reasons."""
    p = Position("TY", AG, "TY-H001", 2025, claimed=113239, refused=1234,
                 refused_by_reason={"non_injury": 1000, "noncompliant": 234},
                 approved=100005, paid=90004, withheld=10001, returned=7001, forfeited=2500,
                 still_held=500, to_recover=800, recovered=300)
    for name, value in changes.items():
        setattr(p, name, value)
    return p


def test_aud06_a_balanced_position_breaks_no_identity():
    assert balanced().identities() == []
    assert balanced(approved=100105, approved_unpaid=100).identities() == []
    assert balanced(recovered=800).identities() == []     # recovered may equal what is owed


@pytest.mark.parametrize("changes, broken", [
    ({"paid": 90005}, "approved = paid + withheld (+ approved, not yet paid)"),
    ({"approved": 100004}, "approved = paid + withheld (+ approved, not yet paid)"),
    ({"approved_unpaid": 1}, "approved = paid + withheld (+ approved, not yet paid)"),
    ({"returned": 7002}, "withheld = returned + forfeited + still held"),
    ({"still_held": 499}, "withheld = returned + forfeited + still held"),
    ({"forfeited": 2501}, "withheld = returned + forfeited + still held"),
    ({"recovered": 801}, "recovered <= to recover"),
    ({"refused": 1235}, "refused = sum of refusals by reason"),
    ({"refused_by_reason": {"non_injury": 1000}}, "refused = sum of refusals by reason"),
])
def test_aud06_each_identity_broken_by_one_fen_is_reported_alone(changes, broken):
    assert balanced(**changes).identities() == [broken]


def test_aud06_every_broken_identity_is_reported_at_once():
    p = balanced(paid=1, returned=1, recovered=10**6, refused=0)
    assert len(p.identities()) == 4


def test_aud06_totals_add_positions_column_by_column_and_keep_a_break_visible():
    a, b = balanced(), balanced(agency="DT", agreement="XY-DT", paid=90005)
    per_agency, fund = totals([a, b])
    assert fund.approved == 200010 and fund.paid == 180009 and fund.still_held == 1000
    assert fund.refused_by_reason == {"non_injury": 2000, "noncompliant": 468}
    assert per_agency["TY"].identities() == [] and per_agency["DT"].identities() != []
    assert fund.identities() == ["approved = paid + withheld (+ approved, not yet paid)"]


# --- AUD-06 over history, AUD-02 rebuild == live: store tests ------------------------------------
def _paid_and_cleared(clerk):
    """An agreement with a paid claim (100.01 yuan approved: 90.01 paid,
    10.00 withheld) and 50.00 yuan to recover, 20.00 recovered."""
    from domain.money import Money
    effective_agreement(clerk)
    clerk("submit_claim", "2025-04-03", agreement=AG, month="2025-03",
          items=[{"item_id": "a", "amount_fen": Money.parse("100.01").fen,
                  "service_date": date(2025, 3, 3), "injury": True, "practitioner_id": None,
                  "description": "住院"}])
    clerk("approve_claim", "2025-04-10", agreement=AG, month="2025-03")
    clerk("pay_claim", "2025-04-20", agreement=AG, month="2025-03", batch=1, ref="社银-1")
    clerk("order_recovery", "2025-05-06", agreement=AG, year=2025, amount_fen=5000,
          ground="MA43-1", ref="追-1")
    clerk("record_recovery", "2025-05-20", agreement=AG, year=2025, amount_fen=2000, ref="收-1")
    catch_up(clerk.ledger)
    return view_for(clerk.ledger)


def _post(view, col, amount, n=10**6):
    """A posting no event justifies, after everything else in the log."""
    with view.engine.begin() as conn:
        conn.execute(sa.insert(view.t["postings"]).values(
            notification_id=n, agency="TY", agreement=AG, institution="TY-H001", year=2025,
            col=col, amount=amount, effective_on=date(2025, 6, 1)))


@pytest.mark.parametrize("col, amount, finding", [
    ("paid", 1, "paid + withheld exceeds approved"),
    ("withheld", 1, "paid + withheld exceeds approved"),
    ("forfeited", 1001, "returned + forfeited exceeds withheld"),
    ("recovered", 3001, "recovered exceeds to recover"),
    ("claimed", -10**7, "a figure below zero"),
])
def test_aud06_each_identity_broken_in_the_postings_is_found_with_its_notification(
        clerk, ledger, col, amount, finding):
    view = _paid_and_cleared(clerk)
    assert money_identities_at_every_point(view) == []
    _post(view, col, amount)
    broken = money_identities_at_every_point(view)
    assert broken == [f"{AG} 2025 after notification {10**6}: {finding}"]


def test_aud06_a_posting_that_only_reaches_the_limit_breaks_nothing(clerk, ledger):
    view = _paid_and_cleared(clerk)
    _post(view, "forfeited", 1000)     # returned + forfeited == withheld exactly
    _post(view, "recovered", 3000, n=10**6 + 1)     # recovered == to recover exactly
    assert money_identities_at_every_point(view) == []


def test_aud06_a_break_in_the_middle_of_history_is_found_even_when_later_postings_mend_it(
        clerk, ledger):
    view = _paid_and_cleared(clerk)
    with view.engine.connect() as conn:
        first_paid = conn.execute(sa.select(sa.func.min(view.t["postings"].c.notification_id))
                                  .where(view.t["postings"].c.col == "paid")).scalar()
    # the payment counted twice at its own notification, taken back at the end
    _post(view, "paid", 9001, n=first_paid)
    _post(view, "paid", -9001, n=10**6)
    broken = money_identities_at_every_point(view)
    # broken from that notification on, at every later step, until the mend
    assert broken[0] == f"{AG} 2025 after notification {first_paid}: " \
                        "paid + withheld exceeds approved"
    assert all("paid + withheld exceeds approved" in b for b in broken)
    assert not any(f"after notification {10**6}:" in b for b in broken)
    assert len(broken) > 1


def test_aud02_a_corrupted_status_row_makes_rebuild_differ_from_live(clerk, ledger):
    _paid_and_cleared(clerk)
    assert verify(ledger)["rebuild_equals_live"] is True
    view = view_for(ledger)
    status = view.t["status"]
    with view.engine.begin() as conn:
        changed = conn.execute(sa.update(status).where(status.c.agreement == AG)
                               .values(why="被篡改")).rowcount
    assert changed
    result = verify(ledger)
    assert result["rebuild_equals_live"] is False and result["differences"] == ["status"]
    assert result["identities_broken"] == []


def test_aud02_a_lost_read_model_row_makes_rebuild_differ_from_live(clerk, ledger):
    _paid_and_cleared(clerk)
    view = view_for(ledger)
    postings = view.t["postings"]
    with view.engine.begin() as conn:
        conn.execute(sa.delete(postings).where(postings.c.col == "recovered"))
    result = verify(ledger)
    assert result["rebuild_equals_live"] is False and result["differences"] == ["postings"]


# --- AUD-05: the chain ---------------------------------------------------------------------------
def test_aud05_an_event_replaced_by_one_never_sealed_is_found(store, ledger, clerk):
    sisters(clerk)
    I.init_store(ledger, seal_unsealed=False)
    assert I.verify(ledger).ok
    ids = [nid for nid, _ in ledger.read_log()]
    target = ids[9]
    t = table(store, "ledger_events")
    # the row keeps its place in the log but now holds another aggregate's event
    dba(store, ledger, f"UPDATE {t} SET originator_version = originator_version + 1000, "
                       f"originator_id = (SELECT originator_id FROM {t} WHERE id = {ids[0]}) "
                       f"WHERE id = {target}")
    report = I.verify(ledger)
    assert not report.ok and report.first_bad == target
    assert report.problem.kind == "replaced" and report.checked == 9
    assert "was sealed here" in report.message()
