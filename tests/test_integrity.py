"""AUD-05: tampering with stored events is detectable. A hash chain over the
events exactly as stored names the first event whose stored form does not
match; signed checkpoints catch what a rewritten chain table would hide; and
append-only triggers refuse UPDATE, DELETE (and TRUNCATE) in the first place.

To tamper, a test acts as a DBA would: on SQLite it drops our own triggers
with the ledger's engine (whoever can write the file can); on PostgreSQL it
opens a separate connection as the superuser ``postgres`` and drops the
trigger first (tests/audit_scenario.py)."""
from __future__ import annotations

import hashlib
import json

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from adapters import integrity as I
from adapters.cli import app
from tests.audit_scenario import dba, flip_one_byte, is_postgres, sisters, table
from tests.builders import effective_agreement, register


def event_ids(ledger) -> list[int]:
    return [nid for nid, _ in ledger.read_log()]


def chain_rows(ledger) -> int:
    with ledger.recorder.datastore.engine.connect() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(I.chain_table(ledger))).scalar()


@pytest.fixture
def sealed(ledger, clerk):
    """A realistic log, the store initialised and every event sealed."""
    sisters(clerk)
    I.init_store(ledger, seal_unsealed=False)
    report = I.verify(ledger)
    assert report.ok and report.sealed_now == len(event_ids(ledger))
    return ledger


# --- the chain ------------------------------------------------------------------------------
def test_aud05_a_clean_store_verifies_and_seals_new_events_only_after_a_clean_check(ledger,
                                                                                    clerk):
    effective_agreement(clerk)
    first = I.verify(ledger)
    n = len(event_ids(ledger))
    assert first.ok and first.checked == 0 and first.sealed_now == n and first.head_id == n
    again = I.verify(ledger)
    assert again.ok and again.checked == n and again.unsealed == 0 and again.sealed_now == 0
    assert again.head == first.head
    register(clerk, "TY-H009")
    grown = I.verify(ledger, seal_unsealed=False)
    assert grown.ok and grown.unsealed > 0 and grown.sealed_now == 0
    assert "left unsealed" in grown.message()
    sealed_now = I.verify(ledger)
    assert sealed_now.sealed_now == grown.unsealed and "sealed now" in sealed_now.message()
    assert chain_rows(ledger) == len(event_ids(ledger))


def test_aud05_changing_one_byte_of_one_stored_event_names_that_event(store, sealed):
    ledger = sealed
    target = event_ids(ledger)[12]
    before, after = flip_one_byte(store, ledger, target)
    assert sum(a != b for a, b in zip(before, after)) == 1
    report = I.verify(ledger)
    assert not report.ok and report.first_bad == target
    assert report.problem.kind == "altered"
    assert f"event #{target} altered" in report.message()
    assert report.checked == 12           # everything before it verified


def test_aud05_after_tampering_new_events_are_counted_but_not_sealed(store, sealed, clerk):
    ledger = sealed
    target = event_ids(ledger)[3]
    flip_one_byte(store, ledger, target)
    sealed_rows = chain_rows(ledger)
    register(clerk, "TY-H010")
    report = I.verify(ledger)
    assert not report.ok and report.first_bad == target and report.unsealed > 0
    assert report.sealed_now == 0 and chain_rows(ledger) == sealed_rows
    assert "NOT sealed because verification failed" in report.message()


def test_aud05_deleting_one_stored_event_is_found(store, sealed):
    ledger = sealed
    target = event_ids(ledger)[20]
    dba(store, ledger, f"DELETE FROM {table(store, 'ledger_events')} WHERE id = {target}")
    report = I.verify(ledger)
    assert not report.ok and report.first_bad == target and report.problem.kind == "deleted"
    assert "missing from the events table" in report.message()


def test_aud05_reordering_two_stored_events_is_found(store, sealed):
    ledger = sealed
    a, b = event_ids(ledger)[5:7]
    t = table(store, "ledger_events")
    dba(store, ledger, f"UPDATE {t} SET id = -1 WHERE id = {a}",
        f"UPDATE {t} SET id = {a} WHERE id = {b}", f"UPDATE {t} SET id = {b} WHERE id = -1")
    report = I.verify(ledger)
    assert not report.ok and report.first_bad == a and report.problem.kind == "moved"
    assert f"sealed as #{b}" in report.message()


