"""The rule catalogue, as the project's own data (issue #13).

Every rule the ledger enforces has a stable id (``SUS-04``), a short title in
our own words, the article it rests on (``M 45``: article 45 of the measures)
and, where ``docs/interpretation.md`` gives a reading, that reading in one
line and the heading of its section. The data is ``domain/data/rules.json``;
``docs/rules.md`` is generated from it (``scripts/rules_doc.py``) and a test
keeps the two equal, so the page users read is the catalogue the code checks.

``LedgerError`` refuses to carry a rule id that is not here, and
``tests/test_rule_catalogue.py`` fails on an uncatalogued id anywhere in the
code, tests or docs, and on a catalogued rule that no test names: an id
typed a digit short or a rule nobody proves cannot pass unnoticed.

Only the standard library and ``domain`` are imported; nothing here reads
anything outside the package.
"""
from __future__ import annotations

import difflib
import json
import re
from dataclasses import dataclass
from importlib import resources

__all__ = ["Rule", "Group", "RULES", "GROUPS", "SOURCES", "RULE_ID", "rule", "is_rule",
           "cited_rule", "render_markdown", "interpretation_anchor"]

# A well-formed rule id: three capital letters, a hyphen, two digits. Only the
# catalogue decides which well-formed ids exist.
RULE_ID = re.compile(r"^[A-Z]{3}-\d{2}$")


@dataclass(frozen=True)
class Rule:
    id: str
    title: str
    title_zh: str   # "" where neither the measures nor the Civil Code word the rule
    article: str    # as the catalogue cites it ("M 45", "MA 37, RA 29"); "" for the ledger's own rules
    note: str       # the reading in docs/interpretation.md, in one line; "" where it gives none
    section: str = ""  # the heading in docs/interpretation.md that holds that reading

    @property
    def prefix(self) -> str:
        return self.id[:3]


@dataclass(frozen=True)
class Group:
    prefix: str
    title: str
    title_zh: str
    articles: str


def _load() -> tuple[dict[str, str], dict[str, Group], dict[str, Rule]]:
    text = resources.files("domain").joinpath("data/rules.json").read_text(encoding="utf-8")
    data = json.loads(text)
    groups = {g["prefix"]: Group(**g) for g in data["groups"]}
    rules: dict[str, Rule] = {}
    problems: list[str] = []
    for entry in data["rules"]:
        r = Rule(**entry)
        if not RULE_ID.match(r.id):
            problems.append(f"{r.id!r} is not three capitals, a hyphen and two digits")
        if r.id in rules:
            problems.append(f"{r.id} is catalogued twice")
        if r.prefix not in groups:
            problems.append(f"{r.id} has no group {r.prefix}")
        if not r.title.strip():
            problems.append(f"{r.id} has no title")
        if bool(r.note) != bool(r.section):
            problems.append(f"{r.id}: a note needs the section it comes from, and a section its note")
        rules[r.id] = r
    if problems:
        # Raised, not asserted, so that python -O cannot skip it (as domain/forms.py does).
        raise RuntimeError("rule catalogue broken: " + "; ".join(problems))
    return dict(data["sources"]), groups, rules


SOURCES, GROUPS, RULES = _load()


def rule(rule_id: str) -> Rule:
    """The catalogued rule; KeyError naming the nearest ids for an unknown one."""
    try:
        return RULES[rule_id]
    except (KeyError, TypeError):
        pass
    close = difflib.get_close_matches(str(rule_id), RULES, n=3, cutoff=0.6)
    hint = f"; did you mean {' or '.join(close)}?" if close else ""
    raise KeyError(f"{rule_id!r} is not in the rule catalogue (domain/data/rules.json){hint}")


def is_rule(rule_id: object) -> bool:
    return isinstance(rule_id, str) and rule_id in RULES


_CITED = re.compile(r"(?<![\w-])[A-Z]{3}-\d{2}(?![\w-])")


