"""Tamper evidence for the stored event log (AUD-05) and an append-only store
(AUD-01).

One module, over 600 lines, because the chain, sealing and verification
share one stored form and one lock; the tree, the keys and the triggers are
in merkle.py, signing.py and append_only.py.

Three layers, each documented for a DBA in ``docs/integrity.md``:

1. **A hash chain** over the events exactly as stored, in log order
   (notification id order). Each event's *leaf* is an RFC 6962 leaf hash of
   its stored form (notification id, originator id, originator version,
   topic, state bytes); ``chain_i = sha256(chain_{i-1} || leaf_i)`` from 32
   zero bytes. The chain lives in its own table (``ledger_chain``) in the
   same database and schema, appended by :func:`seal`. :func:`verify`
   recomputes every leaf from the stored events and names the first
   notification id whose stored form was altered, deleted, moved or slipped
   in after sealing.
2. **Signed checkpoints**: :func:`export_checkpoint` signs (Ed25519) the
   event count, the chain head and an RFC 6962 Merkle root over the leaves.
   Kept outside the database, a checkpoint catches what the chain table
   alone cannot: someone who rewrites events *and* the chain table, or cuts
   the tail of both. :func:`check_checkpoint` needs only the checkpoint.
3. **Append-only tables**: :func:`install_append_only` puts triggers on the
   events and chain tables that refuse UPDATE, DELETE (and TRUNCATE on
   PostgreSQL). :func:`init_store` creates the chain table and the triggers;
   it is idempotent and cheap (catalogue look-ups only once installed).

Sealing never vouches for what the ledger cannot read: :func:`seal` decodes
every new event with the application's own mapper first
(``adapters/readable.py``) and stops before the first that does not decode
into a well-formed ledger event, which :func:`verify` then reports. Opening
the store (:func:`init_store`) seals what a killed earlier process left
unsealed, for the price of one query when there is nothing to seal.

The Merkle tree (``adapters/merkle.py``), the keys and signatures
(``adapters/signing.py``) and the triggers (``adapters/append_only.py``)
are modules of their own, re-exported here.
"""
from __future__ import annotations

import base64
import hashlib
import logging
import weakref
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from typing import Any, Iterator
from uuid import UUID

import sqlalchemy as sa
from cryptography.hazmat.primitives.asymmetric.ed25519 import (Ed25519PrivateKey,
                                                               Ed25519PublicKey)
from sqlalchemy.types import NullType

# The tree, the keys and the triggers live in their own modules; what callers
# (the CLI, case files, tests) have always imported from here is re-exported.
from adapters.append_only import REFUSAL, install_postgres, install_sqlite  # noqa: F401
from adapters.append_only import qualified as _qualified
from adapters.merkle import (MerkleTree, inclusion_proof, merkle_root,  # noqa: F401
                             verify_inclusion)
from adapters.labels import Said
from adapters.readable import _uuid, why_unreadable
from adapters.signing import (canonical_json, generate_key, key_fingerprint,  # noqa: F401
                              load_private_key, load_public_key, public_key_b64,
                              save_keypair, sign, signature_ok)

GENESIS = bytes(32)
LEAF_PREFIX = b"\x00"   # RFC 6962 section 2.1: leaf hash = SHA-256(0x00 || entry)
ENTRY_TAG = b"agreement-ledger/stored-event/v1"
CHECKPOINT_FORMAT = "agreement-ledger-checkpoint/v1"
BATCH = 1000
NOT_READABLE_HELP = 'docs/integrity.md, "An event the ledger cannot read"'


def _clause(key: str, n: int) -> Said | str:
    """The catalogue's ``integrity.clause.<key>`` for ``n`` events, or nothing for none."""
    return Said(f"integrity.clause.{key}", {"n": n}) if n else ""


class _Joined(Said):
    """Findings joined as the reader's language joins them."""

    def __new__(cls, items: list[str]) -> "_Joined":
        self = str.__new__(cls, "; ".join(items))
        self.key, self.values, self.items = "", {}, list(items)
        return self

    def __getnewargs__(self) -> tuple[list[str]]:  # type: ignore[override]
        return (self.items,)

    def say(self, lang: str | None = None) -> str:
        from adapters.labels import label, said
        return label("sentence.item_sep", lang).join(said(i, lang) for i in self.items)

log = logging.getLogger("ledger.integrity")


class IntegrityProblem(Exception):
    """The store failed verification; the message names the event."""


