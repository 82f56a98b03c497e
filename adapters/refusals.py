"""A refusal as ``ledger run`` prints it, in the reader's language (issue #17).

The frame (the line was rejected, under which rule, what would make it
valid) is the label catalogue's, and each rule is named with its Chinese
title from the rule catalogue (domain/data/rules.json) where it has one.
The reason and the remedy are worded where the domain decides them, as an
English template with a stable message key and the values that fill it
(domain/errors.py); the Chinese for that key is in labels-refusals.json and
is filled here from the same values (tests/test_refusal_words.py holds every
raise site to a key whose templates take exactly its values). In English the
refusal reads exactly as ``str(error)`` always has, so the files and scripts
that grep it keep working; JSON keeps ``LedgerError.as_dict()``.
"""
from __future__ import annotations

from typing import Mapping

from adapters.labels import catalogue, current, label, sentence
from domain.errors import LedgerError
from domain.rules import RULES


def rule_words(rule: str, lang: str) -> str:
    """``[SUS-02]`` with the rule's Chinese title where the catalogue has one."""
    if not rule:
        return ""
    title = RULES[rule].title_zh if lang == "zh" and rule in RULES else ""
    return label("refusal.rule_titled" if title else "refusal.rule", lang, rule=rule,
                 title=title)


def words(key: str, english: str, values: Mapping[str, object], lang: str) -> str:
    """The catalogue's words for a refusal's message key, filled from its
    values; the domain's English where the language is English or the site
    gives no key yet (the test lists those sites)."""
    if lang == "en" or not key or key not in catalogue():
        return english
    return sentence(key, lang, values)


def reason_words(error: LedgerError, lang: str | None = None) -> str:
    return words(error.key, error.reason, error.values, lang or current())


def remedy_words(error: LedgerError, lang: str | None = None) -> str:
    if not error.remedy:
        return ""
    return words(error.key and f"{error.key}.remedy", error.remedy, error.values, lang or current())


def refusal(where: str, error: LedgerError, lang: str | None = None) -> tuple[str, str]:
    """(head, body): ``where`` with the word that it was rejected (printed
    in red), and the rule, reason, grounds and remedy after it."""
    lang = lang or current()
    body = label("refusal.body", lang, rule=rule_words(error.rule, lang),
                 reason=reason_words(error, lang))
    for g in error.grounds:
        lifts = label("refusal.lifts", lang, on=g.lifts_on.isoformat()) if g.lifts_on else ""
        body += label("refusal.ground", lang, rule=rule_words(g.rule, lang),
                      reason=words(g.key, g.reason, g.values, lang), lifts=lifts)
    if error.remedy:
        body += label("refusal.remedy", lang, remedy=remedy_words(error, lang))
    return label("refusal.rejected", lang, where=where), body


def refusal_text(error: LedgerError, lang: str | None = None) -> str:
    """A refusal on its own, as a command prints it on standard error: the
    rule, reason, grounds and remedy in the reader's language; in English
    exactly ``str(error)``."""
    lang = lang or current()
    if lang == "en":
        return str(error)
    _, body = refusal("", error, lang)
    return body.removeprefix(label("refusal.body", lang, rule="", reason=""))