def test_aud05_an_event_slipped_in_before_the_sealed_head_is_found(store, sealed):
    ledger = sealed
    t = table(store, "ledger_events")
    dba(store, ledger, f"INSERT INTO {t} (id, originator_id, originator_version, topic, state) "
                       f"SELECT 0, originator_id, originator_version + 1000, topic, state "
                       f"FROM {t} WHERE id = 5")
    report = I.verify(ledger)
    assert not report.ok and report.first_bad == 0 and report.problem.kind == "inserted"


def test_aud05_an_edited_seal_record_is_found(store, sealed):
    ledger = sealed
    target = event_ids(ledger)[8]
    dba(store, ledger, f"UPDATE {table(store, 'ledger_chain')} SET leaf = :leaf "
                       f"WHERE notification_id = {target}",
        params={"leaf": "00" * 32}, name="ledger_chain")
    report = I.verify(ledger)
    assert not report.ok and report.first_bad == target and report.problem.kind == "seal_altered"


# --- the append-only store ----------------------------------------------------------------------
def test_aud05_the_database_refuses_update_and_delete_of_a_stored_event(store, sealed):
    ledger = sealed
    engine = ledger.recorder.datastore.engine
    t = table(store, "ledger_events")
    for sql in (f"UPDATE {t} SET topic = 'x' WHERE id = 3", f"DELETE FROM {t} WHERE id = 3",
                f"UPDATE {table(store, 'ledger_chain')} SET leaf = 'x'"):
        with pytest.raises(sa.exc.DBAPIError) as refused:
            with engine.begin() as conn:
                conn.execute(sa.text(sql))
        assert "append-only" in str(refused.value)
    if is_postgres(store):
        with pytest.raises(sa.exc.DBAPIError, match="append-only"):
            with engine.begin() as conn:
                conn.execute(sa.text(f"TRUNCATE {t}"))
    assert I.verify(ledger).ok


@pytest.mark.parametrize("store", ["postgres"], indirect=True)
def test_aud05_on_postgres_even_the_superuser_update_is_refused_until_the_trigger_is_dropped(
        store, sealed):
    """A separate superuser connection: the trigger refuses the UPDATE until
    someone drops it (as the tamper tests do)."""
    engine = sa.create_engine(store[0])
    try:
        with pytest.raises(sa.exc.InternalError) as refused:   # raise_exception, SQLSTATE P0001
            with engine.begin() as conn:
                conn.execute(sa.text(f"UPDATE {table(store, 'ledger_events')} "
                                     "SET state = state WHERE id = 2"))
        assert refused.value.orig.pgcode == "P0001"
        assert "the event store is append-only" in str(refused.value)
        assert "UPDATE on" in str(refused.value)
    finally:
        engine.dispose()


def test_aud05_opening_the_store_installs_the_chain_and_triggers_once(ledger, clerk):
    # open_ledger ran init_store already: a second run finds everything in place.
    register(clerk)
    again = I.init_store(ledger)
    assert not again["chain_table_created"] and again["triggers_installed"] == []
    assert I.ensure_chain_table(ledger) is False
    register(clerk, "TY-H002")             # appending still works
    assert I.verify(ledger).ok


# --- signed checkpoints ------------------------------------------------------------------------
def test_aud05_a_checkpoint_checks_clean_and_fails_after_one_byte_is_changed(store, sealed):
    ledger = sealed
    key = I.generate_key()
    checkpoint = I.export_checkpoint(ledger, key)
    n = len(event_ids(ledger))
    assert checkpoint["count"] == n and checkpoint["last_notification_id"] == n
    ok = I.check_checkpoint(ledger, json.loads(json.dumps(checkpoint)), key.public_key())
    assert ok.ok, ok.message()
    flip_one_byte(store, ledger, 7)
    bad = I.check_checkpoint(ledger, checkpoint)
    assert not bad.ok
    assert any("chain head" in f for f in bad.failures)
    assert any("Merkle root" in f for f in bad.failures)
    with pytest.raises(I.IntegrityProblem, match="event #7 altered"):
        I.export_checkpoint(ledger, key)   # nothing tampered is ever signed


def test_aud05_a_checkpoint_catches_a_cut_tail_that_the_chain_table_alone_cannot(store,
                                                                               sealed):
    ledger = sealed
    checkpoint = I.export_checkpoint(ledger, I.generate_key())
    last = event_ids(ledger)[-1]
    dba(store, ledger, f"DELETE FROM {table(store, 'ledger_events')} WHERE id = {last}")
    dba(store, ledger, f"DELETE FROM {table(store, 'ledger_chain')} WHERE notification_id = "
                       f"{last}", name="ledger_chain")
    assert I.verify(ledger, seal_unsealed=False).ok     # the chain table was cut too
    report = I.check_checkpoint(ledger, checkpoint)
    assert not report.ok and "events were deleted" in report.message()