# --- the stored form and its leaf ----------------------------------------------------------
@dataclass(frozen=True)
class StoredForm:
    """One row of the events table, exactly as stored."""

    notification_id: int
    originator_id: Any
    originator_version: Any
    topic: Any
    state: bytes

    @property
    def originator_text(self) -> str:
        return _oid_text(self.originator_id)

    def as_dict(self) -> dict[str, Any]:
        """A JSON form that round-trips to the same leaf (case files)."""
        oid = self.originator_id
        return {"notification_id": self.notification_id,
                "originator_id": _oid_text(oid),
                "originator_version": self.originator_version,
                "topic": self.topic,
                "state": base64.b64encode(self.state).decode("ascii")}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "StoredForm":
        return cls(notification_id=int(data["notification_id"]),
                   originator_id=data["originator_id"],
                   originator_version=data["originator_version"],
                   topic=data["topic"],
                   state=base64.b64decode(data["state"], validate=True))


def _oid_bytes(value: Any) -> bytes:
    """The originator id as its 16 UUID bytes however the driver returns it
    (UUID, 16-byte BLOB on SQLite, text); anything else as its raw bytes, so
    a damaged id still hashes (to a leaf that will not match)."""
    if isinstance(value, UUID):
        return value.bytes
    if isinstance(value, memoryview):
        value = bytes(value)
    if isinstance(value, (bytes, bytearray)):
        return bytes(value)
    text = str(value)
    try:
        return UUID(text).bytes
    except ValueError:
        return text.encode("utf-8")


def _oid_text(value: Any) -> str:
    raw = _oid_bytes(value)
    if len(raw) == 16:
        return str(UUID(bytes=raw))
    return raw.hex()


def _field(data: bytes) -> bytes:
    return len(data).to_bytes(8, "big") + data


def _text_bytes(value: Any) -> bytes:
    if isinstance(value, memoryview):
        value = bytes(value)
    if isinstance(value, (bytes, bytearray)):
        return bytes(value)
    return str(value).encode("utf-8")


def entry_bytes(form: StoredForm) -> bytes:
    """The canonical serialisation of a stored form: a tag, then five
    length-prefixed fields (8-byte big-endian lengths): notification id and
    originator version as decimal ASCII, the 16 originator-id bytes, the
    topic in UTF-8, the state bytes as stored."""
    return (ENTRY_TAG
            + _field(str(form.notification_id).encode("ascii"))
            + _field(_oid_bytes(form.originator_id))
            + _field(_text_bytes(form.originator_version))
            + _field(_text_bytes(form.topic))
            + _field(bytes(form.state)))


def leaf_hash(form: StoredForm) -> bytes:
    return hashlib.sha256(LEAF_PREFIX + entry_bytes(form)).digest()


def chain_step(previous: bytes, leaf: bytes) -> bytes:
    return hashlib.sha256(previous + leaf).digest()


# --- where the tables are ------------------------------------------------------------------
_CHAIN_TABLES: "weakref.WeakKeyDictionary[Any, sa.Table]" = weakref.WeakKeyDictionary()


def engine_of(ledger: Any) -> sa.engine.Engine:
    engine = ledger.recorder.datastore.engine
    if engine is None:
        raise IntegrityProblem("the ledger has no database engine")
    return engine


def events_table(ledger: Any) -> sa.Table:
    return ledger.recorder.events_record_cls.__table__


def chain_table_name(ledger: Any) -> str:
    name = ledger.recorder.events_table_name
    return (name[: -len("_events")] if name.endswith("_events") else name) + "_chain"


def chain_table(ledger: Any) -> sa.Table:
    """``ledger_chain``: one row per sealed event, in the events' schema."""
    found = _CHAIN_TABLES.get(ledger)
    if found is not None:
        return found
    name = chain_table_name(ledger)
    metadata = sa.MetaData(schema=ledger.recorder.schema_name)
    big = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
    table = sa.Table(
        name, metadata,
        sa.Column("notification_id", big, primary_key=True, autoincrement=False),
        sa.Column("originator_id", sa.String(36), nullable=False),
        sa.Column("originator_version", sa.BigInteger(), nullable=False),
        sa.Column("leaf", sa.String(64), nullable=False),
        sa.Column("chain", sa.String(64), nullable=False),
        sa.Column("sealed_at", sa.String(40), nullable=False),
        sa.Index(f"{name}_originator_idx", "originator_id", "originator_version"),
    )
    _CHAIN_TABLES[ledger] = table
    return table


