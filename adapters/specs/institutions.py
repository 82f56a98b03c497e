"""Institutions and the people behind them: registration, F1 facts, people, the
dishonesty list, M 11 bar facts, payee accounts. Each command's fields, result
sentence and group are declared once here (adapters/specs/__init__.py).
"""
from __future__ import annotations

from typing import Any, Literal, Mapping

from pydantic import Field, field_validator

from adapters.boundary import Code, Day, Name, printable, Text
from adapters.labels import word
from adapters.specs.spec import Spec, clause, ground_text
from adapters.specs.types import _to_domain, COUNT_MAX, Strict
from domain.institution import ASSISTIVE_SUBTYPES, BAR_FACT_CODES, KINDS, PERSON_ROLES


class PersonIn(Strict):
    person_id: Code
    name: Name = ""
    role: Literal[PERSON_ROLES]  # type: ignore[valid-type]

class Staff(Strict):
    doctors: int = Field(0, ge=0, le=COUNT_MAX)
    senior_doctors: int = Field(0, ge=0, le=COUNT_MAX)
    nurses: int = Field(0, ge=0, le=COUNT_MAX)
    therapists: int = Field(0, ge=0, le=COUNT_MAX)
    technicians: int = Field(0, ge=0, le=COUNT_MAX)
    other: int = Field(0, ge=0, le=COUNT_MAX)

class Volumes(Strict):
    """Previous year's volumes and average costs (F1); costs in yuan strings."""
    outpatients: int = Field(0, ge=0, le=COUNT_MAX)
    inpatients: int = Field(0, ge=0, le=COUNT_MAX)
    surgeries: int = Field(0, ge=0, le=COUNT_MAX)
    devices_fitted: int = Field(0, ge=0, le=COUNT_MAX)
    average_outpatient_cost: Name = "0"
    average_inpatient_cost: Name = "0"

class Facts(Strict):
    """The F1 application form's facts (ADM-02)."""
    credit_code: Text = ""
    ownership: Text = ""
    category: Literal["general", "tcm", "rehab", "specialty", "assistive_fitter", "other"]
    non_profit: bool = True
    public: bool = True
    licence_no: Text = ""
    licence_date: Day | None = None
    level: int = Field(0, ge=0, le=3, description="hospital level 1-3, 0 for none")
    legal_person: bool = True
    business_started_on: Day | None = None
    address: Text = ""
    staff: Staff = Field(default_factory=Staff)
    volumes: Volumes = Field(default_factory=Volumes)
    departments_with_beds: list[Text] = Field(default_factory=list)
    beds: int = Field(0, ge=0, le=COUNT_MAX)
    large_equipment: list[Text] = Field(default_factory=list)
    networked_settlement: bool = Field(False, description="settles claims over the network; "
                                                          "otherwise claims are due by the 5th")

class RegisterInstitution(Strict):
    code: Code
    name: Name = Field(min_length=1)
    kind: Literal[KINDS]  # type: ignore[valid-type]
    subtype: Literal[ASSISTIVE_SUBTYPES] | None = None  # type: ignore[valid-type]
    agency: Code
    facts: Facts
    people: list[PersonIn] = Field(default_factory=list)

class _NameOnly(Strict):
    name: Name = Field(min_length=1)

class AmendInstitution(Strict):
    institution: Code
    changes: dict[str, Any] = Field(min_length=1)

    @field_validator("changes")
    @classmethod
    def _known_facts(cls, v: dict[str, Any]) -> dict[str, Any]:
        """Each change names an F1 fact (or the name) with a value of its type."""
        checked: dict[str, Any] = {}
        for key, value in v.items():
            if key == "name":
                checked[key] = _NameOnly.model_validate({"name": value}).name
                continue
            if key not in Facts.model_fields:
                raise ValueError(f"{printable(key)!r} is not an F1 fact; use one of "
                                 f"{', '.join(Facts.model_fields)}")
            # the field as Facts declares it: its type, its bounds, strictly
            facts = Facts.model_construct()
            Facts.__pydantic_validator__.validate_assignment(facts, key, value)
            checked[key] = _to_domain(getattr(facts, key))
        return checked

class LinkPerson(Strict):
    institution: Code
    person_id: Code
    name: Name = ""
    role: Literal[PERSON_ROLES]  # type: ignore[valid-type]

class UnlinkPerson(Strict):
    institution: Code
    person_id: Code
    role: Literal[PERSON_ROLES]  # type: ignore[valid-type]

class ListAsDishonest(Strict):
    person_id: Code
    listed_on: Day
    list_ref: Text = Field(min_length=1)

class DelistDishonest(Strict):
    person_id: Code
    delisted_on: Day

class RecordBarFact(Strict):
    institution: Code
    ground: Literal[BAR_FACT_CODES]  # type: ignore[valid-type]
    occurred_on: Day
    note: Text = Field(min_length=1)

class LiftBarFact(Strict):
    institution: Code
    ground: Literal[BAR_FACT_CODES]  # type: ignore[valid-type]
    lifted_on: Day
    note: Text = ""

class RecordPayeeAccount(Strict):
    """PAY-06: the account the fund pays an institution to, from the
    command's date on (a later record replaces it from its own date)."""
    institution: Code
    account_name: Name = Field(min_length=1, max_length=64, description="户名, as on the "
                                                                          "account licence")
    bank: Name = Field(min_length=1, max_length=64, description="开户行")
    account_number: str = Field(min_length=6, max_length=64,
                                pattern=r"^[0-9][0-9 -]*[0-9]$",
                                description="账号: 6 to 32 digits, optionally grouped "
                                            "with spaces or hyphens")


# --- what a case officer reads back (sentence.<command> in adapters/data/labels.json) ---------
def _person_role(r: Mapping[str, Any], lang: str) -> dict[str, str]:
    return {"role": word("person_role", r["role"], lang)}


def _subtype(r: Mapping[str, Any], lang: str) -> dict[str, str]:
    return {"subtype": clause("subtype", lang, r.get("subtype"),
                              subtype=word("subtype", r.get("subtype"), lang))}


def _record_payee_account(r: Mapping[str, Any], lang: str) -> dict[str, str]:
    return {"replaces": clause("replaces_account", lang, r.get("replaces"),
                               replaces=r.get("replaces"))}


SPECS = [
    Spec("register_institution", RegisterInstitution, 'Institutions and people', values=_subtype),
    Spec("amend_institution", AmendInstitution, 'Institutions and people'),
    Spec("link_person", LinkPerson, 'Institutions and people', values=_person_role),
    Spec("unlink_person", UnlinkPerson, 'Institutions and people', values=_person_role),
    Spec("list_as_dishonest", ListAsDishonest, 'Institutions and people'),
    Spec("delist_dishonest", DelistDishonest, 'Institutions and people'),
    Spec("record_bar_fact", RecordBarFact, 'Institutions and people', values=ground_text),
    Spec("lift_bar_fact", LiftBarFact, 'Institutions and people', values=ground_text),
    Spec("record_payee_account", RecordPayeeAccount, 'Institutions and people', values=_record_payee_account),
]
