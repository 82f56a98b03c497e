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
from domain.agreement_clock import next_due_on
from domain.base import Context, Envelope
from domain.calendar import WorkingCalendar, YearArrangement
from domain.calendar_book import CalendarBook
from domain.errors import InvalidCommand
from domain.registry import Registry
from domain.service.commanding import (RETRIES, clock_command, command, contended,
                                       pause_before_retry, save_or_lose)
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
        is the measures', not the officer's; the user and the tick's id stay.

        Only the agreements with something due by ``to`` are loaded (or that
        the index knows nothing of yet: those are noted now). The store's due
        table answers which (``due_by``: an index range, adapters/due_table.py),
        so a day with nothing due reads neither the registry nor any agreement
        and costs the same at 10 or 10,000 live agreements. Where the table
        cannot answer (a unit of work holding writes it has not seen, a store
        without one, or one behind the log) the registry's own index does,
        and the table is put back from it. An agreement another writer
        changed meanwhile is loaded again and brought up to date again; a
        second tick at the same time finds what the first recorded and records
        nothing twice."""
        cal, cal_version = self.calendar_and_version()
        view: Registry | None = None
        visits = self._due_from_table(to, cal_version)
        if visits is None:
            try:
                view = self.repository.get(Registry.ID, deepcopy_from_cache=False)
            except AggregateNotFoundError:
                return {"command": "tick", "to": to.isoformat(), "recorded": []}
            visits = [n for n in view.live if view.needs_visit(n, to, cal_version)]
        envelope = Envelope(user=ctx.user, role="system", command_id=ctx.command_id,
                            document="")
        recorded: list[dict[str, Any]] = []
        due: dict[str, date | None] = {}
        ended: list[str] = []
        for number in visits:
            if number in due and (due[number] is None or due[number] > to):
                continue      # brought up to date already, as a renewal's predecessor
            visited, saved = self._tick_one(number, to, envelope, cal, recorded)
            for ag in visited:
                due[ag.number] = next_due_on(ag, cal)
                if saved and ag.is_ended and ag.number not in ended:
                    ended.append(ag.number)
        if due or ended:
            self._note_tick(due, ended, cal_version, to, envelope)
        if view is not None:
            self._put_due_table_back()
        return {"command": "tick", "to": to.isoformat(), "recorded": recorded}

    def _due_from_table(self, to: date, cal_version: int) -> list[str] | None:
        """The agreements the store's due table says a tick to ``to`` must
        visit, in the registry's order; None when it cannot say: no table
        (the in-memory store), a table behind the log, or a unit of work open
        (its writes are not in the table yet)."""
        due_by = getattr(self.recorder, "due_by", None)
        if due_by is None or self.repository.unit is not None:  # type: ignore[attr-defined]
            return None
        return due_by(Registry.ID, to.isoformat(), cal_version)

    def _put_due_table_back(self) -> None:
        """After a tick the registry answered: the due table made equal to the
        registry's index again, so that the next tick can ask the table."""
        rebuild = getattr(self.recorder, "rebuild_due", None)
        if rebuild is None or self.repository.unit is not None:  # type: ignore[attr-defined]
            return
        try:
            registry: Registry = self.repository.get(Registry.ID, deepcopy_from_cache=False)
        except AggregateNotFoundError:
            return
        rebuild(Registry.ID, registry.version, registry.due_rows())

    def _tick_one(self, number: str, to: date, envelope: Envelope, cal: WorkingCalendar,
                  recorded: list[dict[str, Any]]) -> tuple[list[Agreement], bool]:
        """One agreement brought up to ``to`` and saved with what it touched
        (a predecessor may end with its successor): the agreements as they
        now stand, and whether anything was recorded.

        AGR-05, M 51: an agreement whose named successor has not taken effect
        yet has that successor brought up to ``to`` first, so that a renewal in
        force on the expiry day ends it RENEWED rather than continued under
        M 51 and then ended: the same facts give the same log whichever of the
        two the tick visits first."""
        before: list[Agreement] = []
        saved_before = False
        ag = self._get(Agreement, number, "agreement")
        successor = ag.renewal["successor"]
        if not ag.is_ended and successor is not None \
                and ag.renewal.get("successor_effective_on") is None:
            before, saved_before = self._tick_one(successor, to, envelope, cal, recorded)
            ag = self._get(Agreement, number, "agreement")   # the successor may have ended it
        for attempt in range(RETRIES):
            if attempt:
                pause_before_retry(attempt - 1)
                ag = self._get(Agreement, number, "agreement")
            touched = self._advance(ag, to, envelope, cal)
            changed = [a for a in (ag, *touched) if isinstance(a, Agreement)]
            events = [{"agreement": a.number, "event": type(e).__name__,
                       "on": e.effective_on.isoformat(),
                       "ground": getattr(e, "ground_code", None)}
                      for a in changed for e in a.pending_events
                      if not isinstance(e, Agreement.SuccessorTookEffect)]
            if not any(a.pending_events for a in changed):
                return [*before, ag], saved_before
            if save_or_lose(self, [ag, *touched]):
                recorded.extend(events)
                return [*before, *changed], True
        raise contended("tick", f"agreement {number}")

    def _note_tick(self, due: dict[str, date | None], ended: list[str], cal_version: int,
                   to: date, envelope: Envelope) -> None:
        """The registry after a tick: the ended agreements retired, and when
        something next falls due for each agreement visited. Every step is
        idempotent, so a registry another writer changed meanwhile is loaded
        again and the same steps taken on it."""
        for attempt in range(RETRIES):
            if attempt:
                pause_before_retry(attempt - 1)
            registry: Registry = self.repository.get(Registry.ID)
            for number in ended:
                registry.retire(number, to, envelope)
            registry.note_due(due, cal_version, to, envelope)
            if not registry.pending_events or save_or_lose(self, [registry]):
                return
        raise contended("tick", "the registry of agreements")
