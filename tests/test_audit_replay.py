"""Audit replay: SQL read models rebuilt from the log alone equal the live
ones, answer on both time axes, take corrections, and keep the money
identities at every point (AUD-01, AUD-02, AUD-03, AUD-06)."""
from __future__ import annotations

import time
from pathlib import Path
from datetime import date, datetime, timezone
from typing import Any
from uuid import UUID

import pytest
import sqlalchemy as sa

from adapters.readmodels import (bars_as_of, catch_up, ended_as_of, log_position,
                                 money_identities_at_every_point, positions_as_of, rebuild,
                                 snapshot, status_as_of, verify, view_for)
from domain.base import Envelope, LedgerAggregate
from domain.claim import Claim
from eventsourcing.domain import event
from projections.fund import positions
from projections.status import build
from tests.builders import effective_agreement, tick

AG = "XY-2025-001"


def item(item_id, yuan, day, injury=True):
    from domain.money import Money
    return {"item_id": item_id, "amount_fen": Money.parse(yuan).fen,
            "service_date": date.fromisoformat(day), "injury": injury,
            "practitioner_id": None, "description": ""}


def history(clerk):
    """An agreement with a year of claims, a suspension, a bar, an ending."""
    effective_agreement(clerk)
    for m in range(1, 5):
        month = f"2025-{m:02d}"
        clerk("submit_claim", f"2025-{m + 1:02d}-03", agreement=AG, month=month,
              items=[item(f"{month}-a", "1000.00", f"{month}-05"),
                     item(f"{month}-b", "250.50", f"{month}-06", injury=m != 2)])
        clerk("draw_sample", f"2025-{m + 1:02d}-08", agreement=AG, month=month, seed=month)
        claim = clerk.ledger.repository.get(Claim.id_for(Claim.key(AG, month)))
        for sampled in claim.sample["items"]:
            clerk("review_sampled_item", f"2025-{m + 1:02d}-09", agreement=AG, month=month,
                  item_id=sampled, noncompliant_fen=5000 if m == 3 else 0, reason="超标准")
        clerk("approve_claim", f"2025-{m + 1:02d}-10", agreement=AG, month=month)
        clerk("pay_claim", f"2025-{m + 1:02d}-2{m}", agreement=AG, month=month, batch=1,
              ref=f"社银-{month}")
    clerk("propose_practitioner_bar", "2025-05-01", bar_no="停-1", person_id="DOC-1",
          name="刘医生", institution="TY-H001", years=2, finding="虚开处方")
    clerk("approve_practitioner_bar", "2025-05-20", bar_no="停-1", person_id="DOC-1",
          approval_ref="批-1")
    clerk("suspend_agreement", "2025-06-01", agreement=AG, kind="mandatory", ground="M38-2",
          start=None, requested_on=None, planned_days=None, months=None, notice_no="中止-1")
    clerk("resume_agreement", "2025-07-01", agreement=AG)
    clerk("order_recovery", "2025-07-05", agreement=AG, year=2025, amount_fen=80000,
          ground="MA43-1", ref="追-1")
    clerk("record_recovery", "2025-07-25", agreement=AG, year=2025, amount_fen=30000,
          ref="收-1")
    clerk("terminate_agreement", "2025-09-01", agreement=AG, ground="M39-3",
          notice_no="解除-1", notice_on=date(2025, 9, 1), reported_on=date(2025, 9, 2),
          report_ref="报-1", reason="骗保")


# --- AUD-02 -----------------------------------------------------------------------------
def test_aud02_a_rebuild_from_the_log_equals_the_live_read_models(clerk, ledger):
    history(clerk)
    result = verify(ledger)
    assert result["rebuild_equals_live"] is True, result["differences"]
    assert result["identities_broken"] == []
    assert result["rows"]["postings"] >= 20 and result["rows"]["ended"] == 1


def test_aud02_live_read_models_match_the_pure_fold(clerk, ledger):
    history(clerk)
    catch_up(ledger)
    view = view_for(ledger)
    sql = {(p.agreement, p.year): p for p in positions_as_of(view, None, log_position(view, None))}
    fold = {(p.agreement, p.year): p
            for p in positions(build(e for _, e in ledger.read_log()))}
    assert sql.keys() == fold.keys()
    for key in fold:
        assert sql[key] == fold[key], key


