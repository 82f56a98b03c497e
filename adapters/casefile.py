"""A case file an auditor can check offline (AUD-04, AUD-05).

:func:`export_case` writes one JSON file for a subject (an institution, an
agreement or a person) holding:

``timeline``     the subject's timeline rows (adapters.timeline);
``events``       each row's event as stored (ids, topic, base64 state bytes),
                 its leaf hash and its RFC 6962 inclusion proof;
``checkpoint``   a signed checkpoint (count, chain head, Merkle root) of the
                 whole log at export, which every proof reaches;
``projections``  what the ledger concludes about the subject (institution
                 state, applications, agreements' status and why, bars);
``version``      the ledger's package version and git commit;
``manifest``     the SHA-256 of each part above and a digest over them,
                 signed (Ed25519) with the same key as the checkpoint.

:func:`verify_case` needs no database: it recomputes every leaf from its
stored form, follows every proof to the checkpoint root, checks both
signatures and every part's hash, checks each timeline row against the
event it reports (decoded offline), and checks that the file's bytes are
exactly the canonical serialisation of its content, so one edited byte
anywhere fails and the message names what failed.
"""
from __future__ import annotations

import hashlib
import importlib.metadata
import json
import os
import sys
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any
from uuid import UUID

from cryptography.hazmat.primitives.asymmetric.ed25519 import (Ed25519PrivateKey,
                                                               Ed25519PublicKey)
from eventsourcing.persistence import StoredEvent

from adapters.integrity import (GENESIS, IntegrityProblem, MerkleTree, StoredForm,
                                canonical_json, chain_step, checkpoint_signature_ok, engine_of,
                                events_table, key_fingerprint, leaf_hash, make_checkpoint,
                                public_key_b64, read_forms, sign, signature_ok, verify,
                                verify_inclusion)
from adapters.labels import Said, said
from adapters.timeline import Subject, event_type, timeline

CASE_FORMAT = "agreement-ledger-case/v1"
PARTS = ("checkpoint", "events", "projections", "timeline", "version")


# --- serialisation ---------------------------------------------------------------------------
def _plain(value: Any) -> Any:
    from domain.service import _plain as plain
    return plain(value)


def serialise(bundle: dict[str, Any]) -> bytes:
    """The one byte form of a case file (verify_case insists on it)."""
    return (json.dumps(bundle, ensure_ascii=False, indent=1, sort_keys=True) + "\n") \
        .encode("utf-8")


def part_hash(value: Any) -> str:
    return hashlib.sha256(canonical_json(value)).hexdigest()


def parts_digest(parts: dict[str, str]) -> str:
    return hashlib.sha256(canonical_json(parts)).hexdigest()


# --- the ledger's version --------------------------------------------------------------------
def _git_commit(start: Path) -> str | None:
    """The checked-out commit, read from .git's files (git itself is not run)."""
    for folder in (start, *start.parents):
        git = folder / ".git"
        if git.is_file():  # a worktree: "gitdir: PATH"
            text = git.read_text(encoding="utf-8").strip()
            if text.startswith("gitdir:"):
                git = (folder / text[len("gitdir:"):].strip()).resolve()
        if not git.is_dir():
            continue
        try:
            head = (git / "HEAD").read_text(encoding="utf-8").strip()
        except OSError:
            return None
        if not head.startswith("ref:"):
            return head or None
        ref = head[len("ref:"):].strip()
        common = git
        if (git / "commondir").is_file():
            common = (git / (git / "commondir").read_text(encoding="utf-8").strip()).resolve()
        for base in (git, common):
            path = base / ref
            if path.is_file():
                return path.read_text(encoding="utf-8").strip() or None
            packed = base / "packed-refs"
            if packed.is_file():
                for line in packed.read_text(encoding="utf-8").splitlines():
                    if line.endswith(" " + ref):
                        return line.split(" ", 1)[0]
        return None
    return None


def ledger_version() -> dict[str, Any]:
    try:
        version = importlib.metadata.version("agreement-ledger")
    except importlib.metadata.PackageNotFoundError:
        version = "unknown"
    try:
        es_version = importlib.metadata.version("eventsourcing")
    except importlib.metadata.PackageNotFoundError:
        es_version = "unknown"
    commit = os.environ.get("LEDGER_GIT_COMMIT") or _git_commit(Path(__file__).resolve().parent)
    return {"package": "agreement-ledger", "version": version, "git_commit": commit,
            "eventsourcing": es_version, "python": sys.version.split()[0]}


