"""What input the ledger accepts at all, before any command is judged.

A command file is read line by line as bytes, so one bad line is refused on
its own and names its line while the others are still judged. A line is
strict JSON: UTF-8, one object, no key given twice, no ``NaN``, nesting and
sizes bounded, no control or bidirectional-override character anywhere (a
newline in an id would forge a line of text output; ``ESC`` would drive the
terminal of whoever reads it; a right-to-left override would show an id
other than the one stored). Dates are ``YYYY-MM-DD`` and nothing else; a
command's business date lies between the day the measures took effect and a
short horizon past today in China, so no line can move the ledger's clock
years ahead and record consequences that have not happened.

The limits are generous for real work and small beside what would harm the
store; ``docs/commands.md`` lists them.

Every refusal here is Chinese first (issue #17), as the domain's are: an
InvalidCommand gives a message key, its English as the template and the
values (adapters/data/labels-boundary.json holds the Chinese; tests/
test_boundary_words.py holds each site to it). A reason built of smaller
reasons (a bad character, a date out of range) carries them as ``Spoken``.
"""
from __future__ import annotations

import errno
import json
import re
import unicodedata
from datetime import date, timedelta
from pathlib import Path
from typing import Annotated, Any, Iterator, Mapping

from pydantic import AfterValidator, BeforeValidator, Field

from adapters.labels import LANGS, current, label, sentence
from domain.calendar import today_in_china
from domain.errors import InvalidCommand

LINE_BYTES_MAX = 1 << 20          # one command line: a month's claim of ~10,000 items fits
FILE_BYTES_MAX = 256 << 20        # one command file
DEPTH_MAX = 8                     # the deepest command (scores: fields.deductions.X[i][j]) is 5
TEXT_CHARS_MAX = 4000             # a reason, a finding, a summary: pages of Chinese text
NAME_CHARS_MAX = 200              # an institution's or a person's name, a bank, a document
CODE_CHARS_MAX = 64               # ids and codes: a command id, an agreement number
INT_DIGITS_MAX = 15               # no count, year or yuan amount has more digits
MEASURES_IN_FORCE_ON = date(2022, 8, 8)   # M 52: 本办法自2022年8月8日起执行
HORIZON_DAYS = 31                 # how far past today (China) a business date may lie
FIELD_DATE_MIN = date(1900, 1, 1)  # a licence, a birth, a founding: no earlier
FIELD_DATE_SPAN_YEARS = 10        # a deadline, a term, a plan: no later than this past today

# Bidirectional controls: shown, they reorder the characters around them.
_BIDI = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e"
                  "\u2066\u2067\u2068\u2069")
_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


class _TooBig(ValueError):
    pass


class Spoken(str):
    """Words said in whichever language is asked. As a ``str`` they are the
    English (what ``reason``, JSON and ``str(error)`` keep, byte for byte);
    ``say(lang)`` gives them from the catalogue's ``key`` and ``values``, or
    ``parts`` joined by the key's separator. A refusal's values are filled
    by ``format_map`` in both languages (domain/errors.py in English, adapters/
    refusals.py in the reader's), and a value learns the language only from
    its format spec: so a Chinese template writes a Spoken value ``{name:zh}``.
    ``english`` stands in for the key's English where another library words
    it (pydantic's messages, with their plurals)."""
    key: str
    values: dict[str, Any]
    parts: tuple[Any, ...] | None

    def __new__(cls, key: str, values: Mapping[str, Any] | None = None, *,
                parts: tuple[Any, ...] | None = None, english: str | None = None) -> "Spoken":
        values = dict(values or {})
        text = english if english is not None else _spoken(key, values, parts, "en")
        self = super().__new__(cls, text)
        self.key, self.values, self.parts = key, values, parts
        return self

    def __reduce__(self):    # copies and pickles keep their words
        return _respoken, (self.key, self.values, self.parts, str(self))

    def say(self, lang: str | None = None) -> str:
        lang = lang or current()
        return str(self) if lang == "en" else _spoken(self.key, self.values, self.parts, lang)

    def __format__(self, spec: str) -> str:
        return self.say(spec) if spec in LANGS else format(str(self), spec)


def _respoken(key: str, values: dict[str, Any], parts: Any, english: str) -> Spoken:
    return Spoken(key, values, parts=parts, english=english)


def _spoken(key: str, values: Mapping[str, Any], parts: tuple[Any, ...] | None,
            lang: str) -> str:
    def said(v: Any) -> Any:
        return v.say(lang) if isinstance(v, Spoken) else v
    if parts is not None:       # no key: the parts as they are, in every language
        return (label(key, lang) if key else "").join(str(said(p)) for p in parts)
    return sentence(key, lang, {k: said(v) for k, v in values.items()})


