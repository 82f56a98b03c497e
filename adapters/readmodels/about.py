"""The subject index: ``rm_about``, which aggregates and which single events
are about which institution, agreement, person and application, and
``rm_names``, each institution's name as recorded.

Defined by ``relations`` in ``adapters/timeline.py`` (what the
investigator's timeline counts as "about" a subject, read off the whole
log's fold): a row says either that every event of an aggregate is about
its subjects (``scope`` "a", written at the aggregate's creation: a claim
is about its agreement and institution for ever) or that one event is
(``scope`` "e": an institution's ``AgreementSigned`` names an agreement, a
claim's submission the practitioners its items name, a registry listing
an agreement and so its institution). So there is one row per aggregate
and per link an event makes, never one per event: the timeline reads the
events themselves by aggregate id from the event store and decodes only
those (``adapters/readmodels/subjects.py``).

Handlers: ``AboutRows._about`` (the replayed aggregates: agreements,
people, applications, evaluations, with their state at hand),
``_about_logged`` (institutions, disputes, agencies, the registry and
assessments, read from their stored JSON, neither decoded nor replayed:
the rebuild's money partitions share them by aggregate id) and ``_about_money`` (a claim's or a fund
account's creation, from the stored JSON the posting rules read).
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Iterable, Sequence

import sqlalchemy as sa

from adapters.readmodels.columns import _key_text

# the aggregates the handler tells apart: bound with HANDLERS (below), which
# alone hands the handler to the projection, so they are there when it runs
Agreement: Any = None
Application: Any = None
Evaluation: Any = None
Person: Any = None

if TYPE_CHECKING:
    from adapters.readmodels.schema import ReadModelView

WHOLE, ONE = "a", "e"   # every event of the aggregate from its creation on; this event only
SUBJECT_COLUMNS = ("institution", "agreement", "person", "application")


def tables(metadata: sa.MetaData, prefix: str) -> dict[str, sa.Table]:
    t = {}

    def index(column: str) -> sa.Index:
        # partial: most rows name only some of the subjects
        c = sa.column(column)
        return sa.Index(f"{prefix}_about_{column}", column, "notification_id",
                        postgresql_where=c.isnot(None), sqlite_where=c.isnot(None))
    t["about"] = sa.Table(
        f"{prefix}_about", metadata,
        sa.Column("notification_id", sa.BigInteger, nullable=False),
        sa.Column("originator_id", sa.String(36), nullable=False),
        sa.Column("aggregate", sa.String(32), nullable=False),
        sa.Column("akey", sa.String(200), nullable=False),   # the timeline's "key" column
        sa.Column("scope", sa.String(1), nullable=False),
        *(sa.Column(c, _key_text(64), nullable=True) for c in SUBJECT_COLUMNS),
        *(index(c) for c in SUBJECT_COLUMNS))
    # practitioners named by a claim of an agreement, from the first such
    # claim's position on (kept the earliest by every writer: ``write_named``)
    t["named"] = sa.Table(
        f"{prefix}_named", metadata,
        sa.Column("agreement", _key_text(64), nullable=False),
        sa.Column("person", _key_text(64), nullable=False),
        sa.Column("notification_id", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint("person", "agreement"))
    # a partitioned rebuild's rm_named rows, as each partition meets them
    # (``write_named``): merged into rm_named, earliest kept, at its end
    t["named_stage"] = sa.Table(
        f"{prefix}_named_stage", metadata,
        sa.Column("agreement", _key_text(64), nullable=False),
        sa.Column("person", _key_text(64), nullable=False),
        sa.Column("notification_id", sa.BigInteger, nullable=False))
    t["names"] = sa.Table(
        f"{prefix}_names", metadata,
        sa.Column("institution", _key_text(64), nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("notification_id", sa.BigInteger, nullable=False),
        sa.Index(f"{prefix}_names_institution", "institution", "notification_id"))
    return t


def _rows(n: int, originator_id: Any, aggregate: str, akey: str, scope: str,
          institution: Any = None, agreement: Any = None, person: Any = None,
          application: Any = None) -> tuple[Any, ...]:
    return (n, str(originator_id), aggregate, akey, scope, institution, agreement, person,
            application)


class AboutRows:
    """The handlers of ``ReadModels`` (a part of it) that make subject rows."""

    named_seen: set[tuple[str, str]]   # (agreement, practitioner) pairs written
    keys: dict[str, str]               # institutions' and agencies' codes by aggregate id

    def _about(self, aggregate: Any, e: Any, n: int) -> None:
        """An agreement's, person's, application's or evaluation's event, the
        aggregate as it stands after it."""
        add = self.batch.about.append
        oid, created = e.originator_id, hasattr(e, "originator_topic")
        if isinstance(aggregate, Agreement):
            key = aggregate.number
            if created:
                add(_rows(n, oid, "Agreement", key, WHOLE,
                          institution=aggregate.institution_code, agreement=key))
            for other in _distinct(getattr(e, attr, None) for attr in ("renewal_of",
                                                                       "successor")):
                add(_rows(n, oid, "Agreement", key, ONE, agreement=other))
        elif isinstance(aggregate, Person):
            key = aggregate.person_id
            if created:
                add(_rows(n, oid, "Person", key, WHOLE, person=key))
            bar_no = getattr(e, "bar_no", None)
            linked = [getattr(e, "institution_code", None),
                      aggregate.bars[bar_no]["institution"]
                      if bar_no and bar_no in aggregate.bars else None]
            for code in _distinct(linked):
                add(_rows(n, oid, "Person", key, ONE, institution=code))
        elif isinstance(aggregate, Application) and created:
            add(_rows(n, oid, "Application", aggregate.number, WHOLE,
                      institution=aggregate.institution_code, application=aggregate.number))
        elif isinstance(aggregate, Evaluation) and created:
            add(_rows(n, oid, "Evaluation", aggregate.number, WHOLE,
                      institution=aggregate.institution_code,
                      application=aggregate.application_no))

    def _about_logged(self, name: str, originator_id: str, version: int,
                      fields: dict[str, Any], n: int) -> None:
        """An institution's, dispute's, agency's, the registry's or an
        assessment's event (not replayed: its own fields say what it is
        about): ``fields`` is the stored JSON as parsed (the rebuild's and
        catch-up's path: no domain event is made) or a domain event's
        ``__dict__``; the fields read here are strings and integers, the
        same either way."""
        add = self.batch.about.append
        kind = name.split(".", 1)[0]
        oid, created = originator_id, "originator_topic" in fields
        get = fields.get
        if kind == "Institution":
            key = fields["code"] if created else self._key_of(oid, version)
            if created:
                add(_rows(n, oid, kind, key, WHOLE, institution=key))
                self.batch.names.append((key, fields["name"], n))
                people = [p["person_id"] for p in fields["people"]]
            else:
                people = [get("person_id")]
                if name == "Institution.FactsAmended" and "name" in fields["changes"]:
                    self.batch.names.append((key, fields["changes"]["name"], n))
            for person in _distinct(people):
                add(_rows(n, oid, kind, key, ONE, person=person))
            if name == "Institution.AgreementSigned":
                add(_rows(n, oid, kind, key, ONE, agreement=fields["number"]))
        elif kind == "Dispute" and created:
            add(_rows(n, oid, kind, fields["number"], WHOLE,
                      institution=fields["institution_code"],
                      agreement=get("agreement") or None, person=get("person_id") or None))
        elif kind == "Assessment" and created:
            add(_rows(n, oid, kind, f"{fields['agreement']}:{fields['year']}", WHOLE,
                      institution=fields["institution_code"], agreement=fields["agreement"]))
        elif kind == "Agency":
            key = fields["code"] if created else self._key_of(oid, version)
            code = get("institution_code")
            if code:
                add(_rows(n, oid, kind, key, ONE, institution=code))
        elif kind == "Registry":
            number = get("number")
            if number:   # its institution is the agreement's, found when asked (``listings``)
                add(_rows(n, oid, kind, "agreements", ONE, agreement=number))
        if created and kind in ("Institution", "Agency"):
            self.keys[oid] = key

    def _key_of(self, originator_id: str, version: int) -> str:
        """An institution's or agency's code, remembered from its creation or
        read from the store as it stood before this event (``version``)."""
        key = self.keys.get(originator_id)
        if key is None:
            key = self._stored_aggregate(originator_id, version - 1).code
            self.keys[originator_id] = key
        return key

    def _about_money(self, name: str, originator_id: str, payload: Any, n: int) -> None:
        """A claim's or fund account's creation (the stored JSON as parsed)."""
        add = self.batch.about.append
        agreement, institution = payload["agreement"], payload["institution_code"]
        if name == "Claim.Submitted":
            key = f"{agreement}:{payload['month']}"
            add(_rows(n, originator_id, "Claim", key, WHOLE, institution=institution,
                      agreement=agreement))
            # not a row per claim and practitioner (there are nearly half as
            # many as events): a row per agreement and practitioner, the first
            # claim naming them; the timeline reads that agreement's
            # submissions for the ones that do (``subjects``)
            named, seen = self.batch.named, self.named_seen
            for person in {i.get("practitioner_id") for i in payload["items"]}:
                if person and (agreement, person) not in seen:   # any order: written sorted
                    seen.add((agreement, person))
                    named.setdefault((agreement, person), n)
        else:
            add(_rows(n, originator_id, "FundAccount", f"{agreement}:{payload['year']}",
                      WHOLE, institution=institution, agreement=agreement))


def _distinct(values: Iterable[Any]) -> list[Any]:
    """The truthy values, each once, in a fixed order (rows equal however made)."""
    return sorted({v for v in values if v})


def _handlers() -> dict[Any, Any]:
    from domain.agreement import Agreement
    from domain.application import Application
    from domain.evaluation import Evaluation
    from domain.person import Person
    globals().update(Agreement=Agreement, Application=Application, Evaluation=Evaluation,
                     Person=Person)
    return {Agreement: AboutRows._about, Person: AboutRows._about,
            Application: AboutRows._about, Evaluation: AboutRows._about}


# --- questions -------------------------------------------------------------------------------
def about_rows(view: ReadModelView, position: int, **subjects: Sequence[str] | str
               ) -> list[dict[str, Any]]:
    """The rows recorded by ``position`` naming any of the given subjects
    (``institution=["TY-H001"]``, ``person="P-1"`` ...), in log order."""
    t = view.t["about"]
    tests = []
    for column, keys in subjects.items():
        keys = [keys] if isinstance(keys, str) else list(keys)
        if keys:
            tests.append(t.c[column].in_(keys) if len(keys) > 1 else t.c[column] == keys[0])
    if not tests:
        return []
    q = sa.select(t).where(t.c.notification_id <= position).where(sa.or_(*tests))
    with view.engine.connect() as conn:
        rows = [dict(r) for r in conn.execute(q).mappings()]
    rows.sort(key=lambda r: (r["notification_id"], r["scope"], r["aggregate"]))
    return rows


def listings(view: ReadModelView, position: int, rows: list[dict[str, Any]]
             ) -> list[dict[str, Any]]:
    """The registry's rows about the agreements among ``rows`` (an
    institution's, read by ``about_rows``), each naming the agreement's
    institution: a listing is about the institution whose agreement it
    lists, once that agreement was signed (as ``relations`` reads it off the
    fold). The rows name only the agreement, so that whichever partition of
    a rebuild writes them need not know every agreement."""
    signed = {r["agreement"]: (r["notification_id"], r["institution"]) for r in rows
              if r["scope"] == WHOLE and r["aggregate"] == "Agreement"}
    if not signed:
        return []
    t = view.t["about"]
    found = []
    with view.engine.connect() as conn:
        for chunk in (sorted(signed)[i:i + 500] for i in range(0, len(signed), 500)):
            q = sa.select(t).where(t.c.agreement.in_(chunk)).where(
                t.c.aggregate == "Registry").where(t.c.notification_id <= position)
            for r in conn.execute(q).mappings():
                since, code = signed[r["agreement"]]
                if since < r["notification_id"]:
                    found.append(dict(r, institution=code))
    return found


def names_of(view: ReadModelView, institutions: Iterable[str],
             position: int | None = None) -> dict[str, str]:
    """Each institution's name as last recorded (by ``position`` when given)."""
    codes = sorted(set(institutions))
    if not codes:
        return {}
    t = view.t["names"]
    q = sa.select(t.c.institution, t.c.name, t.c.notification_id).where(
        t.c.institution.in_(codes))
    if position is not None:
        q = q.where(t.c.notification_id <= position)
    out: dict[str, tuple[int, str]] = {}
    with view.engine.connect() as conn:
        for code, name, n in conn.execute(q):
            if code not in out or n > out[code][0]:
                out[code] = (n, name)
    return {code: name for code, (_, name) in out.items()}


def named_upsert(name: str, mark: str | None = None) -> str:
    """SQL: add (agreement, person, position) rows to ``rm_named``, keeping
    the earliest position: partitions may meet the same pair in either order.
    With ``mark``, one row of parameters; without, psycopg2's ``VALUES %s``
    of many (``execute_values``)."""
    values = f"({mark}, {mark}, {mark})" if mark else "%s"
    return (f"INSERT INTO {name} AS t (agreement, person, notification_id) VALUES "
            f"{values} ON CONFLICT (person, agreement) DO UPDATE SET "
            f"notification_id = CASE WHEN excluded.notification_id < t.notification_id "
            f"THEN excluded.notification_id ELSE t.notification_id END")


def merge_named(view: ReadModelView) -> None:
    """The end of a partitioned rebuild: the staged rm_named rows into
    rm_named, each pair once at its earliest position, in one statement (an
    upsert a row in each partition's every batch was most of their extra
    cost on PostgreSQL, and partitions meet a pair in either order)."""
    stage, named = view._name_of("named_stage"), view._name_of("named")
    with view.engine.begin() as conn:
        conn.execute(sa.text(
            f"INSERT INTO {named} (agreement, person, notification_id) "
            f"SELECT agreement, person, min(notification_id) FROM {stage} "
            f"GROUP BY agreement, person"))
        conn.execute(sa.text(f"DELETE FROM {stage}"))


def named_agreements(view: ReadModelView, person: str, position: int) -> list[str]:
    """The agreements a claim of which named ``person`` by ``position``."""
    t = view.t["named"]
    with view.engine.connect() as conn:
        return sorted(conn.execute(sa.select(t.c.agreement).where(t.c.person == person)
                                   .where(t.c.notification_id <= position)).scalars())


def __getattr__(name: str) -> Any:
    """``HANDLERS`` (every agreement, person, application and evaluation
    event), made when the projection asks: a question on the table imports
    no domain (start-up, issue #14)."""
    if name == "HANDLERS":   # with the classes the handler tells apart, bound before it runs
        return _handlers()
    raise AttributeError(name)
