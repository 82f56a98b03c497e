"""The rule catalogue is the project's own data (issue #13): every rule id the
code, tests and docs cite is catalogued, every catalogued rule is proved by a
test named after it, an error cannot carry an uncatalogued id, and
docs/rules.md is the catalogue as generated.

Rule-shaped tokens are three capitals, a hyphen and digits (``SUS-04``). A
token glued to a hyphen on either side is part of a longer code and is not
read as a rule id: the ending code ``AUTO-SUS-180`` and document numbers such
as ``XY-TY-2025-001`` are not rules.
"""
from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

import pytest

from domain import rules as R
from domain.errors import Ground, InvalidCommand, LedgerError, NotFound, RuleViolation

ROOT = Path(__file__).resolve().parents[1]
SCANNED_DIRS = ("domain", "projections", "adapters", "scripts", "tests", "docs")

# Rule-shaped codes that are not rules. Data ids such as DOC-1, REC-1 or
# PDY-000 are not read as rule ids at all (an unknown group with other than two
# digits); only the rule's own shape, an unknown group with two digits, needs
# to be allowed here. Kept tiny; each says why.
NOT_RULES = {
    "UTF": "the text encoding UTF-16",
}

TOKEN = re.compile(r"(?<![\w-])([A-Z]{3})-(\d+)(?![\w-])")

# the id written the way test names carry it: sus04
_PREFIXES = "|".join(sorted(p.lower() for p in R.GROUPS))
NAME_TOKEN = re.compile(rf"(?:^|_)({_PREFIXES})(\d+)(?=_|$)")


def uncatalogued(text: str) -> list[str]:
    """Rule-shaped tokens in ``text`` that are not catalogued rules: an unknown
    id or a wrong number of digits in a known group (SUS-04 typed short or
    long), and a two-digit id in an unknown group (a mistyped group)."""
    bad = []
    for m in TOKEN.finditer(text):
        prefix, digits = m.groups()
        if prefix in R.GROUPS:
            if not R.is_rule(m.group(0)):
                bad.append(m.group(0))
        elif len(digits) == 2 and prefix not in NOT_RULES:
            bad.append(m.group(0))
    return bad


def scanned_files() -> list[Path]:
    files = [ROOT / "README.md"]
    for d in SCANNED_DIRS:
        files += sorted(p for p in (ROOT / d).rglob("*") if p.suffix in (".py", ".md")
                        and ".venv" not in p.parts and p.is_file())
    return files


def _test_names() -> dict[str, list[str]]:
    """Every test function's name, by file, outside this file."""
    out: dict[str, list[str]] = {}
    for path in sorted((ROOT / "tests").glob("test_*.py")):
        if path.name == Path(__file__).name:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        out[path.name] = [n.name for n in ast.walk(tree)
                          if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))
                          and n.name.startswith("test_")]
    return out


# --------------------------------------------------------------------------- #
# The catalogue itself
# --------------------------------------------------------------------------- #
def test_catalogue_holds_each_rule_once_with_a_title_and_a_cited_source():
    # the 64 rules of the measures, and the 8 of supervision (SUP) read from
    # M 3, 4, 18, 29, 32, 42, 49 (docs/interpretation.md)
    assert len(R.RULES) == 72
    assert list(R.GROUPS) == ["CAL", "ADM", "EVA", "AGR", "PAY", "ASM", "DEP", "SUS",
                              "TER", "SAN", "DIS", "SUP", "AUD"]
    sources = tuple(R.SOURCES)
    for r in R.RULES.values():
        assert R.RULE_ID.match(r.id) and r.prefix in R.GROUPS, r
        assert r.title.strip() and r.title[0].isupper(), r
        # every part of the article names its source: "M 45", "MA 37, RA 29", "Civil Code art. 202"
        for part in filter(None, (p.strip() for p in r.article.split(";"))):
            assert part.startswith(sources), (r.id, part)
    # the numbering has no gaps: a group's rules run 01, 02, ... without a hole
    for prefix in R.GROUPS:
        numbers = [int(r.id[4:]) for r in R.RULES.values() if r.prefix == prefix]
        assert numbers == list(range(1, len(numbers) + 1)), prefix


