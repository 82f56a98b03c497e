"""The clock and the calendar: load_calendar_year and tick (CAL-01, the clock).
Each command's fields, result sentence and group are declared once here
(adapters/specs/__init__.py).
"""
from __future__ import annotations

from typing import Any

from pydantic import Field

from adapters.boundary import BusinessDay
from adapters.specs.spec import EVENT_WORDS, Spec
from adapters.specs.types import Strict


class LoadCalendarYear(Strict):
    arrangement: dict[str, Any]

class Tick(Strict):
    to: BusinessDay = Field(description="the clock never moves past the business-date horizon")


# --- what a case officer reads back ---------------------------------------------
def _load_calendar_year(r: dict[str, Any]) -> str:
    text = f"Official working-day arrangement for {r['year']} loaded " \
           f"({r['holidays']} holidays, {r['workdays']} make-up workdays)."
    return text


def _tick(r: dict[str, Any]) -> str:
    if not r["recorded"]:
        text = f"Clock advanced to {r['to']}: nothing fell due."
    else:
        text = f"Clock advanced to {r['to']}; recorded: " + "; ".join(
            f"{x['agreement']} {EVENT_WORDS.get(x['event'], x['event'])} on {x['on']}"
            + (f" ({x['ground']})" if x.get("ground") else "") for x in r["recorded"])
    return text


SPECS = [
    Spec("load_calendar_year", LoadCalendarYear, 'Calendar', sentence=_load_calendar_year),
    Spec("tick", Tick, 'Time', sentence=_tick),
]
