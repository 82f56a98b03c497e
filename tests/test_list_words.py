"""The deadlines list's "what" and the status list's "why" in the reader's
language (issue #17): Chinese by default, English with --lang en, while
JSON keeps the English text the read models store (adapters/list_words.py
reads that text back by the projections' own shapes)."""
from __future__ import annotations

import csv
import io
import json
import re
from datetime import date

import pytest
from typer.testing import CliRunner

from adapters.cli import app
from adapters.labels import catalogue, said
from adapters.list_words import Told, quoted, said_what, said_why
from adapters.settings import open_ledger
from projections.deadline_words import QUOTED, WHAT, WHY
from tests.conftest import Clerk
from tests.replay_fixture import scenario

# an English word: three or more lower-case letters on their own (codes such
# as XY-A, M39-6 or SQ-TY-H001 are not words)
ENGLISH = re.compile(r"(?<![A-Za-z_-])[a-z]{3,}(?![A-Za-z_-])")
SAMPLE = {"missing": "fund_use_forecast, licences", "days": "3", "by": "institution",
          "change": "name", "approved_on": "2025-02-10", "reported_on": "2025-03-25",
          "due": "2025-03-24", "kind": "may terminate", "ground": "M39-6",
          "reason": "second agency-imposed suspension in this term", "request": "SM-1",
          "question": "说明不在院患者", "article": "M 39(6)", "until": "2025-01-08",
          "start": "2025-03-15", "resume_by": "2025-09-10", "planned_end": "2025-06-14",
          "since": "2025-01-09", "report": "检-1", "objection": "异-1"}
runner = CliRunner()


def test_the_catalogues_english_is_the_projections_own_text():
    """One set of shapes: the catalogue's English of each is what the
    projection writes, so a stored text reads back as its own words."""
    for family, shapes in (("what", WHAT), ("why", WHY), ("quoted", QUOTED)):
        for key, template in shapes.items():
            assert catalogue()[f"list_words.{family}.{key}"]["en"] == template


@pytest.mark.parametrize("family,shapes,read", [("what", WHAT, said_what),
                                                ("why", WHY, said_why),
                                                ("quoted", QUOTED, quoted)])
def test_every_shape_reads_back_unchanged_and_says_itself_in_chinese(family, shapes, read):
    for key, template in shapes.items():
        text = template.format(**SAMPLE)
        told = read(text)
        assert isinstance(told, Told) and told.key == f"list_words.{family}.{key}", text
        assert str(told) == text and json.dumps(told) == json.dumps(text)
        assert said(told, "en") == text
        zh = said(told, "zh")
        assert not ENGLISH.findall(zh), (key, zh)


def test_a_text_of_no_known_shape_is_said_as_it_is():
    assert said_what("记录的说明") == "记录的说明" and not isinstance(said_what("x y"), Told)
    assert said(said_why("objection 异-1 upheld: 理由不成立"), "zh") == "异议 异-1 成立：理由不成立"


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    """The replay scenario: changes reported late and never, suspensions of
    each kind, endings and their reversal, on SQLite."""
    path = tmp_path_factory.mktemp("words") / "words.sqlite"
    ledger = open_ledger(f"sqlite:///{path}")
    try:
        scenario(Clerk(ledger))
    finally:
        ledger.close()
    return str(path)


def ask(db, *args, lang=None):
    result = runner.invoke(app, [*(["--lang", lang] if lang else []), *args, "--db", db],
                           env={"COLUMNS": "200", "LEDGER_PROGRESS": "never"})
    assert result.exit_code == 0, result.output
    return result


def csv_column(db, tmp_path, args, header_key, lang=None):
    path = tmp_path / "list.csv"
    ask(db, *args, "--csv", str(path), lang=lang)
    read = list(csv.reader(io.StringIO(path.read_text("utf-8-sig"), newline="")))
    at = read[0].index(catalogue()[header_key][lang or "zh"])
    return [r[at] for r in read[1:]]


DAYS = ("2025-03-01", "2025-05-10", "2025-06-20", "2025-11-05")


@pytest.mark.parametrize("day", DAYS)
def test_the_deadlines_what_is_chinese_in_the_table_and_files_and_english_in_json(
        db, tmp_path, day):
    args = ["deadlines", "--on", day]
    rows = json.loads(ask(db, *args, "--json").output)
    assert rows and all(not isinstance(r["what"], Told) for r in rows)
    assert any(ENGLISH.findall(r["what"]) for r in rows)      # JSON keeps the English
    zh = csv_column(db, tmp_path, args, "column.what")
    assert len(zh) == len(rows)
    assert [w for w in zh if ENGLISH.findall(w)] == []
    en = csv_column(db, tmp_path, args, "column.what", lang="en")
    assert en == [r["what"] for r in rows]
    table = ask(db, *args).output
    assert not any(ENGLISH.search(r["what"]) and r["what"][:12] in table for r in rows)


@pytest.mark.parametrize("day", DAYS)
def test_the_status_why_is_chinese_in_the_table_and_files_and_english_in_json(
        db, tmp_path, day):
    args = ["status", "--on", day]
    rows = json.loads(ask(db, *args, "--json").output)
    assert rows and any(ENGLISH.findall(r["why"]) for r in rows)
    zh = csv_column(db, tmp_path, args, "column.why")
    assert [w for w in zh if ENGLISH.findall(w)] == []
    en = csv_column(db, tmp_path, args, "column.why", lang="en")
    assert en == [r["why"] for r in rows]


def test_status_rows_read_back_say_every_why_in_chinese(db):
    """What the status list needs of its read model: every why it stores
    reads back in Chinese."""
    from adapters.readmodels import catch_up, log_position, status_as_of, view_for
    ledger = open_ledger(f"sqlite:///{db}")
    try:
        catch_up(ledger)
        view = view_for(ledger)
        for day in DAYS:
            rows = status_as_of(view, date.fromisoformat(day), log_position(view, None))
            assert rows
            for r in rows:
                assert not ENGLISH.findall(said(said_why(r["why"]), "zh")), r["why"]
    finally:
        ledger.close()
