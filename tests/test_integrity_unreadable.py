"""AUD-05 (issue #12, point 3): the chain never vouches for an event the
ledger cannot read, and what a killed process left unsealed is sealed by the
next command that opens the store, each event only once it reads.

An event altered *before* it was sealed cannot be caught by the chain (there
is nothing yet to compare it with); what sealing can do is refuse bytes that
do not decode into a well-formed ledger event, stop there, and name them.
Tampering is done as a DBA would (tests/audit_scenario.py)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from dataclasses import replace
from pathlib import Path

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from adapters import integrity as I
from adapters.cli import app
from adapters.settings import open_ledger
from tests.audit_scenario import dba, table
from tests.builders import effective_agreement, register

runner = CliRunner()
ROOT = Path(__file__).resolve().parents[1]
GARBAGE = b"\xff\xfe this was an event"


def event_ids(ledger) -> list[int]:
    with I.engine_of(ledger).connect() as conn:
        return list(conn.execute(sa.select(I.events_table(ledger).c.id)
                                 .order_by(I.events_table(ledger).c.id)).scalars())


def sealed_ids(ledger) -> list[int]:
    chain = I.chain_table(ledger)
    with I.engine_of(ledger).connect() as conn:
        return list(conn.execute(sa.select(chain.c.notification_id)
                                 .order_by(chain.c.notification_id)).scalars())


def stored(ledger, nid: int) -> I.StoredForm:
    with I.engine_of(ledger).connect() as conn:
        return next(I.read_forms(conn, I.events_table(ledger), after=nid - 1, limit=1))


def write_state(store, ledger, nid: int, state: bytes) -> None:
    dba(store, ledger, f"UPDATE {table(store, 'ledger_events')} SET state = :s WHERE id = :id",
        params={"s": state, "id": nid})


@pytest.fixture
def tail(ledger, clerk):
    """A sealed log, then a second institution's events written and not sealed
    (as a `ledger run` killed before its seal leaves them)."""
    effective_agreement(clerk)
    assert I.verify(ledger).ok
    head = len(sealed_ids(ledger))
    register(clerk, "TY-H009")
    new = [n for n in event_ids(ledger) if n > sealed_ids(ledger)[-1]]
    assert len(new) >= 3 and len(sealed_ids(ledger)) == head
    return new


@pytest.fixture
def cli_db(store, monkeypatch):
    """The CLI opens the ledger by URL; route both modules into the test's schema."""
    import adapters.cli as cli
    import adapters.cli_audit as audit
    from adapters import settings

    def opener(url=None, **kw):
        return settings.open_ledger(url, store[1], **kw)
    monkeypatch.setattr(cli, "open_ledger", opener)
    monkeypatch.setattr(audit, "open_ledger", opener)
    return store[0]


def no_traceback(result) -> bool:
    return (result.exception is None or isinstance(result.exception, SystemExit)) \
        and "Traceback" not in result.output


# --- verify never seals what it cannot read ---------------------------------------------------
def test_aud05_verify_does_not_seal_an_event_edited_to_undecodable_bytes_before_its_seal(
        store, ledger, tail):
    bad = tail[0]
    form = stored(ledger, bad)
    write_state(store, ledger, bad, GARBAGE)
    chain_before = sealed_ids(ledger)
    report = I.verify(ledger)
    assert not report.ok and report.first_bad == bad
    assert report.problem.kind == "undecodable"
    text = report.message()
    assert text.startswith("NOT SEALED (AUD-05)") and f"event #{bad} undecodable" in text
    assert form.originator_text in text and f"v{form.originator_version} " in text
    assert "domain.institution:Institution.Registered" in text      # the topic, in full
    assert "does not decode" in text and "docs/integrity.md" in text
    assert sealed_ids(ledger) == chain_before                       # the chain did not grow
    assert report.sealed_now == 0 and report.unsealed == len(tail)  # nothing after it either
    assert "NOT SEALED" in I.verify(ledger).message()               # and it stays so
    with pytest.raises(I.IntegrityProblem, match=f"event #{bad} undecodable"):
        I.export_checkpoint(ledger, I.generate_key())                # nothing is signed over it


def test_aud05_sealing_stops_right_before_the_unreadable_event(store, ledger, tail):
    before, bad, after = tail[0], tail[1], tail[2]
    write_state(store, ledger, bad, GARBAGE)
    report = I.verify(ledger)
    sealed = sealed_ids(ledger)
    assert before in sealed                                  # the event before: sealed
    assert bad not in sealed and after not in sealed         # it, and the one after: not
    assert sealed[-1] == before and report.sealed_now == 1
    assert report.first_bad == bad and report.unsealed == len(tail) - 1
    assert "the 1 event(s) before it were sealed now" in report.message()


