"""A refusal as the officer reads it, checked against the label catalogue
(issue #17's keyed refusals, issue #18's mutation survivors): the English
reason and remedy must be the catalogue's English for the refusal's key,
filled from its values, so a wrong, dropped or mistyped key (the Chinese an
officer would read instead) fails the test as surely as a wrong word.
"""
from __future__ import annotations

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
