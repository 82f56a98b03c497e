"""Institutions, people, applications and evaluations as they stood.

``build(events, as_of=..., known_at=...)`` folds the event log into a plain
state. ``as_of`` keeps only events that had taken effect by that business
date; ``known_at`` keeps only events recorded by that instant (AUD-03). The
fold is a pure function of the events: rebuilding gives the same state.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Iterable

from domain.application import MATERIALS, NOTICE_WORKING_DAYS
from domain.calendar import WorkingCalendar, YearArrangement, add_months, add_years
from domain.evaluation import REEVALUATION_WAIT_MONTHS, SECOND_FAIL_BAR_YEARS


@dataclass
class LedgerState:
    institutions: dict[str, dict[str, Any]] = field(default_factory=dict)
    persons: dict[str, dict[str, Any]] = field(default_factory=dict)
    applications: dict[str, dict[str, Any]] = field(default_factory=dict)
    evaluations: dict[str, dict[str, Any]] = field(default_factory=dict)
    rehab_pilots: dict[str, dict[str, str]] = field(default_factory=dict)
    calendar_years: dict[int, dict[str, Any]] = field(default_factory=dict)
    events_applied: int = 0
    index: dict[Any, dict[str, Any]] = field(default_factory=dict)  # aggregate id -> row

    def calendar(self) -> WorkingCalendar:
        return WorkingCalendar({y: YearArrangement.from_mapping(a)
                                for y, a in self.calendar_years.items()})


def event_name(e: Any) -> str:
    return type(e).__qualname__


def visible(e: Any, as_of: date | None, known_at: datetime | None) -> bool:
    eff = getattr(e, "effective_on", None)
    if as_of is not None and eff is not None and eff > as_of:
        return False
    if known_at is not None and e.timestamp > known_at:
        return False
    return True


def build(events: Iterable[Any], *, as_of: date | None = None,
          known_at: datetime | None = None) -> LedgerState:
    state = LedgerState()
    for e in events:
        if visible(e, as_of, known_at):
            apply(state, e)
    return state


def apply(s: LedgerState, e: Any) -> None:
    handler = _HANDLERS.get(event_name(e))
    if handler is not None:
        handler(s, e)
        s.events_applied += 1


# --- handlers: each only assigns state ------------------------------------------
def _inst_registered(s, e):
    s.institutions[e.code] = {"code": e.code, "name": e.name, "kind": e.kind,
                              "subtype": e.subtype, "agency": e.agency, "facts": dict(e.facts),
                              "people": [dict(p) for p in e.people],
                              "registered_on": e.effective_on, "bar_facts": [],
                              "applications": []}


def _facts_amended(s, e):
    row = s.index[e.originator_id]
    for k, v in e.changes.items():
        if k == "name":
            row["name"] = v
        else:
            row["facts"][k] = v


def _person_linked(s, e):
    s.index[e.originator_id]["people"].append(
        {"person_id": e.person_id, "role": e.role})


def _person_unlinked(s, e):
    people = s.index[e.originator_id]["people"]
    people[:] = [p for p in people if not (p["person_id"] == e.person_id and p["role"] == e.role)]


def _bar_fact_recorded(s, e):
    s.index[e.originator_id]["bar_facts"].append(
        {"ground": e.ground, "occurred_on": e.occurred_on, "note": e.note, "lifted_on": None})


def _bar_fact_lifted(s, e):
    for f in s.index[e.originator_id]["bar_facts"]:
        if f["ground"] == e.ground and f["lifted_on"] is None:
            f["lifted_on"] = e.lifted_on


def _application_filed(s, e):
    s.index[e.originator_id]["applications"].append(e.number)


def _person_registered(s, e):
    s.persons[e.person_id] = s.index[e.originator_id] = {
        "person_id": e.person_id, "name": e.name, "institutions": [], "dishonesty": []}


def _person_link(s, e):
    s.index[e.originator_id]["institutions"].append(
        {"code": e.institution_code, "role": e.role})


def _person_unlink(s, e):
    links = s.index[e.originator_id]["institutions"]
    links[:] = [x for x in links if not (x["code"] == e.institution_code and x["role"] == e.role)]


def _listed(s, e):
    s.index[e.originator_id]["dishonesty"].append(
        {"listed_on": e.listed_on, "delisted_on": None, "list_ref": e.list_ref})


def _delisted(s, e):
    for x in s.index[e.originator_id]["dishonesty"]:
        if x["delisted_on"] is None:
            x["delisted_on"] = e.delisted_on


def _submitted(s, e):
    s.applications[e.number] = s.index[e.originator_id] = {
        "number": e.number, "institution": e.institution_code,
        "agency": e.agency, "kind": e.kind, "subtype": e.subtype,
        "materials": sorted(e.materials), "received_on": e.effective_on, "status": "received",
        "notice": None, "accepted_on": None, "pauses": [], "exemption": None,
        "evaluations": [], "closed_on": None, "close_reason": ""}


def _app(s, e):
    return s.index[e.originator_id]


def _notice_sent(s, e):
    a = _app(s, e)
    a["notice"] = {"notice_no": e.notice_no, "missing": list(e.missing),
                   "supply_by": e.supply_by, "sent_on": e.effective_on}
    a["status"] = "awaiting_materials"


def _supplied(s, e):
    a = _app(s, e)
    a["materials"] = sorted(set(a["materials"]) | set(e.items))
    if a["pauses"] and a["pauses"][-1][1] is None:
        a["pauses"][-1][1] = e.effective_on
        a["status"] = "accepted"
    elif a["status"] == "awaiting_materials" and set(MATERIALS) <= set(a["materials"]):
        a["status"] = "received"


def _accepted(s, e):
    a = _app(s, e)
    a["accepted_on"] = e.effective_on
    a["status"] = "accepted"


def _supplement_requested(s, e):
    a = _app(s, e)
    a["pauses"].append([e.effective_on, None])
    a["status"] = "supplying"
    a["materials"] = sorted(set(a["materials"]) - set(e.items))


def _closed(status):
    def handler(s, e):
        a = _app(s, e)
        a["status"] = status
        a["closed_on"] = e.effective_on
        a["close_reason"] = "; ".join(getattr(e, "reasons", [])) or getattr(e, "reason", "")
    return handler


def _exempted(s, e):
    a = _app(s, e)
    a["exemption"] = {**e.basis, "exempted_on": e.effective_on}
    a["status"] = "exempted"


def _evaluation_started(s, e):
    a = _app(s, e)
    a["evaluations"].append(e.evaluation_no)
    a["status"] = "evaluating"


def _result_noted(s, e):
    a = _app(s, e)
    a["status"] = "passed" if e.passed else ("closed" if e.final else "failed")
    if e.final and not e.passed:
        a["closed_on"] = e.effective_on
        a["close_reason"] = "re-evaluation failed (EVA-05)"


def _panel_formed(s, e):
    s.evaluations[e.number] = s.index[e.originator_id] = {
        "number": e.number, "application": e.application_no,
        "institution": e.institution_code, "attempt": e.attempt, "form_id": e.form_id,
        "members": [m["member_id"] for m in e.members], "recused": list(e.recused),
        "formed_on": e.effective_on, "sheet": None, "result": None}


def _scored(s, e):
    s.index[e.originator_id]["sheet"] = {
        "scored_by": list(e.scored_by), "item_points": dict(e.item_points),
        "deductions": e.deductions, "veto_failed": list(e.veto_failed), "total": e.total,
        "scored_on": e.effective_on}


def _concluded(s, e):
    s.index[e.originator_id]["result"] = {
        "report_no": e.report_no, "result_on": e.effective_on, "served_on": e.served_on,
        "total": e.total, "passed": e.passed, "veto_failed": list(e.veto_failed),
        "valid_until": e.valid_until, "reasons": list(e.reasons), "advice": e.advice}


def _agency_opened(s, e):
    s.rehab_pilots[e.code] = s.index[e.originator_id] = {}


def _pilot_selected(s, e):
    s.index[e.originator_id][e.institution_code] = e.effective_on.isoformat()


def _pilot_released(s, e):
    s.index[e.originator_id].pop(e.institution_code, None)


def _year_loaded(s, e):
    s.calendar_years[int(e.year)] = dict(e.arrangement)


def _inst_created(s, e):
    _inst_registered(s, e)
    s.index[e.originator_id] = s.institutions[e.code]


_HANDLERS = {
    "Institution.Registered": _inst_created,
    "Institution.FactsAmended": _facts_amended,
    "Institution.PersonLinked": _person_linked,
    "Institution.PersonUnlinked": _person_unlinked,
    "Institution.BarFactRecorded": _bar_fact_recorded,
    "Institution.BarFactLifted": _bar_fact_lifted,
    "Institution.ApplicationFiled": _application_filed,
    "Person.Registered": _person_registered,
    "Person.LinkedToInstitution": _person_link,
    "Person.UnlinkedFromInstitution": _person_unlink,
    "Person.ListedAsDishonest": _listed,
    "Person.Delisted": _delisted,
    "Application.Submitted": _submitted,
    "Application.MaterialsNoticeSent": _notice_sent,
    "Application.MaterialsSupplied": _supplied,
    "Application.Accepted": _accepted,
    "Application.SupplementRequested": _supplement_requested,
    "Application.Declined": _closed("declined"),
    "Application.Withdrawn": _closed("withdrawn"),
    "Application.Exempted": _exempted,
    "Application.EvaluationStarted": _evaluation_started,
    "Application.ResultNoted": _result_noted,
    "Evaluation.PanelFormed": _panel_formed,
    "Evaluation.Scored": _scored,
    "Evaluation.Concluded": _concluded,
    "Agency.Opened": _agency_opened,
    "Agency.RehabPilotSelected": _pilot_selected,
    "Agency.RehabPilotReleased": _pilot_released,
    "CalendarBook.YearLoaded": _year_loaded,
}