def as_given(*parts: Any) -> Spoken:
    """Text with no words of ours, the same in every language (another
    library's message we do not word; nothing at all, for a clause that
    does not apply)."""
    return Spoken("", parts=parts)


def _bad_char(text: str, *, allow_newline: bool) -> Spoken | None:
    """The first character that may not stand in ``text``, described."""
    if text.isprintable():   # no control, bidi (Cf) or surrogate can be among them
        return None
    for ch in text:
        code = f"{ord(ch):04X}"
        if ch in _BIDI:
            return Spoken("boundary.char.bidi", {"code": code})
        cat = unicodedata.category(ch)
        if cat == "Cc" and not (allow_newline and ch in "\n\t"):
            return Spoken("boundary.char.control", {"code": code})
        if cat == "Cs":
            return Spoken("boundary.char.surrogate", {"code": code})
    return None


def printable(text: Any) -> str:
    """Text for a terminal or a text report: control and bidirectional
    characters shown as escapes, so stored text can never forge a line or
    drive the reader's terminal (events recorded before these limits may
    still hold them)."""
    s = str(text)
    if s.isprintable() and not _BIDI.intersection(s):
        return s
    return "".join(ch if ch.isprintable() and ch not in _BIDI else
                   f"\\u{ord(ch):04x}" for ch in s)


# --- JSON --------------------------------------------------------------------
def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    seen: dict[str, Any] = {}
    for key, value in pairs:
        if key in seen:
            raise InvalidCommand("the key {key!r} is given twice in one object",
                                 remedy="give each key once; a second value would silently "
                                        "replace the first",
                                 key="boundary.json.key_twice", values={"key": printable(key)})
        seen[key] = value
    return seen


def _constant(name: str) -> Any:
    raise InvalidCommand("{name} is not a number the ledger reads",
                         remedy="give amounts and points as strings such as \"12.50\"",
                         key="boundary.json.constant", values={"name": name})


def _int(text: str) -> int:
    if len(text.lstrip("-")) > INT_DIGITS_MAX:
        raise _TooBig(text)
    return int(text)


def _float(text: str) -> float:
    if len(text) > 40:
        raise _TooBig(text)
    value = float(text)
    if value in (float("inf"), float("-inf")):
        raise _TooBig(text)
    return value


def _where(path: tuple[Any, ...]) -> str:
    return ".".join(str(p) for p in path) or "(command)"


def check_tree(data: Any) -> None:
    """Depth, string contents and number sizes of a parsed line, iteratively
    (a recursive walk is what a hostile line would exhaust)."""
    stack: list[tuple[Any, tuple[Any, ...]]] = [(data, ())]
    while stack:
        value, path = stack.pop()
        if len(path) > DEPTH_MAX:
            raise InvalidCommand("{where}: nested deeper than {depth} levels",
                                 field=_where(path[:DEPTH_MAX]),
                                 remedy="no command nests its fields that deep; check the "
                                        "brackets", key="boundary.tree.too_deep",
                                 values={"where": _where(path[:DEPTH_MAX]), "depth": DEPTH_MAX})
        if isinstance(value, dict):
            for key, item in value.items():
                bad = _bad_char(key, allow_newline=False)
                if bad or len(key) > CODE_CHARS_MAX:
                    raise InvalidCommand("{where}: a key holds {bad}", field=_where(path),
                                         remedy="use the field names of docs/commands.md",
                                         key="boundary.tree.bad_key",
                                         values={"where": _where(path), "bad": bad or Spoken(
                                             "boundary.char.too_many", {"limit": CODE_CHARS_MAX})})
                stack.append((item, path + (key,)))
        elif isinstance(value, list):
            stack.extend((item, path + (i,)) for i, item in enumerate(value))
        elif isinstance(value, str):
            if len(value) > TEXT_CHARS_MAX:
                raise InvalidCommand("{where}: {length:,} characters, more than the {limit:,} "
                                     "any text may hold", field=_where(path),
                                     remedy="shorten it, or record the document's number "
                                            "and keep the document itself on file",
                                     key="boundary.tree.text_too_long",
                                     values={"where": _where(path), "length": len(value),
                                             "limit": TEXT_CHARS_MAX})
            bad = _bad_char(value, allow_newline=True)
            if bad:
                raise InvalidCommand("{where}: the text holds {bad}", field=_where(path),
                                     remedy="remove control and direction-override "
                                            "characters; write plain text",
                                     key="boundary.tree.bad_text",
                                     values={"where": _where(path), "bad": bad})


