"""A lead: what starts an investigation (SUP-01; M 18, 29, 49).

A lead comes from a complaint (投诉) or a report (举报, M 49: by the agency's
staff, an employer or an injured worker), from a screening alert (SUP-06),
from the double-random draw (SUP-07) or as a referral from the
administrative department (M 42 "发现违约行为及时通知经办机构"). It names its
subject (the institution, and where known the agreement and the
practitioner), the day it was received and what it alleges. A complaint, a
report or a referral must be investigated (M 18 "应认真进行调查核实"): it
leaves the open list only by going into a case. A screening alert or a
drawn target may be set aside with a reason.

Who may see what is here too, because it is about the lead's own data: the
complainant's personal data only for investigators and auditors (SUP-03),
and a lead only for staff of its institution's agency or the province
(SUP-02).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from eventsourcing.domain import event

from domain.base import Envelope, LedgerAggregate, stable_id
from domain.errors import InvalidCommand, RuleViolation

SOURCES = ("complaint", "report", "screening", "draw", "referral")
# M 49: who may report suspected fraud; a complaint may come from anyone
REPORTERS = ("staff", "employer", "injured_worker", "public")
# only these may be set aside: they are the ledger's own prompts, not someone's accusation
MAY_SET_ASIDE = ("screening", "draw")
# SUP-03: who sees the complainant's personal data
SEES_PERSONAL_DATA = ("investigator", "auditor")
PROVINCE = "SX"
REDACTED = "(redacted: only investigators and auditors see personal data, SUP-03)"
PERSONAL_FIELDS = ("name", "contact", "id_no")


def check_source(source: str, reporter: str | None, complainant: dict[str, Any] | None,
                 rests_on: list[dict[str, Any]], origin: str) -> None:
    """SUP-01: what each source must say about where the lead came from."""
    if source not in SOURCES:
        raise InvalidCommand("unknown source {source!r}", rule="SUP-01",
                             remedy="use one of {SOURCES}", key="refusal.lead.unknown_source_source",
                             values={"source": source, "SOURCES": ', '.join(SOURCES)})
    if source in ("complaint", "report"):
        if reporter not in REPORTERS:
            raise InvalidCommand("a {source} says who made it", rule="SUP-01",
                                 remedy="give reporter as one of {REPORTERS} (M 49)",
                                 key="refusal.lead.says_who_made_it", values={"source": source,
                                 "REPORTERS": ', '.join(REPORTERS)})
    elif reporter is not None or complainant:
        raise InvalidCommand("a {source} lead has no reporter or complainant", rule="SUP-01",
                             remedy="leave reporter and complainant out",
                             key="refusal.lead.lead_has_no_reporter", values={"source": source})
    if complainant and not set(complainant) <= set(PERSONAL_FIELDS):
        raise InvalidCommand("the complainant is given by {PERSONAL_FIELDS}", rule="SUP-01",
                             remedy="leave out the other fields", key="refusal.lead.complainant_given_by",
                             values={"PERSONAL_FIELDS": ', '.join(PERSONAL_FIELDS)})
    if source in ("screening", "draw") and not (rests_on and origin):
        raise InvalidCommand("a {source} lead names the rule or draw and the events it rests on",
                             rule="SUP-01", remedy="record it by run_screening or publish_draw",
                             key="refusal.lead.lead_names_rule_or", values={"source": source})
    if source == "referral" and not origin:
        raise InvalidCommand("a referral names the department's notice", rule="SUP-01",
                             remedy="give origin: the notice's number",
                             key="refusal.lead.referral_names_department_s")


class Lead(LedgerAggregate):
    """One lead, found by its number."""

    @staticmethod
    def id_for(number: str):
        return stable_id("lead", number)

    @classmethod
    def receive(cls, *, number: str, source: str, institution_code: str, agency: str,
                agreement: str | None, person_id: str | None, received_on: date,
                allegation: str, reporter: str | None, complainant: dict[str, Any] | None,
                origin: str, rests_on: list[dict[str, Any]], effective_on: date,
                envelope: Envelope) -> "Lead":
        check_source(source, reporter, complainant, rests_on, origin)
        if not allegation.strip():
            raise InvalidCommand("a lead says what it alleges", rule="SUP-01",
                                 remedy="give the allegation", key="refusal.lead.lead_says_what_it")
        if received_on > effective_on:
            raise RuleViolation("a lead received on {received_on} cannot be recorded on "
                                "{effective_on}, before it came in", rule="SUP-01",
                                remedy="date the command on or after the day it was received",
                                key="refusal.lead.lead_received_on_cannot",
                                values={"received_on": received_on, "effective_on": effective_on})
        return cls._create(cls.Received, id=cls.id_for(number), number=number, source=source,
                           institution_code=institution_code, agency=agency,
                           agreement=agreement, person_id=person_id, received_on=received_on,
                           allegation=allegation, reporter=reporter,
                           complainant=dict(complainant) if complainant else None,
                           origin=origin, rests_on=list(rests_on), effective_on=effective_on,
                           envelope=envelope)

    class Received(LedgerAggregate.Created):
        number: str
        source: str
        institution_code: str
        agency: str
        agreement: str | None
        person_id: str | None
        received_on: date
        allegation: str
        reporter: str | None
        complainant: dict[str, Any] | None
        origin: str
        rests_on: list[dict[str, Any]]
        effective_on: date
        envelope: Envelope

    def __init__(self, number: str, source: str, institution_code: str, agency: str,
                 agreement: str | None, person_id: str | None, received_on: date,
                 allegation: str, reporter: str | None, complainant: dict[str, Any] | None,
                 origin: str, rests_on: list[dict[str, Any]], effective_on: date) -> None:
        self.number = number
        self.source = source
        self.institution_code = institution_code
        self.agency = agency
        self.agreement = agreement
        self.person_id = person_id
        self.received_on = received_on
        self.allegation = allegation
        self.reporter = reporter
        self.complainant = complainant
        self.origin = origin
        self.rests_on = rests_on
        self.case: str | None = None
        self.set_aside: dict[str, Any] | None = None

    @property
    def is_open(self) -> bool:
        return self.case is None and self.set_aside is None

    def _require_open(self) -> None:
        if self.case is not None:
            raise RuleViolation("lead {number} is already in case {case}", rule="SUP-04",
                                remedy="a lead goes into one case",
                                key="refusal.lead.lead_already_in_case", values={"number": self.number,
                                "case": self.case})
        if self.set_aside is not None:
            raise RuleViolation("lead {number} was set aside on {on}", rule="SUP-01",
                                remedy="record a new lead if it comes up again",
                                key="refusal.lead.lead_was_set_aside", values={"number": self.number,
                                "on": self.set_aside['on']})

    def join_case(self, *, case: str, effective_on: date, envelope: Envelope) -> None:
        self._require_open()
        self._joined(case=case, effective_on=effective_on, envelope=envelope)

    @event("JoinedCase")
    def _joined(self, case: str, effective_on: date, envelope: Envelope) -> None:
        self.case = case

    def put_aside(self, *, reason: str, effective_on: date, envelope: Envelope) -> None:
        self._require_open()
        if self.source not in MAY_SET_ASIDE:
            # M 18 "应认真进行调查核实": someone's complaint, report or referral is investigated
            raise RuleViolation("a {source} is investigated, never set aside", rule="SUP-01",
                                remedy="open a case on it; close the case as unfounded if it is",
                                key="refusal.lead.investigated_never_set_aside",
                                values={"source": self.source})
        if not reason.strip():
            raise InvalidCommand("setting a lead aside says why", rule="SUP-01",
                                 remedy="give the reason", key="refusal.lead.setting_lead_aside_says")
        self._set_aside(reason=reason, effective_on=effective_on, envelope=envelope)

    @event("SetAside")
    def _set_aside(self, reason: str, effective_on: date, envelope: Envelope) -> None:
        self.set_aside = {"reason": reason, "on": effective_on}

    def record(self) -> dict[str, Any]:
        """The lead as it stands, personal data and all: what the supervision
        read model keeps; :func:`lead_view` gives a reader their view of it."""
        return {"lead": self.number, "source": self.source, "institution": self.institution_code,
                "agency": self.agency, "agreement": self.agreement, "person_id": self.person_id,
                "received_on": self.received_on, "allegation": self.allegation,
                "reporter": self.reporter,
                "complainant": dict(self.complainant) if self.complainant else None,
                "origin": self.origin, "rests_on": [dict(r) for r in self.rests_on],
                "case": self.case,
                "status": "in case" if self.case else "set aside" if self.set_aside else "open",
                "set_aside": dict(self.set_aside) if self.set_aside else None}

    def view(self, viewer: "Viewer") -> dict[str, Any]:
        return lead_view(self.record(), viewer)


def lead_view(record: dict[str, Any], viewer: "Viewer") -> dict[str, Any]:
    """A lead's record as ``viewer`` may read it (SUP-02 is checked by the
    caller, who knows which leads it lists; SUP-03 here)."""
    complainant = record["complainant"]
    if complainant and not viewer.sees_personal_data:
        return {**record, "complainant": {k: REDACTED for k in complainant}}
    return record


@dataclass(frozen=True)
class Viewer:
    """Who asks a supervision question: their role, and the agency they work
    for (None: the operator on a direct store connection, who is not scoped,
    as domain/policies/access.py treats an actor with no account)."""

    role: str
    agency: str | None = None
    reads_province: bool = False

    @property
    def sees_personal_data(self) -> bool:
        return self.role in SEES_PERSONAL_DATA

    def reads(self, agency: str) -> bool:
        return self.agency is None or self.agency in (PROVINCE, agency) or self.reads_province


def check_agency(actor_agency: str | None, agency: str, what: str) -> None:
    """SUP-02 (M 4 "本级协议机构"): staff of a city agency record and read
    leads and cases only about their own agency's institutions."""
    if actor_agency is None or actor_agency in (PROVINCE, agency):
        return
    raise RuleViolation("{what} belongs to agency {agency}; staff of agency {actor_agency} act "
                        "only on their own agency's institutions", rule="SUP-02",
                        remedy="pass it to agency {agency} or the provincial agency (SX)",
                        key="refusal.lead.belongs_agency_staff_agency", values={"what": what,
                        "agency": agency, "actor_agency": actor_agency})
