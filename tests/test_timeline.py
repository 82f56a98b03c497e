"""AUD-04: every event records who recorded it (user and role), when, the
command that caused it and the document it rests on; the investigator's
timeline shows all of it for an institution, an agreement or a person, and
a legal representative's timeline spans their sister institutions."""
from __future__ import annotations

import csv
import inspect
import io
import json
from datetime import date, datetime

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

import domain
from adapters.cli import app
from adapters.timeline import (COLUMNS, RULES, Subject, SHANGHAI, event_type, timeline,
                               write_csv, write_xlsx)
from domain.base import LedgerAggregate
from tests.audit_scenario import AG, sisters


@pytest.fixture
def scene(ledger, clerk):
    sisters(clerk)
    return ledger


def test_aud04_a_legal_representatives_timeline_spans_sister_institutions(scene):
    tl = timeline(scene, "person:P-ZHANG")
    assert tl.linked == {"TY-H001": ["legal_representative"], "TY-H002": ["investor"]}
    institutions = {r.key for r in tl.rows if r.aggregate == "Institution"}
    assert institutions == {"TY-H001", "TY-H002"}           # not the unrelated TY-H003
    assert "TY-H003" not in json.dumps([r.as_dict() for r in tl.rows], ensure_ascii=False)
    events = {r.event for r in tl.rows}
    assert {"Agreement.Suspended", "Application.MaterialsNoticeSent",
            "Person.LinkedToInstitution", "Agreement.TookEffect"} <= events
    vias = {r.via for r in tl.rows}
    assert "TY-H001 (legal_representative)" in vias and "TY-H002 (investor)" in vias
    ids = [r.notification_id for r in tl.rows]
    assert ids == sorted(ids)                                # log order


def test_aud04_every_row_has_actor_role_command_document_and_both_instants(scene):
    rows = timeline(scene, "person:P-ZHANG").rows
    assert rows
    for r in rows:
        assert r.user and r.role and r.command_id, r
        assert isinstance(r.document, str)
        assert r.recorded_utc.utcoffset().total_seconds() == 0
        assert r.recorded_shanghai.utcoffset().total_seconds() == 8 * 3600
        assert r.recorded_shanghai == r.recorded_utc
        assert isinstance(r.effective_on, date)
    by_event = {r.event: r for r in rows}
    suspended = by_event["Agreement.Suspended"]
    assert (suspended.user, suspended.role, suspended.document) == \
        ("wang.li", "case_officer", "暂停-2025-07")
    assert suspended.effective_on == date(2025, 3, 3)
    assert by_event["Application.MaterialsNoticeSent"].document == "补正-2025-01"
    took_effect = by_event["Agreement.TookEffect"]
    assert took_effect.role == "system" and took_effect.command_id.startswith("tick:")


def test_aud04_rows_name_the_rules_their_event_concerns(scene):
    rows = {r.event: r for r in timeline(scene, f"agreement:{AG}").rows}
    assert rows["Agreement.Suspended"].rules == ("SUS-01", "SUS-04", "SUS-06")
    assert "kind=disciplinary" in rows["Agreement.Suspended"].summary
    assert "ground_code=MA42-1" in rows["Agreement.Suspended"].summary
    assert rows["Agreement.TookEffect"].rules == ("AGR-02",)
    notice = {r.event: r for r in timeline(scene, "institution:TY-H002").rows}
    assert "ADM-04" in notice["Application.MaterialsNoticeSent"].rules


