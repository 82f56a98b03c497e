"""Who may apply, and when an application may be evaluated (ADM-01, ADM-03,
ADM-05, EVA-04..06): policies over an institution and what surrounds it.

Each takes plain values or aggregates' public state (anything with the
attributes named), never the store.
"""
from __future__ import annotations

from datetime import date
from typing import Any, Iterable, Mapping, Protocol, Sequence

from domain.bars import BarFact, Ending, Listing, application_bars
from domain.calendar import add_months
from domain.errors import Ground, RuleViolation

# ADM-01 (M 9(2)): the specialty or grade a rehab agreement needs.
REHAB_SPECIALTY_LEVEL = 2
REHAB_GENERAL_LEVEL = 3
# ADM-01 (M 10(2)): months an assistive-device fitter must have been in business.
ASSISTIVE_MONTHS_IN_BUSINESS = 3
# ADM-05: an application that passed or was exempted stays open until the
# agreement is signed, and does not stop the next application.
SETTLED_OPEN = ("passed", "exempted")
# ADM-03 item 4: people who make two institutions sisters.
SISTER_ROLES = ("legal_representative", "investor")


class OpenApplication(Protocol):
    number: str
    status: str

    @property
    def is_open(self) -> bool: ...


class LinkedPerson(Protocol):
    person_id: str
    institutions: list[dict[str, Any]]
    dishonesty: list[dict[str, Any]]


# --- ADM-01: the kind's basic conditions -----------------------------------------------
def basic_conditions(kind: str, facts: Mapping[str, Any], on: date) -> list[str]:
    """ADM-01: the kind's basic conditions that the F1 facts do not meet on ``on``."""
    problems: list[str] = []
    level = int(facts.get("level") or 0)
    category = facts.get("category", "")
    if not facts.get("licence_no"):
        problems.append("no practice or business licence number (M 8-10)")
    if kind == "rehab" and not ((category == "rehab" and level >= REHAB_SPECIALTY_LEVEL)
                                or (category == "general" and level >= REHAB_GENERAL_LEVEL)):
        problems.append(f"rehab needs a level-2 rehab specialty hospital or a level-3 "
                        f"general hospital; this is {category or 'unknown'} level {level} "
                        f"(M 9(2))")
    if kind == "assistive":
        if not facts.get("legal_person"):
            problems.append("an assistive institution must be a legal person (M 10(2))")
        started = facts.get("business_started_on")
        # CAL-03: 3 months back from ``on``, to the same day of the month.
        if started is None or (date.fromisoformat(str(started))
                               > add_months(on, -ASSISTIVE_MONTHS_IN_BUSINESS)):
            problems.append(f"an assistive institution needs 3 or more months in the "
                            f"business; started {started or 'unknown'} (M 10(2))")
    return problems


def require_basic_conditions(code: str, kind: str, facts: Mapping[str, Any], on: date) -> None:
    """ADM-01: refuse an application whose F1 facts miss a basic condition."""
    problems = basic_conditions(kind, facts, on)
    if problems:
        raise RuleViolation("{code} does not meet the basic conditions for a {kind} agreement: "
                            "{problems}", rule="ADM-01",
                            remedy="amend the institution's F1 facts if they are wrong",
                            key="refusal.policies_admission.basic_conditions_not_met",
                            values={"code": code, "kind": kind, "problems": "; ".join(problems)})


# --- ADM-05: one application at a time -------------------------------------------------
def require_no_open_application(code: str, applications: Iterable[OpenApplication]) -> None:
    """ADM-05: an institution has one application in hand at a time; one
    that passed or was exempted no longer counts (it waits for signing)."""
    for app in applications:
        if app.is_open and app.status not in SETTLED_OPEN:
            raise RuleViolation("{code} has application {number} open ({status})", rule="ADM-05",
                                remedy="withdraw it or wait for its result",
                                key="refusal.policies_admission.has_application_open",
                                values={"code": code, "number": app.number, "status": app.status})


# --- ADM-03: who may not apply ---------------------------------------------------------
def sister_codes(code: str, people: Iterable[LinkedPerson]) -> set[str]:
    """ADM-03 item 4: the institutions the people behind ``code`` (its legal
    representatives and investors) also represent or invest in."""
    codes: set[str] = set()
    for person in people:
        codes |= {link["code"] for link in person.institutions if link["role"] in SISTER_ROLES}
    codes.discard(code)
    return codes


def breach_endings(code: str, bar_facts: Iterable[Mapping[str, Any]],
                   endings: Iterable[Mapping[str, Any] | None]) -> list[Ending]:
    """ADM-03 item 5: agreements of ``code`` ended (解除) by an agency for
    breach: the ledger's own endings (each agreement's ``ending``), and
    earlier ones recorded as M 11(5) bar facts not lifted. Expiry, automatic
    and agreed endings bar nothing (TER-05)."""
    found = [Ending(code, f["occurred_on"], "M11-5") for f in bar_facts
             if f["ground"] == "M11-5" and f["lifted_on"] is None]
    for ending in endings:
        if ending and ending["is_breach"]:
            found.append(Ending(code, ending["ended_on"], ending["ground"]))
    return found