def ensure_chain_table(ledger: Any) -> bool:
    """Create the chain table if it is missing; True when it was created."""
    engine = engine_of(ledger)
    table = chain_table(ledger)
    if sa.inspect(engine).has_table(table.name, schema=table.schema):
        return False
    table.create(engine, checkfirst=True)
    return True


def read_forms(conn: sa.engine.Connection, table: sa.Table, *, after: int | None = None,
               limit: int | None = None, batch: int = BATCH) -> Iterator[StoredForm]:
    """Stored events with notification id above ``after`` (all when None), in
    log order, as the driver returns them (no type conversion, so a damaged
    row still reads)."""
    raw = NullType()
    columns = [table.c.id, sa.type_coerce(table.c.originator_id, raw).label("oid"),
               sa.type_coerce(table.c.originator_version, raw).label("version"),
               sa.type_coerce(table.c.topic, raw).label("topic"),
               sa.type_coerce(table.c.state, raw).label("state")]
    position, taken = after, 0
    while limit is None or taken < limit:
        size = batch if limit is None else min(batch, limit - taken)
        query = sa.select(*columns)
        if position is not None:
            query = query.where(table.c.id > position)
        rows = conn.execute(query.order_by(table.c.id).limit(size)).all()
        if not rows:
            return
        for r in rows:
            state = r.state
            if isinstance(state, memoryview):
                state = bytes(state)
            elif isinstance(state, str):
                state = state.encode("utf-8")
            yield StoredForm(int(r.id), r.oid, r.version, r.topic, bytes(state))
        taken += len(rows)
        position = rows[-1].id


# --- problems ------------------------------------------------------------------------------
@dataclass
class Problem:
    notification_id: int
    # altered | deleted | moved | replaced | inserted | seal_altered: the chain caught it;
    # undecodable: an unsealed event the ledger cannot read, so it was not sealed
    kind: str
    detail: str     # Said: English as text (JSON), the reader's language with say()

    def message(self) -> Said:
        return Said("integrity.problem", {"n": self.notification_id,
                                          "kind": Said(f"integrity_kind.{self.kind}"),
                                          "detail": self.detail})


def _describe(form: StoredForm) -> Said:
    return Said("integrity.event", {"topic": _topic_name(form.topic),
                                    "version": form.originator_version,
                                    "aggregate": form.originator_text})


def _topic_name(topic: Any) -> str:
    text = _text_bytes(topic).decode("utf-8", "replace")
    return text.split(":", 1)[-1]


def unreadable(ledger: Any, form: StoredForm) -> Problem | None:
    """The problem with a stored event the ledger cannot read, naming it by
    notification id, aggregate id, version and topic; None when it reads."""
    why = why_unreadable(ledger, form.originator_id, form.originator_version, form.topic,
                         form.state)
    if why is None:
        return None
    topic = _text_bytes(form.topic).decode("utf-8", "replace")
    return Problem(form.notification_id, "undecodable",
                   Said("integrity.undecodable", {
                       "topic": _topic_name(form.topic), "version": form.originator_version,
                       "aggregate": form.originator_text, "topic_repr": repr(topic),
                       "why": why}))


# --- sealing -------------------------------------------------------------------------------
def _unread(ledger: Any, form: StoredForm) -> Problem | None:
    """:func:`unreadable`, except for an event this process wrote: bytes
    exactly as its own mapper encoded them from a valid domain event
    (``Ledger.written_here``) read as well as decoding them again would say,
    so the end of a run seals its own events without decoding each twice.
    Its aggregate id and version, outside those bytes, are still looked at;
    any other event is decoded (AUD-05)."""
    written_here = getattr(ledger, "written_here", None)
    version = form.originator_version
    if (written_here is not None and type(version) is int and version >= 1
            and _uuid(form.originator_id) is not None
            and written_here(form.notification_id, form.topic, form.state)):
        return None
    return unreadable(ledger, form)


@dataclass
class SealResult:
    sealed: int
    head_id: int | None
    head: str
    blocked: Problem | None = None   # the first new event that does not read: not sealed
    left: int = 0                    # events from it on, left unsealed

    def message(self) -> Said:
        if self.blocked is not None:
            return Said("integrity.seal_blocked", {
                "problem": self.blocked.message(), "sealed": self.sealed,
                "after": max(self.left - 1, 0), "help": NOT_READABLE_HELP})
        if self.head_id:
            return Said("integrity.sealed", {"sealed": self.sealed, "head": self.head[:16],
                                             "head_id": self.head_id})
        return Said("integrity.nothing_to_seal")


