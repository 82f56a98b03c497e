"""What a command is, declared once: its name (which is also its handler on
``domain.service.Ledger``), its fields, its group in the reference, and the
sentence its result is told in."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from domain.application import MATERIALS

EVENT_WORDS = {"Ended": "ended", "TookEffect": "took effect",
               "ContinuedUnderArt51": "continued under M 51",
               "ChangeReportOverdue": "change report overdue",
               "SuccessorTookEffect": "successor took effect"}


def items_in_words(items: list[str]) -> str:
    return ", ".join(MATERIALS.get(i, i).split(" (")[0] for i in items) or "none"


@dataclass(frozen=True)
class Spec:
    name: str                       # the command, and its Ledger handler's name
    model: type                     # its fields: a pydantic model (adapters/specs/types.Strict)
    group: str                      # where the reference lists it
    sentence: Callable[[dict[str, Any]], str] | None = None   # its result in words

    @property
    def module(self) -> str:
        """The subject module that declares it (its reference text is beside it)."""
        return self.model.__module__.rsplit(".", 1)[-1]

    def say(self, result: dict[str, Any]) -> str:
        """The result as a case officer reads it; a command without a
        sentence of its own lists its result's fields."""
        if self.sentence is not None:
            return self.sentence(result)
        shown = {k: v for k, v in result.items() if k not in ("command", "command_id", "recorded")}
        return f"{self.name}: " + ", ".join(f"{k}={v}" for k, v in shown.items())
