"""Open deadlines on a date, derived from the status read model.

Every deadline names its rule, its due date, whether it is overdue on the
date asked, and whether it is provisional (computed over a year whose
official arrangement the ledger does not know, CAL-01).
"""
from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from domain.application import EVALUATION_MONTHS, MATERIALS, NOTICE_WORKING_DAYS
from domain.calendar import add_months
from domain.evaluation import REEVALUATION_WAIT_MONTHS
from projections.status import LedgerState


def open_deadlines(state: LedgerState, on: date) -> list[dict[str, Any]]:
    cal = state.calendar()
    rows: list[dict[str, Any]] = []

    def add(subject: str, what: str, rule: str, due: date, provisional: bool = False,
            overdue_possible: bool = True) -> None:
        rows.append({"subject": subject, "what": what, "rule": rule, "due": due,
                     "overdue": overdue_possible and on > due, "provisional": provisional})

    for a in state.applications.values():
        if a["status"] in ("declined", "withdrawn", "closed", "exempted"):
            continue
        number = a["number"]
        missing = [m for m in MATERIALS if m not in a["materials"]]
        if a["accepted_on"] is None and missing and a["notice"] is None:
            d = cal.add_working_days(a["received_on"], NOTICE_WORKING_DAYS)
            add(f"application {number}", "send the one-time incomplete-materials notice",
                "ADM-04", d.due, d.provisional)
        if a["notice"] is not None and a["accepted_on"] is None and missing:
            d = cal.act_deadline(a["notice"]["supply_by"])
            add(f"application {number}", "applicant supplies: " + ", ".join(missing),
                "ADM-04", d.due, d.provisional)
        if a["accepted_on"] is not None and a["status"] in ("accepted", "evaluating"):
            paused = sum((end - start).days for start, end in a["pauses"] if end is not None)
            due = add_months(a["accepted_on"], EVALUATION_MONTHS) + timedelta(days=paused)
            # ADM-05 times the first evaluation only; a re-evaluation follows EVA-05.
            first = state.evaluations.get(a["evaluations"][0]) if a["evaluations"] else None
            if first is None or first["result"] is None:
                add(f"application {number}", "finish the evaluation (clock paused "
                    f"{paused} day(s))", "ADM-05", due)
        if a["status"] == "failed" and a["evaluations"]:
            ev = state.evaluations.get(a["evaluations"][-1])
            if ev and ev["result"]:
                add(f"application {number}", "earliest re-evaluation after rectification",
                    "EVA-05", add_months(ev["result"]["served_on"], REEVALUATION_WAIT_MONTHS)
                    + timedelta(days=1), overdue_possible=False)
        if a["status"] == "passed" and a["evaluations"]:
            ev = state.evaluations.get(a["evaluations"][-1])
            if ev and ev["result"] and ev["result"]["valid_until"] >= on:
                add(f"application {number}", "evaluation pass expires (sign before)",
                    "EVA-04", ev["result"]["valid_until"], overdue_possible=False)
    rows.sort(key=lambda r: (r["due"], r["subject"]))
    return rows