def _lock_key(name: str) -> int:
    return int.from_bytes(hashlib.sha256(name.encode("utf-8")).digest()[:8], "big",
                          signed=True)


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="microseconds")


def _count_from(conn: sa.engine.Connection, events: sa.Table, first: int) -> int:
    return int(conn.execute(sa.select(sa.func.count()).select_from(events)
                            .where(events.c.id >= first)).scalar() or 0)


def seal(ledger: Any) -> SealResult:
    """Append a chain row for every stored event after the sealed head that
    the ledger can read (AUD-05).

    Each new event is decoded first, with the application's own mapper (or
    found exactly as this process encoded it, :func:`_unread`): the chain
    must never vouch for bytes the ledger did not write. Sealing stops
    before the first event that does not read (the chain is ordered, so
    nothing after it is sealed either) and returns it as ``blocked``.
    Sealing otherwise trusts what it appends: :func:`verify` checks the
    sealed events first and then seals."""
    ensure_chain_table(ledger)
    engine = engine_of(ledger)
    chain = chain_table(ledger)
    events = events_table(ledger)
    for attempt in range(3):
        try:
            with engine.begin() as conn:
                if engine.dialect.name == "postgresql":
                    # One sealer at a time (an advisory lock needs no table
                    # privilege beyond INSERT); inserts into the events go on.
                    # SQLite: a racing sealer hits the primary key and retries.
                    conn.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"),
                                 {"k": _lock_key(_qualified(engine, chain))})
                last = conn.execute(sa.select(chain.c.notification_id, chain.c.chain)
                                    .order_by(chain.c.notification_id.desc()).limit(1)).first()
                previous = bytes.fromhex(last.chain) if last else GENESIS
                after = int(last.notification_id) if last else None
                head_id = after
                sealed, rows, when, blocked, left = 0, [], _now(), None, 0
                stream = read_forms(conn, events, after=after)
                for form in stream:
                    blocked = _unread(ledger, form)
                    if blocked is not None:
                        break
                    leaf = leaf_hash(form)
                    previous = chain_step(previous, leaf)
                    rows.append({"notification_id": form.notification_id,
                                 "originator_id": form.originator_text[:36],
                                 "originator_version": int(form.originator_version),
                                 "leaf": leaf.hex(), "chain": previous.hex(), "sealed_at": when})
                    head_id = form.notification_id
                    if len(rows) >= BATCH:
                        conn.execute(chain.insert(), rows)
                        sealed += len(rows)
                        rows = []
                stream.close()
                if rows:
                    conn.execute(chain.insert(), rows)
                    sealed += len(rows)
                if blocked is not None:
                    left = _count_from(conn, events, blocked.notification_id)
            return SealResult(sealed, head_id, previous.hex(), blocked, left)
        except sa.exc.IntegrityError:
            if attempt == 2:  # another sealer kept winning the race
                raise
    raise AssertionError("unreachable")


def chain_value(ledger: Any, position: int) -> str:
    """The hash chain's value after event ``position`` (the genesis value for
    0), sealing what is new first so the chain reaches it: a draw's seed
    (SUP-07). LookupError when that event is not sealed."""
    if position == 0:
        return GENESIS.hex()
    seal(ledger)
    table = chain_table(ledger)
    with engine_of(ledger).connect() as conn:
        row = conn.execute(sa.select(table.c.chain).where(
            table.c.notification_id == position)).first()
    if row is None:
        raise LookupError(Said("integrity.not_sealed_at", {"position": position}))
    return row.chain


def first_line(error: sa.exc.DBAPIError) -> str:
    """The driver's own message, first line only (no SQL, no traceback)."""
    lines = str(error.orig).strip().splitlines()
    return lines[0] if lines else type(error.orig).__name__


def seal_pending(ledger: Any) -> SealResult | None:
    """Seal what an earlier process left unsealed: a `ledger run` killed
    before its own seal, or a writer that never seals (AUD-05).

    Runs on every opening of the store, so when there is nothing to seal it
    costs one query on two primary-key maxima and nothing else. A store the
    process may not write (a read-only role or file) is left as it is: the
    next writing command, or `ledger verify`, seals. Returns None when
    nothing was sealed or attempted."""
    engine = engine_of(ledger)
    chain, events = chain_table(ledger), events_table(ledger)
    with engine.connect() as conn:
        last_event, last_sealed = conn.execute(sa.select(
            sa.select(sa.func.max(events.c.id)).scalar_subquery(),
            sa.select(sa.func.max(chain.c.notification_id)).scalar_subquery())).one()
    if last_event is None or (last_sealed is not None and last_event <= last_sealed):
        return None
    try:
        result = seal(ledger)
    except sa.exc.DBAPIError as e:
        log.warning("the events after #%s are not sealed yet and this process could not seal "
                    "them (%s); the next writing command or `ledger verify` will",
                    last_sealed or 0, first_line(e))
        return None
    if result.blocked is not None:
        log.warning("%s", result.message())
    return result