def test_aud02_a_rebuild_killed_half_way_and_started_again_ends_in_the_same_state(clerk,
                                                                                  ledger):
    history(clerk)
    rebuild(ledger, batch_size=10)
    whole = snapshot(view_for(ledger))
    view_for(ledger).drop()
    partial = rebuild(ledger, batch_size=10, stop_after_batches=3)   # killed after 3 batches
    assert partial["complete"] is False
    assert 0 < len(snapshot(view_for(ledger))["log"]) < len(whole["log"])
    again = rebuild(ledger, batch_size=10)                            # started again: resumes
    assert again["complete"] is True
    assert snapshot(view_for(ledger)) == whole


def test_aud02_catching_up_applies_each_event_exactly_once(clerk, ledger):
    history(clerk)
    catch_up(ledger)
    first = snapshot(view_for(ledger))
    assert catch_up(ledger) == 0
    assert snapshot(view_for(ledger)) == first


def test_aud02_a_batch_at_a_position_already_tracked_is_not_written_again(clerk, ledger):
    """A batch replayed after a crash, or by a second runner, changes nothing."""
    from eventsourcing.persistence import Tracking

    from adapters.readmodels import APP, Batch
    history(clerk)
    catch_up(ledger)
    view = view_for(ledger)
    first = snapshot(view)
    position = view.max_tracking_id(APP)
    again = Batch()
    again.log.append((position + 1, "2025-01-01T00:00:00.000000Z", None, "Note.Written",
                      "00000000-0000-0000-0000-000000000000"))
    view.write(again, Tracking(APP, position))
    assert snapshot(view) == first and view.max_tracking_id(APP) == position
    view.write(again, Tracking(APP, position + 1))   # a new position is written, once
    assert len(snapshot(view)["log"]) == len(first["log"]) + 1
    assert view.max_tracking_id(APP) == position + 1


# --- AUD-03: the backdated suspension on both axes ------------------------------------------
def test_aud03_a_late_recorded_backdated_suspension_shows_as_of_but_not_as_known_before(
        clerk, ledger):
    effective_agreement(clerk)
    clerk("record_change", "2025-03-20", agreement=AG, change="address",
          approved_on=date(2025, 3, 10), reported_on=date(2025, 3, 20), details="迁址")
    catch_up(ledger)
    before_recording = datetime.now(timezone.utc)
    time.sleep(0.01)
    # Recorded on 2025-04-15 but effective from 2025-03-01.
    clerk("suspend_agreement", "2025-04-15", agreement=AG, kind="mandatory", ground="M38-1",
          start=date(2025, 3, 1), requested_on=None, planned_days=None, months=None,
          notice_no="中止-补录")
    catch_up(ledger)
    view = view_for(ledger)
    now, then = log_position(view, None), log_position(view, before_recording)
    assert status_as_of(view, date(2025, 3, 5), now, agreement=AG)[0]["status"] == \
        "suspended (mandatory)"
    assert status_as_of(view, date(2025, 3, 5), then, agreement=AG)[0]["status"] == "active"
    assert status_as_of(view, date(2025, 2, 27), now, agreement=AG)[0]["status"] == "active"
    # The pure fold answers the same on both axes.
    events = [e for _, e in ledger.read_log()]
    folded = build(events, as_of=date(2025, 3, 5)).agreements[AG]
    assert folded.suspension is not None
    assert build(events, as_of=date(2025, 3, 5), known_at=before_recording) \
        .agreements[AG].suspension is None


def test_aud03_fund_positions_answer_as_of_a_date_and_as_known_at_an_instant(clerk, ledger):
    effective_agreement(clerk)
    clerk("submit_claim", "2025-02-03", agreement=AG, month="2025-01",
          items=[item("a", "1000.00", "2025-01-05")])
    clerk("approve_claim", "2025-02-10", agreement=AG, month="2025-01")
    catch_up(ledger)
    before_payment = datetime.now(timezone.utc)
    time.sleep(0.01)
    clerk("pay_claim", "2025-02-20", agreement=AG, month="2025-01", batch=1, ref="社银-1")
    catch_up(ledger)
    view = view_for(ledger)
    now = log_position(view, None)
    [p] = positions_as_of(view, date(2025, 2, 25), now, agreement=AG)
    assert (p.paid, p.withheld) == (90000, 10000)
    [p] = positions_as_of(view, date(2025, 2, 15), now, agreement=AG)
    assert (p.approved, p.paid, p.approved_unpaid) == (100000, 0, 100000)
    [p] = positions_as_of(view, date(2025, 2, 25), log_position(view, before_payment),
                          agreement=AG)
    assert p.paid == 0


