"""Every refusal a user reads is Chinese first (issue #17): each place in
domain/ that builds a refusal (a LedgerError of any kind, or a Ground) gives
a stable message key, its English as a template and the values that fill
it; the label catalogue words the same key in Chinese with the same
placeholders. The raise sites are found by reading domain/'s source, so a
new one cannot slip past: it fails here until it has its key and words."""
from __future__ import annotations

import ast
import json
import re
from pathlib import Path
from string import Formatter

import pytest

from adapters.labels import catalogue
from adapters.refusals import refusal, refusal_text
from domain.claim import parse_month
from domain.errors import Ground, InvalidCommand, RuleViolation

DOMAIN = Path(__file__).resolve().parent.parent / "domain"
AREA_FILE = DOMAIN.parent / "adapters" / "data" / "labels-refusals.json"

# Sites not keyed yet, by file: the number of refusals there that still
# speak English only. The list may only shrink: when a site gets its key,
# lower its count here (a file at 0 leaves the list); a new site without a
# key fails. Why each is not keyed yet:
NOT_YET_KEYED: dict[str, int] = {
    # the reason is a ValueError's text from domain/forms.py (the form's own
    # words): keyed when forms.py's errors carry keys
    "domain/assessment.py": 2,
    "domain/evaluation.py": 1,
    # check_party takes the field and the remedy from its callers (and a test
    # calls it so); keyed when the callers give the key
    "domain/agreement_terms.py": 1,
    # choose_role joins another refusal's reason to its own
    "domain/policies/access.py": 1,
    # the clock wraps a calendar error's text; core's unknown-subject refusal
    # takes its remedy from its callers (keyed when they give the key)
    "domain/service/clock.py": 1,
    "domain/service/core.py": 1,
}


def _classes_of_refusal(trees: dict[str, ast.Module]) -> set[str]:
    """LedgerError, Ground and every class in domain/ that derives from one."""
    names = {"LedgerError", "Ground"}
    grew = True
    while grew:
        grew = False
        for tree in trees.values():
            for node in ast.walk(tree):
                if isinstance(node, ast.ClassDef) and node.name not in names and any(
                        _name(b) in names for b in node.bases):
                    names.add(node.name)
                    grew = True
    return names


def _name(node: ast.AST) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return ""


def _trees() -> dict[str, ast.Module]:
    return {str(p.relative_to(DOMAIN.parent)): ast.parse(p.read_text("utf-8"))
            for p in sorted(DOMAIN.rglob("*.py"))}


def _sites() -> list[tuple[str, int, ast.Call]]:
    trees = _trees()
    kinds = _classes_of_refusal(trees) - {"StatutoryGround"}
    return [(path, node.lineno, node) for path, tree in trees.items() for node in ast.walk(tree)
            if isinstance(node, ast.Call) and _name(node.func) in kinds]


def _kw(call: ast.Call, name: str) -> ast.expr | None:
    return next((k.value for k in call.keywords if k.arg == name), None)


def _reason(call: ast.Call) -> ast.expr | None:
    given = _kw(call, "reason")
    at = 1 if _name(call.func) == "Ground" else 0
    return given if given is not None else (call.args[at] if len(call.args) > at else None)


def _placeholders(template: str) -> set[str]:
    return {re.split(r"[.\[]", f)[0] for _, f, _, _ in Formatter().parse(template) if f is not None}


def _keyed() -> list[tuple[str, int, ast.Call]]:
    return [s for s in _sites() if _kw(s[2], "key") is not None]


KEYED = _keyed()
WORDS = catalogue()


def _where(site) -> str:
    return f"{site[0]}:{site[1]}"


def test_every_refusal_site_in_domain_has_a_message_key_except_the_listed_few():
    unkeyed: dict[str, int] = {}
    for path, _, call in _sites():
        if _kw(call, "key") is None:
            unkeyed[path] = unkeyed.get(path, 0) + 1
    assert unkeyed == NOT_YET_KEYED, "give each refusal site a key= (and lower NOT_YET_KEYED)"


def test_the_scan_finds_the_refusal_sites_it_must():
    # a scan that found nothing would pass every test below
    assert len(KEYED) > 200
    assert any(p == "domain/claim.py" for p, _, _ in KEYED)


