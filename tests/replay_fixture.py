"""The log written before a change, kept to prove that stored events replay to
the same state after it (issue #13: event bodies only assign; AUD-02).

``tests/data/replay_v1.sqlite.gz`` was written once by ``python -m
tests.replay_fixture`` with the code of the day (commit message says which)
and is never rewritten: it is history. It holds two logs, each as the stored
events themselves (topic and JSON bytes, in notification order):

- ``province``: a generated province (scripts/generate_province.py), with its
  incidents ten times as frequent so that changes, breaches, suspensions,
  inspections and endings occur in 3 years of 40 institutions;
- ``scenario``: commands given through the ledger that reach every branch the
  old ``@event`` bodies decided (a change reported late, a change never
  reported, the 2nd agency-imposed suspension, a failed inspection, a
  suspension corrected and reversed, an ending with open obligations and its
  reversal, automatic endings, claim corrections, holds, applications
  paused and resumed).

With each log: every aggregate's state replayed from it, each agreement's
state folded "as of" a few business dates, and the read models' snapshot
after a rebuild. ``tests/test_replay_compat.py`` loads the logs into fresh
stores and checks the code of today gives all of that back unchanged.
"""
from __future__ import annotations

import dataclasses
import gzip
import json
import shutil
import sqlite3
import sys
import tempfile
from datetime import date, datetime, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import UUID

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = ROOT / "tests" / "data" / "replay_v1.sqlite.gz"

# the province: small enough to keep the file well under a megabyte
PROVINCE = {"seed": 13, "institutions": 40, "years": 3, "start_year": 2023}
INCIDENTS_TIMES = 10
# business dates the scenario's agreements are folded "as of"
AS_OF = ("2025-03-01", "2025-03-26", "2025-04-14", "2025-06-01", "2025-04-10", "2025-06-05", "2025-07-01",
         "2025-08-01", "2025-09-15", "2025-11-01", "2026-01-15", "2026-06-30")


# --- a canonical, JSON-able form of any state ------------------------------------------
def plain(value: Any) -> Any:
    """Values as tagged JSON, so that two states compare equal exactly when
    the objects do (a date is not its ISO string, a tuple not a list)."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return {"float": repr(value)}
    if isinstance(value, datetime):
        return {"datetime": value.astimezone(timezone.utc).isoformat()}
    if isinstance(value, date):
        return {"date": value.isoformat()}
    if isinstance(value, Decimal):
        return {"decimal": str(value)}
    if isinstance(value, UUID):
        return {"uuid": str(value)}
    if isinstance(value, bytes):
        return {"bytes": value.hex()}
    if isinstance(value, dict):
        return {"dict": sorted(([plain(k), plain(v)] for k, v in value.items()),
                               key=lambda kv: json.dumps(kv[0], sort_keys=True))}
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, tuple):
        return {"tuple": [plain(v) for v in value]}
    if isinstance(value, (set, frozenset)):
        return {"set": sorted((plain(v) for v in value), key=lambda v: json.dumps(v))}
    if dataclasses.is_dataclass(value):
        return {type(value).__qualname__: plain(dataclasses.asdict(value))}
    if hasattr(value, "__dict__"):
        return {type(value).__qualname__: plain(vars(value))}
    return {type(value).__qualname__: repr(value)}


def aggregate_state(aggregate: Any) -> Any:
    """Everything an aggregate holds, its version and instants included."""
    return plain({k: v for k, v in vars(aggregate).items() if k != "_pending_events"})


def snapshot_rows(view: Any) -> dict[str, list[Any]]:
    """The read models' snapshot in a form both stores give alike (PostgreSQL
    returns aware datetimes and Decimals where SQLite returns text and
    numbers: the rows are compared as text of their values)."""
    from adapters.readmodels import snapshot
    return {name: sorted(json.dumps([_cell(v) for v in row], ensure_ascii=False)
                         for row in rows)
            for name, rows in snapshot(view).items()}


def _cell(v: Any) -> Any:
    if isinstance(v, datetime):
        return (v if v.tzinfo else v.replace(tzinfo=timezone.utc)) \
            .astimezone(timezone.utc).isoformat()
    if isinstance(v, date):
        return v.isoformat()
    if isinstance(v, Decimal):
        return int(v) if v == v.to_integral_value() else str(v)
    if isinstance(v, bool):
        return int(v)
    return v


def stored_events(ledger: Any) -> list[tuple[str, int, str, bytes]]:
    """The log as stored: (originator id, version, topic, state bytes)."""
    rows = []
    start = 1
    while True:
        batch = ledger.recorder.select_notifications(start, 1000)
        if not batch:
            return rows
        rows += [(str(n.originator_id), n.originator_version, n.topic, bytes(n.state))
                 for n in batch]
        start = batch[-1].id + 1


def load_stored(ledger: Any, rows: list[tuple[str, int, str, bytes]]) -> None:
    """Put stored events into an empty store as they are: bytes, not
    re-encoded by today's code."""
    from eventsourcing.persistence import StoredEvent
    for i in range(0, len(rows), 5000):
        ledger.recorder.insert_events([StoredEvent(originator_id=UUID(o), originator_version=v,
                                                   topic=t, state=s)
                                       for o, v, t, s in rows[i:i + 5000]])