def test_aud05_verify_no_seal_still_names_an_unreadable_new_event(store, ledger, tail):
    write_state(store, ledger, tail[1], GARBAGE)
    report = I.verify(ledger, seal_unsealed=False)
    assert not report.ok and report.first_bad == tail[1] and report.unsealed == len(tail) - 1
    assert tail[0] not in sealed_ids(ledger)                 # --no-seal seals nothing


def test_aud05_ledger_verify_exits_1_naming_the_unreadable_event_without_a_traceback(
        store, ledger, tail, cli_db):
    write_state(store, ledger, tail[0], GARBAGE)
    chain_before = sealed_ids(ledger)
    result = runner.invoke(app, ["verify", "--db", cli_db])
    assert result.exit_code == 1 and no_traceback(result), result.output
    assert f"未封存（AUD-05）：事件 #{tail[0]} 无法读取：" in result.output, result.output
    english = runner.invoke(app, ["--lang", "en", "verify", "--db", cli_db])
    assert f"event #{tail[0]} undecodable" in english.output
    as_json = runner.invoke(app, ["verify", "--json", "--db", cli_db])
    assert as_json.exit_code == 1 and no_traceback(as_json)
    data = json.loads(as_json.stdout)
    assert data["first_bad"] == tail[0] and data["problem"]["kind"] == "undecodable"
    assert sealed_ids(ledger) == chain_before
    sealing = runner.invoke(app, ["seal", "--db", cli_db])  # the unchecked seal refuses too
    assert sealing.exit_code == 1 and f"事件 #{tail[0]} 无法读取" in sealing.output
    assert sealed_ids(ledger) == chain_before


def test_aud05_a_ledger_run_after_an_unreadable_event_records_but_says_it_cannot_seal(
        store, ledger, tail, cli_db, tmp_path):
    write_state(store, ledger, tail[0], GARBAGE)
    chain_before = sealed_ids(ledger)
    path = tmp_path / "more.jsonl"
    path.write_text(json.dumps({
        "id": "r1", "command": "register_institution", "date": "2025-01-07",
        "actor": {"user": "li.na", "role": "case_officer"},
        "fields": {"code": "TY-R001", "name": "机构R", "kind": "medical", "agency": "TY",
                   "facts": {"category": "general", "level": 3, "licence_no": "PDY-R",
                             "beds": 900},
                   "people": [{"person_id": "PR", "name": "王一",
                               "role": "legal_representative"}]}},
        ensure_ascii=False) + "\n", encoding="utf-8")
    result = runner.invoke(app, ["run", str(path), "--db", cli_db])
    assert result.exit_code == 0 and no_traceback(result), result.output
    assert f"未封存（AUD-05）：事件 #{tail[0]} 无法读取" in result.stderr
    assert event_ids(ledger)[-1] > tail[-1]                  # the command was recorded
    assert sealed_ids(ledger) == chain_before                # and nothing after it sealed


def test_aud05_an_unreadable_event_sealed_by_an_older_ledger_is_named_by_verify(
        store, ledger, tail, cli_db, monkeypatch):
    """Before issue #12 sealing trusted the bytes: such a store passes the chain,
    and the read models' check names the event instead of crashing."""
    write_state(store, ledger, tail[1], GARBAGE)
    with monkeypatch.context() as old:
        old.setattr(I, "unreadable", lambda ledger, form: None)   # the old, trusting sealer
        assert I.seal(ledger).sealed == len(tail)
    result = runner.invoke(app, ["verify", "--db", cli_db])
    assert result.exit_code == 1 and no_traceback(result), result.output
    assert result.output.startswith("通过：")                  # the chain itself is intact
    assert f"读模型：未核验（AUD-02）：事件 #{tail[1]} 无法读取" in result.output
    english = runner.invoke(app, ["--lang", "en", "verify", "--db", cli_db])
    assert english.output.startswith("OK:")
    assert f"read models: NOT CHECKED (AUD-02): event #{tail[1]} undecodable" in english.output


# --- what counts as readable -------------------------------------------------------------------
def _edited(form: I.StoredForm, edit) -> I.StoredForm:
    state = json.loads(form.state)
    edit(state)
    return replace(form, state=json.dumps(state).encode("utf-8"))


