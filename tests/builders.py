"""Realistic institutions and panels for tests (fakes, not mocks)."""
from __future__ import annotations

from datetime import date, timedelta

ALL_MATERIALS = ["application_letter", "licences", "management_rules",
                 "information_system", "fund_use_forecast"]


def facts(**overrides):
    base = {"credit_code": "12140000MB0000000X", "ownership": "public", "category": "general",
            "non_profit": True, "public": True, "licence_no": "PDY00001-14", "licence_date":
            date(2010, 5, 1), "level": 3, "legal_person": True,
            "business_started_on": date(2010, 5, 1), "address": "太原市迎泽区",
            "staff": {"doctors": 320, "senior_doctors": 80, "nurses": 500, "therapists": 30,
                      "technicians": 60, "other": 100},
            "volumes": {"outpatients": 400000, "inpatients": 30000, "surgeries": 9000,
                        "devices_fitted": 0, "average_outpatient_cost": "260.50",
                        "average_inpatient_cost": "12800.00"},
            "departments_with_beds": ["骨科", "烧伤科"], "beds": 1200,
            "large_equipment": ["CT", "MRI"]}
    base.update(overrides)
    return base


def register(clerk, code="TY-H001", *, kind="medical", subtype=None, on="2025-01-06",
             people=None, agency="TY", name=None, **fact_overrides):
    if people is None:
        people = [{"person_id": f"LR-{code}", "name": "法人" + code,
                   "role": "legal_representative"}]
    if kind == "rehab":
        fact_overrides.setdefault("category", "rehab")
        fact_overrides.setdefault("level", 2)
    if kind == "assistive":
        fact_overrides.setdefault("category", "assistive_fitter")
        fact_overrides.setdefault("level", 0)
    return clerk("register_institution", on, code=code, name=name or f"机构{code}", kind=kind,
                 subtype=subtype, agency=agency, facts=facts(**fact_overrides), people=people)


def panel(n=7, conflicts=()):
    return [{"member_id": f"E{i:02d}", "name": f"专家{i}", "role": "expert",
             "conflict": ("持有申请机构股份" if f"E{i:02d}" in conflicts else None)}
            for i in range(1, n + 1)]


def scorers(n=7, recused=()):
    return [f"E{i:02d}" for i in range(1, n + 1) if f"E{i:02d}" not in recused]


def accepted_application(clerk, code="TY-H001", number="SQ-001", on="2025-01-06", **kw):
    register(clerk, code, on=on, **kw)
    clerk("submit_application", on, number=number, institution=code, materials=ALL_MATERIALS)
    clerk("accept_application", on, application=number)
    return number


def evaluate(clerk, application, number, on, *, deductions=None, veto_failed=(),
             served_on=None, validity_years=1, passed_expected=None):
    clerk("form_panel", on, evaluation=number, application=application, members=panel())
    clerk("record_scores", on, evaluation=number, scored_by=scorers(),
          deductions=deductions or {}, awarded={}, veto_failed=list(veto_failed))
    result = clerk("conclude_evaluation", on, evaluation=number, report_no=f"RPT-{number}",
                   served_on=date.fromisoformat(served_on) if served_on else None,
                   validity_years=validity_years if passed_expected is not False else None,
                   reasons=[] if passed_expected is not False else ["床位配置不足"],
                   advice="" if passed_expected is not False else "增加康复床位后再申请评估")
    return result


def effective_agreement(clerk, code="TY-H001", number="XY-2025-001", *, kind="medical",
                        subtype=None, term_start="2025-01-01", signed_on="2024-12-20",
                        **kw):
    """An institution admitted by evaluation whose agreement took effect the
    day after its public notice ended."""
    app_no = f"SQ-{code}"
    signed = date.fromisoformat(signed_on)
    accepted_application(clerk, code, app_no, on=signed - timedelta(days=73), kind=kind,
                         subtype=subtype, **kw)
    evaluate(clerk, app_no, f"EV-{code}", str(signed - timedelta(days=35)))
    if kind == "rehab":
        clerk("select_rehab_pilot", signed - timedelta(days=30), agency=kw.get("agency", "TY"),
              institution=code)
    clerk("sign_agreement", signed_on, number=number, institution=code, agreement_type=None,
          term_start=date.fromisoformat(term_start), term_years=1, renewal_of=None,
          late_reason="")
    clerk("file_agreement", signed_on, agreement=number, filing_ref=f"备案-{number}")
    clerk("start_public_notice", signed_on, agreement=number, notice_ref=f"公示-{number}",
          until=date.fromisoformat(signed_on) + timedelta(days=7))
    tick(clerk, date.fromisoformat(signed_on) + timedelta(days=8))
    return number


def tick(clerk, to):
    to = date.fromisoformat(to) if isinstance(to, str) else to
    return clerk.ledger.tick(clerk.ctx(to, command_id=f"tick:{to}"), to=to)


def refused(rule, clerk, *args, **kwargs):
    """Run a command that must be refused with ``rule`` and record nothing."""
    import pytest
    from domain.errors import InvalidCommand, RuleViolation
    before = clerk.ledger.recorder.max_notification_id()
    with pytest.raises((RuleViolation, InvalidCommand)) as info:
        clerk(*args, **kwargs)
    assert info.value.rule == rule, f"expected {rule}, got {info.value.rule}: {info.value}"
    assert clerk.ledger.recorder.max_notification_id() == before, "a refusal recorded something"
    return info.value
