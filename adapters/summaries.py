"""An event's summary in the reader's words (issue #17): the timeline's
"what" column, its CSV and xlsx.

``adapters.timeline.summarize`` gives ``field=value; ...`` for an event's own
fields: that text is what JSON keeps (stable, as the codes are). Beside it
the summary keeps each field's words in Chinese, made when the summary is
(an event's fields may change afterwards): the field's name from the label
catalogue (``event_field.<name>``), codes of a known group in their words
(the M 12 materials as the measures name them, sanction measures, routes,
steps, roles), amounts in yuan with thousands separators, truth values as
是/否. A value that is none of those (a dict, a free text) is shown as the
English summary shows it, abridged alike.
"""
from __future__ import annotations

import re
from typing import Any

from adapters.labels import Said, catalogue, current, label, word
from adapters.tables import yuan_text

# the event fields whose codes the catalogue words: the groups tried in turn
# (their codes do not overlap), or by the event's aggregate where one field
# name means another list of codes in each (``status``)
FIELD_GROUPS: dict[str, tuple[str, ...]] = {
    "materials": ("material",), "missing": ("material",), "subtype": ("subtype",),
    "roles": ("role",), "role": ("person_role", "role"), "kind": ("kind", "choice"),
    "hold": ("hold",), "route": ("route",), "step": ("case_step",), "sanctions": ("sanction",),
    "change": ("change",), "raised_by": ("party",), "given_by": ("party",),
    "agreement_type": ("agreement_type",), "source": ("lead_source",),
    "conclusion": ("case_status",), "reporter": ("reporter",)}
BY_AGGREGATE: dict[str, dict[str, str]] = {
    "status": {"Application": "application_status", "Agreement": "status",
               "Claim": "item_status", "Lead": "lead_status", "Case": "case_status"},
    "items": {"Application": "material"}}
# the event fields that are amounts in fen
FEN_FIELDS = frozenset({"amount_fen", "deducted_fen", "noncompliant_fen", "gross", "deducted",
                        "excess", "approved", "paid", "withheld", "returned", "forfeited"})
SEPARATOR = {"zh": "；", "en": "; "}
_COUNTED = re.compile(r"^[\[{](\d+) (fields|items?)[\]}]$")   # "{17 fields}", "[2 items]"


def _worded(groups: tuple[str, ...], code: str, lang: str) -> str:
    for group in groups:
        if f"{group}.{code.replace(' ', '_')}" in catalogue():
            return word(group, code, lang)
    return code


def words(aggregate: str, name: str, value: Any, shown: str, lang: str = "zh") -> str:
    """One field of an event of ``aggregate`` in ``lang``; ``shown`` is how
    the English summary shows it (used for whatever has no words of its own)."""
    groups = FIELD_GROUPS.get(name, ())
    if name in BY_AGGREGATE:
        groups = tuple(g for g in [BY_AGGREGATE[name].get(aggregate)] if g)
    if isinstance(value, bool):
        return word("word", "yes" if value else "no", lang)
    if name in FEN_FIELDS and isinstance(value, int):
        return yuan_text(value)
    if groups and isinstance(value, str):
        return _worded(groups, value, lang)
    if isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value) \
            and shown == "[" + ", ".join(value) + "]":      # shown whole, not "[20 items]"
        return label("sentence.list_sep", lang).join(
            _worded(groups, v, lang) for v in value) or label("sentence.none", lang)
    counted = _COUNTED.match(shown)
    if counted:
        return label(f"summary.{counted.group(2).rstrip('s')}s", lang, n=counted.group(1))
    return shown


class Summary(Said):
    """An event's summary: its English ``field=value; ...`` as text, and in
    the reader's language with ``say()``."""

    def __new__(cls, english: str, pieces: list[tuple[str, str]], width: int) -> "Summary":
        self = str.__new__(cls, english)
        self.key, self.values = "", {}
        self.pieces, self.width = pieces, width
        return self

    def __getnewargs__(self) -> tuple[str, list[tuple[str, str]], int]:  # type: ignore[override]
        return str(self), self.pieces, self.width

    def say(self, lang: str | None = None) -> str:
        lang = lang or current()
        if lang == "en":
            return str(self)
        text = SEPARATOR[lang].join(
            label("summary.field_value", lang, field=label(f"event_field.{name}", lang), value=value)
            for name, value in self.pieces)
        return text if len(text) <= self.width else text[: self.width - 1] + "…"
