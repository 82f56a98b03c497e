"""PAY-10 at its edges: exact fen, and bounds that fit the fund (issue #12).

Rule tests run on the in-memory store: they are about the rule, not storage.
"""
from __future__ import annotations

from datetime import date

import pytest

from domain.errors import InvalidCommand
from domain.money import (AMOUNT_MAX_FEN, CLAIM_TOTAL_MAX_FEN, SUM_MAX_FEN, AmountOutOfBounds,
                          Money, check_sum)
from domain.service import Ledger
from tests.builders import effective_agreement, refused
from tests.conftest import Clerk

AG = "XY-2025-001"


@pytest.fixture
def clerk():
    clerk = Clerk(Ledger(env={"PERSISTENCE_MODULE": "eventsourcing.popo"}))
    effective_agreement(clerk)
    clerk.user, clerk.role = "zhao.fin", "finance"
    return clerk


def items(*fens):
    return [{"item_id": f"I{i}", "amount_fen": fen, "service_date": date(2025, 3, 10),
             "injury": True, "practitioner_id": None, "description": "住院"}
            for i, fen in enumerate(fens)]


def test_pay10_one_amount_is_at_most_100_million_yuan_to_the_fen(clerk):
    refused("PAY-10", clerk, "submit_claim", "2025-04-03", agreement=AG, month="2025-03",
            items=items(AMOUNT_MAX_FEN + 1))
    result = clerk("submit_claim", "2025-04-03", agreement=AG, month="2025-03",
                   items=items(AMOUNT_MAX_FEN))
    assert result["recorded"]
    assert Money(AMOUNT_MAX_FEN) == Money.parse("100000000.00")


def test_pay10_one_claim_is_at_most_a_billion_yuan_to_the_fen(clerk):
    ten = [AMOUNT_MAX_FEN] * 10
    refused("PAY-10", clerk, "submit_claim", "2025-04-03", agreement=AG, month="2025-03",
            items=items(*ten, 1))
    assert clerk("submit_claim", "2025-04-03", agreement=AG, month="2025-03",
                 items=items(*ten))["recorded"]
    assert sum(ten) == CLAIM_TOTAL_MAX_FEN


def test_pay10_a_correction_may_not_carry_a_claim_past_its_limit(clerk):
    first = clerk("submit_claim", "2025-04-03", agreement=AG, month="2025-03",
                  items=items(*[AMOUNT_MAX_FEN] * 9, AMOUNT_MAX_FEN - 8, 7))  # limit - 1 fen
    clerk.role = "case_officer"    # corrections are the case officer's (domain/roles.py)
    refused("PAY-10", clerk, "correct_claim_item", "2025-04-04", agreement=AG, month="2025-03",
            item_id="I10", amount_fen=9, service_date=date(2025, 3, 10), injury=True,
            corrects=first["command_id"], reason="录入错误")           # limit + 1 fen
    assert clerk("correct_claim_item", "2025-04-04", agreement=AG, month="2025-03",
                 item_id="I10", amount_fen=8, service_date=date(2025, 3, 10), injury=True,
                 corrects=first["command_id"], reason="录入错误")["recorded"]


def test_pay10_a_recovery_ordered_or_received_is_at_most_one_amounts_limit(clerk):
    refused("PAY-10", clerk, "order_recovery", "2025-05-06", agreement=AG, year=2025,
            amount_fen=AMOUNT_MAX_FEN + 1, ground="PAY-08", ref="追-1")
    refused("PAY-10", clerk, "record_recovery", "2025-05-06", agreement=AG, year=2025,
            amount_fen=AMOUNT_MAX_FEN + 1, ref="回-1")
    assert clerk("order_recovery", "2025-05-06", agreement=AG, year=2025,
                 amount_fen=AMOUNT_MAX_FEN, ground="PAY-08", ref="追-2")["recorded"]


@pytest.mark.parametrize("text, fen", [("0.01", 1), ("1,234.56", 123456), ("12", 1200),
                                       ("1,234,567.8", 123456780), ("100000000.00",
                                                                    AMOUNT_MAX_FEN),
                                       ("99999999.99", AMOUNT_MAX_FEN - 1)])
def test_pay10_yuan_parse_to_exact_fen(text, fen):
    assert Money.parse(text).fen == fen


@pytest.mark.parametrize("text", ["1,2,3", "12,34", "1,2345", ",123", "123,", "1.234",
                                  "１００", "٣", "1e2", "0x10", "+5", "1_000", "", "100000000.01",
                                  "9" * 16])
def test_pay10_anything_else_is_refused_not_guessed(text):
    with pytest.raises(ValueError):
        Money.parse(text)


def test_pay10_a_kept_sum_beyond_the_ledgers_limit_stops_the_read_model():
    assert check_sum(SUM_MAX_FEN) == SUM_MAX_FEN and check_sum(-SUM_MAX_FEN) == -SUM_MAX_FEN
    for bad in (SUM_MAX_FEN + 1, -SUM_MAX_FEN - 1, float(1), 10**30):
        with pytest.raises(AmountOutOfBounds):
            check_sum(bad)
    assert SUM_MAX_FEN * 1000 < 2**63 - 1


def test_pay10_the_read_models_stop_on_a_sum_they_cannot_keep_exactly(store):
    """A claim written without these bounds (by an older ledger, or around
    the domain) stops the read models with the rule, never a float kept or
    a row a later query cannot read."""
    from adapters.readmodels import catch_up
    from adapters.settings import open_ledger
    from domain.base import Envelope
    from domain.claim import Claim
    ledger = open_ledger(*store)
    try:
        clerk = Clerk(ledger)
        effective_agreement(clerk)
        catch_up(ledger)
        huge = Claim._create(Claim.Submitted, id=Claim.id_for(Claim.key(AG, "2025-03")),
                             agreement=AG, institution_code="TY-H001", agency="TY",
                             month="2025-03", items=items(SUM_MAX_FEN + 1), networked=False,
                             due_by=date(2025, 4, 5), late=False,
                             effective_on=date(2025, 4, 3),
                             envelope=Envelope("old", "finance", "old-1"))
        ledger.save(huge)
        with pytest.raises(AmountOutOfBounds, match="beyond the ledger's limit"):
            catch_up(ledger)
    finally:
        ledger.close()


# --- CAL-04: no act on an institution before it existed -----------------------------
@pytest.mark.parametrize("on, accepted", [("2022-09-30", False), ("2022-10-01", True),
                                          ("2022-10-02", True)])
def test_cal04_an_act_on_an_institution_takes_effect_no_earlier_than_it_started_business(
        on, accepted):
    from tests.builders import register
    clerk = Clerk(Ledger(env={"PERSISTENCE_MODULE": "eventsourcing.popo"}))
    register(clerk, "TY-H001", on="2025-01-06", business_started_on=date(2022, 10, 1))
    args = dict(number="SQ-1", institution="TY-H001", materials=["application_letter"])
    if accepted:   # received before the clerk registered it: keeps its own date
        assert clerk("submit_application", on, **args)["recorded"]
    else:
        error = refused("CAL-04", clerk, "submit_application", on, **args)
        assert "2022-10-01" in error.remedy
    # a fact about its past may lie earlier: people appointed before it opened
    assert clerk("link_person", "2022-06-01", institution="TY-H001", person_id="P-2",
                 name="李二", role="investor")["recorded"]