def test_aud04_every_event_type_in_the_domain_has_its_rule_mapping():
    """A new event must be added to adapters.timeline.RULES with its rule ids."""
    import importlib
    import pkgutil

    from eventsourcing.domain import DomainEvent
    found = set()
    for info in pkgutil.iter_modules(domain.__path__):
        module = importlib.import_module(f"domain.{info.name}")
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, LedgerAggregate) and cls is not LedgerAggregate \
                    and cls.__module__ == module.__name__:
                for member in vars(cls).values():
                    if inspect.isclass(member) and issubclass(member, DomainEvent) \
                            and member.__qualname__.startswith(cls.__name__ + "."):
                        found.add(member.__qualname__)
    found -= {f"{c}.Event" for c in {q.split('.')[0] for q in found}}
    found -= {f"{c}.Created" for c in {q.split('.')[0] for q in found}}
    missing = sorted(found - set(RULES))
    assert not missing, f"add these event types to adapters.timeline.RULES: {missing}"
    assert "Agreement.Suspended" in found and "Application.MaterialsNoticeSent" in found


def test_aud04_the_timeline_filters_by_business_date_and_event_type(scene):
    march = timeline(scene, "institution:TY-H001", date_from=date(2025, 3, 1),
                     date_to=date(2025, 3, 31))
    assert [r.event for r in march.rows] == ["Agreement.Suspended"]
    assert all(date(2025, 3, 1) <= r.effective_on <= date(2025, 3, 31) for r in march.rows)
    only = timeline(scene, "person:P-ZHANG", types=["Suspended", "Institution.Registered"])
    assert sorted({r.event for r in only.rows}) == ["Agreement.Suspended",
                                                    "Institution.Registered"]
    whole = timeline(scene, "person:P-ZHANG", types=["application"])
    assert whole.rows and {r.aggregate for r in whole.rows} == {"Application"}


def test_aud04_an_unknown_subject_is_named():
    with pytest.raises(ValueError, match="institution:CODE"):
        Subject.parse("TY-H001")
    assert str(Subject.parse("Institution: TY-H001")) == "institution:TY-H001"


def test_aud04_unknown_keys_are_refused(scene):
    with pytest.raises(LookupError, match="unknown person"):
        timeline(scene, "person:NOBODY")


def test_aud04_the_csv_opens_cleanly_in_excel_with_chinese_text(scene, tmp_path):
    rows = timeline(scene, "institution:TY-H002").rows
    path = write_csv(rows, tmp_path / "h.csv")
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    read = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert [int(r["notification id"]) for r in read] == [r.notification_id for r in rows]
    assert "补正-2025-01" in {r["document"] for r in read}
    assert any("太原康宁医院" in r["summary"] for r in read)


def test_aud04_the_xlsx_reads_back_with_the_right_rows(scene, tmp_path):
    rows = timeline(scene, "person:P-ZHANG").rows
    path = write_xlsx(rows, tmp_path / "h.xlsx", about={"subject": "person:P-ZHANG"})
    wb = load_workbook(path)
    ws = wb["timeline"]
    header = [c.value for c in ws[1]]
    assert header == [h for _, h, _ in COLUMNS]
    assert all(c.font.bold for c in ws[1]) and ws.freeze_panes == "A2"
    assert ws.column_dimensions["L"].width == 70
    body = list(ws.iter_rows(min_row=2, values_only=True))
    assert len(body) == len(rows)
    col = {h: i for i, h in enumerate(header)}
    for got, want in zip(body, rows):
        assert got[col["notification id"]] == want.notification_id
        assert isinstance(got[col["business date"]], datetime)
        assert got[col["business date"]].date() == want.effective_on
        assert got[col["recorded (Asia/Shanghai)"]] == \
            want.recorded_shanghai.replace(tzinfo=None, microsecond=0)
        assert (got[col["event"]], got[col["user"]], got[col["role"]],
                got[col["command id"]]) == (want.event, want.user, want.role, want.command_id)
        assert (got[col["document"]] or "") == want.document
    assert ws.cell(row=2, column=col["business date"] + 1).number_format == "yyyy-mm-dd"
    assert wb["about"]["B1"].value == "person:P-ZHANG"


runner = CliRunner()


@pytest.fixture
def cli_db(store, monkeypatch):
    import adapters.cli_audit as audit
    from adapters import settings
    monkeypatch.setattr(audit, "open_ledger", lambda url=None, **kw: settings.open_ledger(url, store[1], **kw))
    return store[0]