def replayed_states(ledger: Any) -> dict[str, Any]:
    """Every aggregate as the repository replays it, by id."""
    ids = sorted({UUID(o) for o, *_ in stored_events(ledger)}, key=str)
    return {str(i): aggregate_state(ledger.repository.get(i)) for i in ids}


def folded_agreements(ledger: Any) -> dict[str, Any]:
    """Each agreement folded by the status projection "as of" each of AS_OF."""
    from projections.status import build
    events = [e for _, e in ledger.read_log()]
    out = {}
    for day in AS_OF:
        state = build(events, as_of=date.fromisoformat(day))
        out[day] = {number: aggregate_state(ag) for number, ag in state.agreements.items()}
    return out


# --- the two logs ----------------------------------------------------------------------
def province_events() -> list[Any]:
    sys.path.insert(0, str(ROOT / "scripts"))
    import generate_province as gp
    saved = dict(gp.PER_YEAR)
    try:
        for k in gp.PER_YEAR:
            gp.PER_YEAR[k] *= INCIDENTS_TIMES
        return [b for b in gp.generate(PROVINCE["seed"], institutions=PROVINCE["institutions"],
                                       years=PROVINCE["years"],
                                       start_year=PROVINCE["start_year"])]
    finally:
        gp.PER_YEAR.update(saved)