def cited_rule(text: str) -> str:
    """The first catalogued rule id cited in ``text``, or "". A message may
    echo what the user typed, shaped like an id but not one, so only
    catalogued ids count."""
    return next((m for m in _CITED.findall(text) if m in RULES), "")


# --------------------------------------------------------------------------- #
# docs/rules.md
# --------------------------------------------------------------------------- #
def interpretation_anchor(heading: str) -> str:
    """The anchor a Markdown renderer (GitHub's rules) gives a heading: lower
    case, punctuation dropped, spaces to hyphens; Chinese is kept."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def _cell(text: str) -> str:
    return text.replace("|", "\\|") if text else "—"


def _forms_markdown() -> list[str]:
    # Imported here, not at the top: errors.py imports this module, and the
    # forms are needed only to write the page.
    from domain.forms import F2_FORMS, F6_FORMS, SURVEY

    out = ["## Scoring forms (F2, F6)", "",
           "The forms as `domain/forms.py` holds them: item codes as the ledger takes them "
           "in score sheets, our English gloss, the Chinese subject and the maximum points. "
           "The Chinese text of the annexes is the authority; every form's scored items "
           "add up to exactly 100 (checked when the module loads).", ""]
    for form in (*F2_FORMS.values(), *F6_FORMS.values(), SURVEY):
        out += [f"### {form.form_id}: {form.title_zh}", ""]
        if form.veto_items:
            vetoes = ", ".join(f"{v.code} {v.subject_en} ({v.subject_zh})" for v in form.veto_items)
            out += [f"Veto items (单项否决, pass or fail, no points): {vetoes}.", ""]
        shared = form.shared
        out += ["| item | subject | 项目 | max |" + (" applies to |" if shared else ""),
                "|---|---|---|---|" + ("---|" if shared else "")]
        for it in form.items:
            row = f"| {it.code} | {_cell(it.subject_en)} | {_cell(it.subject_zh)} | {it.max_points} |"
            if shared:
                row += f" {', '.join(sorted(it.applies_to)) or 'both'} |"
            out.append(row)
        out.append("")
    return out


def render_markdown() -> str:
    """The text of docs/rules.md, generated from the catalogue and the forms."""
    out = ["# Rule catalogue", "",
           "<!-- Generated from domain/data/rules.json and domain/forms.py by "
           "scripts/rules_doc.py; do not edit by hand (tests/test_rule_catalogue.py "
           "fails when this page is not current). -->", "",
           "Every rule the ledger enforces, by its stable id. The code that enforces a rule "
           "and the test that proves it both cite the id (`grep -r SUS-04 domain tests`), and "
           "a refused command names it: `[SUS-04] ...`. The titles are our short summaries; "
           "the Chinese text of the measures and their annexes is the authority, and "
           "[interpretation.md](interpretation.md) says how the ledger reads it where the "
           "text leaves room.", "",
           "Articles are cited as:", ""]
    out += [f"* **{k}**: {v}" for k, v in SOURCES.items()]
    out += ["", "A rule with no article (—) is the ledger's own requirement, not a clause of "
            "the measures; its Chinese title is left out where no source text words it.", ""]
    for prefix, group in GROUPS.items():
        zh = f" ({group.title_zh})" if group.title_zh else ""
        out += [f"## {prefix}: {group.title}{zh}", "", f"Rests on: {group.articles}.", "",
                "| id | rule | 规则 | article | how the ledger reads it |",
                "|---|---|---|---|---|"]
        for r in RULES.values():
            if r.prefix != prefix:
                continue
            note = "—"
            if r.note:
                anchor = interpretation_anchor(r.section)
                note = f"{_cell(r.note)} ([reading](interpretation.md#{anchor}))"
            out.append(f"| {r.id} | {_cell(r.title)} | {_cell(r.title_zh)} | "
                       f"{_cell(r.article)} | {note} |")
        out.append("")
    out += _forms_markdown()
    return "\n".join(out).rstrip("\n") + "\n"