def first_unreadable(ledger: Any, *, after: int | None = None) -> Problem | None:
    """The first stored event after ``after`` (all when None) that the ledger
    cannot read. Decodes every one: for `verify` when something already
    failed, never on a hot path."""
    with engine_of(ledger).connect() as conn:
        for form in read_forms(conn, events_table(ledger), after=after):
            problem = unreadable(ledger, form)
            if problem is not None:
                return problem
    return None


# --- verifying -----------------------------------------------------------------------------
@dataclass
class VerifyReport:
    ok: bool
    checked: int                     # sealed events recomputed and matched
    unsealed: int                    # stored events after the sealed head
    sealed_now: int = 0              # sealed by this run (only after a clean check)
    head_id: int | None = None       # last sealed notification id after this run
    head: str = GENESIS.hex()
    problem: Problem | None = None

    @property
    def first_bad(self) -> int | None:
        return self.problem.notification_id if self.problem else None

    def message(self) -> Said:
        """What the check found: English as text, the reader's language with ``say()``."""
        n = {"checked": self.checked}
        if not self.ok and self.problem is not None and self.problem.kind == "undecodable":
            return Said("integrity.verify_blocked", {
                **n, "problem": self.problem.message(), "help": NOT_READABLE_HELP,
                "after": max(self.unsealed - 1, 0),
                "sealed_now": _clause("verify_sealed_before", self.sealed_now)})
        if not self.ok:
            assert self.problem is not None
            return Said("integrity.tampered", {**n, "problem": self.problem.message(),
                                               "unsealed": _clause("not_sealed_after",
                                                                   self.unsealed)})
        sealed = _clause("verify_sealed_now", self.sealed_now) or \
            _clause("verify_left_unsealed", self.unsealed)
        head = Said("integrity.clause.head", {"head_id": self.head_id, "head": self.head[:16]}) \
            if self.head_id else ""
        return Said("integrity.verified", {**n, "sealed": sealed, "head": head})

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["first_bad"] = self.first_bad
        data["message"] = self.message()
        return data


def _sealed_rows(conn: sa.engine.Connection, chain: sa.Table) -> Iterator[Any]:
    position = None
    while True:
        query = sa.select(chain)
        if position is not None:
            query = query.where(chain.c.notification_id > position)
        rows = conn.execute(query.order_by(chain.c.notification_id).limit(BATCH)).all()
        if not rows:
            return
        yield from rows
        position = rows[-1].notification_id


def _locate(conn: sa.engine.Connection, events: sa.Table, oid: str, version: Any) -> int | None:
    """Where the event (originator, version) is stored now, if anywhere."""
    try:
        uid, version = UUID(str(oid)), int(version)
    except (TypeError, ValueError):
        return None
    row = conn.execute(sa.select(events.c.id).where(events.c.originator_id == uid)
                       .where(events.c.originator_version == version)).first()
    return int(row.id) if row is not None else None


def _sealed_at(conn, chain: sa.Table, oid: str, version: Any) -> int | None:
    try:
        version = int(version)
    except (TypeError, ValueError):
        return None
    row = conn.execute(sa.select(chain.c.notification_id)
                       .where(chain.c.originator_id == oid)
                       .where(chain.c.originator_version == version)).first()
    return int(row.notification_id) if row else None


