"""AUD-04 and AUD-05 offline: a case file carries a subject's timeline, each
event as stored with its leaf hash and an inclusion proof to a signed
checkpoint, the ledger's conclusions about the subject and the ledger's
version; it verifies with no database, and one edited byte anywhere fails
with a message naming what failed."""
from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from adapters import integrity as I
from adapters.casefile import export_case, ledger_version, verify_case
from adapters.cli import app
from tests.audit_scenario import AG, flip_one_byte, sisters


@pytest.fixture
def scene(ledger, clerk):
    sisters(clerk)
    return ledger


@pytest.fixture
def key():
    return I.generate_key()


@pytest.fixture
def case(scene, key, tmp_path):
    path = tmp_path / "TY-H001.case.json"
    export_case(scene, "institution:TY-H001", path, key)
    return path


def no_database(monkeypatch):
    """Any attempt to reach a database during the check fails the test."""
    import sqlalchemy

    def refuse(*args, **kwargs):
        raise AssertionError("verify_case must not touch a database")
    monkeypatch.setattr(sqlalchemy, "create_engine", refuse)
    monkeypatch.setattr("adapters.settings.open_ledger", refuse)


def test_aud05_a_case_file_verifies_offline_without_a_database(case, key, monkeypatch):
    no_database(monkeypatch)
    report = verify_case(case, key.public_key())
    assert report.ok, report.message()
    assert report.subject == "institution:TY-H001" and report.events > 10
    assert report.message().startswith("OK")


def test_aud04_a_case_file_holds_timeline_stored_events_proofs_projections_and_version(case):
    bundle = json.loads(case.read_text(encoding="utf-8"))
    rows = bundle["timeline"]["rows"]
    assert [r["notification_id"] for r in rows] == \
        [e["stored"]["notification_id"] for e in bundle["events"]]
    assert all(r["user"] and r["role"] and r["command_id"] for r in rows)
    first = bundle["events"][0]
    assert set(first["stored"]) == {"notification_id", "originator_id", "originator_version",
                                    "topic", "state"}
    assert first["proof"] and len(first["leaf"]) == 64
    assert bundle["checkpoint"]["count"] == bundle["manifest"]["log_events"]
    projections = bundle["projections"]
    assert projections["institution"]["code"] == "TY-H001"
    [agreement] = projections["agreements"]
    assert agreement["agreement"] == AG and agreement["status"] == "suspended (disciplinary)"
    assert bundle["version"]["package"] == "agreement-ledger"
    assert bundle["version"]["version"] == ledger_version()["version"]
    assert "git_commit" in bundle["version"]


def test_aud04_a_persons_case_file_spans_sister_institutions(scene, key, tmp_path):
    path = tmp_path / "zhang.json"
    export_case(scene, "person:P-ZHANG", path, key)
    assert verify_case(path).ok
    bundle = json.loads(path.read_text(encoding="utf-8"))
    assert set(bundle["projections"]["institutions"]) == {"TY-H001", "TY-H002"}
    assert bundle["projections"]["linked_institutions"]["TY-H002"] == ["investor"]
    agreement = tmp_path / "ag.json"
    export_case(scene, f"agreement:{AG}", agreement, key)
    assert verify_case(agreement).ok


def _edit(path, anchor: str, offset: int, within: str | None = None) -> int:
    """Change one byte: the ``offset``-th byte after ``anchor`` (searched
    after ``within`` when given), to another character of the same kind."""
    raw = bytearray(path.read_bytes())
    start = raw.index(within.encode()) if within else 0
    at = raw.index(anchor.encode(), start) + len(anchor.encode()) + offset
    old = raw[at]
    if chr(old) in "0123456789abcdef":
        new = ord("0") if old != ord("0") else ord("1")
    elif chr(old).isalpha():
        new = ord("A") if old != ord("A") else ord("B")
    else:
        new = ord(" ") if old != ord(" ") else ord("\t")
    raw[at] = new
    path.write_bytes(bytes(raw))
    return at


