"""The clock on a renewal in force on its predecessor's expiry day (AGR-05,
M 51): what the tick answers is what it stored, and the same facts give the
same log whichever of the two agreements is brought up to the day first."""
from __future__ import annotations

from datetime import date

import pytest

from domain.errors import RuleViolation

from tests.builders import tick
from tests.conftest import memory_ledger as ledger  # noqa: F401  (rule tests: in memory)
from tests.test_edges_clock import AG, EXPIRY, ONE_DAY, RENEWAL, renewal_in_notice, seen

ORDERS = ["the tick visits the old agreement first",
          "a command on the renewal brings it up to the day first",
          "a command on the old agreement brings it up to the day first"]


def test_agr05_the_tick_reports_the_old_agreement_ended_by_a_renewal_in_force_on_expiry(clerk):
    renewal_in_notice(clerk, until=date(2025, 12, 31))
    assert tick(clerk, EXPIRY - ONE_DAY)["recorded"] == []
    assert seen(tick(clerk, EXPIRY)["recorded"]) == [
        (AG, "Ended", "2026-01-01", "RENEWED"),
        (RENEWAL, "TookEffect", "2026-01-01", None)]


def test_agr05_the_tick_reports_the_predecessor_ended_when_it_reaches_the_day_late(clerk):
    renewal_in_notice(clerk, until=date(2025, 12, 31))
    assert (AG, "Ended", "2026-01-01", "RENEWED") in \
        seen(tick(clerk, EXPIRY + ONE_DAY)["recorded"])


@pytest.mark.parametrize("order", ORDERS)
def test_agr05_m51_a_renewal_in_force_on_expiry_leaves_no_continuation_in_either_order(
        clerk, ledger, order):
    renewal_in_notice(clerk, until=date(2025, 12, 31))
    if order == ORDERS[1]:
        clerk("record_change", "2026-01-01", agreement=RENEWAL, change="level",
              approved_on=date(2026, 1, 1), reported_on=date(2026, 1, 1), details="升为三级")
    if order == ORDERS[2]:
        # LedgerCore._advance decides the renewal's effect first too: the old
        # agreement is ended RENEWED that day, not continued, so an act on it is refused
        with pytest.raises(RuleViolation) as refused:
            clerk("record_change", "2026-01-01", agreement=AG, change="level",
                  approved_on=date(2026, 1, 1), reported_on=date(2026, 1, 1), details="升为三级")
        assert refused.value.rule == "TER-03"
    tick(clerk, EXPIRY)
    old, new = ledger.agreement(AG), ledger.agreement(RENEWAL)
    assert old.continued_on is None
    assert (old.ending["ended_on"], old.ending["ground"]) == (EXPIRY, "RENEWED")
    assert new.took_effect_on == EXPIRY
    assert tick(clerk, EXPIRY + ONE_DAY)["recorded"] == []


def test_m51_a_renewal_in_force_only_after_expiry_still_continues_the_old_one(clerk, ledger):
    # the edge on the other side: in force on 2 January, the old one continues on the 1st
    renewal_in_notice(clerk, until=date(2026, 1, 1))
    assert seen(tick(clerk, EXPIRY)["recorded"]) == \
        [(AG, "ContinuedUnderArt51", "2026-01-01", None)]
    assert ledger.agreement(AG).continued_on == EXPIRY
