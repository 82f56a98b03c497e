"""A unit of work trusts its cached aggregates only while the log says no one
else has changed them (issue #14, core.LedgerRepository.bring_forward): one
look at the log before each unit instead of a fast-forward read of every
cached aggregate it loads. What another process recorded in between is seen
by the next unit (SUS-01: a suspension recorded elsewhere refuses the
claim), and what the unit itself wrote is read back from the cache without
asking the store, on both stores."""
from __future__ import annotations

from datetime import date

import pytest

from adapters.settings import open_ledger
from domain.agreement import Agreement
from domain.errors import RuleViolation
from domain.service import unit_of_work
from tests.builders import effective_agreement
from tests.conftest import Clerk

AG = "XY-2025-001"


def _suspend(clerk, command_id):
    clerk("suspend_agreement", "2025-03-03", _id=command_id, agreement=AG, kind="mandatory",
          ground="M38-2", start=None, requested_on=None, planned_days=None, months=None,
          notice_no="中止-1")


def _claim(clerk, command_id):
    clerk("submit_claim", "2025-04-02", _id=command_id, agreement=AG, month="2025-03",
          items=[{"item_id": "i1", "amount_fen": 10000, "service_date": date(2025, 3, 20),
                  "injury": True, "practitioner_id": None, "description": "工伤门诊"}])


def _in_a_unit(ledger, work):
    unit = unit_of_work.begin(ledger)
    try:
        result = work()
    except BaseException:
        unit_of_work.discard(ledger, unit)
        raise
    unit_of_work.commit(ledger, unit)
    return result


def test_sus01_a_unit_sees_what_another_process_recorded_since_the_last_unit(store):
    ledger, other = open_ledger(*store), open_ledger(*store)
    try:
        clerk = Clerk(ledger)
        effective_agreement(clerk)
        _in_a_unit(ledger, lambda: ledger.agreement(AG))        # cached, known current
        _suspend(Clerk(other), "elsewhere-1")                   # another process's write
        with pytest.raises(RuleViolation) as refused:
            _in_a_unit(ledger, lambda: _claim(clerk, "claim-1"))
        assert refused.value.rule == "SUS-01"
    finally:
        ledger.close()
        other.close()


def test_a_unit_reads_back_what_the_last_unit_wrote_without_asking_the_store(ledger):
    clerk = Clerk(ledger)
    effective_agreement(clerk)
    _in_a_unit(ledger, lambda: _suspend(clerk, "here-1"))
    asked = []
    select = ledger.recorder.select_events

    def counting(originator_id, **kwargs):
        asked.append(originator_id)
        return select(originator_id, **kwargs)

    ledger.recorder.select_events = counting
    agreement = _in_a_unit(ledger, lambda: ledger.agreement(AG))
    assert agreement.suspension is not None
    assert Agreement.id_for(AG) not in asked