def test_aud03_the_public_list_and_bar_register_answer_on_both_axes(clerk, ledger):
    history(clerk)
    catch_up(ledger)
    view = view_for(ledger)
    now = log_position(view, None)
    assert [r["agreement"] for r in ended_as_of(view, date(2025, 9, 1), now)] == [AG]
    assert ended_as_of(view, date(2025, 8, 31), now) == []
    [bar] = bars_as_of(view, date(2025, 5, 10), now, person="DOC-1")
    assert bar["status"] == "awaiting approval"
    [bar] = bars_as_of(view, date(2025, 5, 20), now, institution="TY-H001")
    assert bar["status"] == "approved" and bar["until"] == date(2027, 5, 20)


# --- AUD-01: corrections ------------------------------------------------------------------
def test_aud01_a_correction_names_the_original_and_the_original_stays_known_before_it(
        clerk, ledger):
    effective_agreement(clerk)
    clerk("submit_claim", "2025-02-03", _id="claim-2025-01", agreement=AG, month="2025-01",
          items=[item("a", "1000.00", "2025-01-05"), item("b", "300.00", "2025-01-06")])
    catch_up(ledger)
    before = datetime.now(timezone.utc)
    time.sleep(0.01)
    with pytest.raises(Exception) as info:
        clerk("correct_claim_item", "2025-02-05", agreement=AG, month="2025-01", item_id="a",
              amount_fen=10000, service_date=date(2025, 1, 5), injury=True,
              corrects="claim-2025-01", reason=" ")
    assert getattr(info.value, "rule", "") == "AUD-01"
    clerk("correct_claim_item", "2025-02-05", agreement=AG, month="2025-01", item_id="a",
          amount_fen=10000, service_date=date(2025, 1, 5), injury=True,
          corrects="claim-2025-01", reason="录入时多写一个零")
    catch_up(ledger)
    view = view_for(ledger)
    [now] = positions_as_of(view, date(2025, 2, 28), log_position(view, None), agreement=AG)
    [then] = positions_as_of(view, date(2025, 2, 28), log_position(view, before), agreement=AG)
    assert (now.claimed, then.claimed) == (40000, 130000)
    events = [e for _, e in ledger.read_log()]
    names = [type(e).__qualname__ for e in events]
    assert "Claim.Submitted" in names and "Claim.ItemCorrected" in names
    correction = next(e for e in events if type(e).__qualname__ == "Claim.ItemCorrected")
    assert correction.corrects["command_id"] == "claim-2025-01"
    assert correction.corrects["amount_fen"] == 100000 and correction.reason == "录入时多写一个零"
    assert clerk("approve_claim", "2025-02-10", agreement=AG, month="2025-01")["approved"] == \
        "400.00"
    assert verify(ledger)["rebuild_equals_live"] is True


def test_aud01_a_corrected_suspension_start_moves_the_status_timeline(clerk, ledger):
    effective_agreement(clerk)
    clerk("suspend_agreement", "2025-03-10", _id="sus-1", agreement=AG, kind="mandatory",
          ground="M38-2", start=None, requested_on=None, planned_days=None, months=None,
          notice_no="中止-1")
    catch_up(ledger)
    view = view_for(ledger)
    before = log_position(view, None)
    clerk("correct_suspension", "2025-03-12", agreement=AG, corrects="sus-1",
          start=date(2025, 3, 3), reason="通知书送达日为3月3日")
    catch_up(ledger)
    now = log_position(view, None)
    assert status_as_of(view, date(2025, 3, 5), now, agreement=AG)[0]["status"] == \
        "suspended (mandatory)"
    assert status_as_of(view, date(2025, 3, 5), before, agreement=AG)[0]["status"] == "active"
    assert verify(ledger)["rebuild_equals_live"] is True


# --- AUD-06 over history --------------------------------------------------------------------
def test_aud06_the_money_identities_hold_at_every_point_and_a_broken_one_is_found(clerk,
                                                                                  ledger):
    history(clerk)
    catch_up(ledger)
    view = view_for(ledger)
    assert money_identities_at_every_point(view) == []
    with view.engine.begin() as conn:   # a read-model row no event justifies
        conn.execute(sa.insert(view.t["postings"]).values(
            notification_id=1, agency="TY", agreement=AG, institution="TY-H001", year=2025,
            col="returned", amount=10**9, effective_on=date(2025, 1, 1)))
    broken = money_identities_at_every_point(view)
    assert broken and "returned + forfeited exceeds withheld" in broken[0]
    assert verify(ledger)["rebuild_equals_live"] is False


