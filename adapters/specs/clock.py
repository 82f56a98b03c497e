"""The clock and the calendar: load_calendar_year and tick (CAL-01, the clock).
Each command's fields, result sentence and group are declared once here
(adapters/specs/__init__.py).
"""
from __future__ import annotations

from typing import Any, Mapping

from pydantic import Field

from adapters.boundary import BusinessDay
from adapters.labels import label, sentence
from adapters.specs.spec import Spec, clause
from adapters.specs.types import Strict


class LoadCalendarYear(Strict):
    arrangement: dict[str, Any]

class Tick(Strict):
    to: BusinessDay = Field(description="the clock never moves past the business-date horizon")


# --- what a case officer reads back (sentence.<command> in adapters/data/labels.json) ---------
def _tick(r: Mapping[str, Any], lang: str) -> dict[str, str]:
    items = [sentence("clause.tick_item", lang, {
        "agreement": x["agreement"], "on": x["on"],
        "event": label(f"event.Agreement.{x['event']}", lang),
        "ground": clause("tick_ground", lang, x.get("ground"), ground=x.get("ground"))})
        for x in r["recorded"]]
    what = clause("tick_recorded", lang, items,
                  items=label("sentence.item_sep", lang).join(items)) \
        or clause("tick_nothing", lang, True)
    return {"what": what}


SPECS = [
    Spec("load_calendar_year", LoadCalendarYear, 'Calendar', ),
    Spec("tick", Tick, 'Time', values=_tick),
]
