"""The deadline view: ``rm_deadlines``, each application's (with its
evaluations), agreement's and case's open deadlines and obligations over
business time per knowledge version, like status.

Defined by the pure fold ``projections/deadlines.py``: the rows are what
its ``application_deadlines`` and ``agreement_deadlines`` (and
``domain.case.case_deadlines``) give for the subject as it stands, and
``on_date`` works out at query time what depends on the day asked.
Handlers: ``DeadlineRows._agreement_deadlines`` (Agreement events),
``_application_deadlines`` (Application and Evaluation events),
``_case_deadlines`` (Case events: a request for explanation, SUP-05) and
``_recompute_provisional`` (a CalendarBook load, CAL-01).
"""
from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any, Callable

import sqlalchemy as sa

from adapters.list_words import in_words, said_what
from adapters.readmodels.columns import FAR, _key_text

# the aggregates and folds the handlers use: bound with HANDLERS (below),
# which alone hands the handlers to the projection, so they are there when
# they run; a question on the table imports no domain (start-up, issue #14)
Agreement: Any = None
Application: Any = None
WorkingCalendar: Any = None
CalendarBook: Any = None
Case: Any = None
case_deadlines: Any = None
Evaluation: Any = None
agreement_deadlines: Any = None
application_deadlines: Any = None

if TYPE_CHECKING:
    from adapters.readmodels.schema import ReadModelView


def tables(metadata: sa.MetaData, prefix: str) -> dict[str, sa.Table]:
    t = {}
    t["deadlines"] = sa.Table(
        f"{prefix}_deadlines", metadata,
        sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("subject", _key_text(96), nullable=False),
        sa.Column("what", sa.Text, nullable=False),
        sa.Column("rule", sa.String(16), nullable=False),
        sa.Column("due", sa.Date, nullable=False),
        sa.Column("overdue_possible", sa.Boolean, nullable=False),
        sa.Column("provisional", sa.Boolean, nullable=False),
        sa.Column("shown_until", sa.Date, nullable=True),
        sa.Column("valid_from", sa.Date, nullable=False),
        sa.Column("valid_to", sa.Date, nullable=False),
        sa.Column("known_from", sa.BigInteger, nullable=False),
        sa.Column("known_to", sa.BigInteger, nullable=False),
        sa.Index(f"{prefix}_deadlines_subject", "subject", "valid_from"),
        sa.Index(f"{prefix}_deadlines_valid", "valid_from", "valid_to"))
    return t


def _deadline_key(r: dict[str, Any]) -> tuple[Any, ...]:
    return (r["what"], r["rule"], r["due"], bool(r["overdue_possible"]), bool(r["provisional"]),
            r["shown_until"])


def _fold_points(events: list[Any], compute: Callable[[dict[Any, Any]], list[Any]]
                 ) -> list[tuple[date, list[Any]]]:
    """[(valid_from, what ``compute`` gives)] at every business date an event
    takes effect on, folding the events effective by then in recording order;
    only the changes."""
    out: list[tuple[date, list[Any]]] = []
    for day in sorted({e.effective_on for e in events}):
        folded: dict[Any, Any] = {}
        for e in events:
            if e.effective_on <= day:
                found = folded.get(e.originator_id)
                if found is None and not hasattr(e, "originator_topic"):
                    continue   # its aggregate's creation takes effect later (as the fold skips it)
                folded[e.originator_id] = e.mutate(None) if found is None else \
                    (e.apply(found) or found)
        rows = compute(folded)
        if not out or sorted(map(_deadline_key, out[-1][1])) != sorted(map(_deadline_key, rows)):
            out.append((day, rows))
    return out