def test_aud05_an_edited_checkpoint_or_another_key_is_refused(sealed):
    ledger = sealed
    key = I.generate_key()
    checkpoint = I.export_checkpoint(ledger, key)
    edited = {**checkpoint, "count": checkpoint["count"] - 1}
    assert "signature does not verify" in I.check_checkpoint(ledger, edited).message()
    other = I.check_checkpoint(ledger, checkpoint, I.generate_key().public_key())
    assert not other.ok and "another key" in other.message()


# --- the Merkle tree (RFC 6962) -----------------------------------------------------------------
def _mth(leaves):
    """RFC 6962 section 2.1, literally."""
    n = len(leaves)
    if n == 0:
        return hashlib.sha256(b"").digest()
    if n == 1:
        return leaves[0]
    k = 1
    while k * 2 < n:
        k *= 2
    return hashlib.sha256(b"\x01" + _mth(leaves[:k]) + _mth(leaves[k:])).digest()


def test_aud05_merkle_roots_and_inclusion_proofs_follow_rfc_6962():
    for n in range(0, 34):
        leaves = [hashlib.sha256(b"\x00" + bytes([i])).digest() for i in range(n)]
        tree = I.MerkleTree(leaves)
        assert tree.root == _mth(leaves) == I.merkle_root(leaves)
        for i in range(n):
            proof = tree.proof(i)
            assert I.verify_inclusion(i, n, leaves[i], proof, tree.root)
            assert not I.verify_inclusion(i, n, b"\x00" * 32, proof, tree.root)
            if n > 1:
                assert not I.verify_inclusion((i + 1) % n, n, leaves[i], proof, tree.root)


def test_aud05_the_leaf_covers_every_part_of_the_stored_form():
    base = I.StoredForm(5, "4bf8264b-0146-503f-990c-a857793e6e80", 2, "domain.x:X.Y", b"{}")
    variants = [I.StoredForm(6, base.originator_id, 2, base.topic, base.state),
                I.StoredForm(5, "4bf8264b-0146-503f-990c-a857793e6e81", 2, base.topic, b"{}"),
                I.StoredForm(5, base.originator_id, 3, base.topic, base.state),
                I.StoredForm(5, base.originator_id, 2, "domain.x:X.Z", base.state),
                I.StoredForm(5, base.originator_id, 2, base.topic, b"{ }")]
    leaves = {I.leaf_hash(f) for f in [base, *variants]}
    assert len(leaves) == 6
    assert I.leaf_hash(I.StoredForm.from_dict(base.as_dict())) == I.leaf_hash(base)


# --- the command line -------------------------------------------------------------------------
runner = CliRunner()


@pytest.fixture
def cli_db(store, monkeypatch):
    """The CLI opens the ledger by URL; route it into the test's schema."""
    import adapters.cli_audit as audit
    from adapters import settings
    monkeypatch.setattr(audit, "open_ledger", lambda url=None, **kw: settings.open_ledger(url, store[1], **kw))
    return store[0]


def test_aud05_ledger_verify_exits_1_and_names_the_tampered_event(store, sealed, cli_db):
    ok = runner.invoke(app, ["verify", "--db", cli_db])
    assert ok.exit_code == 0 and ok.output.startswith("通过：已按哈希链核验"), ok.output
    assert "读模型：重建结果与现行读模型一致" in ok.output
    english = runner.invoke(app, ["--lang", "en", "verify", "--db", cli_db])
    assert english.output.startswith("OK:") and "rebuild equals live: True" in english.output
    flip_one_byte(store, sealed, 9)
    bad = runner.invoke(app, ["verify", "--db", cli_db])
    assert bad.exit_code == 1 and "已被篡改（AUD-05）：事件 #9 被篡改：" in bad.output, bad.output
    english = runner.invoke(app, ["--lang", "en", "verify", "--db", cli_db])
    assert english.exit_code == 1 and "event #9 altered" in english.output
    as_json = runner.invoke(app, ["verify", "--json", "--db", cli_db])
    assert json.loads(as_json.output)["first_bad"] == 9


