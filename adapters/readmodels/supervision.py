"""The supervision view: ``rm_supervision``, each lead's and case's record
over business time (``valid_from``, ``valid_to``) per knowledge version
(``known_from``, ``known_to``), bitemporal like status and deadlines
(SUP-01..05; AUD-03).

Defined by the pure fold ``projections/supervision.py`` (``records``): a
row holds what ``record_of`` gives for the lead or case as its events
effective by then made it, as JSON with its dates tagged, beside the
columns the questions filter by (kind, institution, agency, status,
source). Handler: ``SupervisionRows._supervision`` (Lead and Case events).
An event in business-date order closes the subject's open row and adds
the new record from its day; one dated before the subject's latest
recomputes the subject's rows from its own events (tens at most). The
deadlines of a case are on ``rm_deadlines`` (``deadlines.py``).

The questions (domain/service/supervision.py's pure functions) take the
records ``records_as_of`` reads.
"""
from __future__ import annotations

import json
from datetime import date
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from adapters.readmodels.columns import FAR, _key_text

# projections.supervision's record_of, subject_of and timeline: bound with
# HANDLERS (below), which alone hands the handler to the projection, so they
# are there when it runs; the questions below import the domain's supervision
# service when asked (start-up, issue #14)
record_of: Any = None
subject_of: Any = None
timeline: Any = None

if TYPE_CHECKING:
    from domain.case import Case
    from domain.lead import Lead, Viewer
    from adapters.readmodels.schema import ReadModelView


