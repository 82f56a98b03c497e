"""The double-random draw, 双随机、一公开 (SUP-07; M 42, M 3).

Targets are drawn from the institutions with an agreement in force on the
draw's date, inspectors from the expert pool on that date, an inspector
never for a target they are in conflict with; the result is published as
an event holding everything needed to draw it again.

Nobody chooses the seed alone: it is the hash chain's head (AUD-05) at a
stated instant, i.e. the chain value of the last event recorded by then,
which every recorded act before it went into. The ranking is plain SHA-256
so that anyone re-runs it without this code:

* a target's rank is ``sha256("<head>|<draw number>|target|<institution>")``;
  the ``targets`` lowest ranks (hex order) are drawn, listed in rank order;
* for each drawn target, an eligible expert's rank is
  ``sha256("<head>|<draw number>|inspector|<institution>|<expert>")``; the
  ``per_target`` lowest are its inspectors. An expert may serve on more than
  one target's team: each team is drawn on its own.
"""
from __future__ import annotations

import hashlib
import re
from datetime import date, datetime
from typing import Any

from eventsourcing.domain import event

from domain.base import Envelope, LedgerAggregate, stable_id
from domain.errors import InvalidCommand, RuleViolation

HEAD = re.compile(r"^[0-9a-f]{64}$")


def rank(*parts: str) -> str:
    return hashlib.sha256("|".join(parts).encode("utf-8")).hexdigest()


def check_seed(head: str, position: int, instant: datetime) -> None:
    if not isinstance(head, str) or not HEAD.match(head):
        raise InvalidCommand("the seed is a chain head: 64 lower-case hex digits", rule="SUP-07",
                             remedy="let `ledger supervision seed --instant T` read it from the hash chain",
                             key="refusal.draw.seed_chain_head_lower")
    if type(position) is not int or position < 0:
        raise InvalidCommand("the seed's log position is a notification id, 0 or more",
                             rule="SUP-07", remedy="give the position the head belongs to",
                             key="refusal.draw.seed_s_log_position")
    if not isinstance(instant, datetime) or instant.tzinfo is None:
        raise InvalidCommand("the seed's instant carries its time zone", rule="SUP-07",
                             remedy="give it as 2026-12-01T00:00:00+08:00",
                             key="refusal.draw.seed_s_instant_carries")


def draw(*, head: str, number: str, population: list[str], pool: list[dict[str, Any]],
         targets: int, per_target: int) -> list[dict[str, Any]]:
    """The draw's result: each drawn target with its inspectors, in rank order.
    A pure function of what the published event holds."""
    if type(targets) is not int or targets < 1 or type(per_target) is not int or per_target < 1:
        raise InvalidCommand("a draw takes at least one target and one inspector each",
                             rule="SUP-07", remedy="give targets and per_target of 1 or more",
                             key="refusal.draw.draw_takes_at_least")
    population = sorted(set(population))
    if targets > len(population):
        raise RuleViolation("{targets} target(s) asked from {population} institution(s) with an "
                            "agreement in force", rule="SUP-07",
                            remedy="draw at most {population}", key="refusal.draw.target_s_asked_from",
                            values={"targets": targets, "population": len(population)})
    chosen = sorted(population, key=lambda code: rank(head, number, "target", code))[:targets]
    out = []
    for code in chosen:
        eligible = [e["expert"] for e in pool if code not in e["conflicts"]]
        if len(eligible) < per_target:
            raise RuleViolation("only {eligible} expert(s) of the pool have no conflict with "
                                "{code}; {per_target} needed", rule="SUP-07",
                                remedy="add experts to the pool (SUP-08), or draw fewer "
                                       "inspectors per target", key="refusal.draw.only_expert_s_pool",
                                values={"eligible": len(eligible), "code": code,
                                "per_target": per_target})
        team = sorted(eligible, key=lambda x: rank(head, number, "inspector", code, x))
        out.append({"institution": code, "inspectors": team[:per_target]})
    return out


def in_force_on(agreement: Any, day: date) -> bool:
    """An agreement in force on ``day`` for the draw: it took effect by then
    and had not ended or expired. A suspended agreement counts: its
    institution is still an agreement institution (协议机构) under supervision."""
    took = agreement.took_effect_on
    if took is None or day < max(took, agreement.term_start) or agreement.status == "stopped":
        return False
    if agreement.ending is not None and day >= agreement.ending["ended_on"]:
        return False
    return agreement.continued_on is not None or day <= agreement.term_end


def population_on(agreements: list[Any], agency: str, day: date) -> list[str]:
    """Institutions of ``agency`` (every agency's for the province, SX) with
    an agreement in force on ``day``."""
    return sorted({ag.institution_code for ag in agreements
                   if (agency == "SX" or ag.agency == agency) and in_force_on(ag, day)})


class Draw(LedgerAggregate):
    """One published draw, found by its number."""

    @staticmethod
    def id_for(number: str):
        return stable_id("draw", number)

    @classmethod
    def publish(cls, *, number: str, agency: str, seed_head: str, seed_position: int,
                seed_instant: datetime, population: list[str], pool: list[dict[str, Any]],
                targets: int, per_target: int, effective_on: date,
                envelope: Envelope) -> "Draw":
        check_seed(seed_head, seed_position, seed_instant)
        pool = [{"expert": e["expert"], "conflicts": sorted(e["conflicts"])} for e in pool]
        result = draw(head=seed_head, number=number, population=population, pool=pool,
                      targets=targets, per_target=per_target)
        return cls._create(cls.Published, id=cls.id_for(number), number=number, agency=agency,
                           seed={"head": seed_head, "position": seed_position,
                                 "instant": seed_instant.isoformat()},
                           population=sorted(set(population)), pool=pool, targets=targets,
                           per_target=per_target, result=result, effective_on=effective_on,
                           envelope=envelope)

    class Published(LedgerAggregate.Created):
        number: str
        agency: str
        seed: dict[str, Any]
        population: list[str]
        pool: list[dict[str, Any]]
        targets: int
        per_target: int
        result: list[dict[str, Any]]
        effective_on: date
        envelope: Envelope

    def __init__(self, number: str, agency: str, seed: dict[str, Any], population: list[str],
                 pool: list[dict[str, Any]], targets: int, per_target: int,
                 result: list[dict[str, Any]], effective_on: date) -> None:
        self.number = number
        self.agency = agency
        self.seed = seed
        self.population = population
        self.pool = pool
        self.targets = targets
        self.per_target = per_target
        self.result = result
        self.drawn_on = effective_on

    def rerun(self) -> list[dict[str, Any]]:
        """The draw again from what its event holds."""
        return draw(head=self.seed["head"], number=self.number, population=self.population,
                    pool=self.pool, targets=self.targets, per_target=self.per_target)

    def state(self) -> dict[str, Any]:
        return {"draw": self.number, "agency": self.agency, "drawn_on": self.drawn_on,
                "seed": dict(self.seed), "population": list(self.population),
                "pool": [dict(e) for e in self.pool], "targets": self.targets,
                "per_target": self.per_target, "result": [dict(r) for r in self.result]}
