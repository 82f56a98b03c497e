"""Open deadlines and obligations on a date (applications', agreements' and
cases'), and the public registers, derived from the status read model.

Every deadline names its rule, its due date, whether it is overdue on the
date asked, and whether it is provisional (computed over a year whose
official arrangement the ledger does not know, CAL-01).
"""
from __future__ import annotations

from datetime import date
from typing import Any

from domain.agreement import VOLUNTARY_MAX_DAYS
from domain.calendar import period_last_day
from domain.case import Case, case_deadlines
from projections.status import LedgerState

# The English of each deadline's "what" and each status's "why"
# (projections/deadline_words.py, which imports no domain: adapters/list_words.py
# reads a stored text back by these shapes on every question's start-up)
from projections.deadline_words import WHAT, WHY  # noqa: E402


def what(key: str, **values: Any) -> str:
    return WHAT[key].format(**values)


def open_deadlines(state: LedgerState, on: date) -> list[dict[str, Any]]:
    cal = state.calendar()
    rows: list[dict[str, Any]] = []
    for a in state.applications.values():
        evaluations = [state.evaluations[n] for n in a.evaluations if n in state.evaluations]
        rows.extend(application_deadlines(a, evaluations, cal))
    for ag in state.agreements.values():
        rows.extend(agreement_deadlines(ag, cal))
    # a case's requests for explanation (SUP-05); the state keeps cases only in its index
    for case in state.index.values():
        if isinstance(case, Case):
            rows.extend(case_deadlines(case, cal))
    return on_date(rows, on)


def on_date(rows: list[dict[str, Any]], on: date) -> list[dict[str, Any]]:
    """The deadlines of a subject's state that are open on ``on``: a pass's
    expiry shows until the day it expires; overdue when the date is past due."""
    out = []
    for r in rows:
        if r["shown_until"] is not None and r["shown_until"] < on:
            continue
        out.append({"subject": r["subject"], "what": r["what"], "rule": r["rule"],
                    "due": r["due"], "overdue": r["overdue_possible"] and on > r["due"],
                    "provisional": r["provisional"]})
    out.sort(key=lambda r: (r["due"], r["subject"], r["what"]))
    return out


def _adder(rows: list[dict[str, Any]], subject: str):
    def add(what: str, rule: str, due: date, provisional: bool = False,
            overdue_possible: bool = True, shown_until: date | None = None) -> None:
        rows.append({"subject": subject, "what": what, "rule": rule, "due": due,
                     "overdue_possible": overdue_possible, "provisional": bool(provisional),
                     "shown_until": shown_until})
    return add


def application_deadlines(a: Any, evaluations: list[Any], cal: Any) -> list[dict[str, Any]]:
    """An application's deadlines as its state and its evaluations' say,
    independent of the day asked (``on_date`` applies that)."""
    rows: list[dict[str, Any]] = []
    if not a.is_open or a.status == "exempted":
        return rows
    add = _adder(rows, f"application {a.number}")
    if a.accepted_on is None and a.missing and a.notice is None:
        d = a.notice_due(cal)
        add(what("notice_due"), "ADM-04", d.due, d.provisional)
    if a.notice is not None and a.accepted_on is None and a.missing:
        d = cal.act_deadline(a.notice["supply_by"])
        add(what("supply", missing=", ".join(a.missing)), "ADM-04", d.due, d.provisional)
    if a.is_paused:
        add(what("supply_paused", missing=", ".join(a.missing)), "ADM-05", a.pauses[-1][0],
            overdue_possible=False)
    first = evaluations[0] if evaluations else None
    # ADM-05 times the first evaluation only; a re-evaluation follows EVA-05.
    if a.evaluation_due and a.status in ("accepted", "evaluating") and \
            (first is None or first.result is None):
        add(what("finish_evaluation", days=a.paused_days), "ADM-05",
            a.evaluation_due)
    last = evaluations[-1] if evaluations else None
    if a.status == "failed" and last and last.reevaluation_from:
        add(what("reevaluation"), "EVA-05", last.reevaluation_from,
            overdue_possible=False)
    if a.status == "passed" and last and last.result:
        add(what("pass_expires"), "EVA-04", last.result["valid_until"],
            overdue_possible=False, shown_until=last.result["valid_until"])
    return rows


