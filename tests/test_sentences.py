"""Every command's result is told in the label catalogue's words (issue #17):
Chinese by default, English with ``--lang en``; no command falls back to a
list of its fields.

The results are the real ones: the worked files and every reference example
applied on a fresh store (as tests/test_reference_examples.py applies them),
each also with the variations its sentence tells apart (late, a veto, what
fell due). In Chinese no English word may remain but the codes a reader
looks up (agreement numbers, users, form and article codes, rule ids).
"""
from __future__ import annotations

import re
from typing import Any

import pytest

from adapters import labels
from adapters.boundary import command_lines
from adapters.settings import open_ledger
from adapters.specs import SPECS, describe, spec as spec_module
from adapters.specs import clock
from adapters.specs.institutions import Facts
from adapters.specs.money import HoldClaimItem
from adapters.specs.disputes import OpenDispute
from adapters.specs.supervision import Outcome
from domain.agreement_terms import CHANGE_KINDS, PARTIES
from domain.application import MATERIALS
from domain.case import STEPS
from domain.dispute import OUTCOMES
from domain.errors import LedgerError
from domain.grounds import AGREEMENT_TYPES, ALL_GROUNDS
from domain.institution import ASSISTIVE_SUBTYPES
from domain.rules import is_rule
from tests.test_reference_examples import (FILES, ROOT, Run, hand_written_examples,
                                           reference_examples)

# the result fields whose values are codes or names a reader looks up, not words
IDENTIFIERS = {"agreement", "application", "institution", "person", "evaluation", "form",
               "notice_no", "filing_ref", "ref", "bar", "case", "lead", "leads", "request",
               "draw", "targets", "dispute", "expert", "user", "token_id", "seed", "item",
               "sampled", "objection", "corrects", "ground", "clause", "article", "agency",
               "rehab_pilots", "recused", "officers", "label", "account_name", "bank",
               "account_number", "regulator", "new_leads", "conflicts", "veto_failed",
               "replaces"}

# the branches each sentence tells apart, over a real result of the command
VARIANTS: dict[str, list[dict[str, Any]]] = {
    "submit_application": [{"missing": ["licences"], "notice_due": "2025-02-01",
                            "provisional": True}, {"missing": []}],
    "send_materials_notice": [{"late": True}],
    "supply_materials": [{"evaluation_due": "2025-04-01", "still_missing": ["licences"]}],
    "form_panel": [{"recused": []}],
    "record_scores": [{"veto_failed": ["V1"]}],
    "conclude_evaluation": [
        {"passed": True, "valid_until": "2028-01-01", "overdue": True},
        {"passed": False, "veto_failed": ["V2"], "reapply_from": "2026-05-01"}],
    "sign_agreement": [{"late": True, "type": "MA"}, {"type": "RA"}],
    "decide_objection": [{"upheld": True, "status": "signed"}],
    "record_change": [{"late": True, "provisional": True, "change": "merger"}],
    "report_change": [{"late": True}],
    "apply_for_renewal": [{"late": True}],
    "object_to_renewal": [{"raised_by": "institution"}],
    "give_notice_to_end": [{"aftercare": True}],
    "terminate_agreement": [{"aftercare": True, "breach": False}],
    "suspend_agreement": [{"kind": "voluntary", "resume_by": "2026-01-01"},
                          {"kind": "disciplinary", "planned_end": "2026-02-01",
                           "termination_obligation": True}],
    "correct_suspension": [{"resume_by": "2026-01-01"}, {"planned_end": "2026-03-01"}],
    "record_inspection": [{"passed": False, "status": "ended"}],
    "submit_claim": [{"late": True}],
    "pay_claim": [{"late": True}],
    "clear_deposit": [{"late": True}],
    "record_explanation": [{"accepted": False}],
    "hold_claim_item": [{"hold": "investigation"}],
    "release_claim_item": [{"status": "pending"}],
    "record_assessment": [{"veto_failed": ["V1"]}],
    "record_payee_account": [{"replaces": "6222 0000 1111 2222"}],
    "register_institution": [{"kind": "medical", "subtype": None}],
    "tick": [{"recorded": [{"agreement": "XY-9", "event": "Ended", "on": "2025-08-29",
                            "ground": "AUTO-SUS-180"},
                           {"agreement": "XY-8", "event": "TookEffect", "on": "2025-08-01",
                            "ground": None}]}],
    "run_screening": [{"alerts": 2, "new_leads": ["SC-1", "SC-2"]}],
    "record_case_explanation": [{"late": True}],
    "close_case": [{"conclusion": "founded",
                    "outcomes": ["finding XY-1 WY-1", "bar 140105 并工伤停-1"]}],
    "withdraw_application": [{"recorded": False}],
}


@pytest.fixture(scope="module")
def results(tmp_path_factory) -> list[dict[str, Any]]:
    """Every result the worked files and the reference examples answer, and
    each command's variants."""
    ledger = open_ledger(f"sqlite:///{tmp_path_factory.mktemp('said') / 'ledger.sqlite'}")
    run, found = Run(ledger), []
    lines = [line for name in FILES for _, line in command_lines(ROOT / "examples" / name)]
    lines += [line for _, line in reference_examples()] + [x for _, x in hand_written_examples()]
    try:
        for line in lines:
            try:
                found.append(run.apply(line))
            except LedgerError:
                continue    # test_reference_examples names any refusal
    finally:
        ledger.close()
    last = {r["command"]: r for r in found}
    return found + [{**last[name], **change} for name, changes in VARIANTS.items()
                    for change in changes]


