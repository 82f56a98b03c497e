"""Institutions of every kind and subtype, with their F1 application facts,
the people behind them, and the facts that bar an application (ADM-03)."""
from __future__ import annotations

import re
from datetime import date
from typing import Any

from eventsourcing.domain import event

from domain.base import Envelope, LedgerAggregate, stable_id
from domain.errors import InvalidCommand, NotFound, RuleViolation

KINDS = ("medical", "rehab", "assistive")
ASSISTIVE_SUBTYPES = ("prosthetic_orthotic", "hearing_aid", "optical_aid", "artificial_eye")
# People behind an institution (ADM-03): the first three can put it on the
# dishonesty list (item 1); legal representative and investor link sisters (item 4).
PERSON_ROLES = ("legal_representative", "principal", "actual_controller", "investor",
                "practitioner")
SISTER_LINK_ROLES = ("legal_representative", "investor")

# Facts an agency records that bar an application under M 11 (ADM-03).
# Items 1 (dishonesty list: on the person), 4 and 5 (agreement endings) are
# found elsewhere as well; item 5 may also be recorded here for an ending that
# predates the ledger.
BAR_FACT_CODES = ("M11-2", "M11-3", "M11-5", "M11-5-penalty", "M11-6", "M11-7", "M11-8")

# An institution's payee account (收款账户): what a fund bank statement names it
# by, since statements carry the counterparty's account and name, never an
# institution code. Banks print numbers grouped with spaces or hyphens; the
# digits are the number. PRC account numbers run to about 30 digits.
ACCOUNT_DIGITS = (6, 32)
ACCOUNT_TEXT_MAX = 64


def account_digits(number: str) -> str:
    """The digits of an account number, as two numbers are compared."""
    return "".join(ch for ch in str(number) if ch in "0123456789")


def check_payee_account(account_name: str, bank: str, account_number: str) -> None:
    """PAY-06 (payment to the institution; see docs/interpretation.md): an
    account the fund pays to is a name, a bank and a number of digits."""
    # one site a field, so that each says its own words (issue #17)
    if not _holds_text(account_name):
        raise InvalidCommand("the account name must hold 1 to {most} characters, got {text!r}",
                             rule="PAY-06",
                             remedy="give the account name, the bank and the number as on the "
                                    "account licence",
                             key="refusal.institution.account_name_length",
                             values={"most": ACCOUNT_TEXT_MAX, "text": account_name})
    if not _holds_text(bank):
        raise InvalidCommand("the bank must hold 1 to {most} characters, got {text!r}",
                             rule="PAY-06",
                             remedy="give the account name, the bank and the number as on the "
                                    "account licence", key="refusal.institution.bank_length",
                             values={"most": ACCOUNT_TEXT_MAX, "text": bank})
    number = account_number.strip()
    digits = account_digits(number)
    lo, hi = ACCOUNT_DIGITS
    if (not re.fullmatch(r"[0-9](?:[0-9 -]*[0-9])?", number)
            or not lo <= len(digits) <= hi or len(number) > ACCOUNT_TEXT_MAX):
        raise InvalidCommand("an account number is {lo} to {hi} digits, optionally grouped "
                             "with spaces or hyphens; got {account_number!r}", rule="PAY-06",
                             remedy="give the account name, the bank and the number as on the "
                                    "account licence", key="refusal.institution.account_number_digits",
                             values={"lo": lo, "hi": hi, "account_number": account_number})


def _holds_text(text: str) -> bool:
    return bool(text.strip()) and len(text.strip()) <= ACCOUNT_TEXT_MAX


def check_kind(kind: str, subtype: str | None) -> None:
    if kind not in KINDS:
        raise InvalidCommand("unknown institution kind {kind!r}", rule="EVA-02",
                             remedy="use one of {KINDS}",
                             key="refusal.institution.unknown_institution_kind", values={"kind": kind,
                             "KINDS": ', '.join(KINDS)})
    if kind == "assistive" and subtype not in ASSISTIVE_SUBTYPES:
        raise InvalidCommand("an assistive institution needs a subtype, got {subtype!r}",
                             rule="EVA-02", remedy="use one of {ASSISTIVE_SUBTYPES}",
                             key="refusal.institution.assistive_institution_needs_subtype",
                             values={"subtype": subtype,
                             "ASSISTIVE_SUBTYPES": ', '.join(ASSISTIVE_SUBTYPES)})
    if kind != "assistive" and subtype:
        raise InvalidCommand("a {kind} institution has no subtype, got {subtype!r}", rule="EVA-02",
                             remedy="leave subtype empty",
                             key="refusal.institution.institution_has_no_subtype", values={"kind": kind,
                             "subtype": subtype})