def verify(ledger: Any, *, seal_unsealed: bool = True) -> VerifyReport:
    """Recompute every sealed event's leaf and the chain from the stored
    events, in log order, and report the first notification id whose stored
    form does not match (AUD-05). Unsealed events after the head are counted
    and each is decoded; when everything before them verified clean and
    ``seal_unsealed``, those that read are sealed, up to the first that does
    not, which is reported (``undecodable``). Never raises on what the
    events hold: the rows are read raw and decoding errors are problems."""
    ensure_chain_table(ledger)
    engine = engine_of(ledger)
    chain = chain_table(ledger)
    events = events_table(ledger)
    checked, previous, head_id = 0, GENESIS, None
    problem: Problem | None = None
    with engine.connect() as conn:
        stream = read_forms(conn, events)
        pending: StoredForm | None = next(stream, None)
        for s in _sealed_rows(conn, chain):
            sid = int(s.notification_id)
            if chain_step(previous, bytes.fromhex(s.leaf)).hex() != s.chain:
                problem = Problem(sid, "seal_altered", Said("integrity.seal_altered"))
                break
            if pending is not None and pending.notification_id < sid:
                problem = Problem(pending.notification_id, "inserted",
                                  Said("integrity.inserted", {"event": _describe(pending),
                                                              "sealed": sid}))
                break
            if pending is None or pending.notification_id != sid:
                now_at = _locate(conn, events, s.originator_id, s.originator_version)
                if now_at is not None:
                    problem = Problem(sid, "moved", Said("integrity.moved_away", {
                        "version": s.originator_version, "aggregate": s.originator_id,
                        "now_at": now_at}))
                else:
                    problem = Problem(sid, "deleted", Said("integrity.deleted", {
                        "version": s.originator_version, "aggregate": s.originator_id}))
                break
            if leaf_hash(pending).hex() != s.leaf:
                same = (pending.originator_text == s.originator_id
                        and str(pending.originator_version) == str(s.originator_version))
                if same:
                    problem = Problem(sid, "altered",
                                      Said("integrity.altered", {"event": _describe(pending)}))
                else:
                    elsewhere = _sealed_at(conn, chain, pending.originator_text,
                                           pending.originator_version)
                    if elsewhere is not None:
                        problem = Problem(sid, "moved", Said("integrity.moved_here", {
                            "event": _describe(pending), "elsewhere": elsewhere}))
                    else:
                        problem = Problem(sid, "replaced", Said("integrity.replaced", {
                            "event": _describe(pending), "version": s.originator_version,
                            "aggregate": s.originator_id}))
                break
            checked += 1
            previous, head_id = bytes.fromhex(s.chain), sid
            pending = next(stream, None)
        stream.close()
        last_sealed = conn.execute(sa.select(sa.func.max(chain.c.notification_id))).scalar()
        after_head = sa.select(sa.func.count()).select_from(events)
        if last_sealed is not None:
            after_head = after_head.where(events.c.id > last_sealed)
        unsealed = conn.execute(after_head).scalar() or 0
        if problem is None and unsealed and not seal_unsealed:
            # Not sealing, but still say whether sealing could go through.
            for form in read_forms(conn, events, after=last_sealed):
                problem = unreadable(ledger, form)
                if problem is not None:
                    unsealed = _count_from(conn, events, form.notification_id)
                    break
    report = VerifyReport(ok=problem is None, checked=checked, unsealed=int(unsealed),
                          head_id=head_id, head=previous.hex(), problem=problem)
    if report.ok and report.unsealed and seal_unsealed:
        result = seal(ledger)
        report.sealed_now = result.sealed
        report.head_id, report.head = result.head_id, result.head
        report.unsealed = result.left
        if result.blocked is not None:
            report.ok, report.problem = False, result.blocked
    return report


# --- checkpoints ---------------------------------------------------------------------------
def _sealed_leaves(ledger: Any) -> tuple[list[bytes], list[int], str]:
    chain = chain_table(ledger)
    leaves, ids, head = [], [], GENESIS.hex()
    with engine_of(ledger).connect() as conn:
        for s in _sealed_rows(conn, chain):
            leaves.append(bytes.fromhex(s.leaf))
            ids.append(int(s.notification_id))
            head = s.chain
    return leaves, ids, head


def make_checkpoint(*, count: int, first_id: int | None, last_id: int | None, head: str,
                    root: str, private_key: Ed25519PrivateKey, ledger_name: str = "Ledger",
                    time: str | None = None) -> dict[str, Any]:
    body = {"format": CHECKPOINT_FORMAT, "ledger": ledger_name, "count": count,
            "first_notification_id": first_id, "last_notification_id": last_id,
            "head": head, "root": root, "time": time or _now(),
            "hash": "sha256; leaves and Merkle tree per RFC 6962 (docs/integrity.md)",
            "public_key": public_key_b64(private_key)}
    return {**body, "signature": sign(private_key, canonical_json(body))}


