"""The list of agreements, so that time passing (``tick``) can visit each one,
and the clock's index: for each live agreement, the first day something can
fall due for it (``agreement_clock.next_due_on``), so that a tick visits only
the agreements with something due by its date. A store may keep a copy of
the index as a table, written with the registry's events (``due_changes``),
which a tick asks instead of loading the registry (adapters/due_table.py)."""
from __future__ import annotations

from datetime import date
from typing import Any

from eventsourcing.domain import event

from domain.base import Envelope, LedgerAggregate, stable_id


class Registry(LedgerAggregate):
    ID = stable_id("registry", "agreements")

    @classmethod
    def open(cls, effective_on: date, envelope: Envelope) -> "Registry":
        return cls._create(cls.Opened, id=cls.ID, effective_on=effective_on, envelope=envelope)

    class Opened(LedgerAggregate.Created):
        effective_on: date
        envelope: Envelope

    def __init__(self) -> None:
        self.agreements: list[str] = []
        self.ended: list[str] = []

    def list_agreement(self, number: str, effective_on: date, envelope: Envelope) -> None:
        self._listed(number=number, effective_on=effective_on, envelope=envelope)

    @event("AgreementListed")
    def _listed(self, number: str, effective_on: date, envelope: Envelope) -> None:
        self.agreements.append(number)

    @property
    def live(self) -> list[str]:
        ended = set(self.ended)
        return [n for n in self.agreements if n not in ended]

    def retire(self, number: str, effective_on: date, envelope: Envelope) -> None:
        """An ended agreement needs no more visits from the clock."""
        if number in self.agreements and number not in self.ended:
            self._retired(number=number, effective_on=effective_on, envelope=envelope)

    @event("AgreementRetired")
    def _retired(self, number: str, effective_on: date, envelope: Envelope) -> None:
        self.ended.append(number)
        self.__dict__.get("_due_on", {}).pop(number, None)   # its noted date, if any

    def reinstate(self, number: str, effective_on: date, envelope: Envelope) -> None:
        """A reversed ending (DIS-01) puts the agreement back under the clock."""
        if number in self.ended:
            self._reinstated(number=number, effective_on=effective_on, envelope=envelope)

    @event("AgreementReinstated")
    def _reinstated(self, number: str, effective_on: date, envelope: Envelope) -> None:
        self.ended.remove(number)
        self.__dict__.get("_due_on", {}).pop(number, None)   # noted again by the next tick

    # --- the clock's index ------------------------------------------------------
    @property
    def due_on(self) -> dict[str, list]:
        """number -> [first day something can fall due (ISO) or None, the
        version of the calendar book it was worked out with]. A registry (or
        a snapshot of one) from before the index has none: every agreement
        without an entry is visited by the tick as before, and noted then.
        Read-only here: only ``DueDatesNoted`` creates it, so a registry whose
        log has none replays to exactly the state it always had."""
        return self.__dict__.get("_due_on", {})

    def needs_visit(self, number: str, day: date, calendar_version: int) -> bool:
        """Whether a tick to ``day`` must load the agreement: unknown, worked
        out with another calendar, or something due by ``day``."""
        noted = self.due_on.get(number)
        if noted is None or noted[1] != calendar_version:
            return True
        return noted[0] is not None and noted[0] <= day.isoformat()

    def changed_due(self, dates: dict[str, date | None],
                    calendar_version: int) -> dict[str, str | None]:
        """The entries of ``dates`` (for listed, live agreements) that differ
        from what is noted."""
        listed, ended = set(self.agreements), set(self.ended)
        out = {}
        for number, day in dates.items():
            iso = day.isoformat() if day is not None else None
            if number in listed and number not in ended and \
                    self.due_on.get(number) != [iso, calendar_version]:
                out[number] = iso
        return out

    def note_due(self, dates: dict[str, date | None], calendar_version: int,
                 effective_on: date, envelope: Envelope) -> bool:
        """Note when something next falls due for these agreements; saved with
        the agreements it follows from. True when anything changed."""
        changed = self.changed_due(dates, calendar_version)
        if changed:
            self._due_noted(dates=changed, calendar_version=calendar_version,
                            effective_on=effective_on, envelope=envelope)
        return bool(changed)

    @event("DueDatesNoted")
    def _due_noted(self, dates: dict[str, str | None], calendar_version: int,
                   effective_on: date, envelope: Envelope) -> None:
        index = self.__dict__.setdefault("_due_on", {})
        for number, iso in dates.items():
            index[number] = [iso, calendar_version]

    # --- the due table (adapters/due_table.py): a copy of the index a tick queries --
    def due_rows(self) -> list[tuple[str, int, str | None, int | None, int]]:
        """The index as rows, one per listed agreement in listing order:
        (number, order, day to visit from ('' when not noted: any day), the
        calendar version it was noted with, ended)."""
        ended, seen = set(self.ended), set()
        rows: list[tuple[str, int, str | None, int | None, int]] = []
        for order, number in enumerate(self.agreements):
            if number in seen:
                continue
            seen.add(number)
            noted = self.due_on.get(number)
            if number in ended:
                rows.append((number, order, None, None, 1))
            elif noted is None:
                rows.append((number, order, "", None, 0))
            else:
                rows.append((number, order, noted[0], noted[1], 0))
        return rows


def due_changes(events: list[Any]) -> tuple[int, int, list[tuple[Any, ...]]] | None:
    """What the registry's events among these change in the due table: (the
    first and last registry version written, the changes in order); None
    when the write holds no registry event. Listing order is the listing
    event's version: later than the order of any row put back from the
    aggregate (``due_rows``: an index into a list no longer than the version)."""
    mine = [e for e in events if e.originator_id == Registry.ID]
    if not mine:
        return None
    ops: list[tuple[Any, ...]] = []
    for e in mine:
        if isinstance(e, Registry.AgreementListed):
            ops.append(("listed", e.number, e.originator_version))
        elif isinstance(e, Registry.AgreementRetired):
            ops.append(("retired", e.number))
        elif isinstance(e, Registry.AgreementReinstated):
            ops.append(("reinstated", e.number))
        elif isinstance(e, Registry.DueDatesNoted):
            ops.extend(("noted", number, iso, e.calendar_version)
                       for number, iso in e.dates.items())
    return mine[0].originator_version, mine[-1].originator_version, ops
