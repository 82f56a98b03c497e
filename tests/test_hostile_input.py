"""Hostile and careless input never harms the ledger (issue #12).

Each case is one command line as a careless or hostile user might write it,
run through ``ledger run --keep-going --json`` on a store that already holds
an institution with an agreement in force, on SQLite and on PostgreSQL. A
refusal must name the field (where there is one), the reason and what would
be valid, exit as documented (1 for a rejected line, 2 for a file or an
option that cannot be used), print no traceback, and leave every table of
the store -- events, hash chain, read models -- exactly as it was. The
templates the cases are made from are themselves accepted (last test), so a
refusal here is the hostile part's doing.
"""
from __future__ import annotations

import json
import uuid
from datetime import timedelta

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from adapters import settings
from adapters.boundary import (CODE_CHARS_MAX, DEPTH_MAX, FILE_BYTES_MAX, HORIZON_DAYS,
                               LINE_BYTES_MAX, NAME_CHARS_MAX, TEXT_CHARS_MAX)
from domain.calendar import today_in_china
from tests.builders import effective_agreement, facts
from tests.conftest import Clerk, _postgres_schema

runner = CliRunner()
OFFICER = {"user": "li.na", "role": "case_officer"}
TODAY = today_in_china()


def _facts_json():
    return json.loads(json.dumps(facts(), default=str))


def reg(code="TY-H900", **over):
    """A registration that is accepted as given."""
    cmd = {"id": f"reg-{code}", "command": "register_institution", "date": "2025-03-03",
           "actor": dict(OFFICER), "document": "晋工伤登〔2025〕9号",
           "fields": {"code": code, "name": "太原市第九人民医院", "kind": "medical",
                      "agency": "TY", "facts": _facts_json(),
                      "people": [{"person_id": "P-900", "name": "王九",
                                  "role": "legal_representative"}]}}
    return _merge(cmd, over)


def claim(*amounts, **over):
    """A February claim on the agreement in force, accepted as given."""
    amounts = amounts or ("18650.40", "312.55")
    cmd = {"id": "clm-1", "command": "submit_claim", "date": "2025-03-03",
           "actor": {"user": "zhao.fin", "role": "finance"},
           "fields": {"agreement": "XY-2025-001", "month": "2025-02", "items": [
               {"item_id": f"JS-{i:03d}", "amount": a, "service_date": "2025-02-10",
                "injury": True, "description": "工伤住院"} for i, a in enumerate(amounts, 1)]}}
    return _merge(cmd, over)


def _merge(cmd, over):
    for path, value in over.items():
        *parents, leaf = path.split("__")
        node = cmd
        for p in parents:
            node = node[int(p)] if isinstance(node, list) else node[p]
        if isinstance(node, list):
            node[int(leaf)] = value
        elif value is _DROP:
            del node[leaf]
        else:
            node[leaf] = value
    return cmd


_DROP = object()
J = lambda cmd: json.dumps(cmd, ensure_ascii=False)   # noqa: E731
B = lambda text: text.encode("utf-8")                # noqa: E731


def nested(depth):
    value = "x"
    for _ in range(depth):
        value = [value]
    return value