def export_checkpoint(ledger: Any, private_key: Ed25519PrivateKey) -> dict[str, Any]:
    """Verify the store (sealing what is new), then sign its count, chain head
    and Merkle root. Refuses to sign a store that fails verification."""
    report = verify(ledger, seal_unsealed=True)
    if not report.ok:
        raise IntegrityProblem(report.message())
    leaves, ids, head = _sealed_leaves(ledger)
    return make_checkpoint(count=len(leaves), first_id=ids[0] if ids else None,
                           last_id=ids[-1] if ids else None, head=head,
                           root=merkle_root(leaves).hex(), private_key=private_key,
                           ledger_name=getattr(ledger, "name", "Ledger"))


def checkpoint_signature_ok(checkpoint: dict[str, Any]) -> bool:
    body = {k: v for k, v in checkpoint.items() if k != "signature"}
    return signature_ok(str(checkpoint.get("public_key", "")),
                        str(checkpoint.get("signature", "")), canonical_json(body))


@dataclass
class CheckReport:
    ok: bool
    failures: list[str] = field(default_factory=list)
    count: int = 0
    fingerprint: str = ""

    def message(self) -> Said:
        if self.ok:
            return Said("integrity.checkpoint_ok", {"fingerprint": self.fingerprint,
                                                    "count": self.count})
        return Said("integrity.checkpoint_failed", {"failures": _Joined(self.failures)})


def check_checkpoint(ledger: Any, checkpoint: dict[str, Any],
                     trusted_key: Ed25519PublicKey | None = None) -> CheckReport:
    """Does the store still hold what the checkpoint signed? Uses only the
    checkpoint and the stored events (not the chain table)."""
    failures: list[str] = []
    public = str(checkpoint.get("public_key", ""))
    try:
        fingerprint = key_fingerprint(public)
    except ValueError:
        fingerprint = "?"
    if checkpoint.get("format") != CHECKPOINT_FORMAT:
        failures.append(Said("checkpoint.not_a_checkpoint",
                             {"format": repr(checkpoint.get("format"))}))
    if not checkpoint_signature_ok(checkpoint):
        failures.append(Said("checkpoint.signature"))
    if trusted_key is not None and public != public_key_b64(trusted_key):
        failures.append(Said("checkpoint.other_key"))
    try:
        count = int(checkpoint["count"])
        head, root = str(checkpoint["head"]), str(checkpoint["root"])
    except (KeyError, TypeError, ValueError):
        failures.append(Said("checkpoint.incomplete"))
        return CheckReport(False, failures, 0, fingerprint)
    leaves: list[bytes] = []
    previous, last_id = GENESIS, None
    with engine_of(ledger).connect() as conn:
        for form in read_forms(conn, events_table(ledger), limit=count):
            leaf = leaf_hash(form)
            leaves.append(leaf)
            previous, last_id = chain_step(previous, leaf), form.notification_id
    if len(leaves) < count:
        failures.append(Said("checkpoint.deleted", {"held": len(leaves), "count": count}))
    else:
        if checkpoint.get("last_notification_id") not in (None, last_id):
            failures.append(Said("checkpoint.last_event", {
                "last": checkpoint.get("last_notification_id"), "count": count,
                "last_id": last_id}))
        if previous.hex() != head:
            failures.append(Said("checkpoint.head"))
        if merkle_root(leaves).hex() != root:
            failures.append(Said("checkpoint.root"))
    return CheckReport(not failures, failures, count, fingerprint)


# --- append-only store ---------------------------------------------------------------------
def _protected(ledger: Any) -> list[sa.Table]:
    return [events_table(ledger), chain_table(ledger)]


def install_append_only(ledger: Any) -> list[str]:
    """Triggers that refuse UPDATE and DELETE (and TRUNCATE on PostgreSQL) on
    the events and chain tables. Idempotent: installs only what is missing and
    returns the names installed (empty when all were there)."""
    ensure_chain_table(ledger)
    engine = engine_of(ledger)
    if engine.dialect.name == "postgresql":
        return install_postgres(engine, _protected(ledger))
    if engine.dialect.name == "sqlite":
        return install_sqlite(engine, _protected(ledger))
    raise NotImplementedError(f"append-only triggers for {engine.dialect.name} are not written")