def load_line(line: str) -> dict[str, Any]:
    """One command line as a JSON object, strictly; InvalidCommand otherwise."""
    try:
        data = json.loads(line, object_pairs_hook=_object, parse_constant=_constant,
                          parse_int=_int, parse_float=_float)
    except json.JSONDecodeError as e:
        raise InvalidCommand("not a JSON object: {problem} at column {column}",
                             remedy="write one JSON object per line", key="boundary.json.bad",
                             values={"problem": _json_problem(e.msg), "column": e.colno}
                             ) from None
    except _TooBig as e:
        raise InvalidCommand("the number {number}… has more than {digits} digits",
                             remedy="no count, year or amount is that large; give amounts in "
                                    "yuan as strings", key="boundary.json.number_too_big",
                             values={"number": str(e)[:20], "digits": INT_DIGITS_MAX}) from None
    except RecursionError:
        raise InvalidCommand("nested deeper than {depth} levels",
                             remedy="no command nests its fields that deep; check the "
                                    "brackets", key="boundary.json.too_deep",
                             values={"depth": DEPTH_MAX}) from None
    if not isinstance(data, dict):
        raise not_an_object()
    check_tree(data)
    return data


def not_an_object() -> InvalidCommand:
    return InvalidCommand("a command is a JSON object", remedy="write one JSON object per line",
                          key="boundary.json.not_an_object")


# the json module's messages the catalogue words (boundary.json.problem.<key>);
# a message not listed here is shown as the json module gives it, in English
_JSON_PROBLEMS = {
    "Expecting value": "expecting_value",
    "Expecting property name enclosed in double quotes": "expecting_property_name",
    "Expecting ',' delimiter": "expecting_comma",
    "Expecting ':' delimiter": "expecting_colon",
    "Unterminated string starting at": "unterminated_string",
    "Extra data": "extra_data",
    "Invalid control character at": "invalid_control",
    "Invalid \\escape": "invalid_escape",
    "Invalid \\uXXXX escape": "invalid_u_escape",
    "Illegal trailing comma before end of object": "trailing_comma",
    "Illegal trailing comma before end of array": "trailing_comma_array",
}


def _json_problem(msg: str) -> Spoken:
    key = _JSON_PROBLEMS.get(msg)
    return Spoken(f"boundary.json.problem.{key}", english=msg) if key else \
        as_given(msg)


# --- command files -------------------------------------------------------------
class UnusableFile(Exception):
    """A command file that cannot be used at all (exit 2): said in the
    reader's language (its ``Spoken`` argument is the English)."""

    def __str__(self) -> str:
        words = self.args[0] if self.args else ""
        return words.say(current()) if isinstance(words, Spoken) else str(words)


# the operating system's reasons the catalogue words (boundary.file.os.<name>);
# another is given in the system's own words (strerror, English here)
_OS_WORDED = frozenset({"ENOENT", "EACCES", "EPERM", "ENOTDIR", "ELOOP", "ENAMETOOLONG", "EIO"})


def _os_words(e: OSError) -> Spoken:
    said = e.strerror or str(e)
    name = errno.errorcode.get(e.errno or 0, "")
    return Spoken(f"boundary.file.os.{name}", english=said) if name in _OS_WORDED \
        else as_given(said)


def command_lines(path: Path) -> Iterator[tuple[int, str | InvalidCommand]]:
    """(line number, text) for each line of a command file worth judging,
    or (line number, the refusal) for a line that cannot even be read;
    blank and ``#`` comment lines are passed over."""
    try:
        size = path.stat().st_size
        if not path.is_file():
            raise UnusableFile(Spoken("boundary.file.not_a_file", {"path": path}))
        if size > FILE_BYTES_MAX:
            raise UnusableFile(Spoken("boundary.file.too_large", {
                "path": path, "size": size, "limit": FILE_BYTES_MAX}))
        handle = path.open("rb")
    except OSError as e:
        raise UnusableFile(Spoken("boundary.file.unreadable",
                                  {"path": path, "why": _os_words(e)})) from None
    with handle:
        for lineno, raw in enumerate(handle, 1):
            if lineno == 1 and raw.startswith(b"\xef\xbb\xbf"):
                raw = raw[3:]           # a BOM that Windows editors put first
            if len(raw) > LINE_BYTES_MAX:
                yield lineno, InvalidCommand(
                    "the line holds {size:,} bytes, more than the {limit:,} one command may",
                    remedy="split a large claim by service month or into corrections",
                    key="boundary.line.too_long",
                    values={"size": len(raw), "limit": LINE_BYTES_MAX})
                continue
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError as e:
                hint = as_given()
                try:
                    raw.decode("gb18030")
                    hint = Spoken("boundary.line.reads_as_gbk")
                except UnicodeDecodeError:
                    pass
                yield lineno, InvalidCommand(
                    "the line is not UTF-8: byte {byte} is 0x{value:02x}{hint}",
                    remedy="save command files as UTF-8", key="boundary.line.not_utf8",
                    values={"byte": e.start + 1, "value": raw[e.start], "hint": hint})
                continue
            text = text.rstrip("\r\n")
            stripped = text.strip()
            if not stripped or stripped.startswith("#"):
                continue
            yield lineno, text


