"""Handling agencies (经办机构) and the rehab pilot selection (ADM-07)."""
from __future__ import annotations

from datetime import date
from typing import Any

from eventsourcing.domain import event

from domain.base import Envelope, LedgerAggregate, stable_id
from domain.errors import NotFound, RuleViolation

# The provincial agency and the 11 city agencies of Shanxi.
AGENCIES: dict[str, str] = {
    "SX": "山西省工伤保险经办机构",
    "TY": "太原市", "DT": "大同市", "YQ": "阳泉市", "CZ": "长治市",
    "JC": "晋城市", "SZ": "朔州市", "JZ": "晋中市", "YC": "运城市",
    "XZ": "忻州市", "LF": "临汾市", "LL": "吕梁市",
}

REHAB_PILOT_MAX = 2  # ADM-07: "可选择1-2家" (M 17)


def check_agency(code: str) -> str:
    if code not in AGENCIES:
        raise NotFound("unknown agency {code!r}", remedy="use one of {AGENCIES}",
                       key="refusal.agency.unknown_agency_code", values={"code": code,
                       "AGENCIES": ', '.join(AGENCIES)})
    return code


class Agency(LedgerAggregate):
    """An agency's own decisions that span institutions: the rehab pilot."""

    @staticmethod
    def id_for(code: str):
        return stable_id("agency", code)

    @classmethod
    def open(cls, code: str, effective_on: date, envelope: Envelope) -> "Agency":
        check_agency(code)
        return cls._create(cls.Opened, id=cls.id_for(code), code=code,
                           effective_on=effective_on, envelope=envelope)

    class Opened(LedgerAggregate.Created):
        code: str
        effective_on: date
        envelope: Envelope

    def __init__(self, code: str) -> None:
        self.code = code
        self.rehab_pilots: dict[str, str] = {}  # institution code -> selected on

    def select_rehab_pilot(self, institution_code: str, effective_on: date,
                           envelope: Envelope) -> None:
        if institution_code in self.rehab_pilots:
            return
        if len(self.rehab_pilots) >= REHAB_PILOT_MAX:
            raise RuleViolation("agency {code} already has {rehab_pilots} rehab pilot "
                                "institutions ({rehab_pilots2})", rule="ADM-07",
                                remedy="release a pilot institution first; M 17 allows 1-2 per "
                                       "agency", key="refusal.agency.agency_already_has_rehab",
                                values={"code": self.code, "rehab_pilots": len(self.rehab_pilots),
                                "rehab_pilots2": ', '.join(sorted(self.rehab_pilots))})
        self._pilot_selected(institution_code=institution_code,
                             effective_on=effective_on, envelope=envelope)

    @event("RehabPilotSelected")
    def _pilot_selected(self, institution_code: str, effective_on: date,
                        envelope: Envelope) -> None:
        self.rehab_pilots[institution_code] = effective_on.isoformat()

    def release_rehab_pilot(self, institution_code: str, effective_on: date,
                            envelope: Envelope, reason: str) -> None:
        if institution_code not in self.rehab_pilots:
            raise RuleViolation("{institution_code} is not a rehab pilot of {code}", rule="ADM-07",
                                remedy="name a selected pilot institution",
                                key="refusal.agency.not_rehab_pilot",
                                values={"institution_code": institution_code, "code": self.code})
        self._pilot_released(institution_code=institution_code, effective_on=effective_on,
                             envelope=envelope, reason=reason)

    @event("RehabPilotReleased")
    def _pilot_released(self, institution_code: str, effective_on: date,
                        envelope: Envelope, reason: str) -> None:
        self.rehab_pilots.pop(institution_code, None)

    def state(self) -> dict[str, Any]:
        return {"code": self.code, "rehab_pilots": dict(self.rehab_pilots)}