# (class, case id, the line's bytes, the field the refusal must name or None, words it says)
CASES = [
    # --- malformed JSON ---------------------------------------------------------
    ("json", "truncated", B(J(reg())[:-7]), None, "not a JSON object"),
    ("json", "trailing-comma", B(J(reg())[:-1] + ",}"), None, "not a JSON object"),
    ("json", "single-quotes", B(J(reg()).replace('"', "'")), None, "not a JSON object"),
    ("json", "array", B("[" + J(reg()) + "]"), None, "a command is a JSON object"),
    ("json", "string", B('"register_institution"'), None, "a command is a JSON object"),
    ("json", "null", B("null"), None, "a command is a JSON object"),
    ("json", "empty-object", B("{}"), "id", "Field required"),
    ("json", "two-objects", B(J(reg()) + J(reg("TY-H901"))), None, "not a JSON object"),
    ("json", "js-comment", B("// " + J(reg())), None, "not a JSON object"),
    # --- encodings ----------------------------------------------------------------
    ("encoding", "gbk", J(reg()).encode("gbk"), None, "not UTF-8"),
    ("encoding", "latin1-byte", B(J(reg())).replace("第九".encode(), b"\xe9"), None,
     "not UTF-8"),
    ("encoding", "utf16", J(reg()).encode("utf-16"), None, "not UTF-8"),
    ("encoding", "overlong-slash", B(J(reg())).replace(b"TY-H900", b"TY\xc0\xafH900"), None,
     "not UTF-8"),
    ("encoding", "lone-surrogate", B(J(reg()).replace("王九", "\\ud800")),
     "fields.people.0.name", "surrogate"),
    ("encoding", "nul-byte", B(J(reg())).replace(b"\xe7\x8e\x8b", b"\x00"), None,
     "not a JSON object"),
    # --- nesting --------------------------------------------------------------------
    ("nesting", "depth-beyond-limit", B(J(reg(fields__facts__address=nested(DEPTH_MAX)))),
     None, "nested deeper"),
    ("nesting", "depth-100k", B('{"id": "n", "x": ' + "[" * 100_000 + "]" * 100_000 + "}"),
     None, "nested deeper"),
    ("nesting", "object-as-id", B(J(reg(id={"a": {"b": 1}}))), "id", "string"),
    # --- sizes ----------------------------------------------------------------------
    ("size", "line-over-limit", B(J(reg(fields__facts__address="院" * (LINE_BYTES_MAX // 3)))),
     None, "bytes, more than"),
    ("size", "text-over-limit", B(J(reg(fields__facts__address="x" * (TEXT_CHARS_MAX + 1)))),
     None, "characters, more than"),
    ("size", "name-over-limit", B(J(reg(fields__name="院" * (NAME_CHARS_MAX + 1)))),
     "fields.name", "at most"),
    ("size", "code-over-limit", B(J(reg(fields__code="H" * (CODE_CHARS_MAX + 1)))),
     "fields.code", "at most"),
    ("size", "id-over-limit", B(J(reg(id="c" * (CODE_CHARS_MAX + 1)))), "id", "at most"),
    ("size", "ten-megabytes", B(J(reg(document="x" * 10_000_000))), None, "bytes, more than"),
    ("size", "empty-name", B(J(reg(fields__name=""))), "fields.name", "at least 1"),
    # --- control and direction characters -----------------------------------------------
    ("control", "newline-in-id", B(J(reg(id="c1\nTY-H001 forged line"))), "id", "U+000A"),
    ("control", "escape-in-name", B(J(reg(fields__name="医院\x1b[2J\x1b[31m"))),
     None, "U+001B"),
    ("control", "nul-in-reason", B(J(reg(fields__facts__address="太原\x00市"))), None,
     "U+0000"),
    ("control", "bidi-override-in-code", B(J(reg(fields__code="TY-\u202eH900"))), None,
     "U+202E"),
    ("control", "bidi-isolate-in-name", B(J(reg(fields__name="\u2067医院\u2069"))), None,
     "U+2067"),
    ("control", "zero-width-in-code", B(J(reg(fields__code="TY-H9\u200b00"))),
     "fields.code", "invisible"),
    ("control", "carriage-return-in-document", B(J(reg(document="晋\r工伤"))), "document",
     "U+000D"),
    ("control", "tab-in-id", B(J(reg(id="c\t1"))), None, "U+0009"),
    ("control", "delete-in-name", B(J(reg(fields__name="医\x7f院"))), None, "U+007F"),
    ("control", "c1-next-line-in-code", B(J(reg(fields__code="TY\x85H900"))), None,
     "U+0085"),
    ("control", "line-separator-in-code", B(J(reg(fields__code="TY\u2028H900"))),
     "fields.code", "line break"),
    ("control", "escape-in-key", B(J(reg()).replace('"kind"', '"ki\\u001bnd"')), None,
     "key"),
    # --- numbers ------------------------------------------------------------------------
    ("number", "nan", B(J(reg()).replace('"beds": 1200', '"beds": NaN')), None,
     "not a number"),
    ("number", "infinity", B(J(reg()).replace('"beds": 1200', '"beds": Infinity')), None,
     "not a number"),
    ("number", "minus-infinity", B(J(reg()).replace('"beds": 1200', '"beds": -Infinity')),
     None, "not a number"),
    ("number", "float-overflow", B(J(reg()).replace('"beds": 1200', '"beds": 1e400')), None,
     "digits"),
    ("number", "sixteen-digit-count", B(J(reg()).replace('"beds": 1200',
                                                         '"beds": 1234567890123456')),
     None, "digits"),
    ("number", "count-beyond-bound", B(J(reg()).replace('"beds": 1200', '"beds": 1000001')),
     "fields.facts.beds", "less than or equal"),
    ("number", "float-for-count", B(J(reg()).replace('"beds": 1200', '"beds": 1200.0')),
     "fields.facts.beds", "integer"),
    ("number", "string-for-count", B(J(reg()).replace('"beds": 1200', '"beds": "1200"')),
     "fields.facts.beds", "integer"),
    ("number", "bool-for-count", B(J(reg()).replace('"beds": 1200', '"beds": true')),
     "fields.facts.beds", "integer"),
    ("number", "negative-count", B(J(reg()).replace('"beds": 1200', '"beds": -1')),
     "fields.facts.beds", "greater than or equal"),
    ("number", "int-for-bool", B(J(reg()).replace('"non_profit": true', '"non_profit": 1')),
     "fields.facts.non_profit", "boolean"),
    ("number", "string-for-bool", B(J(reg()).replace('"non_profit": true',
                                                     '"non_profit": "yes"')),
     "fields.facts.non_profit", "boolean"),
    ("number", "level-beyond-three", B(J(reg()).replace('"level": 3', '"level": 4')),
     "fields.facts.level", "less than or equal"),
    # --- money ---------------------------------------------------------------------------
    ("money", "twenty-one-digits", B(J(claim("999999999999999999999.00"))),
     "fields.items.0.amount", "beyond the limit"),
    ("money", "json-int-10e30", B(J(claim("1")).replace('"amount": "1"',
                                                        '"amount": ' + "1" + "0" * 30)),
     None, "digits"),
    ("money", "int64-overflow-yuan", B(J(claim("1")).replace('"amount": "1"',
                                                             '"amount": 92233720368547758')),
     None, "digits"),
    ("money", "one-fen-above-limit", B(J(claim("100000000.01"))), "fields.items.0.amount",
     "beyond the limit"),
    ("money", "int-yuan-above-limit", B(J(claim("1")).replace('"amount": "1"',
                                                              '"amount": 100000001')),
     "fields.items.0.amount", "beyond the limit"),
    ("money", "claim-total-above-limit", B(J(claim(*["100000000.00"] * 11))), None,
     "[PAY-10]"),
    ("money", "commas-anywhere", B(J(claim("1,2,3"))), "fields.items.0.amount",
     "not a yuan amount"),
    ("money", "misplaced-separator", B(J(claim("12,34.00"))), "fields.items.0.amount",
     "not a yuan amount"),
    ("money", "full-width-digits", B(J(claim("１００"))), "fields.items.0.amount",
     "not a yuan amount"),
    ("money", "arabic-indic-digits", B(J(claim("١٠٠"))), "fields.items.0.amount",
     "not a yuan amount"),
    ("money", "three-decimals", B(J(claim("12.345"))), "fields.items.0.amount",
     "not a yuan amount"),
    ("money", "two-points", B(J(claim("1.2.3"))), "fields.items.0.amount",
     "not a yuan amount"),
    ("money", "exponent", B(J(claim("1e3"))), "fields.items.0.amount", "not a yuan amount"),
    ("money", "currency-sign", B(J(claim("¥100"))), "fields.items.0.amount",
     "not a yuan amount"),
    ("money", "float", B(J(claim("1")).replace('"amount": "1"', '"amount": 12.5')),
     "fields.items.0.amount", "not a float"),
    ("money", "negative", B(J(claim("-5.00"))), None, "[PAY-10]"),
    ("money", "zero", B(J(claim("0.00"))), None, "[PAY-10]"),
    ("money", "blank", B(J(claim(" "))), "fields.items.0.amount", "not a yuan amount"),
    # --- dates and horizons -----------------------------------------------------------------
    ("date", "no-leading-zeros", B(J(reg(date="2025-3-3"))), "date", "YYYY-MM-DD"),
    ("date", "slashes", B(J(reg(date="2025/03/03"))), "date", "YYYY-MM-DD"),
    ("date", "compact", B(J(reg(date="20250303"))), "date", "YYYY-MM-DD"),
    ("date", "unix-timestamp", B(J(reg(date=1740960000))), "date", "YYYY-MM-DD"),
    ("date", "datetime", B(J(reg(date="2025-03-03T00:00:00"))), "date", "YYYY-MM-DD"),
    ("date", "datetime-with-zone", B(J(reg(date="2025-03-03T08:00:00+08:00"))), "date",
     "YYYY-MM-DD"),
    ("date", "thirtieth-of-february", B(J(reg(date="2025-02-30"))), "date",
     "not a calendar date"),
    ("date", "year-one", B(J(reg(date="0001-01-01"))), "date", "outside"),
    ("date", "year-9999", B(J(reg(date="9999-12-31"))), "date", "outside"),
    ("date", "day-before-the-measures", B(J(reg(date="2022-08-07"))), "date", "outside"),
    ("date", "one-day-past-the-horizon",
     B(J(reg(date=str(TODAY + timedelta(days=HORIZON_DAYS + 1))))), "date", "outside"),
    ("date", "tick-to-9999", B(J({"id": "t9999", "command": "tick", "date": "2025-03-03",
                                  "actor": {"user": "ledger-clock", "role": "system"},
                                  "fields": {"to": "9999-12-31"}})), "fields.to", "outside"),
    ("date", "field-date-before-1900",
     B(J(reg()).replace('"licence_date": "2010-05-01"', '"licence_date": "1899-12-31"')),
     "fields.facts.licence_date", "outside"),
    ("date", "field-date-as-number",
     B(J(reg()).replace('"licence_date": "2010-05-01"', '"licence_date": 20100501')),
     "fields.facts.licence_date", "YYYY-MM-DD"),
    ("date", "service-date-datetime", B(J(claim(**{"fields__items__0__service_date":
                                                  "2025-02-10T00:00:00"}))),
     "fields.items.0.service_date", "YYYY-MM-DD"),
    ("date", "month-full-width", B(J(claim(fields__month="２０２５-02"))), "fields.month",
     "pattern"),
    # --- ids and codes -------------------------------------------------------------------------
    ("id", "empty-id", B(J(reg(id=""))), "id", "at least 1"),
    ("id", "blank-id", B(J(reg(id="   "))), "id", "at least 1"),
    ("id", "numeric-id", B(J(reg(id=123))), "id", "string"),
    ("id", "null-id", B(J(reg(id=None))), "id", "string"),
    ("id", "missing-id", B(J(reg(id=_DROP))), "id", "Field required"),
    ("id", "newline-in-agreement", B(J(claim(fields__agreement="XY-2025-001\nXY-2025-002"))),
     "fields.agreement", "U+000A"),
    ("id", "nbsp-in-code", B(J(reg(fields__code="TY\u00a0H900"))), "fields.code",
     "invisible"),
    # --- duplicate keys ------------------------------------------------------------------------
    ("duplicate", "id-twice", B(J(reg())[:-1] + ', "id": "other"}'), None, "given twice"),
    ("duplicate", "date-twice", B(J(reg()).replace('"date": "2025-03-03"',
                                                    '"date": "2025-03-03", "date": "2025-01-01"')),
     None, "given twice"),
    ("duplicate", "field-twice", B(J(reg()).replace('"kind": "medical"',
                                                     '"kind": "medical", "kind": "rehab"')),
     None, "given twice"),
    ("duplicate", "role-twice", B(J(reg()).replace('"role": "case_officer"',
                                                    '"role": "case_officer", '
                                                    '"role": "administrator"')),
     None, "given twice"),
    ("duplicate", "amount-twice-in-an-item", B(J(claim()).replace(
        '"amount": "18650.40"', '"amount": "18650.40", "amount": "1.00"')), None,
     "given twice"),
    # --- roles ----------------------------------------------------------------------------------
    ("role", "unknown-role", B(J(reg(actor={"user": "li.na", "role": "admin"}))),
     "actor.role", "case_officer"),
    ("role", "role-in-capitals", B(J(reg(actor={"user": "li.na", "role": "Case_Officer"}))),
     "actor.role", "case_officer"),
    ("role", "role-as-list", B(J(reg(actor={"user": "li.na", "role": ["case_officer"]}))),
     "actor.role", "case_officer"),
    ("role", "missing-actor", B(J(reg(actor=_DROP))), "actor", "Field required"),
    ("role", "empty-user", B(J(reg(actor={"user": "", "role": "case_officer"}))),
     "actor.user", "at least 1"),
    ("role", "newline-in-user", B(J(reg(actor={"user": "li.na\nadministrator",
                                               "role": "case_officer"}))), None, "U+000A"),
    ("role", "auditor-records", B(J(reg(actor={"user": "sun.aud", "role": "auditor"}))),
     None, "reads the ledger and records nothing"),
    ("role", "evaluator-registers", B(J(reg(actor={"user": "qian.ev", "role": "evaluator"}))),
     None, "an evaluator records evaluations"),
    ("role", "finance-registers", B(J(reg(actor={"user": "zhao.fin", "role": "finance"}))),
     None, "finance staff record claims and money"),
    ("role", "system-registers", B(J(reg(actor={"user": "ledger-clock", "role": "system"}))),
     None, "only lets time pass"),
    # --- unknown names ---------------------------------------------------------------------------
    ("unknown", "mistyped-command", B(J(reg(command="register_institutoin"))), "command",
     "did you mean register_institution"),
    ("unknown", "unknown-command", B(J(reg(command="drop_table"))), "command",
     "unknown command"),
    ("unknown", "unknown-field", B(J(reg(fields__colour="red"))), "fields.colour",
     "not a field of this command"),
    ("unknown", "unknown-envelope-key", B(J(reg(priority="high"))), "priority",
     "not a field of this command"),
    ("unknown", "unknown-kind", B(J(reg(fields__kind="spa"))), "fields.kind", "medical"),
    ("unknown", "unknown-institution", B(J(claim(fields__agreement="XY-NOPE"))), None,
     "unknown agreement"),
    ("unknown", "unknown-fact-in-amendment", B(J({
        "id": "am1", "command": "amend_institution", "date": "2025-03-03", "actor": OFFICER,
        "fields": {"institution": "TY-H001", "changes": {"levle": 2}}})),
     "fields.changes", "not an F1 fact"),
    ("unknown", "amendment-beyond-bound", B(J({
        "id": "am2", "command": "amend_institution", "date": "2025-03-03", "actor": OFFICER,
        "fields": {"institution": "TY-H001", "changes": {"level": 9}}})),
     "fields.changes.level", "less than or equal"),
]


def _case_id(case):
    return f"{case[0]}-{case[1]}"


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def hostile_store(request, tmp_path_factory):
    """A store with TY-H001 and its agreement XY-2025-001 in force for 2025."""
    if request.param == "sqlite":
        url, schema, engine = f"sqlite:///{tmp_path_factory.mktemp('h') / 'l.sqlite'}", None, None
    else:
        engine, schema = _postgres_schema()
        url = settings.database_url("postgresql+psycopg2://postgres@127.0.0.1:5432/test")
    ledger = settings.open_ledger(url, schema)
    try:
        effective_agreement(Clerk(ledger))
    finally:
        ledger.close()
    with pytest.MonkeyPatch.context() as mp:
        import adapters.cli as cli
        mp.setattr(cli, "open_ledger",
                   lambda u=None, **kw: settings.open_ledger(u, schema, **kw))
        # bring the read models up to date, so the snapshot holds them too
        assert runner.invoke(cli.app, ["status", "--on", "2025-03-01", "--db", url]
                             ).exit_code == 0
        yield url, schema
    if engine is not None:
        with engine.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        engine.dispose()


def snapshot(url, schema):
    """Every row of every table of the store, in a stable order."""
    engine = sa.create_engine(url)
    try:
        names = sa.inspect(engine).get_table_names(schema=schema)
        prefix = f'"{schema}".' if schema else ""
        with engine.connect() as conn:   # the driver's own values: no type processing
            return {name: sorted(repr(tuple(bytes(v) if isinstance(v, memoryview) else v
                                            for v in row))
                                 for row in conn.exec_driver_sql(
                                     f'SELECT * FROM {prefix}"{name}"').fetchall())
                    for name in sorted(names)}
    finally:
        engine.dispose()


def run_bytes(tmp_path, url, data: bytes, *extra):
    from adapters.cli import app
    path = tmp_path / f"{uuid.uuid4().hex[:8]}.jsonl"
    path.write_bytes(data + b"\n")
    return runner.invoke(app, ["run", str(path), "--db", url, "--keep-going", "--json", *extra])


def assert_clean(result, *codes):
    assert isinstance(result.exception, SystemExit) or result.exception is None, \
        f"uncaught {result.exception!r}"
    assert "Traceback" not in result.output
    assert result.exit_code in codes, result.output


@pytest.mark.parametrize("case", CASES, ids=_case_id)
def test_hostile_line_is_refused_with_field_reason_and_remedy_and_changes_nothing(
        hostile_store, tmp_path, case):
    _, _, data, field, words = case
    url, schema = hostile_store
    before = snapshot(url, schema)
    result = run_bytes(tmp_path, url, data)
    assert_clean(result, 1)
    lines = [json.loads(x) for x in result.output.splitlines() if x.strip()]
    assert len(lines) == 1 and "rejected" in lines[0], result.output
    rejected = lines[0]["rejected"]
    said = (f"[{rejected['rule']}] " if rejected["rule"] else "") + \
        f"{rejected['reason']} {rejected['remedy']}"
    assert words in said, said
    assert rejected["remedy"], "a refusal says what would make the line valid"
    if field is not None:
        assert rejected["field"] == field, rejected
    assert lines[0]["line"].endswith(":1")
    assert snapshot(url, schema) == before, "a refused line changed the store"


def test_hostile_suite_covers_twelve_classes_and_eighty_cases():
    classes = {c[0] for c in CASES}
    assert len(CASES) >= 80 and len(classes) >= 12, (len(CASES), sorted(classes))


def test_one_unreadable_line_is_refused_on_its_own_and_the_others_are_judged(
        hostile_store, tmp_path):
    url, schema = hostile_store
    good = reg("TY-H950", id="reg-mixed")
    data = b"\n".join([J(reg(id="gbk-line")).encode("gbk"), B("{broken"),
                       B("[" * 50_000), B(J(good))])
    result = run_bytes(tmp_path, url, data)
    assert_clean(result, 1)
    out = [json.loads(x) for x in result.output.splitlines() if x.strip()]
    assert [o["line"].rsplit(":", 1)[1] for o in out] == ["1", "2", "3", "4"]
    assert [("rejected" in o) for o in out] == [True, True, True, False]
    assert "GBK" in out[0]["rejected"]["reason"]
    assert out[3]["recorded"] is True


def test_without_keep_going_the_first_rejection_stops_the_file(hostile_store, tmp_path):
    from adapters.cli import app
    url, schema = hostile_store
    before = snapshot(url, schema)
    path = tmp_path / "stop.jsonl"
    path.write_bytes(b"\xff\xfe\n" + B(J(reg("TY-H951", id="never-applied"))) + b"\n")
    result = runner.invoke(app, ["run", str(path), "--db", url])
    assert_clean(result, 1)
    assert "stop.jsonl:1 被拒绝" in result.output and "never-applied" not in result.output
    assert snapshot(url, schema) == before


@pytest.mark.parametrize("kind", ["missing", "folder", "too-large"])
def test_a_command_file_that_cannot_be_used_exits_2_and_applies_nothing(
        hostile_store, tmp_path, kind):
    from adapters.cli import app
    url, schema = hostile_store
    good = tmp_path / "good.jsonl"
    good.write_text(J(reg("TY-H952", id="not-before-the-bad-file")) + "\n", encoding="utf-8")
    bad = tmp_path / "bad.jsonl"
    if kind == "folder":
        bad.mkdir()
    elif kind == "too-large":
        with bad.open("wb") as f:     # sparse: no disk is spent on it
            f.truncate(FILE_BYTES_MAX + 1)
    before = snapshot(url, schema)
    result = runner.invoke(app, ["run", str(good), str(bad), "--db", url])
    assert_clean(result, 2)
    assert "bad.jsonl" in result.output
    assert snapshot(url, schema) == before


def test_output_never_echoes_a_control_character_from_the_store(hostile_store, tmp_path):
    """Text recorded before these limits (or by another path) is shown
    escaped, so it cannot forge a line or drive the terminal."""
    from adapters.boundary import printable
    assert printable("a\nb\x1b[2J\u202e") == "a\\u000ab\\u001b[2J\\u202e"
    assert printable("太原市第九人民医院") == "太原市第九人民医院"


def test_the_templates_are_accepted_as_given(store, tmp_path, monkeypatch):
    """Proof that the cases above are refused for what was done to them."""
    import adapters.cli as cli
    url, schema = store
    monkeypatch.setattr(cli, "open_ledger",
                        lambda u=None, **kw: settings.open_ledger(u, schema, **kw))
    ledger = settings.open_ledger(url, schema)
    try:
        effective_agreement(Clerk(ledger))
    finally:
        ledger.close()
    horizon = str(TODAY + timedelta(days=HORIZON_DAYS))
    lines = [reg(), claim(), claim("100000000.00", id="clm-limit",
                                   fields__month="2025-03",
                                   fields__items__0__service_date="2025-03-10",
                                   date="2025-04-02"),
             reg("TY-H901", id="reg-first-day", date="2022-08-08"),
             reg("TY-H902", id="reg-horizon", date=horizon)]
    result = run_bytes(tmp_path, url, b"\n".join(B(J(x)) for x in lines))
    assert_clean(result, 0)
    out = [json.loads(x) for x in result.output.splitlines()]
    assert all(o.get("recorded") for o in out), result.output


@pytest.mark.parametrize("args, words", [
    (["status", "--on", "2025-13-01"], "--on"),
    (["status", "--on", "2025/03/01"], "YYYY-MM-DD"),
    (["status", "--on", "2025-03-01", "--known-at", "2025-03-01T00:00:00"], "timezone"),
    (["status", "--on", "2025-03-01", "--known-at", "yesterday"], "ISO instant"),
    (["tick", "--to", "9999-12-31"], "不在 2022-08-08 至"),   # the business window, in Chinese
    (["positions", "--as-of", "1740960000"], "YYYY-MM-DD"),
])
def test_a_bad_option_exits_2_with_one_clear_line_and_changes_nothing(
        hostile_store, args, words):
    from adapters.cli import app
    url, schema = hostile_store
    before = snapshot(url, schema)
    result = runner.invoke(app, [*args, "--db", url])
    assert_clean(result, 2)
    assert words in result.output, result.output
    assert snapshot(url, schema) == before
