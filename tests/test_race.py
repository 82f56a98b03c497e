"""Two writers racing on one aggregate (issue #14): the loser's write is
refused by the store's optimistic concurrency, and the command runs again on
fresh state (domain/service/commanding.py). It then succeeds or is refused by
the rule that now applies; never a traceback, never two effects.

The race is made certain, not hoped for: each process runs its handler (so
both read the same version), then waits at a barrier inside ``save``, and
only then writes. Without the retry the loser would end with the store's
IntegrityError. Real processes (spawned, so no connection is shared), on
SQLite and PostgreSQL, bounded in time.
"""
from __future__ import annotations

import json
import multiprocessing
import os
import subprocess
import sys
import textwrap
from datetime import date
from pathlib import Path

import pytest

from adapters.settings import open_ledger
from tests.builders import effective_agreement

AG = "XY-2025-001"
ROOT = Path(__file__).resolve().parents[1]
SECONDS = 90


def _racer(url, schema, command, on, args, barrier, queue):
    """One writer: the command, its first save held at the barrier."""
    from domain.base import Context
    from domain.errors import LedgerError
    ledger = open_ledger(url, schema)
    attempts = []
    real_save = ledger.save

    def save(*aggregates, **kwargs):
        attempts.append(1)
        if len(attempts) == 1:
            barrier.wait()
        return real_save(*aggregates, **kwargs)

    ledger.save = save
    ctx = Context(f"race-{os.getpid()}", date.fromisoformat(on), "fin.user", "finance"
                  if command == "review_sampled_item" else "case_officer")
    try:
        result = getattr(ledger, command)(ctx, **args)
        queue.put({"ok": True, "saves": len(attempts), "result": result})
    except LedgerError as e:
        queue.put({"ok": False, "saves": len(attempts), "error": type(e).__name__,
                   "rule": e.rule, "reason": e.reason})
    except BaseException as e:  # noqa: BLE001 - reported to the test, which fails on it
        queue.put({"ok": False, "saves": len(attempts), "error": type(e).__name__,
                   "crash": repr(e)})
    finally:
        ledger.close()


def race(store, jobs):
    """Run each (command, date, args) in its own process at once; their answers."""
    url, schema = store
    mp = multiprocessing.get_context("spawn")
    barrier, queue = mp.Barrier(len(jobs), timeout=SECONDS / 2), mp.Queue()
    procs = [mp.Process(target=_racer, args=(url, schema, *job, barrier, queue))
             for job in jobs]
    for p in procs:
        p.start()
    answers = [queue.get(timeout=SECONDS) for _ in procs]
    for p in procs:
        p.join(timeout=SECONDS)
        assert p.exitcode == 0
    return answers


def events_of(store, name):
    ledger = open_ledger(*store)
    try:
        return [e for _, e in ledger.read_log() if type(e).__qualname__ == name]
    finally:
        ledger.close()


def suspension(notice_no):
    return ("suspend_agreement", "2025-03-03",
            {"agreement": AG, "kind": "mandatory", "ground": "M38-2", "start": None,
             "requested_on": None, "planned_days": None, "months": None,
             "notice_no": notice_no})


def test_two_suspensions_of_one_agreement_race_one_suspends_the_other_is_refused_sus01(
        store, clerk):
    effective_agreement(clerk)
    clerk.ledger.close()
    answers = race(store, [suspension("中止-A"), suspension("中止-B")])
    assert not any("crash" in a for a in answers), answers
    won = [a for a in answers if a["ok"]]
    lost = [a for a in answers if not a["ok"]]
    assert len(won) == 1 and len(lost) == 1, answers
    # the loser wrote once, lost, read again and met the rule that now applies
    assert lost[0]["saves"] == 1 and (lost[0]["error"], lost[0]["rule"]) == \
        ("RuleViolation", "SUS-01"), lost[0]
    assert len(events_of(store, "Agreement.Suspended")) == 1


def test_two_reviews_of_one_sampled_item_race_one_is_recorded_the_other_refused_pay03(
        store, clerk):
    effective_agreement(clerk)
    items = [{"item_id": f"i{k}", "amount_fen": 10001 + k, "service_date": date(2025, 1, 5 + k),
              "injury": True, "practitioner_id": None, "description": "工伤门诊"}
             for k in range(1, 11)]
    clerk("submit_claim", "2025-02-03", agreement=AG, month="2025-01", items=items)
    drawn = clerk("draw_sample", "2025-02-05", agreement=AG, month="2025-01", seed="s")
    clerk.ledger.close()
    item = drawn["sampled"][0]
    review = ("review_sampled_item", "2025-02-06",
              {"agreement": AG, "month": "2025-01", "item_id": item, "noncompliant_fen": 0,
               "reason": ""})
    answers = race(store, [review, review])
    assert not any("crash" in a for a in answers), answers
    lost = [a for a in answers if not a["ok"]]
    assert len(lost) == 1 and (lost[0]["error"], lost[0]["rule"]) == ("RuleViolation",
                                                                       "PAY-03"), answers
    reviewed = events_of(store, "Claim.SampleItemReviewed")
    assert [e.item_id for e in reviewed] == [item]