# --- projections for the subject --------------------------------------------------------------
def subject_projections(state: Any, subject: Subject,
                        linked: dict[str, list[str]]) -> dict[str, Any]:
    from projections.deadlines import agreement_status, bar_register

    def institution(code: str) -> dict[str, Any]:
        inst = state.institutions[code]
        return {"institution": {**inst.state(), "bar_facts": inst.bar_facts},
                "applications": [state.applications[n].state() for n in inst.applications
                                 if n in state.applications],
                "agreements": [agreement_status(state.agreements[n]) for n in inst.agreements
                               if n in state.agreements]}

    if subject.kind == "institution":
        out = institution(subject.key)
    elif subject.kind == "agreement":
        ag = state.agreements[subject.key]
        out = {"agreement": agreement_status(ag), "agreement_state": ag.state(),
               "institution": state.institutions[ag.institution_code].state()
               if ag.institution_code in state.institutions else None}
    else:
        person = state.persons[subject.key]
        out = {"person": person.state(),
               "bars": bar_register(state, person_id=subject.key),
               "linked_institutions": linked,
               "institutions": {code: institution(code) for code in linked
                                if code in state.institutions}}
    return _plain({"as_recorded_through_event": None, **out})


def _subject_state(ledger: Any, subject: Subject, linked: dict[str, list[str]],
                   position: int) -> Any:
    """The fold ``subject_projections`` reads, over the subject's aggregates."""
    from adapters.readmodels import view_for
    from adapters.readmodels.subjects import subject_state
    view = view_for(ledger)
    if subject.kind == "institution":
        return subject_state(ledger, view, position, institutions=[subject.key])
    if subject.kind == "agreement":
        ag = subject_state(ledger, view, position, agreements=[subject.key]).agreements[
            subject.key]
        return subject_state(ledger, view, position, agreements=[subject.key],
                             institutions=[ag.institution_code])
    return subject_state(ledger, view, position, persons=[subject.key], institutions=linked)


# --- export ----------------------------------------------------------------------------------
def _decode(mapper: Any, form: StoredForm) -> Any:
    return mapper.to_domain_event(StoredEvent(
        originator_id=UUID(form.originator_text), originator_version=int(form.originator_version),
        topic=str(form.topic), state=form.state))


def build_case(ledger: Any, subject: Subject | str,
               private_key: Ed25519PrivateKey) -> dict[str, Any]:
    subject = Subject.parse(subject) if isinstance(subject, str) else subject
    report = verify(ledger, seal_unsealed=True)
    if not report.ok:
        raise IntegrityProblem("the store fails verification; no case file is signed over it: "
                               + report.message())
    forms: list[StoredForm] = []
    with engine_of(ledger).connect() as conn:
        for form in read_forms(conn, events_table(ledger)):
            if report.head_id is None or form.notification_id > report.head_id:
                break
            forms.append(form)
    leaves = [leaf_hash(f) for f in forms]
    head = GENESIS
    for leaf in leaves:
        head = chain_step(head, leaf)
    if head.hex() != report.head:
        raise IntegrityProblem("the store changed while the case was exported; export again")
    position = {f.notification_id: i for i, f in enumerate(forms)}
    # the subject's rows and state from the read models, as known at the
    # checkpoint's last event: only the subject's events are decoded (the
    # leaves above hash every stored form, as a proof needs, decoding none)
    last = forms[-1].notification_id if forms else 0
    tl = timeline(ledger, subject, position=last)
    state = _subject_state(ledger, subject, tl.linked, last)
    tree = MerkleTree(leaves)
    checkpoint = make_checkpoint(count=len(forms),
                                 first_id=forms[0].notification_id if forms else None,
                                 last_id=forms[-1].notification_id if forms else None,
                                 head=head.hex(), root=tree.root.hex(), private_key=private_key,
                                 ledger_name=getattr(ledger, "name", "Ledger"))
    events = []
    for nid in tl.event_ids:
        i = position[nid]
        events.append({"index": i, "stored": forms[i].as_dict(), "leaf": leaves[i].hex(),
                       "proof": [p.hex() for p in tree.proof(i)]})
    projections = subject_projections(state, subject, tl.linked)
    projections["as_recorded_through_event"] = checkpoint["last_notification_id"]
    parts = {
        "checkpoint": checkpoint,
        "events": events,
        "projections": projections,
        "timeline": {"subject": str(subject), "linked_institutions": tl.linked,
                     "rows": [r.as_dict() for r in tl.rows]},
        "version": ledger_version(),
    }
    hashes = {name: part_hash(value) for name, value in parts.items()}
    manifest = {"format": CASE_FORMAT, "subject": str(subject),
                "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                "parts": hashes, "digest": parts_digest(hashes),
                "public_key": public_key_b64(private_key),
                "events": len(events), "log_events": len(forms)}
    return {"format": CASE_FORMAT, "manifest": manifest,
            "manifest_signature": sign(private_key, canonical_json(manifest)), **parts}


