"""The clock and the calendar: the State Council's yearly arrangement of
working days (CAL-01), and time passing (``tick``): every consequence due by
a date recorded for every agreement, each dated the day it fell due
(AGR-02, AGR-05..07, SUS-02, SUS-05).
"""
from __future__ import annotations

from datetime import date
from typing import Any

from eventsourcing.application import AggregateNotFoundError

from domain.agreement import Agreement
from domain.base import Context, Envelope
from domain.calendar import YearArrangement
from domain.calendar_book import CalendarBook
from domain.errors import InvalidCommand
from domain.registry import Registry
from domain.service.commanding import clock_command, command
from domain.service.core import LedgerCore


class ClockCommands(LedgerCore):
    """The calendar and the clock."""

    # --- calendar (CAL-01) -----------------------------------------------------
    @command
    def load_calendar_year(self, ctx: Context, *, arrangement: dict[str, Any]):
        try:
            year = YearArrangement.from_mapping(arrangement)
        except ValueError as e:
            raise InvalidCommand(str(e), rule="CAL-01",
                                 remedy="give year, holidays and make-up workdays as ISO dates "
                                        "within that year") from None
        try:
            book = self.repository.get(CalendarBook.ID)
        except AggregateNotFoundError:
            book = CalendarBook.open(ctx.effective_on, ctx.envelope)
        book.load_year(year, ctx.effective_on, ctx.envelope)
        return [book], {"year": year.year, "holidays": len(year.holidays),
                        "workdays": len(year.workdays)}

    # --- time passing --------------------------------------------------------------
    @clock_command
    def tick(self, ctx: Context, *, to: date) -> dict[str, Any]:
        """Record every consequence due by ``to`` for every agreement, each dated
        the day it fell due. Running it again records nothing new, and keeps
        no command record (``clock_command`` says why). What is recorded is
        stamped role ``system`` whoever lets time pass, since the consequence
        is the measures', not the officer's; the user and the tick's id stay."""
        try:
            registry: Registry = self.repository.get(Registry.ID)
        except AggregateNotFoundError:
            return {"command": "tick", "to": to.isoformat(), "recorded": []}
        envelope = Envelope(user=ctx.user, role="system", command_id=ctx.command_id,
                            document="")
        recorded: list[dict[str, Any]] = []
        for number in list(registry.live):
            ag = self._get(Agreement, number, "agreement")
            before = len(ag.pending_events)
            touched = self._advance(ag, to, envelope)
            if len(ag.pending_events) == before:
                continue
            for e in ag.pending_events:
                recorded.append({"agreement": number, "event": type(e).__name__,
                                 "on": e.effective_on.isoformat(),
                                 "ground": getattr(e, "ground_code", None)})
            for changed in (ag, *touched):   # a predecessor may end with its successor
                if isinstance(changed, Agreement) and changed.is_ended:
                    registry.retire(changed.number, to, envelope)
            self.save(ag, *touched)
        if registry.pending_events:
            self.save(registry)
        return {"command": "tick", "to": to.isoformat(), "recorded": recorded}
