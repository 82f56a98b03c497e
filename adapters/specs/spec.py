"""What a command is, declared once: its name (which is also its handler on
``domain.service.Ledger``), its fields, its group in the reference, and the
sentence its result is told in.

The sentence is the catalogue's ``sentence.<command>`` (adapters/data/
labels.json, Chinese first): one template a command, filled from its
result. Every value of the result is offered to the template already shown
as a reader reads it (amounts as yuan with thousands separators, lists
joined, codes of a known group in words); a spec's ``values`` adds what
the template needs beyond that (a clause that applies only when the result
is late, a code's words), never words of its own.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Iterable, Mapping

from adapters.labels import current, label, sentence, word
from adapters.tables import yuan_text
from domain.grounds import ground

# the result fields that are amounts (Money.yuan() text): shown as 1,234.50
MONEY_FIELDS = frozenset({"claimed", "non_injury", "deducted", "noncompliant", "approved",
                          "excess", "gross", "paid", "withheld", "amount", "was",
                          "outstanding", "to_recover", "recovered", "forfeited", "returned"})
# the result fields whose codes the catalogue words, and the group it words them in
WORDED_FIELDS = {"kind": "kind", "subtype": "subtype", "roles": "role",
                 "missing": "material", "still_missing": "material", "source": "lead_source",
                 "hold": "hold", "route": "route", "outcome": "dispute_outcome",
                 "conclusion": "case_status", "step": "case_step", "sanctions": "sanction",
                 "change": "change", "raised_by": "party", "type": "agreement_type",
                 "changed": "fact"}
ValuesFn = Callable[[Mapping[str, Any], str], Mapping[str, Any]]


def listed(items: Iterable[Any], lang: str) -> str:
    """Items joined as the language joins them ("、" or ", "); none said so."""
    shown = [str(i) for i in items]
    return label("sentence.list_sep", lang).join(shown) if shown else label("sentence.none", lang)


def worded(group: str, codes: Iterable[Any], lang: str) -> str:
    return listed((word(group, c, lang) for c in codes), lang)


def clause(key: str, lang: str, when: Any, **values: Any) -> str:
    """The catalogue's ``clause.<key>`` when ``when`` holds, else nothing."""
    return sentence(f"clause.{key}", lang, values) if when else ""


def ground_text(r: Mapping[str, Any], lang: str) -> dict[str, str]:
    """A result's statutory ground in its own words (domain/grounds.py) beside its code."""
    g = ground(r["ground"])
    return {"ground_text": g.text_zh if lang == "zh" else g.text_en}


def shown(key: str, value: Any, lang: str) -> Any:
    """One result value as the sentence shows it."""
    group = WORDED_FIELDS.get(key)
    if key in MONEY_FIELDS and isinstance(value, (str, int)) and not isinstance(value, bool):
        return yuan_text(value)
    if isinstance(value, (list, tuple)):
        return worded(group, value, lang) if group else listed(value, lang)
    if isinstance(value, bool):
        return word("word", "yes" if value else "no", lang)
    if value is None:
        return ""
    return word(group, value, lang) if group and isinstance(value, str) else value


@dataclass(frozen=True)
class Spec:
    name: str                       # the command, and its Ledger handler's name
    model: type                     # its fields: a pydantic model (adapters/specs/types.Strict)
    group: str                      # where the reference lists it
    values: ValuesFn | None = None  # what its sentence needs beyond the result's own values

    @property
    def module(self) -> str:
        """The subject module that declares it (its reference text is beside it)."""
        return self.model.__module__.rsplit(".", 1)[-1]

    def say(self, result: Mapping[str, Any], lang: str | None = None) -> str:
        """The result as a case officer reads it, in ``lang`` (the current
        language by default): the catalogue's sentence for this command."""
        lang = lang or current()
        values = {k: shown(k, v, lang) for k, v in result.items()}
        if self.values is not None:
            values.update(self.values(result, lang))
        return sentence(f"sentence.{self.name}", lang, values)