def test_rule_looks_up_a_catalogued_id_and_refuses_an_unknown_one():
    assert R.rule("SUS-04").article == "M 45"
    assert R.rule("ADM-04").title_zh == "申请材料不齐全的，5个工作日内一次性告知"
    short = "SUS" + "-4"
    with pytest.raises(KeyError, match="SUS-04"):
        R.rule(short)
    with pytest.raises(KeyError):
        R.rule("SUS" + "-004")
    assert R.is_rule("SUS-04") and not R.is_rule(short) and not R.is_rule(None)


def test_notes_point_at_sections_that_exist_in_interpretation_md():
    text = (ROOT / "docs" / "interpretation.md").read_text(encoding="utf-8")
    headings = {line.lstrip("#").strip() for line in text.splitlines() if line.startswith("#")}
    missing = {r.id: r.section for r in R.RULES.values() if r.section and r.section not in headings}
    assert not missing, f"notes cite headings docs/interpretation.md does not have: {missing}"


def test_rules_module_imports_only_the_standard_library_and_domain():
    tree = ast.parse((ROOT / "domain" / "rules.py").read_text(encoding="utf-8"))
    imported = {(n.module if isinstance(n, ast.ImportFrom) else a.name).split(".")[0]
                for n in ast.walk(tree) if isinstance(n, (ast.Import, ast.ImportFrom))
                for a in n.names}
    assert imported - {"__future__"} <= set(sys.stdlib_module_names) | {"domain"}, imported


# --------------------------------------------------------------------------- #
# Errors carry a catalogued rule
# --------------------------------------------------------------------------- #
@pytest.mark.parametrize("cls", [LedgerError, RuleViolation, InvalidCommand, NotFound])
def test_an_error_citing_an_uncatalogued_rule_is_a_programming_error(cls):
    assert cls("fine", rule="SUS-04").rule == "SUS-04"      # catalogued
    assert cls("no rule").rule == ""                        # no rule cited is allowed
    for wrong in ("SUS" + "-4", "SUS" + "-004", "SUS" + "-07", "XYZ" + "-01"):
        with pytest.raises(ValueError, match="not in the rule catalogue"):
            cls("typo", rule=wrong)


def test_an_error_class_with_an_uncatalogued_default_rule_cannot_be_raised():
    class Mistyped(RuleViolation):
        rule = "TER" + "-6"

    with pytest.raises(ValueError, match="not in the rule catalogue") as e:
        Mistyped("oops")
    assert "did you mean" in str(e.value)


def test_a_refusal_ground_citing_an_uncatalogued_rule_is_a_programming_error():
    assert Ground("ADM-03", "listed").rule == "ADM-03"
    with pytest.raises(ValueError, match="ADM-03"):
        Ground("ADM" + "-3", "listed")


def test_an_error_says_the_title_and_article_of_its_rule():
    d = RuleViolation("inspection dated on the last day", rule="SUS-04",
                      remedy="inspect from the next day").as_dict()
    assert d["rule"] == "SUS-04" and d["article"] == "M 45"
    assert d["rule_title"] == R.rule("SUS-04").title
    plain = InvalidCommand("a command is a JSON object").as_dict()
    assert plain["rule"] is None and plain["article"] is None and plain["rule_title"] is None
    # a rule of the ledger's own (no article) says so with None, not ""
    assert RuleViolation("x", rule="PAY-10").as_dict()["article"] is None


def _envelope(command: str, fields: dict) -> dict:
    return {"id": "c-1", "command": command, "date": "2025-03-03",
            "actor": {"user": "clerk", "role": "evaluator"}, "fields": fields}


def test_a_field_value_shaped_like_a_rule_id_is_not_cited_as_the_rule():
    from adapters.commands import parse

    code = "ZZZ" + "-12"   # an item code a user typed; not a rule
    with pytest.raises(InvalidCommand) as e:
        parse(_envelope("record_scores", {"evaluation": "EV-1", "scored_by": ["m1"],
                                          "deductions": {code: [["2", " "]]}}))
    assert e.value.rule == "EVA-06", e.value.as_dict()   # the rule the message cites
    assert code in e.value.reason
    with pytest.raises(InvalidCommand) as e:
        parse(_envelope("amend_institution", {"institution": "TY-H001", "changes": {code: 1}}))
    assert e.value.rule == "" and code in e.value.reason


