"""Who may not apply, on a given date (ADM-03, M 11; EVA-05).

A pure function over facts the service gathers: the institution's recorded
bar facts, the dishonesty list entries of the people behind it, the
agreements ended for breach of it and of its sister institutions, and its
failed re-evaluations. Every ground that applies is returned with the date it
lifts, so a refusal can name all of them at once.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Iterable

from domain.calendar import add_years
from domain.errors import Ground


@dataclass(frozen=True)
class BarFact:
    ground: str                 # "M11-2", "M11-3", "M11-5", "M11-5-penalty", "M11-6", "M11-7", "M11-8"
    occurred_on: date
    lifted_on: date | None
    note: str


@dataclass(frozen=True)
class Ending:
    """An agreement ended by an agency (解除) for breach or violation."""
    institution_code: str
    ended_on: date
    ground: str
    penalty_outstanding: bool = False


@dataclass(frozen=True)
class Listing:
    person_id: str
    role: str
    listed_on: date
    delisted_on: date | None


# Years a recorded fact bars (ADM-03 items 2, 3). Item 5 comes in as an Ending.
_TIMED = {"M11-2": 3, "M11-3": 3}
_WHILE_OPEN = {  # grounds that bar while they last: (text, article)
    "M11-5-penalty": ("administrative penalty not fully carried out", "M 11(5)"),
    "M11-6": ("under investigation or an administrative penalty being decided", "M 11(6)"),
    "M11-7": ("social insurance not joined or contributions in arrears", "M 11(7)"),
    "M11-8": ("other statutory ground", "M 11(8)"),
}
_TIMED_TEXT = {
    "M11-2": "applied by fraud or other improper means (M 11(2))",
    "M11-3": "major medical or quality-safety incident (M 11(3))",
}


def application_bars(on: date, *, institution_code: str, facts: Iterable[BarFact],
                     listings: Iterable[Listing], own_endings: Iterable[Ending],
                     sister_endings: Iterable[Ending],
                     second_fail_served_on: Iterable[date]) -> list[Ground]:
    """Every ground barring ``institution_code`` from applying on ``on``."""
    grounds: list[Ground] = []
    # ADM-03 item 1: barred while a legal representative, principal or actual
    # controller is on the dishonesty list.
    for entry in listings:
        if entry.role in ("legal_representative", "principal", "actual_controller") and \
                entry.listed_on <= on and (entry.delisted_on is None or on < entry.delisted_on):
            grounds.append(Ground("ADM-03", "{role} {person_id} is on the dishonesty list since "
                                  "{listed_on} (M 11(1))", "M 11(1)", entry.delisted_on,
                                  key="refusal.bars.on_dishonesty_list_since", values={"role": entry.role,
                                  "person_id": entry.person_id, "listed_on": entry.listed_on}))
    for fact in facts:
        if fact.occurred_on > on:
            continue
        if fact.ground in _TIMED:
            lifts = add_years(fact.occurred_on, _TIMED[fact.ground])
            if fact.lifted_on is not None and fact.lifted_on <= on:
                continue
            if on <= lifts:  # CAL-05: the years end on the corresponding day
                grounds.append(Ground("ADM-03", "{TIMED_TEXT}, on {occurred_on}: {note}",
                                      fact.ground.replace("M11-", "M 11(") + ")", _next_day(lifts),
                                      key="refusal.bars.timed_fact_on",
                                      values={"TIMED_TEXT": _TIMED_TEXT[fact.ground],
                                      "occurred_on": fact.occurred_on, "note": fact.note}))
        elif fact.ground in _WHILE_OPEN:
            if fact.lifted_on is None or on < fact.lifted_on:
                text, article = _WHILE_OPEN[fact.ground]
                grounds.append(Ground("ADM-03", "{text} ({article}) since {occurred_on}: {note}",
                                      article, fact.lifted_on,
                                      key="refusal.bars.since_text_article_occurred_on",
                                      values={"text": text, "article": article,
                                      "occurred_on": fact.occurred_on, "note": fact.note}))
    # ADM-03 item 5: own agreement ended for violations: 3 years, and after
    # them still barred while the penalty is not carried out.
    for end in own_endings:
        if end.ended_on > on:
            continue
        lifts = add_years(end.ended_on, 3)
        if on <= lifts:
            grounds.append(Ground("ADM-03",
                                  "own agreement ended for violations on {ended_on} ({ground}) "
                                  "(M 11(5))", "M 11(5)", _next_day(lifts),
                                  key="refusal.bars.own_agreement_ended_for",
                                  values={"ended_on": end.ended_on, "ground": end.ground}))
        elif end.penalty_outstanding:
            grounds.append(Ground("ADM-03",
                                  "agreement ended on {ended_on}: the administrative penalty is "
                                  "not fully carried out (M 11(5))", "M 11(5)", None,
                                  key="refusal.bars.agreement_ended_on_administrative",
                                  values={"ended_on": end.ended_on}))
    # ADM-03 item 4: a sister institution (same legal representative or
    # investor) had its agreement ended for breach less than 1 year ago.
    for end in sister_endings:
        if end.institution_code == institution_code or end.ended_on > on:
            continue
        lifts = add_years(end.ended_on, 1)
        if on <= lifts:
            grounds.append(Ground("ADM-03", "sister institution {institution_code} (same legal "
                                  "representative or investor) had its agreement ended for "
                                  "breach on {ended_on} (M 11(4))", "M 11(4)", _next_day(lifts),
                                  key="refusal.bars.sister_institution_same_legal",
                                  values={"institution_code": end.institution_code,
                                  "ended_on": end.ended_on}))
    # EVA-05: a failed re-evaluation bars a new application for 1 year.
    for served_on in second_fail_served_on:
        lifts = add_years(served_on, 1)
        if served_on <= on <= lifts:
            grounds.append(Ground("EVA-05",
                                  "re-evaluation failed, result served on {served_on}: no new "
                                  "application within 1 year (M 15)", "M 15", _next_day(lifts),
                                  key="refusal.bars.re_evaluation_failed_result",
                                  values={"served_on": served_on}))
    return grounds


def _next_day(d: date) -> date:
    """A bar of N years ends at the end of its last day; it lifts the next."""
    return d + timedelta(days=1)
