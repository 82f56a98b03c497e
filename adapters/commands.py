"""Commands at the boundary: pydantic validates every command before the
domain sees it. A command is one JSON object:

    {"id": "c-0001", "command": "submit_application", "date": "2025-01-06",
     "actor": {"user": "wang.li", "role": "case_officer"},
     "document": "晋工伤评〔2025〕1号", "fields": {...}}

``date`` is the business date the command takes effect (CAL-04), ``document``
the notice or form it rests on (optional). Unknown commands, missing or
mistyped fields and badly formatted dates are refused with what would be
valid; nothing is recorded.
"""
from __future__ import annotations

import difflib
import re
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any, Literal

from pydantic import (BaseModel, BeforeValidator, ConfigDict, Field, ValidationError,
                      field_validator)

from adapters.boundary import (BusinessDay, Code, Day, Name, Text, check_tree, load_line,
                               printable)

from domain.application import MATERIALS
from domain.base import ROLES, Context
from domain.errors import InvalidCommand
from domain.rules import is_rule
from domain.institution import ASSISTIVE_SUBTYPES, BAR_FACT_CODES, KINDS, PERSON_ROLES
from domain.money import Money
from domain.service import Ledger


def _points(value: Any) -> Decimal:
    """Scores are exact decimals with at most 2 places; floats are refused
    because they cannot say 0.1 exactly."""
    if isinstance(value, bool) or isinstance(value, float):
        raise ValueError("give points as a string such as \"2.5\" or a whole number, not a float")
    try:
        d = Decimal(str(value))
    except InvalidOperation:
        raise ValueError(f"not a number of points: {value!r}") from None
    if not d.is_finite() or abs(d) > 1000:   # no form item is worth more than 100
        raise ValueError(f"not a number of points: {value!r}")
    if d != d.quantize(Decimal("0.01")):
        raise ValueError("points have at most 2 decimal places")
    return d


Points = Annotated[Decimal, BeforeValidator(_points)]
# a deduction is a JSON pair [points, reason]; strict mode reads a pair only as a tuple
Deduction = Annotated[tuple[Points, Text],
                      BeforeValidator(lambda v: tuple(v) if isinstance(v, list) else v)]
COUNT_MAX = 1_000_000   # staff, beds, patients: no institution counts more
MaterialItem = Literal[tuple(MATERIALS)]  # type: ignore[valid-type]


class Strict(BaseModel):
    # strict: "12" is not 12, 1 is not true, and a date is only YYYY-MM-DD
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True,
                              populate_by_name=True, strict=True)


class Actor(Strict):
    user: Code
    role: Literal[ROLES]  # type: ignore[valid-type]


class Envelope(Strict):
    id: Code = Field(description="command id; a repeated id is answered with the first result")
    command: str
    date: BusinessDay
    actor: Actor
    document: Name = ""
    fields: dict[str, Any] = Field(default_factory=dict)


# --- the commands' fields -----------------------------------------------------
class PersonIn(Strict):
    person_id: Code
    name: Name = ""
    role: Literal[PERSON_ROLES]  # type: ignore[valid-type]


class Staff(Strict):
    doctors: int = Field(0, ge=0, le=COUNT_MAX)
    senior_doctors: int = Field(0, ge=0, le=COUNT_MAX)
    nurses: int = Field(0, ge=0, le=COUNT_MAX)
    therapists: int = Field(0, ge=0, le=COUNT_MAX)
    technicians: int = Field(0, ge=0, le=COUNT_MAX)
    other: int = Field(0, ge=0, le=COUNT_MAX)


class Volumes(Strict):
    """Previous year's volumes and average costs (F1); costs in yuan strings."""
    outpatients: int = Field(0, ge=0, le=COUNT_MAX)
    inpatients: int = Field(0, ge=0, le=COUNT_MAX)
    surgeries: int = Field(0, ge=0, le=COUNT_MAX)
    devices_fitted: int = Field(0, ge=0, le=COUNT_MAX)
    average_outpatient_cost: Name = "0"
    average_inpatient_cost: Name = "0"