def scenario(clerk: Any) -> None:
    """Every branch an old event body decided, reached through commands."""
    from tests.builders import ALL_MATERIALS, accepted_application, effective_agreement, \
        evaluate, register, tick

    def suspend(on, agreement, kind, ground="", months=None, requested_on=None, start=None,
                planned_days=None):
        return clerk("suspend_agreement", on, agreement=agreement, kind=kind, ground=ground,
                     start=date.fromisoformat(start) if start else None,
                     requested_on=date.fromisoformat(requested_on) if requested_on else None,
                     planned_days=planned_days, months=months, notice_no=f"通知-{agreement}-{on}")

    def terminate(on, agreement, ground):
        d = date.fromisoformat(on)
        return clerk("terminate_agreement", on, agreement=agreement, ground=ground,
                     notice_no=f"解除-{agreement}", notice_on=d, reported_on=d,
                     report_ref=f"报告-{agreement}", reason="")

    def dispute(on, number, institution, agreement, decision, decided_on):
        clerk("open_dispute", on, number=number, institution=institution, agreement=agreement,
              person_id=None, bar_no=None,
              matter="ending" if decision == "ending" else "performing",
              route="administrative_review",
              decision=decision, summary="机构申请复议")
        clerk("record_dispute_outcome", decided_on, number=number, outcome="decision_reversed",
              ref=f"复议-{number}", summary="复议撤销原决定")

    def last_suspension_command(agreement):
        return clerk.ledger.agreement(agreement).suspensions[-1]["command_id"]

    # A: a change reported late when recorded (AGR-06), one never reported (overdue
    # by itself), two agency-imposed suspensions (TER-02), the 2nd corrected and then
    # reversed (the recount discharges TER-02, not AGR-06), an ending with open
    # obligations (discharged) and the ending reversed.
    a = effective_agreement(clerk, "TY-H001", "XY-A")
    clerk("record_change", "2025-03-10", agreement=a, change="legal_representative",
          approved_on=date(2025, 2, 10), reported_on=date(2025, 3, 10), details="法人变更")
    clerk("record_change", "2025-04-10", agreement=a, change="address",
          approved_on=date(2025, 2, 10), reported_on=date(2025, 3, 25), details="迁址")
    clerk("record_change", "2025-02-20", agreement=a, change="level",
          approved_on=date(2025, 2, 10), reported_on=None, details="升为三级")
    tick(clerk, "2025-03-26")
    suspend("2025-05-01", a, "mandatory", ground="M38-2")
    clerk("resume_agreement", "2025-05-20", agreement=a)
    suspend("2025-06-02", a, "disciplinary", ground="MA42-1", months=3)
    clerk("correct_suspension", "2025-06-05", agreement=a,
          corrects=last_suspension_command(a), start=date(2025, 6, 1),
          reason="通知书落款日期为6月1日")
    dispute("2025-06-10", "争-A1", "TY-H001", a, "suspension", "2025-07-01")
    terminate("2025-08-01", a, "M39-6")
    dispute("2025-08-05", "争-A2", "TY-H001", a, "ending", "2025-09-15")

    # B: a voluntary suspension never resumed ends by itself on day 181 with an
    # obligation open (a change reported late), discharged by that ending.
    b = effective_agreement(clerk, "TY-H002", "XY-B")
    clerk("record_change", "2025-04-10", agreement=b, change="name",
          approved_on=date(2025, 2, 10), reported_on=date(2025, 3, 25), details="更名")
    suspend("2025-04-15", b, "voluntary", requested_on="2025-04-10")
    clerk("correct_suspension", "2025-04-20", agreement=b,
          corrects=last_suspension_command(b), start=date(2025, 4, 14),
          reason="申请书载明自4月14日起")
    tick(clerk, "2025-11-01")

    # C: mandatory, resumed; disciplinary (TER-02); failed inspection (TER-01);
    # the disciplinary reversed (TER-02 discharged, TER-01 kept); terminated.
    c = effective_agreement(clerk, "TY-H003", "XY-C")
    suspend("2025-02-03", c, "mandatory", ground="M38-1")
    clerk("resume_agreement", "2025-02-20", agreement=c)
    suspend("2025-03-03", c, "disciplinary", ground="MA42-1", months=3)
    clerk("apply_for_resumption", "2025-06-05", agreement=c, applied_on=date(2025, 6, 4))
    clerk("record_inspection", "2025-06-10", agreement=c, passed=False, report_ref="检查-C")
    dispute("2025-06-15", "争-C1", "TY-H003", c, "suspension", "2025-07-01")
    terminate("2025-08-01", c, "M39-1")

    # D: three agency-imposed suspensions, the last reversed: two remain, so the
    # TER-02 obligation stays open; a suspension past expiry ends at expiry.
    d = effective_agreement(clerk, "TY-H004", "XY-D")
    suspend("2025-02-03", d, "mandatory", ground="M38-1")
    clerk("resume_agreement", "2025-02-20", agreement=d)
    suspend("2025-03-03", d, "mandatory", ground="M38-2")
    clerk("resume_agreement", "2025-03-20", agreement=d)
    suspend("2025-04-01", d, "mandatory", ground="M38-1")
    dispute("2025-04-10", "争-D1", "TY-H004", d, "suspension", "2025-05-01")
    suspend("2025-11-01", d, "mandatory", ground="M38-2")
    tick(clerk, "2026-01-15")

    # E: claims: a correction to a non-injury cost and back (PAY-09), a sampled
    # item with and without a non-compliant amount, holds released with and
    # without a medical accident, queries explained, refused, unexplained.
    e = effective_agreement(clerk, "TY-H005", "XY-E")
    items = [{"item_id": f"i{k}", "amount_fen": 10000 + 37 * k,
              "service_date": date(2025, 1, 5 + k), "injury": k != 3,
              "practitioner_id": None, "description": "工伤门诊"} for k in range(1, 10)]
    clerk("submit_claim", "2025-02-03", _id="claim-E-01", agreement=e, month="2025-01",
          items=items)
    for k, injury in ((1, False), (2, False), (1, True), (3, True)):
        clerk("correct_claim_item", "2025-02-04", agreement=e, month="2025-01",
              item_id=f"i{k}", amount_fen=20000 + k, service_date=date(2025, 1, 5 + k),
              injury=injury, corrects="claim-E-01", reason="录入有误")
    clerk("draw_sample", "2025-02-05", agreement=e, month="2025-01", seed="E")
    sampled = list(clerk.ledger.repository.get(_claim_id(e, "2025-01")).sample["items"])
    for n, item_id in enumerate(sampled):
        clerk("review_sampled_item", "2025-02-06", agreement=e, month="2025-01",
              item_id=item_id, noncompliant_fen=1001 if n % 2 == 0 else 0, reason="重复收费")
    rest = [f"i{k}" for k in range(1, 10) if f"i{k}" not in sampled and k != 2]
    clerk("hold_claim_item", "2025-02-06", agreement=e, month="2025-01", item_id=rest[0],
          hold="medical_dispute", ref="医疗纠纷-1")
    clerk("hold_claim_item", "2025-02-06", agreement=e, month="2025-01", item_id=rest[1],
          hold="medical_dispute", ref="医疗纠纷-2")
    clerk("hold_claim_item", "2025-02-06", agreement=e, month="2025-01", item_id=rest[2],
          hold="investigation", ref="稽核-1")
    for item_id in rest[3:6]:
        clerk("query_claim_item", "2025-02-06", agreement=e, month="2025-01", item_id=item_id,
              question="请说明必要性")
    if len(rest) > 3:
        clerk("record_explanation", "2025-02-07", agreement=e, month="2025-01",
              item_id=rest[3], accepted=True)
    if len(rest) > 4:
        clerk("record_explanation", "2025-02-07", agreement=e, month="2025-01",
              item_id=rest[4], accepted=False)
    if len(rest) > 5:
        clerk("refuse_unexplained_item", "2025-03-01", agreement=e, month="2025-01",
              item_id=rest[5])
    clerk("release_claim_item", "2025-03-02", agreement=e, month="2025-01", item_id=rest[0],
          medical_accident=True)
    clerk("release_claim_item", "2025-03-02", agreement=e, month="2025-01", item_id=rest[1],
          medical_accident=False)
    clerk("release_claim_item", "2025-03-02", agreement=e, month="2025-01", item_id=rest[2],
          medical_accident=None)
    clerk("approve_claim", "2025-03-05", agreement=e, month="2025-01")
    claim = clerk.ledger.repository.get(_claim_id(e, "2025-01"))
    clerk("pay_claim", "2025-03-20", agreement=e, month="2025-01",
          batch=claim.batches[-1]["batch"], ref="社银-E-1")

    # F: applications: the one-time notice answered in two supplies; a supplement
    # after acceptance pauses the clock and the supply restarts it; a failed
    # evaluation, then a failed re-evaluation (final).
    register(clerk, "TY-H006", on="2025-01-06")
    clerk("submit_application", "2025-01-06", number="SQ-F1", institution="TY-H006",
          materials=ALL_MATERIALS[:2])
    clerk("send_materials_notice", "2025-01-08", application="SQ-F1", notice_no="补正-F1",
          missing=ALL_MATERIALS[2:], supply_by=date(2025, 1, 20))
    clerk("supply_materials", "2025-01-10", application="SQ-F1", items=ALL_MATERIALS[2:4])
    clerk("supply_materials", "2025-01-15", application="SQ-F1", items=ALL_MATERIALS[4:])
    clerk("accept_application", "2025-01-16", application="SQ-F1")
    clerk("request_supplement", "2025-02-01", application="SQ-F1",
          items=["information_system", "licences"], reason="材料不全")
    clerk("supply_materials", "2025-02-05", application="SQ-F1", items=["licences"])
    clerk("supply_materials", "2025-02-11", application="SQ-F1", items=["information_system"])
    accepted_application(clerk, "TY-H007", "SQ-F2", on="2025-01-06")
    evaluate(clerk, "SQ-F2", "EV-F2a", "2025-02-10", veto_failed=["V1"], passed_expected=False)
    evaluate(clerk, "SQ-F2", "EV-F2b", "2025-05-20", veto_failed=["V1"], passed_expected=False)

    # G: an institution renamed, a bar fact lifted, a person listed and delisted.
    clerk("amend_institution", "2025-03-01", institution="TY-H006",
          changes={"name": "太原新名医院", "beds": 900})
    clerk("record_bar_fact", "2024-01-10", institution="TY-H007", ground="M11-5",
          occurred_on=date(2024, 1, 10), note="行政处罚")
    clerk("lift_bar_fact", "2025-02-01", institution="TY-H007", ground="M11-5",
          lifted_on=date(2025, 2, 1), note="处罚期满")
    clerk("list_as_dishonest", "2025-03-01", person_id="LR-TY-H006",
          listed_on=date(2025, 3, 1), list_ref="失信-1")
    clerk("delist_dishonest", "2025-06-01", person_id="LR-TY-H006",
          delisted_on=date(2025, 6, 1))


