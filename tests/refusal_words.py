"""A refusal as the officer reads it, checked against the label catalogue
(issue #17's keyed refusals, issue #18's mutation survivors): the English
reason and remedy must be the catalogue's English for the refusal's key,
filled from its values, so a wrong, dropped or mistyped key (the Chinese an
officer would read instead) fails the test as surely as a wrong word.
"""
from __future__ import annotations

import re

from adapters.labels import catalogue
from domain.errors import LedgerError

_WORDS = catalogue()


def read(e: LedgerError) -> tuple[str, str, str, str]:
    """(class, rule, reason, remedy) of ``e``, once its key is found true."""
    assert e.key, f"a refusal without a message key: {e.reason!r}"
    assert _WORDS[e.key]["en"].format_map(e.values) == e.reason, e.key
    if e.remedy:
        assert _WORDS[f"{e.key}.remedy"]["en"].format_map(e.values) == e.remedy, e.key
    return type(e).__name__, e.rule, e.reason, e.remedy


# --- where a refusal is made (tests/conftest.py checks every one, in every test) ---------
class _Unformatted(dict):
    """The values a template asks for that were not given (``format_map``)."""

    def __missing__(self, name):
        raise AssertionError(f"the template asks for {{{name}}}, which its values do not give")


_PLACEHOLDER = re.compile(r"\{[A-Za-z_][A-Za-z0-9_]*(![rs])?\}")


def made_as_catalogued(key: str, reason: str, remedy: str, values) -> None:
    """A keyed refusal, as it is made, says exactly its catalogue entry: the
    English template the domain gives is the catalogue's, its remedy is the
    catalogue's (and is given when the catalogue has one), and its values
    fill both languages' templates; so a rule test that makes a refusal also
    proves its words (the keyed-refusal mutants of docs/testing.md)."""
    assert key in _WORDS, f"refusal key {key!r} is not in the catalogue"
    assert _WORDS[key]["en"] == reason, (key, reason)
    said = _WORDS.get(key + ".remedy")
    assert (said["en"] if said else "") == remedy, (key, remedy)
    for entry in (_WORDS[key], said or {}):
        for text in entry.values():
            text.format_map(_Unformatted(values or {}))


def made_unkeyed(reason: str, remedy: str) -> None:
    """An unkeyed text is said as given: a template left in it was meant keyed."""
    assert not _PLACEHOLDER.search(f"{reason} {remedy}"), (reason, remedy)
