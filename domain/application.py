"""An institution's application to sign an agreement: materials, the one-time
incomplete-materials notice, acceptance and the evaluation clock, the
exemption (ADM-01..07; M 12, 13, 16)."""
from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from eventsourcing.domain import event

from domain.base import Envelope, LedgerAggregate, stable_id
from domain.calendar import WorkingCalendar, add_months
from domain.errors import InvalidCommand, RuleViolation

# ADM-02: the five material items of M 12.
MATERIALS: dict[str, str] = {
    "application_letter": "申请书 (M 12(1))",
    "licences": "营业执照、执业许可证、等级证书复印件 (M 12(2))",
    "management_rules": "内部管理制度和财务文本 (M 12(3))",
    "information_system": "信息系统建设情况材料 (M 12(4))",
    "fund_use_forecast": "使用工伤保险基金的预测性分析报告 (M 12(5))",
}
NOTICE_WORKING_DAYS = 5       # ADM-04: "自收到材料之日起5个工作日内一次性告知"
EVALUATION_MONTHS = 3         # ADM-05: "评估时间不超过三个月"
MAX_EVALUATION_ATTEMPTS = 2   # EVA-05: an evaluation and one re-evaluation


def check_materials(items: list[str]) -> None:
    unknown = sorted(set(items) - set(MATERIALS))
    if unknown:
        raise InvalidCommand("unknown material item(s): {unknown}", rule="ADM-02",
                             remedy="use the M 12 items: {MATERIALS}",
                             key="refusal.application.unknown_material_item_s",
                             values={"unknown": ', '.join(unknown),
                             "MATERIALS": ', '.join(MATERIALS)})


