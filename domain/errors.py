"""Named errors that carry the rule a command broke.

A rejected command records nothing. The error says which rule (its stable id
from the rule catalogue), why, and what would make the command valid.

Every word a user reads is Chinese first (issue #17), but the domain imports
no adapter: a raise site gives its English as a template, a stable message
``key`` and the ``values`` that fill it. The English ``reason``/``remedy`` are
filled here, as they always read (JSON keeps them); the label catalogue
(adapters/data/labels-refusals.json) holds the same key in Chinese and
adapters/refusals.py fills that from the same values. The remedy's key is
the reason's with ``.remedy`` after it.
"""
from __future__ import annotations

from dataclasses import dataclass, field as _field
from typing import Mapping

from domain.rules import RULES, rule as catalogued


def _filled(template: str, key: str, values: Mapping[str, object]) -> str:
    """The English words of a keyed template; an unkeyed text is as given."""
    return template.format_map(values) if key and template else template


def _check_rule(rule: str, who: str) -> None:
    """An uncatalogued rule id is a programming error, not a refusal: a
    mistyped id would otherwise reach the user and pass every grep."""
    if rule and rule not in RULES:
        try:
            catalogued(rule)
        except KeyError as e:
            raise ValueError(f"{who} cites {e.args[0]}") from None


@dataclass(frozen=True)
class Ground:
    """One reason a command is refused: the rule, the article and the date
    the obstacle lifts (if it lifts by itself)."""

    rule: str
    reason: str
    article: str = ""
    lifts_on: object = None  # a date, or None when it does not lift by time alone
    key: str = ""            # the message key in the label catalogue (``reason`` is its template)
    values: Mapping[str, object] = _field(default_factory=dict, compare=False, hash=False)

    def __post_init__(self) -> None:
        _check_rule(self.rule, "a refusal ground")
        object.__setattr__(self, "reason", _filled(self.reason, self.key, self.values))

    def as_dict(self) -> dict[str, object]:
        return {
            "rule": self.rule,
            "reason": self.reason,
            "article": self.article,
            "lifts_on": self.lifts_on.isoformat() if self.lifts_on else None,
        }


class LedgerError(Exception):
    """Base for every refusal the ledger gives."""

    rule: str = ""

    def __init__(self, reason: str, *, rule: str = "", remedy: str = "",
                 grounds: tuple[Ground, ...] = (), field: str = "", key: str = "",
                 values: Mapping[str, object] | None = None) -> None:
        # the message key in the label catalogue; reason and remedy are its templates
        self.key = key
        self.values = dict(values or {})
        reason = _filled(reason, key, self.values)
        remedy = _filled(remedy, key, self.values)
        super().__init__(reason)
        self.reason = reason
        self.rule = rule or self.rule
        _check_rule(self.rule, type(self).__name__)
        self.remedy = remedy
        self.grounds = tuple(grounds)
        self.field = field      # the input field at fault, when one is (``fields.items.0.amount``)

    def as_dict(self) -> dict[str, object]:
        return {
            "error": type(self).__name__,
            "rule": self.rule or None,
            # from the catalogue, so a reader of the JSON need not look the id up;
            # errors are never stored, so this changes no event or fingerprint
            "rule_title": RULES[self.rule].title if self.rule else None,
            "article": (RULES[self.rule].article or None) if self.rule else None,
            "field": self.field or None,
            "reason": self.reason,
            "remedy": self.remedy or None,
            "grounds": [g.as_dict() for g in self.grounds],
        }

    def __str__(self) -> str:
        head = f"[{self.rule}] " if self.rule else ""
        text = head + self.reason
        for g in self.grounds:
            lifts = f" (lifts on {g.lifts_on.isoformat()})" if g.lifts_on else ""
            text += f"\n  - [{g.rule}] {g.reason}{lifts}"
        if self.remedy:
            text += f"\n  To make it valid: {self.remedy}"
        return text


class RuleViolation(LedgerError):
    """A business rule from the catalogue forbids the command."""


class InvalidCommand(LedgerError):
    """The command is malformed: unknown name, missing or mistyped field."""


class NotFound(LedgerError):
    """The command names something the ledger does not hold."""


class Conflict(LedgerError):
    """The command id was already used for a different command."""