def agreement_deadlines(ag: Any, cal: Any) -> list[dict[str, Any]]:
    """An agreement's deadlines and open obligations, as its state says."""
    rows: list[dict[str, Any]] = []
    if ag.is_ended:
        return rows
    add = _adder(rows, f"agreement {ag.number}")
    if ag.took_effect_on is None and ag.notice is not None:
        add(what("notice_ends"), "AGR-02", ag.notice["until"], overdue_possible=False)
    if ag.took_effect_on is None and ag.filing is None:
        add(what("file_and_notice"), "AGR-02", ag.signed_on, overdue_possible=False)
    s = ag.suspension
    if s is not None and s["kind"] == "voluntary" and s["resumption_applied_on"] is None:
        d = cal.act_deadline(period_last_day(s["start"], VOLUNTARY_MAX_DAYS))
        add(what("resume_or_end"), "SUS-02", d.due, d.provisional)
    if s is not None and s["kind"] == "disciplinary":
        add(what("disciplinary_ends"), "SUS-04", s["planned_end"], overdue_possible=False)
    if s is not None and ag.took_effect_on and s.get("planned_end") and \
            s["planned_end"] > ag.term_end:
        add(what("past_expiry"), "SUS-05", ag.term_end, overdue_possible=False)
    if ag.took_effect_on is not None and ag.continued_on is None:
        if ag.renewal["applied_on"] is None:
            add(what("apply_renewal"), "AGR-05",
                _months_before(ag.term_end), overdue_possible=True)
        add(what("term_ends"), "AGR-05", ag.term_end, overdue_possible=False)
    if ag.early_end is not None:
        add(what("notice_to_end", by=ag.early_end["by"]), "AGR-07",
            ag.early_end["ends_on"], overdue_possible=False)
    for c in ag.changes:
        if c["reported_on"] is None:
            d = cal.add_working_days(c["approved_on"], 30)
            add(what("report_change", change=c["change"], approved_on=c["approved_on"]),
                "AGR-06", d.due, d.provisional)
    for o in ag.obligations:
        if o["discharged_on"] is None:
            add(what("obligation", kind=o["kind"].replace("_", " "), ground=o["ground"],
                     reason=o["reason"]), o["rule"], o["raised_on"])
    return rows


def _months_before(term_end: date) -> date:
    from domain.agreement import RENEWAL_NOTICE_MONTHS
    from domain.calendar import add_months
    return add_months(term_end, -RENEWAL_NOTICE_MONTHS)


def public_ended_list(state: LedgerState) -> list[dict[str, Any]]:
    """TER-03: agreements ended, with the date and the ground (M 39)."""
    rows = []
    for ag in state.agreements.values():
        if ag.ending is None:
            continue
        inst = state.institutions.get(ag.institution_code)
        rows.append({"agreement": ag.number, "institution": ag.institution_code,
                     "name": inst.name if inst else "", "agency": ag.agency,
                     "ended_on": ag.ending["ended_on"], "ground": ag.ending["ground"],
                     "article": ag.ending["article"], "breach": ag.ending["is_breach"],
                     "reason": ag.ending["reason"], "aftercare": ag.ending["aftercare"]})
    rows.sort(key=lambda r: (r["ended_on"], r["agreement"]))
    return rows


def bar_register(state: LedgerState, *, person_id: str | None = None,
                 institution: str | None = None) -> list[dict[str, Any]]:
    """SAN-01: practitioner bars, by person or by institution."""
    rows = []
    for person in state.persons.values():
        if person_id and person.person_id != person_id:
            continue
        for bar in person.bars.values():
            if institution and bar["institution"] != institution:
                continue
            status = ("reversed" if bar["reversed_on"] else
                      "awaiting approval" if bar["approved_on"] is None else "approved")
            rows.append({"person": person.person_id, "name": person.name, **bar,
                         "status": status})
    rows.sort(key=lambda r: (r["person"], r["bar_no"]))
    return rows


def agreement_status(ag, on: date | None = None) -> dict[str, Any]:
    """What an agreement is (on a day, when given), and why, with the
    governing dates."""
    s = ag.suspension
    suspended = s is not None and (on is None or s["start"] <= on)
    if ag.status == "stopped":
        status, why = "stopped", ag.stopped["reason"]
    elif ag.ending is not None:
        status = "ended"
        why = WHY["ended"].format(ground=ag.ending["ground"], article=ag.ending["article"],
                                  reason=ag.ending["reason"])
    elif ag.took_effect_on is None:
        status = "in notice" if ag.notice else "signed"
        why = WHY["notice_until"].format(until=ag.notice["until"]) if ag.notice else \
            WHY["not_filed"]
    elif suspended:
        status = f"suspended ({s['kind']})"
        shape = "suspended" + ("_resume" if s.get("resume_by") else "") + \
            ("_until" if s.get("planned_end") else "")
        why = WHY[shape].format(start=s["start"], ground=s["ground"],
                                resume_by=s.get("resume_by"), planned_end=s.get("planned_end"))
    else:
        status = "active" + (" (continued under M 51)" if ag.continued_on else "")
        why = WHY["in_force"].format(since=ag.took_effect_on)
    return {"agreement": ag.number, "institution": ag.institution_code, "type":
            ag.agreement_type, "status": status, "why": why, "term_start": ag.term_start,
            "term_end": ag.term_end, "took_effect_on": ag.took_effect_on,
            "ended_on": ag.ending["ended_on"] if ag.ending else None,
            "aftercare_duty": bool(ag.ending and ag.ending["aftercare"]),
            "obligations": [o for o in ag.obligations if o["discharged_on"] is None]}