class Application(LedgerAggregate):
    """One application (申请) by one institution to one agency."""

    @staticmethod
    def id_for(number: str):
        return stable_id("application", number)

    @classmethod
    def submit(cls, *, number: str, institution_code: str, agency: str, kind: str,
               subtype: str | None, materials: list[str], facts: dict[str, Any],
               effective_on: date, envelope: Envelope) -> "Application":
        check_materials(materials)
        return cls._create(cls.Submitted, id=cls.id_for(number), number=number,
                           institution_code=institution_code, agency=agency, kind=kind,
                           subtype=subtype, materials=sorted(set(materials)), facts=facts,
                           effective_on=effective_on, envelope=envelope)

    class Submitted(LedgerAggregate.Created):
        number: str
        institution_code: str
        agency: str
        kind: str
        subtype: str | None
        materials: list[str]
        facts: dict[str, Any]
        effective_on: date
        envelope: Envelope

    def __init__(self, number: str, institution_code: str, agency: str, kind: str,
                 subtype: str | None, materials: list[str], facts: dict[str, Any],
                 effective_on: date) -> None:
        self.number = number
        self.institution_code = institution_code
        self.agency = agency
        self.kind = kind
        self.subtype = subtype
        self.materials = set(materials)
        self.facts = dict(facts)
        self.received_on = effective_on
        self.status = "received"
        self.notice: dict[str, Any] | None = None
        self.accepted_on: date | None = None
        self.pauses: list[list[date | None]] = []   # [from, to] while supplying after acceptance
        self.exemption: dict[str, Any] | None = None
        self.evaluations: list[str] = []            # evaluation numbers in order
        self.closed_on: date | None = None
        self.close_reason = ""

    # --- derived facts ---------------------------------------------------------
    @property
    def missing(self) -> list[str]:
        return [m for m in MATERIALS if m not in self.materials]

    @property
    def is_open(self) -> bool:
        return self.status not in ("declined", "withdrawn", "closed")

    def notice_due(self, calendar: WorkingCalendar):
        """ADM-04/CAL-02: the one-time notice is due 5 working days after receipt."""
        return calendar.add_working_days(self.received_on, NOTICE_WORKING_DAYS)

    @property
    def paused_days(self) -> int:
        return sum((end - start).days for start, end in self.pauses if end is not None)

    @property
    def is_paused(self) -> bool:
        return bool(self.pauses) and self.pauses[-1][1] is None

    @property
    def evaluation_due(self) -> date | None:
        """ADM-05: 3 months from acceptance (CAL-03), pushed back by the days the
        applicant spent supplying materials after acceptance."""
        if self.accepted_on is None:
            return None
        return add_months(self.accepted_on, EVALUATION_MONTHS) + timedelta(days=self.paused_days)

    def _require_open(self) -> None:
        if not self.is_open:
            raise RuleViolation("application {number} is {status}",
                                remedy="file a new application",
                                key="refusal.application.application_number_status_2",
                                values={"number": self.number, "status": self.status})

    # --- ADM-04: the one-time notice of incomplete materials -------------------
    def send_materials_notice(self, *, notice_no: str, missing: list[str], supply_by: date,
                              effective_on: date, envelope: Envelope) -> None:
        self._require_open()
        check_materials(missing)
        if self.notice is not None:
            raise RuleViolation("application {number} already had its one-time notice "
                                "{notice_no} on {sent_on}", rule="ADM-04",
                                remedy="M 13 allows ONE notice listing every missing item; "
                                       "record the supplied materials instead",
                                key="refusal.application.application_already_had_its",
                                values={"number": self.number,
                                "notice_no": self.notice['notice_no'],
                                "sent_on": self.notice['sent_on']})
        if self.status != "received":
            raise RuleViolation("application {number} is already {status}", rule="ADM-04",
                                remedy="the notice comes before acceptance; after acceptance "
                                       "request supplementary materials instead",
                                key="refusal.application.application_already_number_status_2",
                                values={"number": self.number, "status": self.status})
        if not self.missing:
            raise RuleViolation("all five M 12 materials were received; there is nothing to "
                                "notify", rule="ADM-04", remedy="accept the application",
                                key="refusal.application.all_five_m_materials")
        if sorted(missing) != sorted(self.missing):
            raise RuleViolation("the notice must list every missing item at once: missing are "
                                "{missing}", rule="ADM-04", remedy="list exactly {missing}",
                                key="refusal.application.notice_must_list_every",
                                values={"missing": ', '.join(self.missing)})
        if supply_by <= effective_on:
            raise InvalidCommand("the supply deadline must lie after the notice date",
                                 rule="ADM-04", remedy="give a later supply_by date",
                                 key="refusal.application.supply_deadline_must_lie")
        if effective_on < self.received_on:
            raise InvalidCommand("a notice cannot precede receipt of the materials",
                                 remedy="date it on or after {received_on}",
                                 key="refusal.application.notice_cannot_precede_receipt",
                                 values={"received_on": self.received_on})
        self._notice_sent(notice_no=notice_no, missing=sorted(missing), supply_by=supply_by,
                          effective_on=effective_on, envelope=envelope)

    @event("MaterialsNoticeSent")
    def _notice_sent(self, notice_no: str, missing: list[str], supply_by: date,
                     effective_on: date, envelope: Envelope) -> None:
        self.notice = {"notice_no": notice_no, "missing": list(missing),
                       "supply_by": supply_by, "sent_on": effective_on}
        self.status = "awaiting_materials"

    def supply_materials(self, *, items: list[str], effective_on: date,
                         envelope: Envelope) -> None:
        self._require_open()
        check_materials(items)
        if not items:
            raise InvalidCommand("no items supplied", remedy="name the items received",
                                 key="refusal.application.no_items_supplied")
        already = sorted(set(items) & self.materials)
        if already and not self.is_paused:
            raise RuleViolation("already received: {already}",
                                remedy="name only items still missing",
                                key="refusal.application.already_received_already",
                                values={"already": ', '.join(already)})
        complete = not [m for m in MATERIALS if m not in self.materials | set(items)]
        status, resumes = None, False
        if self.is_paused:
            # ADM-05: the evaluation clock runs again once everything is supplied
            resumes = complete
            status = ("evaluating" if self.evaluations else "accepted") if complete else None
        elif self.status == "awaiting_materials" and complete:
            status = "received"   # ADM-04: the notice is answered in full
        self._supplied(items=sorted(items), status=status, resumes_clock=resumes,
                       effective_on=effective_on, envelope=envelope)

    class MaterialsSupplied(LedgerAggregate.Event):
        """Items received. ``status`` is the application's status after them
        (None: unchanged) and ``resumes_clock`` says the pause they end
        (ADM-05). Up to class_version 1 the body decided both from the
        state; an upcast v1 event carries ``resumes_clock`` None, and its
        replay runs that body, frozen (``_v1_supplied``)."""
        class_version = 2
        items: list[str]
        status: str | None
        resumes_clock: bool | None
        effective_on: date
        envelope: Envelope

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state["status"], state["resumes_clock"] = None, None

    @event(MaterialsSupplied)
    def _supplied(self, items: list[str], status: str | None, resumes_clock: bool | None,
                  effective_on: date, envelope: Envelope) -> None:
        self.materials |= set(items)
        if resumes_clock is None:   # an upcast v1 event
            self._v1_supplied(effective_on)
            return
        if resumes_clock:
            self.pauses[-1][1] = effective_on
        self.status = status or self.status

    def _v1_supplied(self, effective_on: date) -> None:
        """History: what a class_version 1 MaterialsSupplied body decided,
        frozen as it was (tests/test_replay_compat.py)."""
        if self.pauses and self.pauses[-1][1] is None:
            if not self.missing:
                self.pauses[-1][1] = effective_on
                self.status = "evaluating" if self.evaluations else "accepted"
        elif self.status == "awaiting_materials" and not self.missing:
            self.status = "received"

    # --- ADM-05: acceptance starts the evaluation clock ------------------------
    def accept(self, *, effective_on: date, envelope: Envelope) -> None:
        self._require_open()
        if self.status not in ("received", "awaiting_materials"):
            raise RuleViolation("application {number} is already {status}", rule="ADM-05",
                                remedy="accept only a received application",
                                key="refusal.application.application_already_number_status",
                                values={"number": self.number, "status": self.status})
        if self.missing:
            raise RuleViolation("materials are incomplete: {missing}", rule="ADM-04",
                                remedy="record the missing M 12 items as supplied first",
                                key="refusal.application.materials_are_incomplete_2",
                                values={"missing": ', '.join(self.missing)})
        self._accepted(effective_on=effective_on, envelope=envelope)

    @event("Accepted")
    def _accepted(self, effective_on: date, envelope: Envelope) -> None:
        self.accepted_on = effective_on
        self.status = "accepted"

    def request_supplement(self, *, items: list[str], reason: str, effective_on: date,
                           envelope: Envelope) -> None:
        """ADM-05: after acceptance the applicant supplies materials; the clock pauses."""
        self._require_open()
        if self.accepted_on is None:
            raise RuleViolation("the application is not accepted yet", rule="ADM-05",
                                remedy="before acceptance use the one-time notice (ADM-04)",
                                key="refusal.application.application_not_accepted_yet")
        if self.is_paused:
            raise RuleViolation("the applicant is already supplying materials", rule="ADM-05",
                                remedy="record the supplied materials first",
                                key="refusal.application.applicant_already_supplying_materials")
        if self.status not in ("accepted", "evaluating"):
            raise RuleViolation("application {number} is {status}", rule="ADM-05",
                                remedy="supplementary materials are asked for while the "
                                       "evaluation runs",
                                key="refusal.application.application_number_status",
                                values={"number": self.number, "status": self.status})
        self._supplement_requested(items=sorted(items), reason=reason,
                                   effective_on=effective_on, envelope=envelope)

    @event("SupplementRequested")
    def _supplement_requested(self, items: list[str], reason: str, effective_on: date,
                              envelope: Envelope) -> None:
        self.pauses.append([effective_on, None])
        self.status = "supplying"
        self.materials -= set(items)

    def decline(self, *, reasons: list[str], effective_on: date, envelope: Envelope) -> None:
        """不符合条件的，不予受理 (M 13): the agency does not accept it."""
        self._require_open()
        if self.accepted_on is not None:
            raise RuleViolation("an accepted application is decided by evaluation", rule="ADM-05",
                                remedy="record the evaluation result",
                                key="refusal.application.accepted_application_decided_by")
        if not reasons:
            raise InvalidCommand("a decline needs its reasons", rule="ADM-01",
                                 remedy="state which condition is not met",
                                 key="refusal.application.decline_needs_its_reasons")
        self._declined(reasons=reasons, effective_on=effective_on, envelope=envelope)

    @event("Declined")
    def _declined(self, reasons: list[str], effective_on: date, envelope: Envelope) -> None:
        self.status = "declined"
        self.closed_on = effective_on
        self.close_reason = "; ".join(reasons)

    def withdraw(self, *, reason: str, effective_on: date, envelope: Envelope) -> None:
        self._require_open()
        self._withdrawn(reason=reason, effective_on=effective_on, envelope=envelope)

    @event("Withdrawn")
    def _withdrawn(self, reason: str, effective_on: date, envelope: Envelope) -> None:
        self.status = "withdrawn"
        self.closed_on = effective_on
        self.close_reason = reason

    # --- ADM-06: exemption from evaluation -------------------------------------
    def exempt(self, *, basis: dict[str, Any], effective_on: date, envelope: Envelope) -> None:
        self._require_open()
        if self.evaluations:
            raise RuleViolation("an evaluation has already started", rule="ADM-06",
                                remedy="finish the evaluation",
                                key="refusal.application.evaluation_has_already_started")
        if self.missing:
            raise RuleViolation("materials are incomplete: {missing}", rule="ADM-04",
                                remedy="record the missing M 12 items first",
                                key="refusal.application.materials_are_incomplete",
                                values={"missing": ', '.join(self.missing)})
        if self.kind != "medical":
            raise RuleViolation("only medical agreements can be exempted; this is {kind}",
                                rule="ADM-06", remedy="organise an evaluation",
                                key="refusal.application.only_medical_agreements_can",
                                values={"kind": self.kind})
        level = str(self.facts.get("level", ""))
        category = str(self.facts.get("category", ""))
        problems = []
        if not (level.startswith("2") or level.startswith("3")):
            problems.append(f"level is {level or 'unknown'}, not level 2 or 3")
        if category not in ("general", "tcm"):
            problems.append(f"category is {category or 'unknown'}, not a general or TCM hospital")
        if not basis.get("basic_medical_designation"):
            problems.append("no Shanxi basic medical insurance designation given")
        if not basis.get("fits_planning"):
            problems.append("the agency has not confirmed it fits the planning")
        if problems:
            raise RuleViolation("M 16 exemption does not apply: {problems}", rule="ADM-06",
                                key="refusal.application.exemption_does_not_apply",
                                values={"problems": "; ".join(problems)},
                                remedy="organise an evaluation, or give the designation number "
                                       "and planning confirmation for a level-2/3 general or "
                                       "TCM hospital")
        self._exempted(basis=basis, effective_on=effective_on, envelope=envelope)

    @event("Exempted")
    def _exempted(self, basis: dict[str, Any], effective_on: date, envelope: Envelope) -> None:
        self.exemption = {**basis, "exempted_on": effective_on}
        self.status = "exempted"

    # --- evaluation attempts (EVA-05) ------------------------------------------
    def start_evaluation(self, *, evaluation_no: str, effective_on: date,
                         envelope: Envelope) -> None:
        self._evaluation_started(evaluation_no=evaluation_no,
                                 attempt=len(self.evaluations) + 1,
                                 effective_on=effective_on, envelope=envelope)

    @event("EvaluationStarted")
    def _evaluation_started(self, evaluation_no: str, attempt: int, effective_on: date,
                            envelope: Envelope) -> None:
        self.evaluations.append(evaluation_no)
        self.status = "evaluating"

    def note_result(self, *, evaluation_no: str, passed: bool, final: bool,
                    effective_on: date, envelope: Envelope) -> None:
        status, close_reason = self.result_status(passed, final)
        self._result_noted(evaluation_no=evaluation_no, passed=passed, final=final,
                           status=status, close_reason=close_reason,
                           effective_on=effective_on, envelope=envelope)

    @staticmethod
    def result_status(passed: bool, final: bool) -> tuple[str, str | None]:
        """EVA-04, EVA-05: the application's status after an evaluation's
        result, and why it closes when it does: a failed re-evaluation (the
        final attempt) closes it; a first fail leaves it open for one."""
        if passed:
            return "passed", None
        if final:
            return "closed", "re-evaluation failed (EVA-05)"
        return "failed", None

    class ResultNoted(LedgerAggregate.Event):
        """An evaluation's result, with the status it gives the application
        and, when it closes it, why. Up to class_version 1 the body worked
        both out; the upcast fills them in as that body did, from the
        event's own passed and final."""
        class_version = 2
        evaluation_no: str
        passed: bool
        final: bool
        status: str
        close_reason: str | None
        effective_on: date
        envelope: Envelope

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            passed, final = state["passed"], state["final"]
            state["status"] = "passed" if passed else ("closed" if final else "failed")
            state["close_reason"] = "re-evaluation failed (EVA-05)" \
                if final and not passed else None

    @event(ResultNoted)
    def _result_noted(self, evaluation_no: str, passed: bool, final: bool, status: str,
                      close_reason: str | None, effective_on: date,
                      envelope: Envelope) -> None:
        self.status = status
        if close_reason:
            self.closed_on = effective_on
            self.close_reason = close_reason

    def state(self) -> dict[str, Any]:
        return {
            "number": self.number, "institution": self.institution_code,
            "agency": self.agency, "kind": self.kind, "subtype": self.subtype,
            "status": self.status, "received_on": self.received_on,
            "missing": self.missing, "notice": self.notice, "accepted_on": self.accepted_on,
            "evaluation_due": self.evaluation_due, "paused_days": self.paused_days,
            "exemption": self.exemption, "evaluations": list(self.evaluations),
        }