class Facts(Strict):
    """The F1 application form's facts (ADM-02)."""
    credit_code: Text = ""
    ownership: Text = ""
    category: Literal["general", "tcm", "rehab", "specialty", "assistive_fitter", "other"]
    non_profit: bool = True
    public: bool = True
    licence_no: Text = ""
    licence_date: Day | None = None
    level: int = Field(0, ge=0, le=3, description="hospital level 1-3, 0 for none")
    legal_person: bool = True
    business_started_on: Day | None = None
    address: Text = ""
    staff: Staff = Field(default_factory=Staff)
    volumes: Volumes = Field(default_factory=Volumes)
    departments_with_beds: list[Text] = Field(default_factory=list)
    beds: int = Field(0, ge=0, le=COUNT_MAX)
    large_equipment: list[Text] = Field(default_factory=list)
    networked_settlement: bool = Field(False, description="settles claims over the network; "
                                                          "otherwise claims are due by the 5th")


class RegisterInstitution(Strict):
    code: Code
    name: Name = Field(min_length=1)
    kind: Literal[KINDS]  # type: ignore[valid-type]
    subtype: Literal[ASSISTIVE_SUBTYPES] | None = None  # type: ignore[valid-type]
    agency: Code
    facts: Facts
    people: list[PersonIn] = Field(default_factory=list)


class _NameOnly(Strict):
    name: Name = Field(min_length=1)


class AmendInstitution(Strict):
    institution: Code
    changes: dict[str, Any] = Field(min_length=1)

    @field_validator("changes")
    @classmethod
    def _known_facts(cls, v: dict[str, Any]) -> dict[str, Any]:
        """Each change names an F1 fact (or the name) with a value of its type."""
        checked: dict[str, Any] = {}
        for key, value in v.items():
            if key == "name":
                checked[key] = _NameOnly.model_validate({"name": value}).name
                continue
            if key not in Facts.model_fields:
                raise ValueError(f"{printable(key)!r} is not an F1 fact; use one of "
                                 f"{', '.join(Facts.model_fields)}")
            # the field as Facts declares it: its type, its bounds, strictly
            facts = Facts.model_construct()
            Facts.__pydantic_validator__.validate_assignment(facts, key, value)
            checked[key] = _to_domain(getattr(facts, key))
        return checked


class LinkPerson(Strict):
    institution: Code
    person_id: Code
    name: Name = ""
    role: Literal[PERSON_ROLES]  # type: ignore[valid-type]


class UnlinkPerson(Strict):
    institution: Code
    person_id: Code
    role: Literal[PERSON_ROLES]  # type: ignore[valid-type]


class ListAsDishonest(Strict):
    person_id: Code
    listed_on: Day
    list_ref: Text = Field(min_length=1)


class DelistDishonest(Strict):
    person_id: Code
    delisted_on: Day


class RecordBarFact(Strict):
    institution: Code
    ground: Literal[BAR_FACT_CODES]  # type: ignore[valid-type]
    occurred_on: Day
    note: Text = Field(min_length=1)


class LiftBarFact(Strict):
    institution: Code
    ground: Literal[BAR_FACT_CODES]  # type: ignore[valid-type]
    lifted_on: Day
    note: Text = ""


class LoadCalendarYear(Strict):
    arrangement: dict[str, Any]


class SubmitApplication(Strict):
    number: Code
    institution: Code
    materials: list[MaterialItem]  # type: ignore[valid-type]


class SendMaterialsNotice(Strict):
    application: Code
    notice_no: Code
    missing: list[MaterialItem] = Field(min_length=1)  # type: ignore[valid-type]
    supply_by: Day


class SupplyMaterials(Strict):
    application: Code
    items: list[MaterialItem] = Field(min_length=1)  # type: ignore[valid-type]


class ApplicationOnly(Strict):
    application: Code


class RequestSupplement(Strict):
    application: Code
    items: list[MaterialItem] = Field(min_length=1)  # type: ignore[valid-type]
    reason: Text = Field(min_length=1)


class DeclineApplication(Strict):
    application: Code
    reasons: list[Text] = Field(min_length=1)


class WithdrawApplication(Strict):
    application: Code
    reason: Text = Field(min_length=1)


class ExemptFromEvaluation(Strict):
    application: Code
    basic_medical_designation: Text = Field(min_length=1)
    fits_planning: bool