@pytest.mark.parametrize("where, anchor, offset, within, expected", [
    ("an event's stored state", '"state": "', 30, '"events"',
     "its stored form does not reproduce its leaf hash"),
    ("an event's topic", '"topic": "', 2, '"events"',
     "its stored form does not reproduce its leaf hash"),
    ("a proof hash", '"proof": [\n', 9, '"events"',
     "its inclusion proof does not reach the checkpoint's Merkle root"),
    ("the checkpoint's signature", '"signature": "', 5, '"checkpoint"',
     "the checkpoint's signature does not verify"),
    ("the checkpoint's root", '"root": "', 3, '"checkpoint"',
     "the checkpoint's signature does not verify"),
    ("the manifest's signature", '"manifest_signature": "', 7, None,
     "the manifest's signature does not verify"),
    ("the projection results", '"agency": "', 1, '"projections"',
     "part 'projections' does not match the manifest's hash"),
    ("a timeline row", '"user": "', 2, '"timeline"',
     "part 'timeline' does not match the manifest's hash"),
    ("the ledger version", '"package": "', 0, '"version"',
     "part 'version' does not match the manifest's hash"),
    ("insignificant whitespace", '"format": ', -1, None,
     "not the canonical form of its content"),
])
def test_aud05_one_edited_byte_in_a_case_file_fails_naming_what_failed(case, where, anchor,
                                                                      offset, within, expected):
    _edit(case, anchor, offset, within)
    report = verify_case(case)
    assert not report.ok, where
    assert expected in report.message(), f"{where}: {report.message()}"


def test_aud05_an_edited_state_names_the_event(case):
    bundle = json.loads(case.read_text(encoding="utf-8"))
    nid = bundle["events"][0]["stored"]["notification_id"]
    _edit(case, '"state": "', 40, '"events"')
    assert f"event #{nid}: its stored form does not reproduce its leaf hash" in \
        verify_case(case).message()


def test_aud05_every_single_byte_edit_across_the_file_is_caught(case):
    """Spread over the whole file: each one-byte change fails."""
    original = case.read_bytes()
    step = max(1, len(original) // 150)
    for at in range(0, len(original), step):
        raw = bytearray(original)
        raw[at] ^= 0x01
        case.write_bytes(bytes(raw))
        assert not verify_case(case).ok, f"byte {at} ({original[at:at + 1]!r}) was not caught"
    case.write_bytes(original)
    assert verify_case(case).ok


def test_aud05_a_case_file_signed_by_another_key_is_refused_when_a_key_is_trusted(case):
    assert "another key" in verify_case(case, I.generate_key().public_key()).message()


def test_aud05_no_case_file_is_signed_over_a_tampered_store(store, scene, key, tmp_path):
    I.verify(scene)
    flip_one_byte(store, scene, 6)
    with pytest.raises(I.IntegrityProblem, match="event #6 altered"):
        export_case(scene, "institution:TY-H001", tmp_path / "x.json", key)
    assert not (tmp_path / "x.json").exists()


runner = CliRunner()


@pytest.fixture
def cli_db(store, monkeypatch):
    import adapters.cli_audit as audit
    from adapters import settings
    monkeypatch.setattr(audit, "open_ledger", lambda url=None, **kw: settings.open_ledger(url, store[1], **kw))
    return store[0]


def test_aud05_ledger_export_case_and_verify_case(scene, cli_db, tmp_path):
    assert runner.invoke(app, ["keygen", "--out-dir", str(tmp_path)]).exit_code == 0
    key, pub = tmp_path / "ledger-signing.key", tmp_path / "ledger-signing.pub"
    out = tmp_path / "case.json"
    made = runner.invoke(app, ["export-case", "institution:TY-H001", "--out", str(out),
                               "--key", str(key), "--db", cli_db])
    assert made.exit_code == 0, made.output
    checked = runner.invoke(app, ["verify-case", str(out), "--pubkey", str(pub)])
    assert checked.exit_code == 0 and checked.output.startswith("通过"), checked.output
    assert made.output.startswith("institution:TY-H001 的案卷") and str(out) in made.output
    _edit(out, '"agency": "', 1, '"projections"')
    failed = runner.invoke(app, ["verify-case", str(out)])
    assert failed.exit_code == 1 and "部分 'projections'" in failed.output
    bad = runner.invoke(app, ["export-case", "TY-H001", "--out", str(out), "--key", str(key),
                              "--db", cli_db])
    assert bad.exit_code == 2
    unknown = runner.invoke(app, ["export-case", "institution:NOPE", "--out", str(out),
                                  "--key", str(key), "--db", cli_db])
    assert unknown.exit_code == 1 and "unknown institution" in unknown.output
