"""The boundary's refusals are Chinese first too (issue #17): the first
refusals a user meets (a line that is not JSON, an unknown command, a
missing field) give a message key, the English as its template and the
values that fill it, as the domain's do (tests/test_refusal_words.py); the
Chinese is in adapters/data/labels-boundary.json. The raise sites are found
by reading the boundary's source, so a new one fails here until it is keyed.
In English every refusal reads exactly as it always has."""
from __future__ import annotations

import ast
import json
import re
from pathlib import Path
from string import Formatter

import pytest

from adapters.boundary import Spoken, UnusableFile, command_lines, load_line
from adapters.commands import PYDANTIC_WORDED, parse
from adapters.labels import catalogue
from adapters.refusals import refusal
from domain.errors import InvalidCommand

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ["adapters/boundary.py", "adapters/commands.py", "adapters/specs/spec.py"]
AREA_FILE = ROOT / "adapters" / "data" / "labels-boundary.json"
WORDS = catalogue()
ENTRIES = json.loads(AREA_FILE.read_text("utf-8"))


def _calls(name: str) -> list[tuple[str, ast.Call]]:
    out = []
    for path in SOURCES:
        for node in ast.walk(ast.parse((ROOT / path).read_text("utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == name:
                out.append((f"{path}:{node.lineno}", node))
    return out


def _kw(call: ast.Call, name: str) -> ast.expr | None:
    return next((k.value for k in call.keywords if k.arg == name), None)


def _placeholders(template: str) -> set[str]:
    return {re.split(r"[.\[]", f)[0] for _, f, _, _ in Formatter().parse(template) if f}


REFUSALS = _calls("InvalidCommand")


def test_the_scan_finds_the_boundary_refusals():
    # a scan that found nothing would pass every test below
    assert len(REFUSALS) >= 12 and len(_calls("Spoken")) >= 20


@pytest.mark.parametrize("site", REFUSALS, ids=lambda s: s[0])
def test_every_boundary_refusal_has_a_key_whose_templates_take_exactly_its_values(site):
    _, call = site
    key, values = _kw(call, "key"), _kw(call, "values")
    assert isinstance(key, ast.Constant), "give the refusal a key= and values="
    reason, remedy = call.args[0], _kw(call, "remedy")
    for text in (reason, remedy):
        assert text is None or isinstance(text, ast.Constant), \
            "a keyed template is a plain string (not an f-string): the values fill it"
    given = set() if values is None else {k.value for k in values.keys}
    used = _placeholders(reason.value) | (_placeholders(remedy.value) if remedy else set())
    assert used == given
    assert WORDS[key.value]["en"] == reason.value
    assert (WORDS[f"{key.value}.remedy"]["en"] == remedy.value) if remedy else \
        f"{key.value}.remedy" not in WORDS


# codes a user types or reads as codes: `ledger commands`, field paths,
# formats, encodings and code points
CODES = re.compile(r"`[^`]*`|\{[^}]*\}|YYYY-MM-DD|JSON|UTF-8|GBK/GB18030|U\+|\\uXXXX|M 52"
                   r"|true|false")


@pytest.mark.parametrize("key", sorted(ENTRIES))
def test_the_chinese_has_no_english_word_and_takes_the_same_values(key):
    words = ENTRIES[key]
    assert re.findall(r"[A-Za-z]{2,}", CODES.sub(" ", words["zh"])) == [], words["zh"]
    assert _placeholders(words["zh"]) == _placeholders(words["en"])


def test_every_pydantic_type_the_commands_word_has_its_chinese():
    assert {f"boundary.pydantic.{t}" for t in PYDANTIC_WORDED} <= set(ENTRIES)


ENVELOPE = {"id": "c-1", "command": "suspend_agreement", "date": "2025-03-01",
            "actor": {"user": "wang.li", "role": "case_officer"}}


def _refused(raw) -> InvalidCommand:
    with pytest.raises(InvalidCommand) as caught:
        parse(raw)
    return caught.value


def _said(error: InvalidCommand) -> tuple[str, str]:
    return refusal("f.jsonl:1", error, "zh")[1], refusal("f.jsonl:1", error, "en")[1]


def test_cal04_a_date_that_is_no_calendar_date_is_refused_in_chinese_and_in_the_old_english():
    error = _refused(dict(ENVELOPE, date="2025-13-01"))
    zh, en = _said(error)
    assert zh == ("：命令信封有误：date：'2025-13-01' 不是有效的日历日期\n  改正方法：请给出 `id`、"
                  "`command`、`date`（YYYY-MM-DD）、`actor` {`user`, `role`}、可选的 `document` "
                  "以及 `fields`")
    assert en == (" bad command envelope: date: '2025-13-01' is not a calendar date\n"
                  "  To make it valid: give id, command, date (YYYY-MM-DD), actor {user, role}, "
                  "optional document, and fields")
    assert error.reason == "bad command envelope: date: '2025-13-01' is not a calendar date"


def test_a_mistyped_command_is_refused_with_the_close_names_in_chinese():
    zh, en = _said(_refused(dict(ENVELOPE, command="suspnd_agreement")))
    assert "未知的命令 'suspnd_agreement'" in zh
    assert "您是否要输入 suspend_agreement 或 " in zh and "`ledger commands` 列出所有命令" in zh
    assert en.startswith(" unknown command 'suspnd_agreement'\n  To make it valid: did you "
                         "mean suspend_agreement or ")
    zh, en = _said(_refused(dict(ENVELOPE, command="zzzzzz")))
    assert zh.endswith("改正方法：`ledger commands` 列出所有命令")
    assert en.endswith("To make it valid: `ledger commands` lists every command")


def test_missing_and_unknown_fields_are_said_by_pydantic_type_the_path_kept_as_code():
    error = _refused(dict(ENVELOPE, fields={"agreement": 7, "x": 1}))
    zh, en = _said(error)
    assert "suspend_agreement：fields.agreement：应为字符串；fields.kind：缺少此字段；" \
           "fields.x：不是此命令的字段" in zh
    assert error.reason == ("suspend_agreement: fields.agreement: Input should be a valid "
                            "string; fields.kind: Field required; fields.x: not a field of "
                            "this command")
    assert "改正方法：请参阅 `docs/commands.md#suspend_agreement`" in zh


def test_a_role_outside_the_list_is_refused_with_its_choices_in_chinese():
    error = _refused(dict(ENVELOPE, actor={"user": "u", "role": "boss"}))
    zh, _ = _said(error)
    assert error.reason.startswith("bad command envelope: actor.role: Input should be ")
    assert re.search(r"actor\.role：应为 '[a-z_]+'(, '[a-z_]+')* 或 '[a-z_]+'", zh), zh


def test_an_unknown_pydantic_type_falls_back_to_pydantic_s_english():
    from adapters.commands import _problem_words
    assert _problem_words({"type": "no_such_type", "msg": "Something odd", "ctx": {}}) == \
        "Something odd"


@pytest.mark.parametrize("line, zh, en", [
    ('{"id": 1,', "不是 JSON 对象：第 10 列处应为用双引号括起的键名",
     "not a JSON object: Expecting property name enclosed in double quotes at column 10"),
    ('{"a": 1, "a": 2}', "同一对象中键 'a' 出现了两次", "the key 'a' is given twice in one object"),
    ('[1]', "命令应为一个 JSON 对象", "a command is a JSON object"),
    ('{"a": NaN}', "NaN 不是台账可读取的数字", "NaN is not a number the ledger reads"),
    ('{"a": "x\\u202ey"}', "a：文本中含有双向控制字符 U+202E",
     "a: the text holds the bidirectional control U+202E"),
    ('{"a": ' * 12 + "1" + "}" * 12, "a.a.a.a.a.a.a.a：嵌套超过 8 层",
     "a.a.a.a.a.a.a.a: nested deeper than 8 levels"),
])
def test_a_line_that_is_no_command_is_refused_in_chinese_and_in_the_old_english(line, zh, en):
    with pytest.raises(InvalidCommand) as caught:
        load_line(line)
    said_zh, said_en = _said(caught.value)
    assert zh in said_zh and "改正方法：" in said_zh
    assert said_en.startswith(f" {en}\n  To make it valid: ")


def test_a_line_in_gbk_is_refused_in_chinese_with_the_hint(tmp_path):
    path = tmp_path / "f.jsonl"
    path.write_bytes('{"a": "工伤"}\n'.encode("gbk"))
    (_, error), = command_lines(path)
    zh, en = _said(error)
    assert "该行不是 UTF-8：第 8 个字节为 0xb9（它可按 GBK/GB18030 读取：请将文件另存为 UTF-8）" in zh
    assert en.startswith(" the line is not UTF-8: byte 8 is 0xb9 (it reads as GBK/GB18030: "
                         "save the file as UTF-8)")


def test_a_folder_given_as_a_command_file_is_refused_in_the_reader_s_language(tmp_path,
                                                                           monkeypatch):
    with pytest.raises(UnusableFile) as caught:
        next(command_lines(tmp_path))
    monkeypatch.setattr("adapters.labels._chosen", None)     # no --lang given earlier
    monkeypatch.setenv("LEDGER_LANG", "zh")
    assert str(caught.value) == f"{tmp_path} 不是文件"
    monkeypatch.setenv("LEDGER_LANG", "en")
    assert str(caught.value) == f"{tmp_path} is not a file"


def test_spoken_words_are_english_as_text_and_chinese_when_a_template_asks():
    words = Spoken("boundary.char.control", {"code": "001B"})
    assert words == "the control character U+001B" and f"{words}" == words
    assert f"{words:zh}" == "控制字符 U+001B" and words.say("zh") == "控制字符 U+001B"
    import pickle
    assert pickle.loads(pickle.dumps(words)).say("zh") == "控制字符 U+001B"


# hostile lines (tests/test_hostile_input.py) whose reason is worded outside
# the boundary, still in English: the F1 fact check (adapters/specs/
# institutions.py) raises a plain ValueError. The list may only shrink (the
# money and points parsers' words moved to adapters/specs/types.py's Spoken).
WORDED_ELSEWHERE = {"unknown-fact-in-amendment"}
# what stays as the user typed or reads it as code: backticked commands, the
# values quoted back, field paths and command names (before a colon, or with
# a dot or an underscore), formats, encodings, code points and JSON's words
AS_CODE = re.compile(r"`[^`]*`|'[^']*'|\b[\w.]+(?=：)|\b\w+[._]\w[\w.]*|YYYY-MM-DD|JSON"
                     r"|UTF-8|GBK/GB18030|U\+[0-9A-F]{4}|0x[0-9a-f]{2}|M 52|true|false"
                     r"|-?Infinity|NaN|\d+e\d+")


def _hostile_refusals(tmp_path):
    from domain.errors import LedgerError
    from tests.test_hostile_input import CASES
    for i, case in enumerate(CASES):
        path = tmp_path / f"{i}.jsonl"
        path.write_bytes(case[2])
        for _, line in command_lines(path):
            if isinstance(line, LedgerError):
                yield case[1], line
                continue
            try:
                parse(line)
            except InvalidCommand as e:
                yield case[1], e


def test_every_hostile_line_is_refused_in_chinese_but_its_codes_and_values(tmp_path):
    english, refused = {}, 0
    for name, error in _hostile_refusals(tmp_path):
        refused += 1
        words = re.findall(r"[A-Za-z]{2,}", AS_CODE.sub(" ", refusal("", error, "zh")[1]))
        if words:
            english[name] = words
    assert refused >= 100, "the scan reads every hostile line"
    assert set(english) == WORDED_ELSEWHERE, {k: english[k] for k in
                                               set(english) ^ WORDED_ELSEWHERE if k in english}


def test_a_missing_command_file_is_refused_with_the_system_s_reason_in_chinese(tmp_path,
                                                                             monkeypatch):
    with pytest.raises(UnusableFile) as caught:
        next(command_lines(tmp_path / "nope.jsonl"))
    monkeypatch.setattr("adapters.labels._chosen", None)
    monkeypatch.setenv("LEDGER_LANG", "zh")
    assert str(caught.value) == f"无法读取 {tmp_path / 'nope.jsonl'}：没有这个文件或文件夹"
    monkeypatch.setenv("LEDGER_LANG", "en")
    assert str(caught.value) == f"cannot read {tmp_path / 'nope.jsonl'}: No such file or directory"


def test_an_options_date_is_refused_in_the_readers_words(tmp_path):
    from typer.testing import CliRunner
    from adapters.cli import app
    db = f"sqlite:///{tmp_path / 's.db'}"
    zh = CliRunner().invoke(app, ["status", "--on", "2025-13-01", "--db", db])
    assert zh.exit_code == 2 and "'2025-13-01' 不是有效的日历日期" in zh.output
    en = CliRunner().invoke(app, ["--lang", "en", "status", "--on", "2025-13-01", "--db", db])
    assert en.exit_code == 2 and "'2025-13-01' is not a calendar date" in en.output