# --- PostgreSQL: a runner follows new events continuously ------------------------------
@pytest.fixture
def postgres_store():
    from tests.conftest import POSTGRES_URL, _postgres_schema
    engine, schema = _postgres_schema()
    try:
        yield POSTGRES_URL, schema
    finally:
        with engine.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        engine.dispose()


def test_aud02_on_postgres_a_projection_runner_follows_new_events(postgres_store):
    from adapters.readmodels import APP, start_runner
    from adapters.settings import ledger_env, open_ledger
    from tests.conftest import Clerk
    ledger = open_ledger(*postgres_store)
    runner = start_runner(ledger_env(*postgres_store))
    try:
        clerk = Clerk(ledger)
        effective_agreement(clerk)
        clerk("suspend_agreement", "2025-03-01", agreement=AG, kind="mandatory",
              ground="M38-2", start=None, requested_on=None, planned_days=None, months=None,
              notice_no="中止-1")
        last = ledger.recorder.max_notification_id()
        runner.wait(last, timeout=20)
        assert runner.view.max_tracking_id(APP) == last
        rows = status_as_of(runner.view, date(2025, 3, 2), last, agreement=AG)
        assert rows[0]["status"] == "suspended (mandatory)"
        assert catch_up(ledger) == 0  # nothing left for a catch-up to do
    finally:
        runner.stop()
        ledger.close()


def test_aud02_a_rebuild_in_partitions_equals_one_in_a_single_process(clerk, ledger):
    history(clerk)
    single = rebuild(ledger, batch_size=10, workers=1)
    assert single["partitions"] == 1 and single["complete"]
    whole = snapshot(view_for(ledger))
    parted = rebuild(ledger, batch_size=10, workers=3)
    assert parted["partitions"] == 3 and parted["complete"]
    assert snapshot(view_for(ledger)) == whole
    assert catch_up(ledger) == 0   # the partitions together left the log fully tracked


def test_aud02_a_partitioned_rebuild_stopped_half_way_refuses_queries_then_resumes(clerk,
                                                                                   ledger):
    from adapters.readmodels import RebuildUnfinished
    history(clerk)
    rebuild(ledger, batch_size=10, workers=1)
    whole = snapshot(view_for(ledger))
    partial = rebuild(ledger, batch_size=10, workers=3, stop_after_batches=2)
    assert partial["complete"] is False
    assert 0 < len(snapshot(view_for(ledger))["log"]) < len(whole["log"])
    with pytest.raises(RebuildUnfinished):   # half-built read models answer nothing
        catch_up(ledger)
    again = rebuild(ledger, batch_size=10, workers=1)   # resumes with the plan it began with
    assert again["complete"] is True and again["partitions"] == 3
    assert snapshot(view_for(ledger)) == whole