def tables(metadata: sa.MetaData, prefix: str) -> dict[str, sa.Table]:
    t = {}
    t["supervision"] = sa.Table(
        f"{prefix}_supervision", metadata,
        sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("subject", _key_text(96), nullable=False),   # "lead L" or "case C"
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("institution", _key_text(64), nullable=False),
        sa.Column("agency", sa.String(8), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("source", sa.String(16), nullable=True),     # a lead's
        sa.Column("record", sa.Text, nullable=False),
        sa.Column("valid_from", sa.Date, nullable=False),
        sa.Column("valid_to", sa.Date, nullable=False),
        sa.Column("known_from", sa.BigInteger, nullable=False),
        sa.Column("known_to", sa.BigInteger, nullable=False),
        sa.Index(f"{prefix}_supervision_subject", "subject", "valid_from"),
        sa.Index(f"{prefix}_supervision_institution", "institution"))
    return t


# A record's dates are kept tagged, so that it reads back equal to the fold's
# (a lead's allegation may be text that looks like a date; a tag cannot).
def _tag(value: Any) -> Any:
    if isinstance(value, date):
        return {"__date__": value.isoformat()}
    raise TypeError(f"a record holds no {type(value).__name__}")


def _revive(obj: dict[str, Any]) -> Any:
    if len(obj) == 1 and "__date__" in obj:
        return date.fromisoformat(obj["__date__"])
    return obj


def dumps(record: dict[str, Any]) -> str:
    # in the record's own order: a complainant's fields as they were given
    return json.dumps(record, default=_tag, ensure_ascii=False)


def loads(text: str) -> dict[str, Any]:
    return json.loads(text, object_hook=_revive)


class SupervisionRows:
    """The handler of ``ReadModels`` (a part of it) that makes supervision rows."""

    def _supervision(self, aggregate: Lead | Case, e: Any, n: int) -> None:
        subject = subject_of(aggregate)
        known = self._open_rows("supervision", subject, new=hasattr(e, "originator_topic"))
        day = e.effective_on
        # every event of a subject adds a row from its day, so the latest
        # valid_from is the latest day any of its events took effect on:
        # on or after it, the aggregate as it now stands is the fold's
        if not known or day >= max(r["valid_from"] for r in known):
            for r in [r for r in known if r["valid_to"] == FAR]:
                self._close("supervision", r, n)
                known.remove(r)
                if r["valid_from"] < day:   # its record still holds up to the day
                    known.append(self._supervision_row(subject, _columns(r), r["valid_from"],
                                                       day, n))
            known.append(self._supervision_row(subject, _values(subject, record_of(aggregate)),
                                               day, FAR, n))
            return
        for r in known:
            self._close("supervision", r, n)
        known.clear()
        known.extend(self._supervision_recomputed(aggregate, subject, e, n))

    def _supervision_recomputed(self, aggregate: Lead | Case, subject: str, e: Any,
                                n: int) -> list[dict[str, Any]]:
        """The subject's rows from its events recorded up to ``e``, a point at
        each day one of them takes effect (none before its creation does)."""
        key = aggregate.id
        events = self._events_recorded_by(key, e)
        points = timeline(events, lambda folded: record_of(folded[key]) if key in folded
                          else None)
        rows = []
        for i, (start, record) in enumerate(points):
            end = points[i + 1][0] if i + 1 < len(points) else FAR
            if record is not None:
                rows.append(self._supervision_row(subject, _values(subject, record), start,
                                                  end, n))
        return rows

    def _supervision_row(self, subject: str, values: dict[str, Any], start: date, end: date,
                         n: int) -> dict[str, Any]:
        return self._new_row("supervision", {"subject": subject, **values, "valid_from": start,
                                             "valid_to": end, "known_from": n, "known_to": 0})


COLUMNS = ("kind", "institution", "agency", "status", "source", "record")


def _values(subject: str, record: dict[str, Any]) -> dict[str, Any]:
    """A record's row values, but for its place in time."""
    return {"kind": subject.split(" ", 1)[0], "institution": record["institution"],
            "agency": record["agency"], "status": record["status"],
            "source": record.get("source"), "record": dumps(record)}


def _columns(row: dict[str, Any]) -> dict[str, Any]:
    return {k: row[k] for k in COLUMNS}


def records_as_of(view: ReadModelView, on: date, position: int, *, kind: str | None = None,
                  number: str | None = None, institution: str | None = None,
                  status: str | None = None, source: str | None = None
                  ) -> list[dict[str, Any]]:
    """The records of the leads (``kind`` "lead") or cases ("case") on
    ``on`` as the ledger knew them at ``position`` (AUD-03), of one number,
    one institution, one status or one source when given; in subject order."""
    t = view.t["supervision"]
    q = (sa.select(t.c.record).where(t.c.valid_from <= on).where(t.c.valid_to > on)
         .where(t.c.known_from <= position)
         .where(sa.or_(t.c.known_to == 0, t.c.known_to > position)))
    if kind is not None:
        q = q.where(t.c.kind == kind)
        if number is not None:
            q = q.where(t.c.subject == f"{kind} {number}")
    for column, value in (("institution", institution), ("status", status),
                          ("source", source)):
        if value is not None:
            q = q.where(t.c[column] == value)
    with view.engine.connect() as conn:
        return [loads(text) for text in conn.execute(q.order_by(t.c.subject)).scalars()]


def __getattr__(name: str) -> Any:
    """``HANDLERS`` (every lead and case event), made when the projection
    asks: a question on the table imports no domain (start-up, issue #14)."""
    if name == "HANDLERS":   # with what the handler uses, bound before it runs
        from domain.case import Case
        from domain.lead import Lead
        from projections import supervision
        globals().update(record_of=supervision.record_of, subject_of=supervision.subject_of,
                         timeline=supervision.timeline)
        return {Lead: SupervisionRows._supervision, Case: SupervisionRows._supervision}
    raise AttributeError(name)


# --- the questions, on a day as known at a position (SUP-02..06) -------------------------------
def lead_on(view: ReadModelView, number: str, on: date, position: int,
            viewer: Viewer) -> dict[str, Any]:
    """A lead's state, as ``viewer`` may read it."""
    from domain.service.supervision import one_lead
    found = records_as_of(view, on, position, kind="lead", number=number)
    return one_lead(found[0] if found else None, number, viewer)


def case_on(view: ReadModelView, number: str, on: date, position: int,
            viewer: Viewer) -> dict[str, Any]:
    """A case's state and its deadlines on ``on``."""
    from adapters.readmodels.deadlines import deadlines_as_of
    from domain.service.supervision import one_case
    found = records_as_of(view, on, position, kind="case", number=number)
    return one_case(found[0] if found else None, number,
                    deadlines_as_of(view, on, position, subject=f"case {number}"), viewer)


def cases_on(view: ReadModelView, on: date, position: int, viewer: Viewer, *,
             overdue: bool = False) -> list[dict[str, Any]]:
    """Open cases and their deadlines on ``on`` (only those overdue, when asked)."""
    from adapters.readmodels.deadlines import deadlines_as_of
    from domain.service.supervision import open_cases
    return open_cases(records_as_of(view, on, position, kind="case", status="open"),
                      deadlines_as_of(view, on, position, kind="case"), viewer, overdue=overdue)


def leads_on(view: ReadModelView, on: date, position: int, viewer: Viewer, *,
             institution: str | None = None) -> list[dict[str, Any]]:
    """Open leads on ``on``: not yet in a case nor set aside."""
    from domain.service.supervision import open_leads
    return open_leads(records_as_of(view, on, position, kind="lead", status="open",
                                    institution=institution), viewer)


def institution_on(view: ReadModelView, code: str, agency: str, on: date, position: int,
                   viewer: Viewer) -> dict[str, Any]:
    """An institution's leads and cases on ``on`` (``agency``: the institution's)."""
    from domain.service.supervision import institution_supervision
    return institution_supervision(
        code, agency, records_as_of(view, on, position, kind="lead", institution=code),
        records_as_of(view, on, position, kind="case", institution=code), viewer)


def alerts_on(view: ReadModelView, on: date, position: int, viewer: Viewer, *,
              rule: str | None = None, agency: str | None = None) -> list[dict[str, Any]]:
    """The screening leads recorded by ``on``, by rule and agency."""
    from domain.service.supervision import alerts_by_rule
    return alerts_by_rule(records_as_of(view, on, position, kind="lead", source="screening"),
                          viewer, rule=rule, agency=agency)