class Member(Strict):
    member_id: Code
    name: Name = ""
    role: Literal["expert", "agency_staff", "administrative_staff"] = "expert"
    conflict: Text | None = Field(None, description="the conflict of interest, if any: recused")


class FormPanel(Strict):
    evaluation: Code
    application: Code
    members: list[Member] = Field(min_length=1)


class RecordScores(Strict):
    evaluation: Code
    scored_by: list[Code] = Field(min_length=1)
    deductions: dict[str, list[Deduction]] = Field(default_factory=dict)
    awarded: dict[str, Points] = Field(default_factory=dict)
    veto_failed: list[Literal["V1", "V2", "V3", "V4", "V5"]] = Field(default_factory=list)

    @field_validator("deductions")
    @classmethod
    def _reasons(cls, v: dict[str, list[tuple[Decimal, str]]]):
        for code, rows in v.items():
            for amount, reason in rows:
                if amount <= 0:
                    raise ValueError(f"item {code}: a deduction is a positive number of points")
                if not reason.strip():
                    raise ValueError(f"item {code}: every deduction needs its reason (EVA-06)")
        return v


class ConcludeEvaluation(Strict):
    evaluation: Code
    report_no: Code
    served_on: Day | None = None
    validity_years: Literal[1, 2] | None = None
    reasons: list[Text] = Field(default_factory=list)
    advice: Text = ""


class SelectRehabPilot(Strict):
    agency: Code
    institution: Code


class ReleaseRehabPilot(Strict):
    agency: Code
    institution: Code
    reason: Text = Field(min_length=1)


# --- agreements (AGR, SUS, TER, SAN, DIS) -------------------------------------
Party = Literal["agency", "institution"]


class AgreementOnly(Strict):
    agreement: Code


class SignAgreement(Strict):
    number: Code
    institution: Code
    agreement_type: Literal["MA", "RA", "DA"] | None = None
    term_start: Day
    term_years: Literal[1, 2] = 1
    renewal_of: Code | None = None
    late_reason: Text = ""


class FileAgreement(Strict):
    agreement: Code
    filing_ref: Code


class StartPublicNotice(Strict):
    agreement: Code
    notice_ref: Code
    until: Day


class RaiseObjection(Strict):
    agreement: Code
    objection_no: Code
    raised_by: Text = Field(min_length=1)
    summary: Text = Field(min_length=1)


class DecideObjection(Strict):
    agreement: Code
    objection_no: Code
    upheld: bool
    reason: Text = Field(min_length=1)


class RecordChange(Strict):
    agreement: Code
    change: Literal["name", "ownership", "legal_representative", "level", "address",
                    "service_scope", "merger"]
    approved_on: Day
    reported_on: Day | None = None
    details: Text = ""


class ReportChange(Strict):
    agreement: Code
    change: Literal["name", "ownership", "legal_representative", "level", "address",
                    "service_scope", "merger"]
    reported_on: Day


class ApplyForRenewal(Strict):
    agreement: Code
    applied_on: Day


class ObjectToRenewal(Strict):
    agreement: Code
    raised_by: Party
    summary: Text = Field(min_length=1)


class RefuseRenewal(Strict):
    agreement: Code
    reason: Text = Field(min_length=1)


class GiveNoticeToEnd(Strict):
    agreement: Code
    given_by: Party
    reason: Text = Field(min_length=1)


class SuspendAgreement(Strict):
    agreement: Code
    kind: Literal["voluntary", "mandatory", "disciplinary"]
    ground: Text = ""
    start: Day | None = None
    requested_on: Day | None = None
    planned_days: int | None = Field(None, ge=1, le=3660)
    months: int | None = Field(None, le=120)
    notice_no: Text = ""


class CorrectSuspension(Strict):
    agreement: Code
    corrects: Code = Field(description="the command id that recorded the suspension")
    start: Day
    reason: Text = Field(min_length=1)
    months: int | None = Field(None, description="disciplinary: the months (3 to 6), when "
                                                 "they are corrected too")


class ApplyForResumption(Strict):
    agreement: Code
    applied_on: Day


class RecordInspection(Strict):
    agreement: Code
    passed: bool
    report_ref: Code