@pytest.mark.parametrize("site", KEYED, ids=_where)
def test_a_keyed_site_gives_its_english_as_a_template_filled_by_exactly_its_values(site):
    _, _, call = site
    reason, remedy, values = _reason(call), _kw(call, "remedy"), _kw(call, "values")
    key = _kw(call, "key")
    assert isinstance(key, ast.Constant) and isinstance(key.value, str)
    for text in (reason, remedy):
        assert text is None or (isinstance(text, ast.Constant) and isinstance(text.value, str)), \
            "a keyed template is a plain string (not an f-string): the values fill it"
    given = set() if values is None else {k.value for k in values.keys}
    assert values is None or isinstance(values, ast.Dict) and all(
        isinstance(k, ast.Constant) for k in values.keys)
    used = _placeholders(reason.value) | (_placeholders(remedy.value) if remedy else set())
    assert used == given


@pytest.mark.parametrize("site", KEYED, ids=_where)
def test_a_keyed_site_has_its_words_in_the_catalogue_the_english_as_the_domain_says_it(site):
    _, _, call = site
    key = _kw(call, "key").value
    remedy = _kw(call, "remedy")
    assert key in WORDS, f"add {key} to {AREA_FILE.name}"
    assert WORDS[key]["en"] == _reason(call).value
    if remedy is None:
        assert f"{key}.remedy" not in WORDS
    else:
        assert WORDS[f"{key}.remedy"]["en"] == remedy.value


def _refusal_entries() -> list[str]:
    return sorted(json.loads(AREA_FILE.read_text("utf-8")))


# codes a user types or reads as codes: rule ids, article and clause numbers,
# `input fields`, date and instant formats, questionnaire items
CODES = re.compile(r"`[^`]*`|\{[^}]*\}|[A-Z]{3}-\d{2}|\b(?:M|MA|RA|DA|F)\s?\d+[\d()\-/ ]*"
                   r"|YYYY-MM|\d{4}-\d\d-\d\dT[\d:+]+|Q\d-Q\d|\bSX\b|MA\d+-\d")


@pytest.mark.parametrize("key", _refusal_entries())
def test_the_chinese_words_have_no_english_left_and_take_the_same_values(key):
    words = WORDS[key]
    assert re.findall(r"[A-Za-z]{2,}", CODES.sub(" ", words["zh"])) == [], words["zh"]
    assert _placeholders(words["zh"]) == _placeholders(words["en"])


def test_every_catalogued_refusal_is_said_somewhere_in_domain():
    said = {_kw(c, "key").value for _, _, c in KEYED}
    said |= {f"{k}.remedy" for k in said}
    assert set(_refusal_entries()) <= said


def test_message_keys_are_unique_to_one_site():
    keys = [_kw(c, "key").value for _, _, c in KEYED]
    assert sorted(k for k in set(keys) if keys.count(k) > 1) == []


def test_pay01_a_refusal_reads_in_chinese_and_in_english_as_it_always_has():
    with pytest.raises(InvalidCommand) as caught:
        parse_month("2025/07")
    error = caught.value
    _, zh = refusal("f.jsonl:2", error, "zh")
    _, en = refusal("f.jsonl:2", error, "en")
    assert "不是有效的服务月份：'2025/07'" in zh and "改正方法：请按 YYYY-MM 格式给出月份" in zh
    assert en == f" {error}" and error.reason == "not a service month: '2025/07'"
    assert error.as_dict()["reason"] == "not a service month: '2025/07'"


def test_adm03_a_keyed_ground_reads_in_chinese_with_its_values():
    ground = Ground("ADM-03", "{role} {person_id} is on the dishonesty list since {listed_on} "
                    "(M 11(1))", key="refusal.bars.on_dishonesty_list_since",
                    values={"role": "legal_rep", "person_id": "P-1", "listed_on": "2025-03-01"})
    error = RuleViolation("refused", rule="ADM-03", grounds=(ground,))
    _, zh = refusal("f:1", error, "zh")
    assert "legal_rep P-1 自 2025-03-01 起列入失信名单（M 11(1)）" in zh
    assert ground.reason == "legal_rep P-1 is on the dishonesty list since 2025-03-01 (M 11(1))"


def test_pay01_a_refusal_on_its_own_reads_in_chinese_and_in_english_as_str_of_it():
    with pytest.raises(InvalidCommand) as caught:
        parse_month("2025-13")
    error = caught.value
    assert refusal_text(error, "en") == str(error)
    assert refusal_text(error, "zh").startswith("规则 [PAY-01]「")
    assert refusal_text(error, "zh").endswith("：不是有效的服务月份：'2025-13'\n"
                                              "  改正方法：请按 YYYY-MM 格式给出月份")