def test_aud02_a_rebuild_killed_with_sigkill_and_started_again_ends_in_the_same_state(
        clerk, ledger, store):
    """A real kill: the `ledger rebuild` process group gets SIGKILL while its
    partitions are writing; a second `ledger rebuild` finishes the job."""
    import os
    import signal
    import subprocess
    import sys
    history(clerk)
    rebuild(ledger, batch_size=10, workers=1)
    whole = snapshot(view_for(ledger))
    url, schema = store
    code = ("import sys; from adapters import settings, cli; schema = sys.argv[1] or None; "
            "cli.open_ledger = lambda url=None, **kw: settings.open_ledger(url, schema, **kw); "
            "sys.argv = ['ledger'] + sys.argv[2:]; cli.main()")
    args = [sys.executable, "-c", code, schema or "", "rebuild", "--db", url,
            "--workers", "3", "--batch-size", "1"]
    root = Path(__file__).resolve().parents[1]
    proc = subprocess.Popen(args, cwd=root, start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    view = view_for(ledger)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:   # until the partitions have written something
        try:
            with view.engine.connect() as conn:
                written = conn.execute(sa.select(sa.func.count()).select_from(
                    view.t["log"])).scalar()
                parted = conn.execute(sa.select(sa.func.count()).select_from(
                    view.tracking_table).where(
                    view.tracking_table.c.application_name.like("Ledger/%"))).scalar()
        except sa.exc.DBAPIError:   # the rebuild is dropping and creating the tables
            continue
        if parted and written >= 15:
            break
        time.sleep(0.01)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    assert 0 < len(snapshot(view)["log"]) < len(whole["log"]), "killed before or after it ran"
    again = rebuild(ledger, batch_size=10)
    assert again["complete"] is True
    assert snapshot(view_for(ledger)) == whole


class Note(LedgerAggregate):
    """A kind of event that only makes a log row: rebuilt by SQL alone in a
    partitioned rebuild, by Python in a single process."""

    @event("Written")
    def __init__(self, text: str, effective_on: date) -> None:
        self.text = text

    @event("Annotated")   # a ledger event's layout: ... business date, envelope
    def annotate(self, detail: dict, effective_on: date | None, envelope: Envelope) -> None:
        pass

    @event("Filed")       # another layout: a nested date and envelope come last
    def file(self, effective_on: date | None, detail: dict) -> None:
        pass


def _notes_in_every_layout(ledger) -> dict[str, date | None]:
    """Log-only events whose business date SQL must read as the Python path
    does: where the bytes show it, and where they only seem to (a nested
    key, a brace in the envelope, a pattern inside a string, a long
    envelope). Returns each note's text and its expected business date."""
    who = Envelope("wang.li", "case_officer", "c-1")
    nested = {"effective_on": date(2020, 1, 1), "envelope": who}
    pattern = ',"effective_on":{"_type_":"date_iso","_data_":"2020-01-01"},"envelope":{'
    cases = [
        ("plain", {}, date(2025, 2, 1), who),
        ("nested first", nested, date(2025, 2, 2), who),
        ("brace in envelope", {}, date(2025, 2, 3), Envelope("wang.li", "case_officer",
                                                              "c-2", "文件 {3}")),
        ("pattern in a string", {"text": pattern}, date(2025, 2, 4), who),
        ("long envelope", {}, date(2025, 2, 5), Envelope("wang.li", "case_officer", "c-3",
                                                         "附件" * 200)),
        ("no date", nested, None, who),
    ]
    expected = {}
    for text, detail, day, envelope in cases:
        note = Note(text=text, effective_on=date(2025, 1, 31))
        note.annotate(detail, day, envelope)
        ledger.events.put(note.collect_events())
        expected[text] = day
    for text, day in (("nested last", date(2025, 2, 6)), ("nested last, no date", None)):
        note = Note(text=text, effective_on=date(2025, 1, 31))
        note.file(day, {"note": text, **nested})
        ledger.events.put(note.collect_events())
        expected[text] = day
    return expected


def test_aud02_log_rows_written_by_sql_equal_those_of_the_python_path(clerk, ledger):
    """Whatever form an event's recording instant takes (another offset than
    UTC's, no microseconds), a rebuild in partitions, whose log-only events
    are written by SQL, gives the single process's rows."""
    from datetime import timedelta
    history(clerk)
    instants = [datetime(2025, 3, 1, 9, 30, 0, tzinfo=timezone(timedelta(hours=8))),
                datetime(2025, 3, 1, 1, 30, 0, tzinfo=timezone.utc),
                datetime(2025, 3, 1, 1, 30, 0, 123, tzinfo=timezone.utc)]
    for i, moment in enumerate(instants):
        note = Note(text=f"备注 {i} \t \\N \"quoted\"", effective_on=date(2025, 2, 28 - i))
        events = note.collect_events()
        events[0].__dict__["timestamp"] = moment
        ledger.events.put(events)
    rebuild(ledger, batch_size=7, workers=1)
    whole = snapshot(view_for(ledger))
    notes = [r for r in whole["log"] if r[3] == "Note.Written"]
    assert sorted(r[1] for r in notes) == ["2025-03-01T01:30:00.000000Z",
                                           "2025-03-01T01:30:00.000000Z",
                                           "2025-03-01T01:30:00.000123Z"]
    parted = rebuild(ledger, batch_size=7, workers=4)
    assert parted["partitions"] == 4 and parted["complete"]
    assert parted["events"] == ledger.recorder.max_notification_id()
    assert snapshot(view_for(ledger)) == whole
    assert catch_up(ledger) == 0


def test_aud02_sql_reads_a_business_date_only_where_it_is_the_events_own(clerk, ledger):
    """The partitioned rebuild reads a log-only event's business date off
    its stored bytes when they show it is the event's own (the key of the
    outermost object, before the envelope that ends it) and parses the JSON
    otherwise; either way its rows are the single process's."""
    history(clerk)
    expected = _notes_in_every_layout(ledger)
    rebuild(ledger, batch_size=7, workers=1)
    whole = snapshot(view_for(ledger))
    days = {ledger.repository.get(UUID(r[4])).text: r[2] for r in whole["log"]
            if r[3] in ("Note.Annotated", "Note.Filed")}
    assert days == expected
    parted = rebuild(ledger, batch_size=7, workers=4)
    assert parted["partitions"] == 4 and parted["complete"]
    assert snapshot(view_for(ledger)) == whole


def test_aud03_known_at_gives_the_last_event_recorded_by_then_though_instants_come_out_of_order(
        clerk, ledger, monkeypatch):
    """An event is stamped when made and numbered when stored, so recording
    instants only nearly follow the log. "As known at" an instant is the
    greatest position recorded by then, found through each window's
    earliest instant (rm_log_windows): the same whether the read models
    were kept live, rebuilt in one process or rebuilt in partitions."""
    import random
    from datetime import timedelta
    import adapters.readmodels as readmodels
    import adapters.readmodels.log as log_view
    monkeypatch.setattr(log_view, "LOG_WINDOW_IDS", 4)   # many windows from few events
    history(clerk)
    rng = random.Random(5)
    base = datetime(2025, 3, 1, 1, 0, 0, tzinfo=timezone.utc)
    for i in range(40):
        moment = base + timedelta(seconds=rng.randrange(0, 600), microseconds=rng.randrange(10))
        if i % 13 == 0:   # an instant in another offset: mended after SQL writes it
            moment = moment.astimezone(timezone(timedelta(hours=8)))
        note = Note(text=f"note {i}", effective_on=date(2025, 2, 28))
        events = note.collect_events()
        events[0].__dict__["timestamp"] = moment
        ledger.events.put(events)
    view = view_for(ledger)
    catch_up(ledger)

    def answers() -> tuple[list[int], list[tuple[Any, ...]]]:
        log = snapshot(view)["log"]
        instants = sorted({r[1] for r in log})
        probes = [base - timedelta(days=1)] + [
            datetime.strptime(x, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=timezone.utc) + d
            for x in instants for d in (timedelta(0), timedelta(microseconds=-1))]
        for probe in probes:   # the definition: the greatest id recorded by then
            expected = max((r[0] for r in log if r[1] <= readmodels._instant(probe)), default=0)
            assert log_position(view, probe) == expected, probe
        return [log_position(view, p) for p in probes], snapshot(view)["log_windows"]

    live = answers()
    assert len(live[1]) > 10
    rebuild(ledger, batch_size=7, workers=1)
    assert answers() == live
    rebuild(ledger, batch_size=7, workers=4)
    assert answers() == live


def test_aud03_read_models_built_before_the_windows_get_them_when_opened(clerk, ledger, store):
    """A store whose read models predate rm_log_windows (and indexed the
    recording instants instead) answers "as known at" once opened again:
    the windows are made from the log, and the old index goes."""
    from adapters.settings import open_ledger
    history(clerk)
    view = view_for(ledger)
    catch_up(ledger)
    expected = snapshot(view)["log_windows"]
    instants = sorted(r[1] for r in snapshot(view)["log"])
    middle = datetime.strptime(instants[len(instants) // 2], "%Y-%m-%dT%H:%M:%S.%fZ").replace(
        tzinfo=timezone.utc)
    position = log_position(view, middle)
    log = view.t["log"]
    view.t["log_windows"].drop(view.engine)
    with view.engine.begin() as conn:   # as the old schema had it
        conn.execute(sa.text(f"CREATE INDEX old_instants ON "
                             f"{view.engine.dialect.identifier_preparer.format_table(log)} "
                             f"(recorded_at)"))
    url, schema = store
    reopened = open_ledger(url, schema)
    try:
        again = view_for(reopened)
        assert snapshot(again)["log_windows"] == expected
        assert log_position(again, middle) == position > 0
        indexed = [i["column_names"] for i in sa.inspect(again.engine).get_indexes(
            log.name, schema=log.schema)]
        assert ["recorded_at"] not in indexed
    finally:
        reopened.close()