def test_aud05_ledger_keygen_checkpoint_export_and_check(store, sealed, cli_db, tmp_path):
    made = runner.invoke(app, ["keygen", "--out-dir", str(tmp_path / "keys")])
    assert made.exit_code == 0, made.output
    key, pub = tmp_path / "keys" / "ledger-signing.key", tmp_path / "keys" / "ledger-signing.pub"
    assert key.stat().st_mode & 0o777 == 0o600
    assert runner.invoke(app, ["keygen", "--out-dir", str(tmp_path / "keys")]).exit_code == 1
    out = tmp_path / "cp.json"
    exported = runner.invoke(app, ["checkpoint", "export", "--key", str(key), "--out", str(out),
                                   "--db", cli_db])
    assert exported.exit_code == 0, exported.output
    checked = runner.invoke(app, ["checkpoint", "check", str(out), "--pubkey", str(pub),
                                  "--db", cli_db])
    assert checked.exit_code == 0 and checked.output.startswith("通过：检查点签名验证无误"), \
        checked.output
    flip_one_byte(store, sealed, 4)
    failed = runner.invoke(app, ["checkpoint", "check", str(out), "--db", cli_db])
    assert failed.exit_code == 1 and "未通过（AUD-05）：数据库对这些事件计算的哈希链头" in failed.output
    english = runner.invoke(app, ["--lang", "en", "checkpoint", "check", str(out), "--json",
                                  "--db", cli_db])
    assert any("chain head" in f for f in json.loads(english.output)["failures"])
    refused = runner.invoke(app, ["checkpoint", "export", "--key", str(key), "--out",
                                  str(tmp_path / "cp2.json"), "--db", cli_db])
    assert refused.exit_code == 1 and "事件 #4 被篡改" in refused.output


def test_ledger_init_store_reports_what_it_installed(ledger, clerk, cli_db):
    # Opening the store installed everything; init-store reports it in place
    # and prints the DBA's grants.
    register(clerk)
    result = runner.invoke(app, ["init-store", "--db", cli_db])
    assert result.exit_code == 0, result.output
    assert "none (all present)" in result.output


@pytest.mark.parametrize("store", ["postgres"], indirect=True)
def test_aud05_on_postgres_the_application_role_can_append_but_never_change_or_remove(
        store, sealed):
    """The DBA's grants from docs/integrity.md: the application logs in as a
    role that does not own the tables; it appends and verifies, the trigger
    refuses its UPDATE, and DELETE, TRUNCATE and dropping the trigger are
    denied to it."""
    import uuid
    from adapters.settings import open_ledger
    from tests.conftest import Clerk
    role = "ledger_app_" + uuid.uuid4().hex[:8]
    owner = sa.create_engine(store[0])
    with owner.begin() as conn:
        conn.execute(sa.text(f'CREATE ROLE "{role}" LOGIN'))
        conn.exec_driver_sql(I.revoke_sql(sealed, role))     # as a DBA pastes it into psql
    app_url = store[0].replace("postgres@", f"{role}@", 1)
    try:
        try:
            app_ledger = open_ledger(app_url, store[1])
        except Exception as e:  # noqa: BLE001 - the server may not let a new role log in
            from tests.conftest import IN_CI
            if IN_CI:
                pytest.fail(f"cannot log in as a fresh role here: {e}")
            pytest.skip(f"cannot log in as a fresh role here: {e}")
        try:
            app_clerk = Clerk(app_ledger, user="zhao.min")
            app_clerk.count = 1000                     # fresh command ids
            register(app_clerk, "TY-H077")
            done = I.init_store(app_ledger)    # as the next opening of the store would
            assert done["triggers_installed"] == [] and done["sealed_now"] > 0, done
            report = I.verify(app_ledger)
            assert report.ok and report.unsealed == 0, report.message()
            engine = app_ledger.recorder.datastore.engine
            t = table(store, "ledger_events")
            for sql, error in ((f"UPDATE {t} SET topic = topic WHERE id = 1", "append-only"),
                               (f"DELETE FROM {t} WHERE id = 1", "permission denied"),
                               (f"TRUNCATE {t}", "permission denied"),
                               (f"UPDATE {table(store, 'ledger_chain')} SET leaf = leaf",
                                "permission denied"),
                               (f"DROP TRIGGER ledger_events_no_update_delete ON {t}",
                                "must be owner")):
                with pytest.raises(sa.exc.DBAPIError, match=error):
                    with engine.begin() as conn:
                        conn.execute(sa.text(sql))
            register(app_clerk, "TY-H078")             # still appends after the refusals
            assert I.verify(app_ledger).ok
        finally:
            app_ledger.close()
    finally:
        with owner.begin() as conn:
            conn.execute(sa.text(f'DROP OWNED BY "{role}"'))
            conn.execute(sa.text(f'DROP ROLE "{role}"'))
        owner.dispose()
