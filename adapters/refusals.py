"""A refusal as ``ledger run`` prints it, in the reader's language (issue #17).

The frame (the line was rejected, under which rule, what would make it
valid) is the label catalogue's, and each rule is named with its Chinese
title from the rule catalogue (domain/data/rules.json) where it has one.
The reason and the remedy are the domain's own text, in English: the
domain words them where it decides them, and a second wording here would
drift from it. In English the refusal reads exactly as ``str(error)``
always has, so the files and scripts that grep it keep working; JSON keeps
``LedgerError.as_dict()``.
"""
from __future__ import annotations

from adapters.labels import current, label
from domain.errors import LedgerError
from domain.rules import RULES


def rule_words(rule: str, lang: str) -> str:
    """``[SUS-02]`` with the rule's Chinese title where the catalogue has one."""
    if not rule:
        return ""
    title = RULES[rule].title_zh if lang == "zh" and rule in RULES else ""
    return label("refusal.rule_titled" if title else "refusal.rule", lang, rule=rule,
                 title=title)


def refusal(where: str, error: LedgerError, lang: str | None = None) -> tuple[str, str]:
    """(head, body): ``where`` with the word that it was rejected (printed
    in red), and the rule, reason, grounds and remedy after it."""
    lang = lang or current()
    body = label("refusal.body", lang, rule=rule_words(error.rule, lang), reason=error.reason)
    for g in error.grounds:
        lifts = label("refusal.lifts", lang, on=g.lifts_on.isoformat()) if g.lifts_on else ""
        body += label("refusal.ground", lang, rule=rule_words(g.rule, lang), reason=g.reason,
                      lifts=lifts)
    if error.remedy:
        body += label("refusal.remedy", lang, remedy=error.remedy)
    return label("refusal.rejected", lang, where=where), body