def second_fails(last_results: Iterable[Mapping[str, Any] | None]) -> list[date]:
    """EVA-05: the days a failed re-evaluation was served, from the result of
    the last evaluation of each application evaluated twice."""
    return [r["served_on"] for r in last_results if r and not r["passed"]]


def application_grounds(on: date, *, institution_code: str,
                        people: Sequence[Mapping[str, str]],
                        persons: Mapping[str, LinkedPerson],
                        bar_facts: Iterable[Mapping[str, Any]], own_endings: Iterable[Ending],
                        sister_endings: Iterable[Ending],
                        second_fail_served_on: Iterable[date]) -> list[Ground]:
    """ADM-03 (and EVA-05): every ground barring the institution on ``on``,
    from its links to people (``people``: person_id and role), those
    people's dishonesty listings (``persons`` by id, where known) and its
    bar facts. M 11(5) facts come in through ``own_endings``."""
    listings = [Listing(persons[p["person_id"]].person_id, p["role"], entry["listed_on"],
                        entry["delisted_on"])
                for p in people if p["person_id"] in persons
                for entry in persons[p["person_id"]].dishonesty]
    facts = [BarFact(f["ground"], f["occurred_on"], f["lifted_on"], f["note"])
             for f in bar_facts if f["ground"] != "M11-5"]
    return application_bars(on, institution_code=institution_code, facts=facts,
                            listings=listings, own_endings=own_endings,
                            sister_endings=sister_endings,
                            second_fail_served_on=second_fail_served_on)


def require_may_apply(code: str, on: date, grounds: Sequence[Ground]) -> None:
    """ADM-03: refuse an application on any ground, naming every one."""
    if grounds:
        raise RuleViolation("{code} may not apply on {on}: {grounds} ground(s) under M 11",
                            rule="ADM-03", grounds=tuple(grounds),
                            remedy="apply again once every ground has lifted (dates above); "
                                   "grounds without a date lift only when the fact is recorded "
                                   "as ended", key="refusal.policies_admission.may_not_apply_on",
                            values={"code": code, "on": on, "grounds": len(grounds)})


# --- ADM-05, ADM-06, EVA-04..06: may a panel be formed on the application --------------
class EvaluatedApplication(Protocol):
    number: str
    status: str
    accepted_on: date | None
    exemption: Mapping[str, Any] | None
    evaluations: list[str]

    @property
    def is_open(self) -> bool: ...

    @property
    def is_paused(self) -> bool: ...


class EarlierEvaluation(Protocol):
    number: str
    result: Mapping[str, Any] | None

    @property
    def reevaluation_from(self) -> date | None: ...


def require_panel_may_form(app: EvaluatedApplication, previous: EarlierEvaluation | None,
                           on: date) -> None:
    """A panel is formed on an open, accepted application that is not
    exempted and not waiting for materials (ADM-05, ADM-06), after the last
    evaluation was closed with its report (EVA-06), failed (EVA-04) and the
    3 months of rectification since its result was served have run (EVA-05)."""
    if not app.is_open:
        raise RuleViolation("application {number} is {status}",
                            rule="EVA-05" if app.status == "closed" else "ADM-05",
                            remedy="file a new application",
                            key="refusal.policies_admission.application_number_status",
                            values={"number": app.number, "status": app.status})
    if app.accepted_on is None:
        raise RuleViolation("the application is not accepted: the evaluation clock has not "
                            "started", rule="ADM-05", remedy="accept the application",
                            key="refusal.policies_admission.application_not_accepted_evaluation")
    if app.exemption is not None:
        raise RuleViolation("the application was exempted from evaluation", rule="ADM-06",
                            remedy="an exempted application is not evaluated",
                            key="refusal.policies_admission.application_was_exempted_from")
    if app.is_paused:
        raise RuleViolation("the applicant is still supplying materials", rule="ADM-05",
                            remedy="record the supplied materials first",
                            key="refusal.policies_admission.applicant_still_supplying_materials")
    if previous is None:
        return
    if previous.result is None:
        raise RuleViolation("evaluation {number} is still open", rule="EVA-06",
                            remedy="conclude it with its report first",
                            key="refusal.policies_admission.evaluation_still_open",
                            values={"number": previous.number})
    if previous.result["passed"]:
        raise RuleViolation("the application already passed", rule="EVA-04",
                            remedy="sign the agreement",
                            key="refusal.policies_admission.application_already_passed")
    wait_until = previous.reevaluation_from
    if wait_until is not None and on < wait_until:
        raise RuleViolation("the failed result was served on {served_on}; a re-evaluation may "
                            "be organised from {wait_until}", rule="EVA-05", grounds=(),
                            remedy="form the panel on or after {wait_until}",
                            key="refusal.policies_admission.failed_result_was_served",
                            values={"served_on": previous.result['served_on'],
                            "wait_until": wait_until})