def _claim_id(agreement: str, month: str) -> UUID:
    from domain.claim import Claim
    return Claim.id_for(Claim.key(agreement, month))


# --- writing and reading the fixture --------------------------------------------------
def _record(ledger: Any) -> dict[str, Any]:
    from adapters.readmodels import rebuild, view_for
    rebuild(ledger, workers=1)
    return {"states": replayed_states(ledger), "folded": folded_agreements(ledger),
            "snapshot": snapshot_rows(view_for(ledger))}


def write(path: Path = FIXTURE) -> dict[str, int]:
    """Write the fixture with the code of the day (run once; never again)."""
    from adapters.settings import open_ledger
    from tests.conftest import Clerk
    sys.path.insert(0, str(ROOT / "scripts"))
    from generate_province import load
    counts = {}
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "fixture.sqlite"
        out = sqlite3.connect(db)
        out.execute("CREATE TABLE events (log TEXT, position INTEGER, originator_id TEXT, "
                    "originator_version INTEGER, topic TEXT, state BLOB, "
                    "PRIMARY KEY (log, position))")
        out.execute("CREATE TABLE expected (log TEXT, what TEXT, json TEXT, "
                    "PRIMARY KEY (log, what))")
        for log in ("province", "scenario"):
            ledger = open_ledger(f"sqlite:///{tmp}/{log}.sqlite")
            try:
                if log == "province":
                    load(ledger, province_events())
                else:
                    scenario(Clerk(ledger))
                rows = stored_events(ledger)
                out.executemany("INSERT INTO events VALUES (?, ?, ?, ?, ?, ?)",
                                [(log, i, *r) for i, r in enumerate(rows, 1)])
                for what, value in _record(ledger).items():
                    out.execute("INSERT INTO expected VALUES (?, ?, ?)",
                                (log, what, json.dumps(value, ensure_ascii=False,
                                                       sort_keys=True)))
                counts[log] = len(rows)
            finally:
                ledger.close()
        out.commit()
        out.execute("VACUUM")
        out.close()
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(db, "rb") as src, gzip.open(path, "wb", compresslevel=9) as dst:
            shutil.copyfileobj(src, dst)
    return counts


def read(path: Path = FIXTURE) -> dict[str, dict[str, Any]]:
    """{log: {"events": [...], "states": ..., "folded": ..., "snapshot": ...}}"""
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "fixture.sqlite"
        with gzip.open(path, "rb") as src, open(db, "wb") as dst:
            shutil.copyfileobj(src, dst)
        conn = sqlite3.connect(db)
        try:
            out: dict[str, dict[str, Any]] = {}
            for log, o, v, t, s in conn.execute(
                    "SELECT log, originator_id, originator_version, topic, state FROM events "
                    "ORDER BY log, position"):
                out.setdefault(log, {"events": []})["events"].append((o, v, t, bytes(s)))
            for log, what, text in conn.execute("SELECT log, what, json FROM expected"):
                out[log][what] = json.loads(text)
            return out
        finally:
            conn.close()


if __name__ == "__main__":
    if FIXTURE.exists() and "--force" not in sys.argv:
        raise SystemExit(f"{FIXTURE} exists: it is the log written before the change; "
                         "it is not rewritten")
    print(write())
