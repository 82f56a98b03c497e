"""What verify-case finds (AUD-05) and why an institution's agreements are as
they are, said in the reader's language (issue #17): Chinese for people,
while the report's text, its JSON and ``ledger institution --json`` keep the
English they had (scripts and tests compare it)."""
from __future__ import annotations

import json
import re
import string

import pytest
from typer.testing import CliRunner

from adapters import integrity as I
from adapters.casefile import export_case, verify_case
from adapters.cli import app
from adapters.labels import Said, catalogue
from adapters.list_words import said_why
from tests.audit_scenario import AG, sisters

runner = CliRunner()
# terms the Chinese keeps as they are (as the integrity words do)
TERMS = ("Merkle", "UTF-8", "JSON")
OK_EN = ("OK: case file for {subject} verifies offline: {events} event(s) reproduce their "
         "leaves and reach the signed checkpoint root; both signatures and every part's hash "
         "verify (key {fingerprint}).")


@pytest.fixture
def case(ledger, clerk, tmp_path):
    sisters(clerk)
    path = tmp_path / "TY-H001.case.json"
    export_case(ledger, "institution:TY-H001", path, I.generate_key())
    return path


def english_left(text: str, *codes: str) -> list[str]:
    """Latin words in ``text`` once the codes, ids and terms it quotes are taken out."""
    for code in sorted((*codes, *TERMS), key=len, reverse=True):
        text = text.replace(code, "")
    return re.findall(r"[A-Za-z]{2,}", text)


def test_aud05_a_good_case_files_report_is_chinese_and_its_text_the_english_it_was(case):
    report = verify_case(case)
    assert report.ok and isinstance(report.message(), Said)
    assert report.message() == OK_EN.format(subject=report.subject, events=report.events,
                                            fingerprint=report.fingerprint)
    assert report.message().say("en") == report.message()
    zh = report.message().say("zh")
    assert zh.startswith("通过") and english_left(zh, report.subject, report.fingerprint) == []


def test_aud05_a_tampered_case_files_report_is_chinese_and_its_text_the_english_it_was(case):
    raw = case.read_text(encoding="utf-8")
    at = raw.index('"agency": "', raw.index('"projections"')) + len('"agency": "')
    case.write_text(raw[:at] + "X" + raw[at + 1:], encoding="utf-8")
    report = verify_case(case)
    assert not report.ok and all(isinstance(f, Said) for f in report.failures)
    assert report.message() == "FAILED: " + "\n  ".join(["case file does not verify:",
                                                          *report.failures])
    assert "part 'projections' does not match the manifest's hash: the projections were " \
           "edited" in report.failures
    assert report.message().say("en") == report.message()
    zh = report.message().say("zh")
    assert zh.startswith("未通过") and zh.count("\n  ") == len(report.failures)
    assert english_left(zh, "'projections'", "projections") == []
    assert json.loads(json.dumps(report.failures)) == [str(f) for f in report.failures]


@pytest.mark.parametrize("content, en", [
    (b"\xff", "the case file is not UTF-8 text (byte 0): it was edited or damaged"),
    (b"{", "the case file is not valid JSON (line 1, column 2): it was edited or damaged"),
    (b'{"format": "x"}', "not a ledger case file (format x)"),
])
def test_aud05_a_file_that_is_no_case_file_is_refused_in_both_languages(tmp_path, content, en):
    path = tmp_path / "bad.json"
    path.write_bytes(content)
    report = verify_case(path)
    assert report.failures == [en]
    zh = report.message().say("zh")
    assert zh.startswith("未通过") and english_left(zh, "UTF-8", "JSON", "(format x)") == [], zh


@pytest.mark.parametrize("key", sorted(k for k in catalogue() if k.startswith("casefile.")))
def test_every_case_file_word_has_chinese_with_the_same_values_as_its_english(key):
    names = lambda text: {f for _, f, _, _ in string.Formatter().parse(text) if f}  # noqa: E731
    words = catalogue()[key]
    assert words["zh"] and names(words["zh"]) == names(words["en"])


@pytest.fixture
def institution_db(store, ledger, clerk, monkeypatch):
    import adapters.cli as cli
    from adapters import settings
    sisters(clerk)
    monkeypatch.setattr(cli, "open_ledger",
                        lambda url=None, **kw: settings.open_ledger(url, store[1], **kw))
    return store[0]


def _institution(db, lang, *args):
    result = runner.invoke(app, ["--lang", lang, "institution", "TY-H001", "--as-of",
                                 "2025-03-20", *args, "--db", db],
                           env={"COLUMNS": "200", "LEDGER_PROGRESS": "never"})
    assert result.exit_code == 0, result.output
    return result.output


def flat(text: str) -> str:
    """A table's text without the spaces, line ends and rules a cell may wrap at."""
    return re.sub(r"[\s│┃]", "", text)


def test_ledger_institution_says_why_its_agreements_are_as_they_are_in_chinese(institution_db):
    rows = json.loads(_institution(institution_db, "zh", "--json"))["agreements"]
    why = next(r["why"] for r in rows if r["agreement"] == AG)
    assert why.startswith("from ") and "MA42-1" in why   # JSON keeps the English
    zh = said_why(why).say("zh")
    assert zh != why and english_left(zh, "MA42-1") == []
    table = flat(_institution(institution_db, "zh"))
    assert flat(zh) in table and flat(why) not in table
    assert flat(why) in flat(_institution(institution_db, "en"))