def _set_up(ledger: Any) -> tuple[bool, bool]:
    """(chain table and every trigger present, events left unsealed): one
    connection, one catalogue query and one query on two maxima, what
    opening an already set-up store costs (issue #14 point 4)."""
    from adapters.append_only import _trigger_names
    engine = engine_of(ledger)
    events, chain = events_table(ledger), chain_table(ledger)
    if engine.dialect.name == "sqlite":
        wanted = [_trigger_names(t.name)[op] for t in (events, chain)
                  for op in ("update", "delete")]
        catalogue = sa.text("SELECT count(*) FROM sqlite_master WHERE (type = 'table' AND "
                            "name = :chain) OR (type = 'trigger' AND name IN :names)"
                            ).bindparams(sa.bindparam("names", expanding=True))
        params: dict[str, Any] = {"chain": chain.name, "names": wanted}
    elif engine.dialect.name == "postgresql":
        wanted = [_trigger_names(t.name)[op] for t in (events, chain)
                  for op in ("update_delete", "truncate")]
        catalogue = sa.text(
            "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = COALESCE(:schema, current_schema()) AND c.relname = :chain "
            "UNION ALL SELECT count(*) FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
            "JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = COALESCE(:schema, current_schema()) "
            "AND c.relname IN (:events, :chain) AND t.tgname IN :names AND NOT t.tgisinternal"
        ).bindparams(sa.bindparam("names", expanding=True))
        params = {"schema": chain.schema, "chain": chain.name, "events": events.name,
                  "names": wanted}
    else:
        return False, True
    with engine.connect() as conn:
        found = sum(int(n) for n in conn.execute(catalogue, params).scalars())
        if found != len(wanted) + 1:
            return False, True
        last_event, last_sealed = conn.execute(sa.select(
            sa.select(sa.func.max(events.c.id)).scalar_subquery(),
            sa.select(sa.func.max(chain.c.notification_id)).scalar_subquery())).one()
    unsealed = last_event is not None and (last_sealed is None or last_event > last_sealed)
    return True, unsealed


def init_store(ledger: Any, *, seal_unsealed: bool = True) -> dict[str, Any]:
    """Create the chain table and the append-only triggers if missing, then
    (``seal_unsealed``) seal what a killed earlier process left unsealed,
    each event only once it reads (:func:`seal_pending`). Idempotent and
    cheap once done (:func:`_set_up`: one connection, two queries), so it
    runs on every opening of the store (``open_ledger``)."""
    done, unsealed = _set_up(ledger)
    if done:
        created, triggers = False, []
    else:
        created = ensure_chain_table(ledger)
        triggers = install_append_only(ledger)
    pending = seal_pending(ledger) if seal_unsealed and unsealed else None
    return {"chain_table": chain_table_name(ledger), "chain_table_created": created,
            "triggers_installed": triggers, "sealed_now": pending.sealed if pending else 0,
            "not_sealed": pending.blocked.message() if pending and pending.blocked else None}


def revoke_sql(ledger: Any, role: str = "ledger_app") -> str:
    """The SQL a DBA runs on PostgreSQL, as the tables' owner, so that the
    application role can read and append but never change or remove events
    (see docs/integrity.md, "A DBA's notes")."""
    engine = engine_of(ledger)
    quote = engine.dialect.identifier_preparer.quote
    events, chain = events_table(ledger), chain_table(ledger)
    ev, ch = _qualified(engine, events), _qualified(engine, chain)
    who = quote(role)
    snapshots = getattr(getattr(ledger, "snapshots", None), "recorder", None)
    lines = []
    if events.schema:
        lines.append(f"GRANT USAGE ON SCHEMA {quote(events.schema)} TO {who};")
    lines += [
        f"REVOKE ALL ON {ev}, {ch} FROM {who};",
        f"GRANT SELECT, INSERT ON {ev}, {ch} TO {who};",
        "-- eventsourcing-sqlalchemy serialises appends with LOCK TABLE ... IN EXCLUSIVE MODE,",
        "-- which PostgreSQL allows only with UPDATE, DELETE or TRUNCATE privilege: UPDATE stays",
        f"-- granted on the events table alone and the trigger {events.name}_no_update_delete",
        "-- refuses every UPDATE, while DELETE and TRUNCATE stay revoked.",
        f"GRANT UPDATE ON {ev} TO {who};",
    ]
    with engine.connect() as conn:
        sequence = conn.execute(sa.text("SELECT pg_get_serial_sequence(:t, 'id')"),
                                {"t": ev}).scalar()
    if sequence:
        lines.append(f"GRANT USAGE ON SEQUENCE {sequence} TO {who};")
    if snapshots is not None and hasattr(snapshots, "events_record_cls"):
        snap = _qualified(engine, snapshots.events_record_cls.__table__)
        lines.append(f"GRANT SELECT, INSERT ON {snap} TO {who};")
    return "\n".join(lines)