def test_two_ticks_at_once_record_each_consequence_once(store, clerk):
    effective_agreement(clerk, signed_on="2024-12-20")
    clerk("suspend_agreement", "2025-03-01", agreement=AG, kind="voluntary", ground="",
          start=date(2025, 3, 1), requested_on=date(2025, 3, 1), planned_days=None,
          months=None, notice_no="申请-1")
    clerk.ledger.close()
    tick = ("tick", "2025-09-30", {"to": date(2025, 9, 30)})
    answers = race(store, [tick, tick])
    assert all(a["ok"] for a in answers), answers
    recorded = [r for a in answers for r in a["result"]["recorded"]]
    assert [r["event"] for r in recorded].count("Ended") == 1, answers
    assert len(events_of(store, "Agreement.Ended")) == 1


# --- `ledger run` reports a conflict like any other refusal ------------------------------
RUNNER = textwrap.dedent("""
    import sys
    from eventsourcing.persistence import IntegrityError
    from domain.service import Ledger
    from adapters import cli, settings
    mode, schema, argv = sys.argv[1], sys.argv[2] or None, sys.argv[3:]
    cli.open_ledger = lambda url=None, **kw: settings.open_ledger(url, schema, **kw)
    real_save = Ledger.save
    def save(self, *aggregates, **kwargs):
        names = {type(a).__name__ for a in aggregates}
        if "Agreement" in names and mode == "always":
            raise IntegrityError("forced: another writer stored this version first")
        if "Agreement" in names and mode == "once" and not getattr(Ledger, "_raced", False):
            Ledger._raced = True
            other = cli.open_ledger(argv[argv.index("--db") + 1])   # another writer
            from domain.base import Context
            from datetime import date
            other.terminate_agreement(
                Context("rival-1", date(2025, 3, 3), "li.juan", "case_officer"),
                agreement="XY-2025-001", ground="M39-1", notice_no="解除-1",
                notice_on=date(2025, 3, 3), reported_on=date(2025, 3, 3),
                report_ref="报告-1", reason="")
            other.close()
        return real_save(self, *aggregates, **kwargs)
    Ledger.save = save
    sys.argv = ["ledger", *argv]
    cli.main()
""")


def _ledger_run(tmp_path, store, mode, *lines, keep_going=False):
    url, schema = store
    path = tmp_path / "race.jsonl"
    path.write_text("\n".join(json.dumps(line, ensure_ascii=False) for line in lines) + "\n",
                    encoding="utf-8")
    argv = [sys.executable, "-c", RUNNER, mode, schema or "", "run", str(path), "--db", url]
    if keep_going:
        argv.append("--keep-going")
    return subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=SECONDS,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})


def _line(n, notice_no):
    return {"id": f"run-{n}", "command": "suspend_agreement", "date": "2025-03-03",
            "actor": {"user": "wang.li", "role": "case_officer"}, "document": notice_no,
            "fields": {"agreement": AG, "kind": "mandatory", "ground": "M38-2",
                       "notice_no": notice_no}}


@pytest.fixture
def agreed_store(store):
    """Both stores (conftest's ``store``), holding one agreement in force."""
    ledger = open_ledger(*store)
    from tests.conftest import Clerk
    effective_agreement(Clerk(ledger))
    ledger.close()
    return store


def test_ledger_run_losing_a_race_reports_the_rule_that_now_applies_without_a_traceback(
        tmp_path, agreed_store):
    done = _ledger_run(tmp_path, agreed_store, "once", _line(1, "中止-1"))
    assert "Traceback" not in done.stderr + done.stdout, done.stderr
    assert done.returncode == 1, done.stdout + done.stderr
    assert "被拒绝" in done.stdout and "[TER-03]" in done.stdout, done.stdout


def test_aud01_ledger_run_a_write_that_keeps_losing_is_refused_in_one_line_and_goes_on(
        tmp_path, agreed_store):
    """The refusal cites AUD-01: the store writes each version of a record
    once, so the loser's version is never written over the winner's."""
    done = _ledger_run(tmp_path, agreed_store, "always", _line(1, "中止-1"),
                       {"id": "run-2", "command": "tick", "date": "2025-03-04",
                        "actor": {"user": "wang.li", "role": "case_officer"},
                        "fields": {"to": "2025-03-04"}}, keep_going=True)
    assert "Traceback" not in done.stderr + done.stdout, done.stderr
    assert done.returncode == 1
    rejected = [line for line in done.stdout.splitlines() if "被拒绝" in line]
    assert len(rejected) == 1 and "race.jsonl:1" in rejected[0], done.stdout
    assert "[AUD-01]" in rejected[0] and "在其他写入者的操作下不断变化" in done.stdout and "race.jsonl:2" in done.stdout, done.stdout
