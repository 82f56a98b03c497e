"""Every event carries its business date, who recorded it, the command and the
document (AUD-04, CAL-04); a repeated command id records nothing new."""
from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

from domain.errors import Conflict
from tests.builders import ALL_MATERIALS, register


def test_aud04_every_event_records_actor_role_command_document_and_both_dates(clerk, ledger):
    before = datetime.now(timezone.utc)
    register(clerk, "TY-H001")
    clerk("submit_application", "2025-01-06", number="SQ-1", institution="TY-H001",
          materials=["application_letter"])
    clerk("send_materials_notice", "2025-01-08", application="SQ-1", notice_no="晋工伤补〔2025〕3号",
          missing=["licences", "management_rules", "information_system", "fund_use_forecast"],
          supply_by=date(2025, 1, 20))
    events = [e for _, e in ledger.read_log()]
    assert events
    for e in events:
        assert isinstance(e.effective_on, date)                       # CAL-04 business date
        assert e.timestamp >= before                                  # recorded instant
        assert e.envelope.user == "wang.li" and e.envelope.role == "case_officer"
        assert e.envelope.command_id.startswith("cmd-")
    notice = next(e for e in events if type(e).__qualname__ == "Application.MaterialsNoticeSent")
    assert notice.envelope.document == "晋工伤补〔2025〕3号"
    assert notice.effective_on == date(2025, 1, 8)


def test_cal04_a_late_recorded_notice_keeps_its_past_business_date(clerk, ledger):
    register(clerk, "TY-H001", on="2025-01-06")
    clerk("submit_application", "2024-12-30", number="SQ-1", institution="TY-H001",
          materials=ALL_MATERIALS)
    submitted = [e for _, e in ledger.read_log()
                 if type(e).__qualname__ == "Application.Submitted"][0]
    assert submitted.effective_on == date(2024, 12, 30)
    assert submitted.timestamp.date() > date(2024, 12, 30)


def test_a_repeated_command_id_answers_the_first_result_and_records_nothing(clerk, ledger):
    register(clerk, "TY-H001")
    first = clerk("submit_application", "2025-01-06", _id="c-42", number="SQ-1",
                  institution="TY-H001", materials=ALL_MATERIALS)
    count = ledger.recorder.max_notification_id()
    again = clerk("submit_application", "2025-01-06", _id="c-42", number="SQ-1",
                  institution="TY-H001", materials=ALL_MATERIALS)
    assert ledger.recorder.max_notification_id() == count
    assert first["recorded"] is True and again["recorded"] is False
    assert {k: v for k, v in first.items() if k != "recorded"} == \
        {k: v for k, v in again.items() if k != "recorded"}


def test_a_command_id_reused_for_a_different_command_is_refused(clerk, ledger):
    register(clerk, "TY-H001")
    clerk("submit_application", "2025-01-06", _id="c-42", number="SQ-1",
          institution="TY-H001", materials=ALL_MATERIALS)
    count = ledger.recorder.max_notification_id()
    with pytest.raises(Conflict):
        clerk("submit_application", "2025-01-06", _id="c-42", number="SQ-2",
              institution="TY-H001", materials=ALL_MATERIALS)
    assert ledger.recorder.max_notification_id() == count


def test_a_second_process_on_the_same_store_sees_the_same_answer(store, clerk, ledger):
    from adapters.settings import open_ledger
    from tests.conftest import Clerk
    register(clerk, "TY-H001")  # the clerk's first command: id cmd-00001
    other = open_ledger(*store)
    try:
        again = Clerk(other)("register_institution", "2025-01-06", _id="cmd-00001",
                             code="TY-H001", name="机构TY-H001", kind="medical", subtype=None,
                             agency="TY", facts=ledger.institution("TY-H001").facts,
                             people=[{"person_id": "LR-TY-H001", "name": "法人TY-H001",
                                      "role": "legal_representative"}])
        assert again["recorded"] is False
    finally:
        other.close()