def _identifiers(result: dict[str, Any]) -> set[str]:
    """The values of the result a reader looks up as they are (codes, names)."""
    out: set[str] = set()

    def walk(key: str, value: Any) -> None:
        if isinstance(value, dict):
            for k, v in value.items():
                walk(k, v)
        elif isinstance(value, list):
            for v in value:
                walk(key, v)
        elif isinstance(value, str) and key in IDENTIFIERS:
            out.add(value)
        elif isinstance(value, str) and key == "outcomes":   # "<kind> <subject> <ref>"
            out.update(value.split(" ")[1:])
    walk("", result)
    return out


def english_left(text: str, result: dict[str, Any]) -> list[str]:
    """The English words in ``text`` beyond the result's codes and the rule ids."""
    for value in sorted(_identifiers(result), key=len, reverse=True):
        text = text.replace(value, " ")
    text = re.sub(r"[A-Z]{3}-\d{2}", lambda m: " " if is_rule(m.group()) else m.group(), text)
    return re.findall(r"[A-Za-z][A-Za-z_']+", text)


def test_every_command_has_its_sentence_in_both_languages():
    missing = [f"sentence.{name}" for name in SPECS
               if f"sentence.{name}" not in labels.catalogue()]
    assert missing == []
    unused = {k for k in labels.catalogue() if k.startswith("sentence.")} - \
        {f"sentence.{n}" for n in SPECS} - {"sentence.list_sep", "sentence.item_sep",
                                            "sentence.none", "sentence.repeat"}
    assert unused == set()


def test_every_result_is_told_in_chinese_without_an_english_word(results):
    assert {r["command"] for r in results} == set(SPECS), "every command's result is told"
    problems = []
    for result in results:
        text = describe(result, "zh")
        left = english_left(text, result)
        if left or "=" in text:
            problems.append(f"{result['command']}: {left} in {text!r}")
    assert problems == []


def test_every_result_is_told_in_english_with_lang_en(results):
    for result in results:
        zh, en = describe(result, "zh"), describe(result, "en")
        assert en and en != zh and not re.search(r"\w+=", en), (result["command"], en)


def test_the_sentence_follows_the_chosen_language(results, monkeypatch):
    result = next(r for r in results if r["command"] == "pay_claim")
    monkeypatch.setenv(labels.LANG_SETTING, "en")
    assert describe(result).startswith(f"{result['agreement']} {result['month']}: ")
    monkeypatch.delenv(labels.LANG_SETTING)
    assert describe(result).startswith(f"协议 {result['agreement']} {result['month']}：拨付")


def test_amounts_are_yuan_with_thousands_separators_and_dates_iso(results):
    paid = next(r for r in results if r["command"] == "pay_claim" and r["paid"] == "27198.45")
    assert "拨付 27,198.45 元，预留质量保证金 3,022.05 元" in describe(paid, "zh")
    assert "27,198.45 yuan paid, 3,022.05 yuan withheld" in describe(paid, "en")
    accepted = next(r for r in results if r["command"] == "accept_application")
    assert re.search(r"评估须于 \d{4}-\d\d-\d\d 前结束", describe(accepted, "zh"))


def test_every_clause_of_the_catalogue_is_told_by_some_result(results, monkeypatch):
    """The variants reach every branch, so the check above saw every clause."""
    used: set[str] = set()
    real = labels.sentence

    def recording(key, lang, values):
        used.add(key)
        return real(key, lang, values)
    monkeypatch.setattr(spec_module, "sentence", recording)
    monkeypatch.setattr(clock, "sentence", recording)
    for result in results:
        describe(result, "zh")
    clauses = {k for k in labels.catalogue() if k.startswith("clause.")}
    assert clauses - used == set()


def test_a_repeated_command_says_it_recorded_nothing_new():
    result = {"command": "withdraw_application", "application": "SQ-1", "recorded": False}
    assert describe(result, "zh") == "申请 SQ-1 已撤回。（此前已记录，未新增记录）"
    assert describe(result, "en") == "Application SQ-1 withdrawn. (already recorded earlier; " \
                                     "nothing new)"


def _codes() -> dict[str, set[str]]:
    """Every code a sentence words, by its catalogue group, from where the
    ledger defines it."""
    literal = lambda model, field: set(model.model_fields[field].annotation.__args__)  # noqa: E731
    return {
        "material": set(MATERIALS), "subtype": set(ASSISTIVE_SUBTYPES),
        "change": set(CHANGE_KINDS), "party": set(PARTIES),
        "agreement_type": set(AGREEMENT_TYPES.values()),
        "sanction": {s for g in ALL_GROUNDS for s in g.sanctions},
        "hold": literal(HoldClaimItem, "hold"), "route": literal(OpenDispute, "route"),
        "dispute_outcome": set(OUTCOMES), "case_step": set(STEPS),
        "outcome_kind": literal(Outcome, "kind"), "fact": set(Facts.model_fields) | {"name"},
        "item_status": {"pending", "queried", "refused", "held", "approved"},
    }


@pytest.mark.parametrize("group", sorted(_codes()))
def test_every_code_a_sentence_words_has_its_words_in_the_catalogue(group):
    missing = sorted(c for c in _codes()[group] if f"{group}.{c}" not in labels.catalogue())
    assert missing == []


def test_the_materials_chinese_names_are_the_measures_own():
    for code, name in MATERIALS.items():
        assert labels.label(f"material.{code}", "zh") == name.split(" (")[0]