class RecordBreachFinding(Strict):
    agreement: Code
    clause: Code
    found_on: Day
    facts: Text = Field(min_length=1)
    sanctions: list[Text] = Field(default_factory=list)


class TerminateAgreement(Strict):
    agreement: Code
    ground: Code
    notice_no: Text = ""
    notice_on: Day | None = None
    reported_on: Day | None = None
    report_ref: Text = ""
    reason: Text = ""


class ProposePractitionerBar(Strict):
    bar_no: Code
    person_id: Code
    name: Name = ""
    institution: Code
    years: int = Field(ge=1, le=100)
    finding: Text = Field(min_length=1)


class ApprovePractitionerBar(Strict):
    bar_no: Code
    person_id: Code
    approval_ref: Code


class ReportBarToRegulator(Strict):
    bar_no: Code
    person_id: Code
    regulator: Text = Field(min_length=1)
    report_ref: Code


class OpenDispute(Strict):
    number: Code
    institution: Code
    agreement: Code | None = None
    person_id: Code | None = None
    bar_no: Code | None = None
    matter: Literal["signing", "performing", "changing", "ending", "practitioner_bar"]
    route: Literal["negotiation", "coordination", "administrative_review", "litigation"]
    decision: Literal["ending", "suspension", "bar", "other"] = "other"
    summary: Text = Field(min_length=1)


class ChangeDisputeRoute(Strict):
    number: Code
    route: Literal["negotiation", "coordination", "administrative_review", "litigation"]


class RecordDisputeOutcome(Strict):
    number: Code
    outcome: Literal["decision_upheld", "decision_reversed", "settled", "withdrawn"]
    ref: Code
    summary: Text = Field(min_length=1)


# --- money (PAY, ASM, DEP) -----------------------------------------------------
def _yuan_to_fen(value: Any) -> int:
    """PAY-10: amounts arrive as yuan with at most 2 decimals ("1,234.50" or
    1234); a float is refused, it cannot say every fen exactly."""
    if isinstance(value, bool) or isinstance(value, float):
        raise ValueError("give money as a string such as \"1234.50\", not a float")
    try:
        return Money.parse(str(value)).fen
    except ValueError as e:
        raise ValueError(str(e)) from None


Fen = Annotated[int, BeforeValidator(_yuan_to_fen)]
Month = Annotated[str, Field(pattern=r"^[0-9]{4}-(0[1-9]|1[0-2])$")]


class ClaimItem(Strict):
    item_id: Code
    amount_fen: Fen = Field(alias="amount")
    service_date: Day
    injury: bool = True
    practitioner_id: Code | None = None
    description: Text = ""


class SubmitClaim(Strict):
    agreement: Code
    month: Month
    items: list[ClaimItem] = Field(min_length=1)


class ClaimRef(Strict):
    agreement: Code
    month: Month


class CorrectClaimItem(ClaimRef):
    item_id: Code
    amount_fen: Fen = Field(alias="amount")
    service_date: Day
    injury: bool = True
    corrects: Code = Field(description="the command id that submitted the claim")
    reason: Text = Field(min_length=1)


class DrawSample(ClaimRef):
    seed: Code | None = None


class ReviewSampledItem(ClaimRef):
    item_id: Code
    noncompliant_fen: Fen = Field(alias="noncompliant")
    reason: Text = ""


class QueryClaimItem(ClaimRef):
    item_id: Code
    question: Text = Field(min_length=1)


class RecordExplanation(ClaimRef):
    item_id: Code
    accepted: bool


class ClaimItemRef(ClaimRef):
    item_id: Code


class HoldClaimItem(ClaimRef):
    item_id: Code
    hold: Literal["medical_dispute", "investigation"]
    ref: Code


class ReleaseClaimItem(ClaimRef):
    item_id: Code
    medical_accident: bool | None = None


class PayClaim(ClaimRef):
    batch: int = Field(1, ge=1, le=1000)
    ref: Code


class OrderRecovery(Strict):
    agreement: Code
    year: int = Field(ge=2000, le=2100)
    amount_fen: Fen = Field(alias="amount")
    ground: Text = Field(min_length=1)
    ref: Code


class RecordRecovery(Strict):
    agreement: Code
    year: int = Field(ge=2000, le=2100)
    amount_fen: Fen = Field(alias="amount")
    ref: Code