# --- field types -----------------------------------------------------------------
def _plain_text(limit: int, *, newline: bool):
    def check(value: str) -> str:
        bad = _bad_char(value, allow_newline=newline)
        if bad:
            raise ValueError(Spoken("boundary.value.bad_text", {"bad": bad}))
        if len(value) > limit:
            raise ValueError(Spoken("boundary.value.too_long",
                                    {"length": len(value), "limit": limit}))
        return value
    return check


def _code(value: str) -> str:
    # printable ASCII holds no control, bidi (Cf), Zl/Zp or whitespace but
    # the space: nothing in the full check refuses it (the common case, at once)
    if value.isascii() and value.isprintable():
        return value
    return _code_in_full(value)


def _code_in_full(value: str) -> str:
    """An id or code, every character looked at."""
    bad = _bad_char(value, allow_newline=False)
    if bad is None and any(unicodedata.category(ch) in ("Zl", "Zp", "Cf") or
                           (ch.isspace() and ch != " ") for ch in value):
        bad = Spoken("boundary.char.invisible")
    if bad:
        raise ValueError(Spoken("boundary.value.bad_code", {"bad": bad}))
    return value


Code = Annotated[str, Field(min_length=1, max_length=CODE_CHARS_MAX), AfterValidator(_code)]
Name = Annotated[str, Field(max_length=NAME_CHARS_MAX),
                 AfterValidator(_plain_text(NAME_CHARS_MAX, newline=False))]
Text = Annotated[str, Field(max_length=TEXT_CHARS_MAX),
                 AfterValidator(_plain_text(TEXT_CHARS_MAX, newline=True))]


def parse_day(value: Any, *, earliest: date = FIELD_DATE_MIN,
              latest: date | None = None) -> date:
    """A calendar date written ``YYYY-MM-DD``: not a number of seconds, not a
    date-time, not ``2025/3/1``; within [earliest, latest]."""
    if isinstance(value, date) and not hasattr(value, "hour"):
        day = value
    elif isinstance(value, str) and _DAY.fullmatch(value):
        try:
            day = date.fromisoformat(value)
        except ValueError:
            raise ValueError(Spoken("boundary.value.not_a_calendar_date",
                                    {"value": value})) from None
    else:
        raise ValueError(Spoken("boundary.value.not_a_date",
                                {"got": printable(repr(value))[:40]}))
    if latest is None:
        today = today_in_china()
        latest = today.replace(year=today.year + FIELD_DATE_SPAN_YEARS, day=min(today.day, 28))
    if not earliest <= day <= latest:
        raise ValueError(Spoken("boundary.value.date_outside",
                                {"day": day, "earliest": earliest, "latest": latest}))
    return day


def business_day_window(today: date | None = None) -> tuple[date, date]:
    """The business dates a command may take effect on: from the day the
    measures took effect to ``HORIZON_DAYS`` past today in China."""
    today = today or today_in_china()
    return MEASURES_IN_FORCE_ON, today + timedelta(days=HORIZON_DAYS)


def parse_business_day(value: Any) -> date:
    first, last = business_day_window()
    try:
        return parse_day(value, earliest=first, latest=last)
    except ValueError as e:
        outside = e.args[0] if e.args else None
        if isinstance(outside, Spoken) and outside.key == "boundary.value.date_outside":
            raise ValueError(Spoken("boundary.value.business_date_outside", {
                "outside": outside, "first": first, "days": HORIZON_DAYS, "last": last})
                ) from None
        raise


Day = Annotated[date, BeforeValidator(parse_day)]
BusinessDay = Annotated[date, BeforeValidator(parse_business_day)]
