"""A rejected line is framed in the reader's language (issue #17): in Chinese
the word that it was rejected, each rule with its Chinese title from the rule
catalogue and the words before the remedy are the catalogue's. The errors
here carry no message key, so their reason and remedy stay the domain's
English (a keyed refusal's words are tests/test_refusal_words.py's). In
English the refusal reads exactly as it always has (``str(error)``), so what
greps it keeps working."""
from __future__ import annotations

import re
from datetime import date

import pytest

from adapters.refusals import refusal
from domain.errors import Conflict, Ground, InvalidCommand, RuleViolation
from domain.rules import RULES

TITLED = sorted(r for r in RULES if RULES[r].title_zh)
UNTITLED = sorted(r for r in RULES if not RULES[r].title_zh)

ERRORS = [
    RuleViolation("TY-R001 may not apply on 2025-07-04: 2 ground(s) under M 11", rule="ADM-03",
                  remedy="apply again once every ground has lifted",
                  grounds=(Ground("ADM-03", "on the dishonesty list", lifts_on=date(2025, 8, 1)),
                           Ground("ADM-03", "social insurance in arrears"))),
    InvalidCommand("bad command envelope: date: not a date", field="date",
                   remedy="give id, command, date (YYYY-MM-DD)"),
    Conflict("command id c-1 was already used for a different tick command"),
]


@pytest.mark.parametrize("error", ERRORS, ids=lambda e: type(e).__name__)
def test_in_english_a_refusal_reads_as_it_always_has(error):
    head, body = refusal("monday.jsonl:3", error, "en")
    assert head == "monday.jsonl:3 REJECTED" and body == f" {error}"


@pytest.mark.parametrize("error", ERRORS, ids=lambda e: type(e).__name__)
def test_in_chinese_the_frame_has_no_english_word_beyond_the_domains_reason(error):
    head, body = refusal("monday.jsonl:3", error, "zh")
    assert head == "monday.jsonl:3 被拒绝"
    frame = body
    for text in [error.reason, error.remedy, *(g.reason for g in error.grounds)]:
        frame = frame.replace(text, " ") if text else frame
    frame = re.sub(r"\[[A-Z]{3}-\d{2}\]|\d{4}-\d\d-\d\d", " ", frame)
    assert re.findall(r"[A-Za-z]{2,}", frame) == []
    assert ("改正方法：" in body) == bool(error.remedy)


def test_adm03_a_refusal_names_each_rule_with_its_chinese_title_and_when_a_ground_lifts():
    head, body = refusal("x.jsonl:4", ERRORS[0], "zh")
    title = RULES["ADM-03"].title_zh
    assert body.startswith(f"：规则 [ADM-03]「{title}」：TY-R001 may not apply")
    assert f"\n  - 规则 [ADM-03]「{title}」：on the dishonesty list（于 2025-08-01 解除）" in body
    assert body.endswith("\n  改正方法：apply again once every ground has lifted")


@pytest.mark.parametrize("rule", TITLED[:3] + UNTITLED[:3])
def test_a_rule_is_named_by_its_chinese_title_where_the_catalogue_has_one(rule):
    _, body = refusal("f:1", RuleViolation("refused", rule=rule), "zh")
    title = RULES[rule].title_zh
    assert body == (f"：规则 [{rule}]「{title}」：refused" if title else f"：规则 [{rule}]：refused")