def test_aud05_an_event_is_sealed_only_as_a_well_formed_ledger_event(ledger, clerk):
    """AUD-04 and CAL-04: a ledger event has a business date and says who
    recorded it under which command; a known class of the domain's aggregates
    and a recording instant. Each broken part is named."""
    register(clerk)
    nid = next(n for n in event_ids(ledger)
               if I._text_bytes(stored(ledger, n).topic).endswith(b"Institution.Registered"))
    form = stored(ledger, nid)
    assert I.unreadable(ledger, form) is None                # as written: readable
    cases = {
        "not JSON": (replace(form, state=GARBAGE), "does not decode"),
        "no envelope": (_edited(form, lambda s: s.pop("envelope")), "envelope, AUD-04"),
        "no user": (_edited(form, lambda s: s["envelope"]["_data_"].update(user="")),
                    "envelope, AUD-04"),
        "no command id": (_edited(form, lambda s: s["envelope"]["_data_"].pop("command_id")),
                          "does not decode"),
        "unknown role": (_edited(form, lambda s: s["envelope"]["_data_"].update(role="dba")),
                         "'dba' is not one of the ledger's roles"),
        "no business date": (_edited(form, lambda s: s.pop("effective_on")), "CAL-04"),
        "a day that does not exist": (_edited(form, lambda s: s["effective_on"].update(
            _data_="2025-02-29")), "does not decode"),
        "no instant": (_edited(form, lambda s: s.pop("timestamp")), "recording instant"),
        "an unknown event class": (replace(form, topic="domain.institution:Institution.Bought"),
                                   "does not decode"),
        "a class outside the domain": (replace(form, topic="os:system"),
                                       "names no ledger event"),
        "a domain class that is no event": (replace(form, topic="domain.base:Envelope"),
                                            "names no ledger event"),
        "an aggregate, not its event": (replace(form, topic="domain.institution:Institution"),
                                        "names no ledger event"),
        "version 0": (replace(form, originator_version=0), "below 1"),
        "an id that is no UUID": (replace(form, originator_id=b"\x01\x02"), "not a UUID"),
    }
    for name, (broken, why) in cases.items():
        problem = I.unreadable(ledger, broken)
        assert problem is not None, name
        assert problem.kind == "undecodable" and problem.notification_id == nid, name
        assert why in problem.detail, (name, problem.detail)


def test_aud05_the_limit_an_event_altered_before_its_seal_that_still_reads_is_sealed(
        store, ledger, tail):
    """What docs/integrity.md says plainly: before its seal an event is only as
    safe as the database's access control. One that still reads after the
    edit (here its recording user, wang.li -> wang.lj) is sealed as genuine;
    only a signed checkpoint exported before the edit could tell."""
    form = stored(ledger, tail[0])
    write_state(store, ledger, tail[0], form.state.replace(b"wang.li", b"wang.lj"))
    report = I.verify(ledger)
    assert report.ok and report.sealed_now == len(tail)


# --- a killed run is sealed by the next command that opens the store -----------------------------
def test_aud05_events_left_unsealed_are_sealed_by_the_next_opening_of_the_store(store, ledger,
                                                                                tail):
    again = open_ledger(*store)
    try:
        assert sealed_ids(again) == event_ids(again)
        assert I.verify(again, seal_unsealed=False).ok
        assert I.init_store(again)["sealed_now"] == 0        # opening again: nothing to do
    finally:
        again.close()


def test_aud05_the_next_opening_does_not_seal_an_unreadable_event_either(store, ledger, tail,
                                                                         caplog):
    write_state(store, ledger, tail[1], GARBAGE)
    for _ in range(2):                                       # every opening, not just one
        again = open_ledger(*store)
        again.close()
        assert sealed_ids(ledger)[-1] == tail[0]
        assert f"NOT SEALED (AUD-05): event #{tail[1]} undecodable" in caplog.text
        caplog.clear()


def test_aud05_opening_a_fully_sealed_store_costs_one_query(ledger, tail):
    engine = I.engine_of(ledger)
    statements: list[str] = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)
    assert I.seal_pending(ledger).sealed == len(tail)        # one unsealed tail: sealed
    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        assert I.seal_pending(ledger) is None                # nothing left: one query
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)
    assert len(statements) == 1 and "max" in statements[0].lower()