class DeadlineRows:
    """The handlers of ``ReadModels`` (a part of it) that make deadline rows."""

    def _calendar(self) -> Any:
        if self.working_calendar is None:
            if self.book is None and self.source is not None:
                # first use in this process: the book as it stood at this log position
                version = self._version_at(CalendarBook.ID, self.position)
                if version:
                    self.book = self.source.repository.get(CalendarBook.ID, version=version)
            self.working_calendar = self.book.calendar() if self.book is not None \
                else WorkingCalendar()
        return self.working_calendar

    def _evaluations_of(self, application: Application) -> list[Any]:
        found = (self._aggregate_by_key(Evaluation, number) for number in application.evaluations)
        return [ev for ev in found if ev is not None]

    def _evaluation_deadlines(self, evaluation: Evaluation, e: Any, n: int) -> None:
        """An evaluation's deadlines are its application's."""
        application = self._aggregate_by_key(Application, evaluation.application_no)
        if application is not None:
            self._application_deadlines(application, e, n)

    def _calendar_loaded(self, book: CalendarBook, e: Any, n: int) -> None:
        """Working days from the book as it now stands; a load (not the
        book's creation) recomputes provisional deadlines (CAL-01)."""
        self.book, self.working_calendar = book, None
        if not hasattr(e, "originator_topic"):
            self._recompute_provisional(e, n)

    def _application_deadlines(self, a: Application, e: Any, n: int) -> None:
        rows = application_deadlines(a, self._evaluations_of(a), self._calendar())
        subject = f"application {a.number}"
        self._open_rows("deadlines", subject, new=hasattr(e, "originator_topic") and
                        isinstance(e, Application.Event))
        self._deadlines(subject, rows, e.effective_on, n,
                        lambda: self._application_timeline(a, e))

    def _agreement_deadlines(self, ag: Agreement, e: Any, n: int) -> None:
        rows = agreement_deadlines(ag, self._calendar())
        subject = f"agreement {ag.number}"
        self._open_rows("deadlines", subject, new=hasattr(e, "originator_topic"))
        self._deadlines(subject, rows, e.effective_on, n,
                        lambda: self._agreement_timeline(ag, e))

    def _case_deadlines(self, case: Case, e: Any, n: int) -> None:
        """A case's requests for explanation, due in 5 working days (SUP-05)."""
        subject = f"case {case.number}"
        self._open_rows("deadlines", subject, new=hasattr(e, "originator_topic"))
        self._deadlines(subject, case_deadlines(case, self._calendar()), e.effective_on, n,
                        lambda: self._case_timeline(case, e))

    def _recompute_provisional(self, e: Any, n: int) -> None:
        """CAL-01: a year's official arrangement is loaded; every subject whose
        open deadlines were computed provisionally gets them again, from the
        load's business date on."""
        t = self.view.t["deadlines"]
        with self.view.engine.connect() as conn:
            subjects = set(conn.execute(sa.select(t.c.subject).where(t.c.known_to == 0).where(
                t.c.provisional.is_(True))).scalars())
        for subject, rows in self.open["deadlines"].items():
            if any(r["provisional"] and r["known_to"] == 0 for r in rows):
                subjects.add(subject)
            elif subject in subjects:
                subjects.discard(subject)   # this run already knows it better than the table
        cal = self._calendar()
        for subject in sorted(subjects):
            kind, number = subject.split(" ", 1)
            if kind == "agreement":
                ag = self._aggregate_by_key(Agreement, number)
                if ag is not None:
                    self._deadlines(subject, agreement_deadlines(ag, cal), e.effective_on, n,
                                    lambda ag=ag: self._agreement_timeline(ag, e))
            elif kind == "case":
                case = self._aggregate_by_key(Case, number)
                if case is not None:
                    self._deadlines(subject, case_deadlines(case, cal), e.effective_on, n,
                                    lambda case=case: self._case_timeline(case, e))
            else:
                a = self._aggregate_by_key(Application, number)
                if a is not None:
                    self._deadlines(subject, application_deadlines(a, self._evaluations_of(a), cal),
                                    e.effective_on, n,
                                    lambda a=a: self._application_timeline(a, e))

    def _agreement_timeline(self, ag: Agreement, e: Any) -> list[tuple[date, list[Any]]]:
        """The agreement's events recorded up to ``e`` (which may be the
        agreement's own event or a calendar load)."""
        events = self._events_recorded_by(Agreement.id_for(ag.number), e)
        cal = self._calendar()
        key = events[0].originator_id
        return _fold_points(events, lambda folded: agreement_deadlines(folded[key], cal)
                            if key in folded else [])

    def _case_timeline(self, case: Case, e: Any) -> list[tuple[date, list[Any]]]:
        """The case's events recorded up to ``e`` (its own, or a calendar load)."""
        events = self._events_recorded_by(Case.id_for(case.number), e)
        cal = self._calendar()
        key = Case.id_for(case.number)
        return _fold_points(events, lambda folded: case_deadlines(folded[key], cal)
                            if key in folded else [])

    def _application_timeline(self, a: Application, e: Any) -> list[tuple[date, list[Any]]]:
        """The application's and its evaluations' events, in recording order."""
        ids = [Application.id_for(a.number)] + [Evaluation.id_for(x) for x in a.evaluations]
        events = sorted((x for i in ids for x in self._events_recorded_by(i, e)),
                        key=lambda x: x.timestamp)
        cal = self._calendar()

        def deadlines(folded: dict[Any, Any]) -> list[Any]:
            app = folded.get(ids[0])
            if app is None:
                return []
            evaluations = [folded[Evaluation.id_for(x)] for x in app.evaluations
                           if Evaluation.id_for(x) in folded]
            return application_deadlines(app, evaluations, cal)
        return _fold_points(events, deadlines)

    def _deadlines(self, subject: str, rows: list[dict[str, Any]], day: date, n: int,
                   recompute: Callable[[], list[tuple[date, list[dict[str, Any]]]]]) -> None:
        """A new knowledge version of the subject's deadlines whenever they
        change: in business-date order by closing the open tail; a backdated
        event by recomputing the subject's timeline from its events."""
        known = self._open_rows("deadlines", subject)
        points = [r["valid_from"] for r in known] + \
            [r["valid_to"] for r in known if r["valid_to"] != FAR]
        if not points or day >= max(points):
            tail = [r for r in known if r["valid_to"] == FAR]
            if sorted(map(_deadline_key, tail)) == sorted(map(_deadline_key, rows)):
                return
            for r in tail:
                self._close("deadlines", r, n)
                known.remove(r)
                if r["valid_from"] < day:
                    known.append(self._deadline_row(r, r["valid_from"], day, n))
            known.extend(self._deadline_row(r, day, FAR, n) for r in rows)
            return
        for r in known:
            self._close("deadlines", r, n)
        known.clear()
        timeline_ = recompute()
        for i, (start, rs) in enumerate(timeline_):
            end = timeline_[i + 1][0] if i + 1 < len(timeline_) else FAR
            known.extend(self._deadline_row(r, start, end, n) for r in rs)

    def _deadline_row(self, r: dict[str, Any], start: date, end: date,
                      n: int) -> dict[str, Any]:
        return self._new_row("deadlines", {
            "subject": r["subject"], "what": r["what"], "rule": r["rule"], "due": r["due"],
            "overdue_possible": r["overdue_possible"], "provisional": r["provisional"],
            "shown_until": r["shown_until"], "valid_from": start, "valid_to": end,
            "known_from": n, "known_to": 0})


