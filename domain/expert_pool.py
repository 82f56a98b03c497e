"""The expert pool (专家库) of the province or of a city (SUP-08; M 3).

M 3: "省、市建立专家库，参与评审、咨询、培训等相关专业技术工作". One pool per
agency code (``SX`` for the province, a city's code for the city's). An
expert joins with the institutions they are in conflict with (works there,
holds a stake, a close relative works there...), may declare more conflicts
later, and may leave; the draw (SUP-07) draws inspectors only from experts
in the pool on the draw's date and never for a target they are in conflict
with. A pool's history is its events: who was in it, with which conflicts,
on any day.
"""
from __future__ import annotations

from datetime import date
from typing import Any

from eventsourcing.domain import event

from domain.agency import check_agency
from domain.base import Envelope, LedgerAggregate, stable_id
from domain.errors import InvalidCommand, RuleViolation


class ExpertPool(LedgerAggregate):
    """One agency's pool, found by the agency's code."""

    @staticmethod
    def id_for(agency: str):
        return stable_id("expert-pool", agency)

    @classmethod
    def open(cls, *, agency: str, effective_on: date, envelope: Envelope) -> "ExpertPool":
        check_agency(agency)
        return cls._create(cls.Opened, id=cls.id_for(agency), agency=agency,
                           effective_on=effective_on, envelope=envelope)

    class Opened(LedgerAggregate.Created):
        agency: str
        effective_on: date
        envelope: Envelope

    def __init__(self, agency: str) -> None:
        self.agency = agency
        # expert id -> {expert, name, field, conflicts: [institution codes], joined_on, left_on}
        self.experts: dict[str, dict[str, Any]] = {}

    def add_expert(self, *, expert: str, name: str, field: str, conflicts: list[str],
                   effective_on: date, envelope: Envelope) -> None:
        found = self.experts.get(expert)
        if found is not None and found["left_on"] is None:
            raise RuleViolation("expert {expert} is already in the {agency} pool", rule="SUP-08",
                                remedy="declare a conflict instead",
                                key="refusal.expert_pool.expert_already_in_pool", values={"expert": expert,
                                "agency": self.agency})
        if not name.strip():
            raise InvalidCommand("an expert has a name", rule="SUP-08", remedy="give the name",
                                 key="refusal.expert_pool.expert_has_name")
        self._added(expert=expert, name=name, field=field, conflicts=sorted(set(conflicts)),
                    effective_on=effective_on, envelope=envelope)

    @event("ExpertAdded")
    def _added(self, expert: str, name: str, field: str, conflicts: list[str],
               effective_on: date, envelope: Envelope) -> None:
        self.experts[expert] = {"expert": expert, "name": name, "field": field,
                                "conflicts": list(conflicts), "joined_on": effective_on,
                                "left_on": None}

    def _member(self, expert: str) -> dict[str, Any]:
        found = self.experts.get(expert)
        if found is None or found["left_on"] is not None:
            raise RuleViolation("{expert} is not in the {agency} pool", rule="SUP-08",
                                remedy="add the expert first", key="refusal.expert_pool.not_in_pool",
                                values={"expert": expert, "agency": self.agency})
        return found

    def declare_conflict(self, *, expert: str, institution_code: str, effective_on: date,
                         envelope: Envelope) -> None:
        if institution_code in self._member(expert)["conflicts"]:
            return
        self._conflict_declared(expert=expert, institution_code=institution_code,
                                effective_on=effective_on, envelope=envelope)

    @event("ConflictDeclared")
    def _conflict_declared(self, expert: str, institution_code: str, effective_on: date,
                           envelope: Envelope) -> None:
        self.experts[expert]["conflicts"] = sorted({*self.experts[expert]["conflicts"],
                                                    institution_code})

    def remove_expert(self, *, expert: str, reason: str, effective_on: date,
                      envelope: Envelope) -> None:
        member = self._member(expert)
        if effective_on < member["joined_on"]:
            raise RuleViolation("{expert} joined on {joined_on}", rule="SUP-08",
                                remedy="date the leaving on or after the joining",
                                key="refusal.expert_pool.joined_on_expert_joined_on",
                                values={"expert": expert, "joined_on": member['joined_on']})
        self._removed(expert=expert, reason=reason, effective_on=effective_on,
                      envelope=envelope)

    @event("ExpertRemoved")
    def _removed(self, expert: str, reason: str, effective_on: date, envelope: Envelope) -> None:
        self.experts[expert]["left_on"] = effective_on

    def members_on(self, day: date) -> list[dict[str, Any]]:
        """Experts in the pool on ``day`` (joined by then, not yet left), by id."""
        return [dict(e, conflicts=list(e["conflicts"])) for _, e in sorted(self.experts.items())
                if e["joined_on"] <= day and (e["left_on"] is None or day < e["left_on"])]