def export_case(ledger: Any, subject: Subject | str, path: Path | str,
                private_key: Ed25519PrivateKey) -> dict[str, Any]:
    """Write the subject's case file; returns its manifest."""
    bundle = build_case(ledger, subject, private_key)
    path = Path(path)
    if path.parent and not path.parent.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(serialise(bundle))
    return bundle["manifest"]


# --- offline verification --------------------------------------------------------------------
@dataclass
class CaseReport:
    ok: bool
    failures: list[Said] = field(default_factory=list)   # English as text (JSON); say() for people
    subject: str = ""
    events: int = 0
    fingerprint: str = ""

    def message(self) -> Said:
        if self.ok:
            return Said("casefile.ok", {"subject": self.subject, "events": self.events,
                                        "fingerprint": self.fingerprint})
        return Said("casefile.failed", {"failures": _Lines(self.failures)})


class _Lines(Said):
    """The failures, one indented line each, in the reader's language."""

    def __new__(cls, items: list[Said]) -> "_Lines":
        self = str.__new__(cls, "".join("\n  " + i for i in items))
        self.key, self.values, self.items = "", {}, list(items)
        return self

    def __getnewargs__(self) -> tuple[list[Said]]:  # type: ignore[override]
        return (self.items,)

    def say(self, lang: str | None = None) -> str:
        return "".join("\n  " + said(i, lang) for i in self.items)


def _fail(key: str, **values: object) -> Said:
    return Said(f"casefile.{key}", values)


_OFFLINE_MAPPER: Any = None


def _offline_mapper() -> Any:
    """The ledger's own mapper on an in-memory store: decodes stored state
    with the same transcodings, no database."""
    global _OFFLINE_MAPPER
    if _OFFLINE_MAPPER is None:
        from domain.service import Ledger
        _OFFLINE_MAPPER = Ledger(env={"PERSISTENCE_MODULE": "eventsourcing.popo",
                                       "LEDGER_PERSISTENCE_MODULE": "eventsourcing.popo"}).mapper
    return _OFFLINE_MAPPER


def _row_disagreements(row: dict[str, Any], e: Any) -> list[str]:
    env = getattr(e, "envelope", None)
    eff = getattr(e, "effective_on", None)
    expected = {"event": event_type(e), "user": getattr(env, "user", ""),
                "role": getattr(env, "role", ""), "command_id": getattr(env, "command_id", ""),
                "document": getattr(env, "document", ""),
                "effective_on": eff.isoformat() if isinstance(eff, date) else None}
    bad = [k for k, v in expected.items() if row.get(k) != v]
    stamp = e.timestamp if e.timestamp.tzinfo else e.timestamp.replace(tzinfo=timezone.utc)
    try:
        if datetime.fromisoformat(str(row.get("recorded_utc"))) != stamp:
            bad.append("recorded_utc")
    except ValueError:
        bad.append("recorded_utc")
    return bad


def verify_case(path: Path | str, trusted_key: Ed25519PublicKey | None = None) -> CaseReport:
    """Check a case file offline; every failure is named."""
    try:
        raw = Path(path).read_bytes()
    except OSError as e:
        return CaseReport(False, [_fail("cannot_read", error=e.strerror)])
    try:
        bundle = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as e:
        return CaseReport(False, [_fail("not_utf8", byte=e.start)])
    except json.JSONDecodeError as e:
        return CaseReport(False, [_fail("not_json", line=e.lineno, column=e.colno)])
    if not isinstance(bundle, dict) or bundle.get("format") != CASE_FORMAT:
        return CaseReport(False, [_fail("not_a_case", format=bundle.get("format")
                                        if isinstance(bundle, dict) else "?")])
    try:
        return _check(bundle, raw, trusted_key)
    except Exception as e:  # noqa: BLE001 - a damaged structure is a finding, not a crash
        return CaseReport(False, [_fail("damaged", kind=e.__class__.__name__, error=e)])