def raw_counts(store) -> tuple[int, int]:
    """Events and chain rows, counted without opening the ledger (which seals)."""
    engine = sa.create_engine(store[0])
    try:
        with engine.connect() as conn:
            return tuple(conn.execute(sa.text(f"SELECT count(*) FROM {table(store, name)}"))
                         .scalar() for name in ("ledger_events", "ledger_chain"))
    finally:
        engine.dispose()


def test_aud05_a_ledger_run_killed_with_sigkill_mid_file_is_sealed_by_the_next_command(
        store, tmp_path, cli_db):
    """A real kill -9: the `ledger run` process kills itself before the third
    command of its file, after the first two were committed and before its
    own seal; the next `ledger` command (a read) seals what they recorded."""
    path = tmp_path / "day.jsonl"
    lines = [{"id": f"k{i}", "command": "register_institution", "date": "2025-01-06",
              "actor": {"user": "li.na", "role": "case_officer"},
              "fields": {"code": f"TY-K{i:03d}", "name": f"机构{i}", "kind": "medical",
                         "agency": "TY", "facts": {"category": "general", "level": 3,
                                                   "licence_no": f"PDY-{i}", "beds": 900},
                         "people": [{"person_id": f"P{i}", "name": "王一",
                                     "role": "legal_representative"}]}} for i in range(5)]
    path.write_text("\n".join(json.dumps(x, ensure_ascii=False) for x in lines) + "\n",
                    encoding="utf-8")
    code = ("import os, signal, sys\n"
            "from adapters import cli, settings\n"
            "url, schema, path = sys.argv[1:4]\n"
            "cli.open_ledger = lambda u=None, **kw: settings.open_ledger(u, schema or None, **kw)\n"
            "from adapters import commands\n"
            "commands.BATCH_COMMANDS = 2   # the first two lines are one unit, written\n"
            "real, seen = commands.apply_parsed, []\n"
            "def apply(*args, **kw):\n"
            "    seen.append(1)\n"
            "    if len(seen) == 3:\n"
            "        os.kill(os.getpid(), signal.SIGKILL)\n"
            "    return real(*args, **kw)\n"
            "commands.apply_parsed = apply\n"
            "cli.app(['run', path, '--db', url])\n")
    killed = subprocess.run([sys.executable, "-c", code, store[0], store[1] or "", str(path)],
                            cwd=ROOT, capture_output=True, timeout=120,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert killed.returncode == -9, killed.stderr.decode()
    events, sealed = raw_counts(store)
    assert events > 0 and sealed == 0                        # two commands in, none sealed
    shown = runner.invoke(app, ["institution", "TY-K001", "--db", cli_db])
    assert shown.exit_code == 0 and "TY-K001" in shown.output, shown.output
    assert raw_counts(store) == (events, events)             # the read sealed them all
    ledger = open_ledger(*store)
    try:
        states = b"".join(stored(ledger, n).state for n in event_ids(ledger))
        assert b"TY-K001" in states and b"TY-K002" not in states   # killed before the third
        assert I.verify(ledger, seal_unsealed=False).checked == events
    finally:
        ledger.close()


def test_aud05_two_processes_sealing_at_once_seal_each_event_once(store, ledger, clerk, tail):
    others = [open_ledger(*store) for _ in range(2)]        # opening sealed the tail,
    try:
        register(clerk, "TY-H010")                           # so write a fresh one
        fresh = len(event_ids(ledger)) - len(sealed_ids(ledger))
        assert fresh > 0
        gate = threading.Barrier(len(others))
        results, errors = [], []

        def sealer(other):
            gate.wait()
            try:
                results.append(I.seal(other).sealed)
            except Exception as e:  # noqa: BLE001 - reported below
                errors.append(e)
        threads = [threading.Thread(target=sealer, args=(o,)) for o in others]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert not errors, errors
        assert sum(results) == fresh                         # each new event sealed once
        assert sealed_ids(ledger) == event_ids(ledger)
        assert I.verify(ledger, seal_unsealed=False).ok
    finally:
        for o in others:
            o.close()


@pytest.mark.parametrize("question", [["status", "--on", "2025-03-01"],
                                      ["deadlines", "--on", "2025-03-01"],
                                      ["positions"]])
def test_aud05_a_question_over_an_unreadable_event_is_one_line_not_a_traceback(
        store, ledger, tail, cli_db, question):
    write_state(store, ledger, tail[0], GARBAGE)
    result = runner.invoke(app, [*question, "--db", cli_db])
    assert no_traceback(result), result.output
    assert result.exit_code == 2
    assert f"event #{tail[0]}" in result.output and "docs/integrity.md" in result.output