class RecordAssessment(Strict):
    agreement: Code
    year: int = Field(ge=2000, le=2100)
    deductions: dict[str, list[Deduction]] = Field(default_factory=dict)
    awarded: dict[str, Points] = Field(default_factory=dict)
    veto_failed: list[Text] = Field(default_factory=list)
    survey: dict[str, Points] | None = None
    employer_views: list[Text] = Field(default_factory=list)
    supervisor_views: list[Text] = Field(default_factory=list)
    satisfaction: Text = ""


class ClearDeposit(Strict):
    agreement: Code
    year: int = Field(ge=2000, le=2100)
    ref: Code | None = Field(None, description="the bank transfer's reference for the return")


class RecordPayeeAccount(Strict):
    """PAY-06: the account the fund pays an institution to, from the
    command's date on (a later record replaces it from its own date)."""
    institution: Code
    account_name: Name = Field(min_length=1, max_length=64, description="户名, as on the "
                                                                          "account licence")
    bank: Name = Field(min_length=1, max_length=64, description="开户行")
    account_number: str = Field(min_length=6, max_length=64,
                                pattern=r"^[0-9][0-9 -]*[0-9]$",
                                description="账号: 6 to 32 digits, optionally grouped "
                                            "with spaces or hyphens")


class Tick(Strict):
    to: BusinessDay = Field(description="the clock never moves past the business-date horizon")


MODELS: dict[str, type[Strict]] = {
    "load_calendar_year": LoadCalendarYear,
    "register_institution": RegisterInstitution,
    "amend_institution": AmendInstitution,
    "link_person": LinkPerson,
    "unlink_person": UnlinkPerson,
    "list_as_dishonest": ListAsDishonest,
    "delist_dishonest": DelistDishonest,
    "record_bar_fact": RecordBarFact,
    "lift_bar_fact": LiftBarFact,
    "submit_application": SubmitApplication,
    "send_materials_notice": SendMaterialsNotice,
    "supply_materials": SupplyMaterials,
    "accept_application": ApplicationOnly,
    "request_supplement": RequestSupplement,
    "decline_application": DeclineApplication,
    "withdraw_application": WithdrawApplication,
    "exempt_from_evaluation": ExemptFromEvaluation,
    "form_panel": FormPanel,
    "record_scores": RecordScores,
    "conclude_evaluation": ConcludeEvaluation,
    "select_rehab_pilot": SelectRehabPilot,
    "release_rehab_pilot": ReleaseRehabPilot,
    "sign_agreement": SignAgreement,
    "file_agreement": FileAgreement,
    "start_public_notice": StartPublicNotice,
    "raise_objection": RaiseObjection,
    "decide_objection": DecideObjection,
    "record_change": RecordChange,
    "report_change": ReportChange,
    "apply_for_renewal": ApplyForRenewal,
    "object_to_renewal": ObjectToRenewal,
    "refuse_renewal": RefuseRenewal,
    "give_notice_to_end": GiveNoticeToEnd,
    "suspend_agreement": SuspendAgreement,
    "apply_for_resumption": ApplyForResumption,
    "record_inspection": RecordInspection,
    "resume_agreement": AgreementOnly,
    "record_breach_finding": RecordBreachFinding,
    "terminate_agreement": TerminateAgreement,
    "propose_practitioner_bar": ProposePractitionerBar,
    "approve_practitioner_bar": ApprovePractitionerBar,
    "report_bar_to_regulator": ReportBarToRegulator,
    "open_dispute": OpenDispute,
    "change_dispute_route": ChangeDisputeRoute,
    "record_dispute_outcome": RecordDisputeOutcome,
    "tick": Tick,
    "submit_claim": SubmitClaim,
    "draw_sample": DrawSample,
    "review_sampled_item": ReviewSampledItem,
    "query_claim_item": QueryClaimItem,
    "record_explanation": RecordExplanation,
    "refuse_unexplained_item": ClaimItemRef,
    "hold_claim_item": HoldClaimItem,
    "release_claim_item": ReleaseClaimItem,
    "approve_claim": ClaimRef,
    "pay_claim": PayClaim,
    "order_recovery": OrderRecovery,
    "record_recovery": RecordRecovery,
    "record_assessment": RecordAssessment,
    "clear_deposit": ClearDeposit,
    "correct_suspension": CorrectSuspension,
    "correct_claim_item": CorrectClaimItem,
    "record_payee_account": RecordPayeeAccount,
}