class Institution(LedgerAggregate):
    """A hospital, rehab centre or assistive-device fitter known to an agency."""

    @staticmethod
    def id_for(code: str):
        return stable_id("institution", code)

    @classmethod
    def register(cls, *, code: str, name: str, kind: str, subtype: str | None,
                 agency: str, facts: dict[str, Any], people: list[dict[str, str]],
                 effective_on: date, envelope: Envelope) -> "Institution":
        check_kind(kind, subtype)
        for p in people:
            if p["role"] not in PERSON_ROLES:
                raise InvalidCommand("unknown role {role!r} for {person_id}",
                                     remedy="use one of {PERSON_ROLES}",
                                     key="refusal.institution.unknown_role_for", values={"role": p['role'],
                                     "person_id": p['person_id'],
                                     "PERSON_ROLES": ', '.join(PERSON_ROLES)})
        return cls._create(cls.Registered, id=cls.id_for(code), code=code, name=name,
                           kind=kind, subtype=subtype, agency=agency, facts=facts,
                           people=people, effective_on=effective_on, envelope=envelope)

    class Registered(LedgerAggregate.Created):
        code: str
        name: str
        kind: str
        subtype: str | None
        agency: str
        facts: dict[str, Any]
        people: list[dict[str, str]]
        effective_on: date
        envelope: Envelope

    def __init__(self, code: str, name: str, kind: str, subtype: str | None, agency: str,
                 facts: dict[str, Any], people: list[dict[str, str]],
                 effective_on: date) -> None:
        self.code = code
        self.name = name
        self.kind = kind
        self.subtype = subtype
        self.agency = agency
        self.facts = dict(facts)
        self.people = [dict(p) for p in people]
        self.registered_on = effective_on
        # ground code -> {"from": iso, "until": iso|None, "note": str, "lifted_on": iso|None}
        self.bar_facts: list[dict[str, Any]] = []
        self.applications: list[str] = []   # application numbers, in filing order
        self.agreements: list[str] = []     # agreement numbers, in signing order
        # payee accounts in recording order, each {"account_name", "bank",
        # "account_number", "from", "command_id"}; one in force on a day is
        # the latest "from" on or before it (payee_account_on)
        self.payee_accounts: list[dict[str, Any]] = []

    def note_agreement(self, number: str, effective_on: date, envelope: Envelope) -> None:
        self._agreement_signed(number=number, effective_on=effective_on, envelope=envelope)

    @event("AgreementSigned")
    def _agreement_signed(self, number: str, effective_on: date, envelope: Envelope) -> None:
        self.agreements.append(number)

    def note_application(self, number: str, effective_on: date, envelope: Envelope) -> None:
        self._application_filed(number=number, effective_on=effective_on, envelope=envelope)

    @event("ApplicationFiled")
    def _application_filed(self, number: str, effective_on: date, envelope: Envelope) -> None:
        self.applications.append(number)

    # --- the people behind it -------------------------------------------------
    def person_ids(self, roles: tuple[str, ...] = PERSON_ROLES) -> set[str]:
        return {p["person_id"] for p in self.people if p["role"] in roles}

    def amend_facts(self, changes: dict[str, Any], effective_on: date,
                    envelope: Envelope) -> None:
        if not changes:
            raise InvalidCommand("no facts to amend", remedy="name at least one F1 field",
                                 key="refusal.institution.no_facts_amend")
        self._facts_amended(changes=changes, effective_on=effective_on, envelope=envelope)

    @event("FactsAmended")
    def _facts_amended(self, changes: dict[str, Any], effective_on: date,
                       envelope: Envelope) -> None:
        for key, value in changes.items():
            if key == "name":
                self.name = value
            else:
                self.facts[key] = value

    def link_person(self, person_id: str, role: str, effective_on: date,
                    envelope: Envelope) -> None:
        if role not in PERSON_ROLES:
            raise InvalidCommand("unknown role {role!r}", remedy="use one of {PERSON_ROLES}",
                                 key="refusal.institution.unknown_role_role", values={"role": role,
                                 "PERSON_ROLES": ', '.join(PERSON_ROLES)})
        if {"person_id": person_id, "role": role} in self.people:
            raise RuleViolation("{person_id} is already {role} of {code}",
                                remedy="link a different person or role",
                                key="refusal.institution.already_person_id_role_code",
                                values={"person_id": person_id, "role": role, "code": self.code})
        self._person_linked(person_id=person_id, role=role, effective_on=effective_on,
                            envelope=envelope)

    @event("PersonLinked")
    def _person_linked(self, person_id: str, role: str, effective_on: date,
                       envelope: Envelope) -> None:
        self.people.append({"person_id": person_id, "role": role})

    def unlink_person(self, person_id: str, role: str, effective_on: date,
                      envelope: Envelope) -> None:
        if {"person_id": person_id, "role": role} not in self.people:
            raise NotFound("{person_id} is not {role} of {code}",
                           remedy="name a linked person and role",
                           key="refusal.institution.not_person_id_role_code",
                           values={"person_id": person_id, "role": role, "code": self.code})
        self._person_unlinked(person_id=person_id, role=role, effective_on=effective_on,
                              envelope=envelope)

    @event("PersonUnlinked")
    def _person_unlinked(self, person_id: str, role: str, effective_on: date,
                         envelope: Envelope) -> None:
        self.people.remove({"person_id": person_id, "role": role})

    # --- facts that bar an application (ADM-03) --------------------------------
    def record_bar_fact(self, ground: str, occurred_on: date, note: str,
                        effective_on: date, envelope: Envelope) -> None:
        if ground not in BAR_FACT_CODES:
            raise InvalidCommand("unknown bar ground {ground!r}", rule="ADM-03",
                                 remedy="use one of {BAR_FACT_CODES}",
                                 key="refusal.institution.unknown_bar_ground", values={"ground": ground,
                                 "BAR_FACT_CODES": ', '.join(BAR_FACT_CODES)})
        if not note.strip():
            raise InvalidCommand("a bar fact needs a note saying what happened", rule="ADM-03",
                                 remedy="give the finding and its document",
                                 key="refusal.institution.bar_fact_needs_note")
        self._bar_fact_recorded(ground=ground, occurred_on=occurred_on, note=note,
                                effective_on=effective_on, envelope=envelope)

    @event("BarFactRecorded")
    def _bar_fact_recorded(self, ground: str, occurred_on: date, note: str,
                           effective_on: date, envelope: Envelope) -> None:
        self.bar_facts.append({"ground": ground, "occurred_on": occurred_on,
                               "note": note, "lifted_on": None})

    def lift_bar_fact(self, ground: str, lifted_on: date, note: str,
                      effective_on: date, envelope: Envelope) -> None:
        if not any(f["ground"] == ground and f["lifted_on"] is None for f in self.bar_facts):
            raise NotFound("{code} has no open bar fact {ground}", rule="ADM-03",
                           remedy="lift a ground that was recorded and is still open",
                           key="refusal.institution.has_no_open_bar", values={"code": self.code,
                           "ground": ground})
        self._bar_fact_lifted(ground=ground, lifted_on=lifted_on, note=note,
                              effective_on=effective_on, envelope=envelope)

    @event("BarFactLifted")
    def _bar_fact_lifted(self, ground: str, lifted_on: date, note: str,
                         effective_on: date, envelope: Envelope) -> None:
        for fact in self.bar_facts:
            if fact["ground"] == ground and fact["lifted_on"] is None:
                fact["lifted_on"] = lifted_on

    # --- the account the fund pays it to (PAY-06) --------------------------------
    def payee_account_on(self, day: date) -> dict[str, Any] | None:
        """The account in force on ``day``: the latest ``from`` on or before
        it; of two records from the same day, the one recorded later."""
        found = None
        for account in self.payee_accounts:        # recording order
            if account["from"] <= day and (found is None or account["from"] >= found["from"]):
                found = account
        return found

    def payee_account_history(self) -> list[dict[str, Any]]:
        """Every account in force at some time, by its first day, each with the
        day it was replaced (``until``, exclusive) or None."""
        by_day: dict[date, dict[str, Any]] = {}
        for account in self.payee_accounts:        # a later record of a day replaces it
            by_day[account["from"]] = account
        days = sorted(by_day)
        return [{**by_day[d], "until": days[i + 1] if i + 1 < len(days) else None}
                for i, d in enumerate(days)]

    def record_payee_account(self, account_name: str, bank: str, account_number: str,
                             effective_on: date, envelope: Envelope) -> dict[str, Any] | None:
        """Record the account the fund pays the institution to from
        ``effective_on`` on; returns the account it replaces (or None)."""
        check_payee_account(account_name, bank, account_number)
        current = self.payee_account_on(effective_on)
        if current is not None and (
                account_digits(current["account_number"]) == account_digits(account_number)
                and current["account_name"] == account_name.strip()
                and current["bank"] == bank.strip()):
            raise RuleViolation("{code} is already paid to this account on {effective_on} "
                                "(recorded from {from})", rule="PAY-06",
                                remedy="record a different account, or nothing",
                                key="refusal.institution.already_paid_this_account",
                                values={"code": self.code, "effective_on": effective_on,
                                "from": current['from']})
        self._payee_account_recorded(account_name=account_name.strip(), bank=bank.strip(),
                                     account_number=account_number.strip(),
                                     effective_on=effective_on, envelope=envelope)
        return current

    @event("PayeeAccountRecorded")
    def _payee_account_recorded(self, account_name: str, bank: str, account_number: str,
                                effective_on: date, envelope: Envelope) -> None:
        self.payee_accounts.append({"account_name": account_name, "bank": bank,
                                    "account_number": account_number, "from": effective_on,
                                    "command_id": envelope.command_id})

    def state(self) -> dict[str, Any]:
        return {"code": self.code, "name": self.name, "kind": self.kind,
                "subtype": self.subtype, "agency": self.agency, "facts": self.facts,
                "people": self.people, "payee_accounts": self.payee_account_history()}