def deadlines_as_of(view: ReadModelView, on: date, position: int, *,
                    subject: str | None = None, kind: str | None = None
                    ) -> list[dict[str, Any]]:
    """Open deadlines on ``on`` as the ledger knew them at ``position``: each
    subject's deadlines as its events effective by ``on`` say (AUD-03); of
    one subject, or one kind of subject ("agreement", "application",
    "case"), when given."""
    t = view.t["deadlines"]
    q = (sa.select(t).where(t.c.valid_from <= on).where(t.c.valid_to > on)
         .where(t.c.known_from <= position)
         .where(sa.or_(t.c.known_to == 0, t.c.known_to > position)))
    if subject:
        q = q.where(t.c.subject == subject)
    if kind:
        q = q.where(t.c.subject.startswith(f"{kind} ", autoescape=True))
    with view.engine.connect() as conn:
        rows = [dict(r) for r in conn.execute(q).mappings()]
    from projections.deadlines import on_date
    # the stored English, to be said in the reader's language where a person reads it
    return in_words(on_date(rows, on), "what", said_what)


def __getattr__(name: str) -> Any:
    """``HANDLERS`` (agreement, application, evaluation, case and calendar-book
    events), made when the projection asks: a question on the table imports
    no domain (start-up, issue #14)."""
    if name == "HANDLERS":   # with what the handlers use, bound before they run
        from domain.agreement import Agreement
        from domain.application import Application
        from domain.calendar import WorkingCalendar
        from domain.calendar_book import CalendarBook
        from domain.case import Case, case_deadlines
        from domain.evaluation import Evaluation
        from projections.deadlines import agreement_deadlines, application_deadlines
        globals().update(Agreement=Agreement, Application=Application,
                         WorkingCalendar=WorkingCalendar, CalendarBook=CalendarBook, Case=Case,
                         case_deadlines=case_deadlines, Evaluation=Evaluation,
                         agreement_deadlines=agreement_deadlines,
                         application_deadlines=application_deadlines)
        return {Agreement: DeadlineRows._agreement_deadlines,
                Application: DeadlineRows._application_deadlines,
                Case: DeadlineRows._case_deadlines,
                Evaluation: DeadlineRows._evaluation_deadlines,
                CalendarBook: DeadlineRows._calendar_loaded}
    raise AttributeError(name)
