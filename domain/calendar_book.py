"""Year arrangements an operator loaded as data (CAL-01), kept as events so
that every deadline computed from them can be replayed identically."""
from __future__ import annotations

from datetime import date
from typing import Any

from eventsourcing.domain import event

from domain.base import Envelope, LedgerAggregate, stable_id
from domain.calendar import WorkingCalendar, YearArrangement


class CalendarBook(LedgerAggregate):
    """The one book of loaded year arrangements."""

    ID = stable_id("calendar", "official-working-days")

    @classmethod
    def open(cls, effective_on: date, envelope: Envelope) -> "CalendarBook":
        return cls._create(cls.Opened, id=cls.ID, effective_on=effective_on, envelope=envelope)

    class Opened(LedgerAggregate.Created):
        effective_on: date
        envelope: Envelope

    def __init__(self) -> None:
        self.years: dict[int, dict[str, Any]] = {}

    def load_year(self, arrangement: YearArrangement, effective_on: date,
                  envelope: Envelope) -> None:
        self._year_loaded(year=arrangement.year, arrangement=arrangement.to_mapping(),
                          effective_on=effective_on, envelope=envelope)

    @event("YearLoaded")
    def _year_loaded(self, year: int, arrangement: dict[str, Any], effective_on: date,
                     envelope: Envelope) -> None:
        self.years[int(year)] = dict(arrangement)

    def calendar(self) -> WorkingCalendar:
        return WorkingCalendar({y: YearArrangement.from_mapping(a) for y, a in self.years.items()})