def test_aud04_ledger_history_prints_and_exports_a_persons_timeline(scene, cli_db, tmp_path):
    csv_path, xlsx_path = tmp_path / "p.csv", tmp_path / "p.xlsx"
    result = runner.invoke(app, ["history", "--person", "P-ZHANG", "--csv", str(csv_path),
                                 "--xlsx", str(xlsx_path), "--db", cli_db])
    assert result.exit_code == 0, result.output
    assert "中止或暂停协议" in result.output and "TY-H002 (投资人)" in result.output
    assert csv_path.read_bytes().startswith(b"\xef\xbb\xbf")
    assert load_workbook(xlsx_path)["timeline"].max_row == \
        len(timeline(scene, "person:P-ZHANG").rows) + 1
    as_json = runner.invoke(app, ["history", "--agreement", AG, "--type", "Suspended",
                                  "--from", "2025-03-01", "--json", "--db", cli_db])
    rows = json.loads(as_json.output)["rows"]
    assert [r["event"] for r in rows] == ["Agreement.Suspended"]
    assert rows[0]["document"] == "暂停-2025-07" and rows[0]["rules"] == ["SUS-01", "SUS-04",
                                                                          "SUS-06"]
    both = runner.invoke(app, ["history", "--institution", "TY-H001", "--person", "P", "--db",
                               cli_db])
    assert both.exit_code == 2
    unknown = runner.invoke(app, ["history", "--institution", "NOPE", "--db", cli_db])
    assert unknown.exit_code == 1 and "unknown institution" in unknown.output


def test_recorded_instants_are_shown_in_china_time():
    assert SHANGHAI.utcoffset(datetime(2025, 7, 1)).total_seconds() == 8 * 3600
    assert event_type(type("X", (), {})()) == "X"


def test_aud04_a_page_of_the_timeline_is_that_slice_of_the_whole(scene):
    whole = timeline(scene, "institution:TY-H001")
    assert whole.total == len(whole.rows) > 6
    page = timeline(scene, "institution:TY-H001", limit=3, offset=2)
    assert page.rows == whole.rows[2:5] and page.total == whole.total
    assert page.event_ids == [r.notification_id for r in whole.rows[2:5]]
    assert timeline(scene, "institution:TY-H001", offset=len(whole.rows)).rows == []
    with pytest.raises(ValueError, match="not negative"):
        timeline(scene, "institution:TY-H001", limit=-1)


def test_aud04_a_summary_abridges_exactly_as_the_whole_json_would():
    """``_short`` writes an object or array item by item and stops once it is
    longer than its width: the same text as writing it all, at every length
    around the width (a claim's items are abridged without writing them)."""
    import json
    from decimal import Decimal

    from adapters.timeline import _short

    def whole(value, width=60):
        if isinstance(value, dict):
            text = json.dumps(value, ensure_ascii=False, default=str, sort_keys=True)
            text = text if len(text) <= width else f"{{{len(value)} fields}}"
        elif all(isinstance(v, (str, int, Decimal)) for v in value):
            text = "[" + ", ".join(str(v) for v in value) + "]"
            text = text if len(text) <= width else f"[{len(value)} item{'' if len(value) == 1 else 's'}]"
        else:
            text = json.dumps(value, ensure_ascii=False, default=str)
            text = text if len(text) <= width else f"[{len(value)} item{'' if len(value) == 1 else 's'}]"
        return text if len(text) <= width else text[: width - 1] + "…"
    for n in range(0, 12):
        for value in ({f"k{i}": "x" * n for i in range(3)}, {"b": [1, {"z": n, "a": "é"}], "a": n},
                      ["y" * n, "z"], [{"item": "x" * n, "amount": Decimal("1.50")}] * 2,
                      [date(2025, 1, n + 1)] * 4, ["中" * n] * 3, [Decimal("10.0")] * n, []):
            for width in (20, 40, 60):
                assert _short(value, width) == whole(value, width), (value, width)