def test_cited_rule_takes_the_first_catalogued_id_only():
    assert R.cited_rule("item " + "ZZZ" + "-12: needs its reason (EVA-06)") == "EVA-06"
    assert R.cited_rule("ended (AUTO-SUS-180)") == ""
    assert R.cited_rule("nothing cited") == ""


# --------------------------------------------------------------------------- #
# Every id cited anywhere is catalogued
# --------------------------------------------------------------------------- #
def test_scanner_finds_a_mistyped_or_unknown_id_and_passes_codes_that_are_not_rules():
    typo, long_, unknown = "SUS" + "-6", "SUS" + "-006", "SSU" + "-04"
    assert uncatalogued(f"see {typo}, {long_} and {unknown}; SUS-04 is fine") == \
        [typo, long_, unknown]
    assert uncatalogued("AUTO-SUS-180, XY-TY-2025-001, UTF-8, UTF-16, SHA-256, DOC-1") == []
    assert uncatalogued("SUS" + "-07") == ["SUS" + "-07"]   # well formed, not catalogued
    assert uncatalogued("ASM-01..03 and (PAY-10)") == []


def test_no_uncatalogued_rule_id_in_code_tests_or_docs():
    found = {}
    for path in scanned_files():
        text = path.read_text(encoding="utf-8")
        for lineno, line in enumerate(text.splitlines(), 1):
            for token in uncatalogued(line):
                found.setdefault(token, []).append(f"{path.relative_to(ROOT)}:{lineno}")
    assert not found, ("rule ids not in domain/data/rules.json (mistyped? catalogue them "
                       f"or correct them): {found}")


def test_no_test_is_named_after_an_uncatalogued_rule():
    wrong = {}
    for file, names in _test_names().items():
        for name in names:
            for prefix, digits in NAME_TOKEN.findall(name.removeprefix("test")):
                rid = f"{prefix.upper()}-{digits}"
                if not R.is_rule(rid):
                    wrong.setdefault(file, []).append(name)
    assert not wrong, f"test names citing rules that are not catalogued: {wrong}"


def test_every_catalogued_rule_is_proved_by_a_test_named_after_it():
    named = set()
    for names in _test_names().values():
        for name in names:
            named |= {f"{p.upper()}-{d}" for p, d in NAME_TOKEN.findall(name.removeprefix("test"))}
    unproved = sorted(set(R.RULES) - named)
    assert not unproved, ("no test is named after these rules (test_sus04_...); write the "
                          f"test that proves each at its edge: {unproved}")


# --------------------------------------------------------------------------- #
# docs/rules.md is the catalogue, and nothing points outside the project
# --------------------------------------------------------------------------- #
def test_docs_rules_md_is_the_generated_catalogue():
    page = (ROOT / "docs" / "rules.md").read_text(encoding="utf-8")
    assert page == R.render_markdown(), \
        "docs/rules.md is not current: run .venv/bin/python scripts/rules_doc.py"
    for r in R.RULES.values():
        assert f"| {r.id} | " in page


def test_anchor_of_a_heading_follows_the_renderer():
    assert R.interpretation_anchor("ADM-01 / ADM-06 / ADM-07") == "adm-01--adm-06--adm-07"
    assert R.interpretation_anchor('TER-02 — what "被中止" counts in M 39(1)') == \
        "ter-02--what-被中止-counts-in-m-391"


def test_nothing_in_the_project_points_at_the_catalogue_outside_it():
    outside = re.compile(r"shared/(spec|seeds)|\bRULES\.md\b|\bFORMS\.md\b")
    me = Path(__file__).resolve()
    hits = [f"{p.relative_to(ROOT)}:{i}" for p in scanned_files() if p.resolve() != me
            for i, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
            if outside.search(line)]
    assert not hits, f"link to docs/rules.md instead: {hits}"