# an unreadable event, proof or checkpoint already explains why the timeline and the events differ
_UNREADABLE = {"casefile.checkpoint_unreadable", "casefile.stored_unreadable",
               "casefile.proof_unreadable"}


def _check(bundle: dict[str, Any], raw: bytes,
           trusted_key: Ed25519PublicKey | None) -> CaseReport:
    failures: list[Said] = []

    def fail(key: str, **values: object) -> None:
        failures.append(_fail(key, **values))
    manifest = bundle.get("manifest") if isinstance(bundle.get("manifest"), dict) else {}
    subject = str(manifest.get("subject", ""))
    public = str(manifest.get("public_key", ""))
    try:
        fingerprint = key_fingerprint(public)
    except ValueError:
        fingerprint = "?"

    # 1. every byte: the file is exactly the canonical form of what it holds
    if serialise(bundle) != raw:
        fail("not_canonical")
    # 2. the manifest: signed, and its hashes over every other part
    if not signature_ok(public, str(bundle.get("manifest_signature", "")),
                        canonical_json(manifest)):
        fail("manifest_signature")
    if trusted_key is not None and public != public_key_b64(trusted_key):
        fail("other_key")
    hashes = manifest.get("parts") if isinstance(manifest.get("parts"), dict) else {}
    for name in PARTS:
        if name not in bundle:
            fail("part_missing", quoted=repr(name))
        elif hashes.get(name) != part_hash(bundle[name]):
            fail("part_hash", quoted=repr(name), name=name)
    extra = sorted(set(bundle) - set(PARTS) - {"format", "manifest", "manifest_signature"})
    if extra:
        fail("unlisted_parts", parts=", ".join(extra))
    if manifest.get("digest") != parts_digest(hashes):
        fail("digest")

    # 3. the checkpoint
    checkpoint = bundle.get("checkpoint") if isinstance(bundle.get("checkpoint"), dict) else {}
    if not checkpoint_signature_ok(checkpoint):
        fail("checkpoint_signature")
    if checkpoint.get("public_key") != public:
        fail("different_keys")
    try:
        size = int(checkpoint.get("count"))
        root = bytes.fromhex(str(checkpoint.get("root")))
    except (TypeError, ValueError):
        size, root = 0, b""
        fail("checkpoint_unreadable")

    # 4. every event: its leaf from its stored form, its proof to the root
    events = bundle.get("events") if isinstance(bundle.get("events"), list) else []
    decoded: dict[int, Any] = {}
    for item in events:
        try:
            form = StoredForm.from_dict(item["stored"])
            nid = form.notification_id
        except (KeyError, TypeError, ValueError) as e:
            fail("stored_unreadable", kind=e.__class__.__name__)
            continue
        leaf = leaf_hash(form)
        if leaf.hex() != item.get("leaf"):
            fail("leaf", nid=nid)
        try:
            proof = [bytes.fromhex(p) for p in item.get("proof", [])]
            index = int(item.get("index"))
        except (TypeError, ValueError):
            fail("proof_unreadable", nid=nid)
            continue
        if not verify_inclusion(index, size, leaf, proof, root):
            fail("proof", nid=nid)
        try:
            decoded[nid] = _decode(_offline_mapper(), form)
        except Exception as e:  # noqa: BLE001 - any decoding failure is a finding
            fail("undecodable", nid=nid, kind=e.__class__.__name__)

    # 5. the timeline reports exactly those events
    timeline = bundle.get("timeline") if isinstance(bundle.get("timeline"), dict) else {}
    rows = timeline.get("rows") if isinstance(timeline.get("rows"), list) else []
    if timeline.get("subject") != subject:
        fail("timeline_subject", subject=repr(timeline.get("subject")))
    row_ids = [r.get("notification_id") for r in rows if isinstance(r, dict)]
    if sorted(map(repr, row_ids)) != sorted(map(repr, decoded)) \
            and not any(f.key in _UNREADABLE for f in failures):
        fail("timeline_events")
    for r in rows:
        e = decoded.get(r.get("notification_id")) if isinstance(r, dict) else None
        if e is None:
            continue
        bad = _row_disagreements(r, e)
        if bad:
            fail("row", nid=r.get("notification_id"), fields=", ".join(bad))
    if not isinstance(bundle.get("version"), dict) or not bundle["version"].get("version"):
        fail("version_missing")
    return CaseReport(not failures, failures, subject, len(events), fingerprint)