def _problems(error: ValidationError, prefix: str = "") -> list[tuple[str, str]]:
    """(field, reason) for each problem pydantic found, in plain words."""
    out = []
    for e in error.errors():
        where = ".".join(str(p) for p in ((prefix,) if prefix else ()) + tuple(e["loc"]))
        msg = e["msg"].removeprefix("Value error, ").removeprefix("Assertion failed, ")
        if e["type"] == "extra_forbidden":
            msg = "not a field of this command"
        out.append((where or "(command)", msg))
    return out


def _describe(problems: list[tuple[str, str]]) -> str:
    return "; ".join(f"{where}: {msg}" for where, msg in problems)


def _to_domain(value: Any) -> Any:
    """Plain values for the domain: nested models become dicts and lists."""
    if isinstance(value, BaseModel):
        return {k: _to_domain(v) for k, v in value}
    if isinstance(value, dict):
        return {k: _to_domain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_to_domain(v) for v in value]
    return value


def parse(raw: str | dict[str, Any]) -> tuple[Envelope, Strict]:
    """Validate one command; raise InvalidCommand saying which field, why,
    and what would be valid. Nothing is recorded for a refused command."""
    if isinstance(raw, str):
        data = load_line(raw)
    else:
        if not isinstance(raw, dict):
            raise InvalidCommand("a command is a JSON object",
                                 remedy="write one JSON object per line")
        check_tree(raw)
        data = raw
    try:
        env = Envelope.model_validate(data)
    except ValidationError as e:
        problems = _problems(e)
        raise InvalidCommand(f"bad command envelope: {_describe(problems)}",
                             field=problems[0][0],
                             remedy="give id, command, date (YYYY-MM-DD), actor {user, role}, "
                                    "optional document, and fields") from None
    model = MODELS.get(env.command)
    if model is None:
        close = difflib.get_close_matches(env.command, MODELS, n=3, cutoff=0.6)
        raise InvalidCommand(f"unknown command {printable(env.command)!r}", field="command",
                             remedy=(f"did you mean {' or '.join(close)}? " if close else "")
                             + "`ledger commands` lists every command") from None
    try:
        fields = model.model_validate(env.fields)
    except ValidationError as e:
        problems = _problems(e, "fields")
        text = _describe(problems)
        # only a catalogued id is a cited rule: the text may echo a value shaped like one
        cited = [c for c in re.findall(r"\b[A-Z]{3}-\d{2}\b", text) if is_rule(c)]
        raise InvalidCommand(f"{env.command}: {text}", rule=cited[0] if cited else "",
                             field=problems[0][0],
                             remedy=f"see docs/commands.md#{env.command}") from None
    return env, fields


def domain_args(env: Envelope, fields: Strict) -> dict[str, Any]:
    return {name: _to_domain(getattr(fields, name)) for name in type(fields).model_fields}


def execute(ledger: Ledger, raw: str | dict[str, Any], *, advance_clock: bool = False
            ) -> dict[str, Any]:
    """Validate and apply one command; returns the ledger's answer.

    With ``advance_clock`` the consequences falling due up to the command's
    date (day 181 of a voluntary suspension, expiry, ...) are recorded first,
    as ``ledger tick`` would have done on each of those days."""
    env, fields = parse(raw)
    return apply_parsed(ledger, env, fields, advance_clock=advance_clock)


def apply_parsed(ledger: Ledger, env: Envelope, fields: Strict, *,
                 advance_clock: bool = False) -> dict[str, Any]:
    ctx = Context(command_id=env.id, effective_on=env.date, user=env.actor.user,
                  role=env.actor.role, document=env.document)
    if advance_clock and env.command != "tick":
        ledger.tick(Context(f"tick:{env.date.isoformat()}", env.date, "ledger-clock",
                            "system"), to=env.date)
    handler = getattr(ledger, env.command)
    return handler(ctx, **domain_args(env, fields))
