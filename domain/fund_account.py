"""The fund position of one agreement and one year: the 10% performance
deposit withheld from its payments, its clearing by assessment score, the
deposit lost under DA 36/37, and money to recover (DEP-01..04, PAY-08, AUD-06)."""
from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from eventsourcing.domain import event

from domain.base import Envelope, LedgerAggregate, stable_id
from domain.errors import InvalidCommand, RuleViolation
from domain.money import Money

# DEP-01: return by assessment score band (M 34).
RETURN_BANDS: tuple[tuple[Decimal, int], ...] = (
    (Decimal(90), 100), (Decimal(80), 90), (Decimal(70), 80), (Decimal(60), 70),
)
CLEAR_BY = (3, 31)   # DEP-02: by the end of March of the next year


def return_percent(score: Decimal) -> int:
    """DEP-01: >= 90 all, 80-90 90%, 70-80 80%, 60-70 70%, < 60 nothing."""
    for floor, percent in RETURN_BANDS:
        if score >= floor:
            return percent
    return 0


class FundAccount(LedgerAggregate):
    @staticmethod
    def key(agreement: str, year: int) -> str:
        return f"{agreement}:{year}"

    @staticmethod
    def id_for(key: str):
        return stable_id("fund-account", key)

    @classmethod
    def open(cls, *, agreement: str, institution_code: str, agency: str, agreement_type: str,
             year: int, effective_on: date, envelope: Envelope) -> "FundAccount":
        return cls._create(cls.Opened, id=cls.id_for(cls.key(agreement, year)),
                           agreement=agreement, institution_code=institution_code,
                           agency=agency, agreement_type=agreement_type, year=year,
                           effective_on=effective_on, envelope=envelope)

    class Opened(LedgerAggregate.Created):
        agreement: str
        institution_code: str
        agency: str
        agreement_type: str
        year: int
        effective_on: date
        envelope: Envelope

    def __init__(self, agreement: str, institution_code: str, agency: str, agreement_type: str,
                 year: int) -> None:
        self.agreement = agreement
        self.institution_code = institution_code
        self.agency = agency
        self.agreement_type = agreement_type
        self.year = year
        self.withheld = 0
        self.returned = 0
        self.forfeited = 0
        self.to_recover = 0
        self.recovered = 0
        self.clearing: dict[str, Any] | None = None
        self.forfeits: list[dict[str, Any]] = []
        self.recoveries: list[dict[str, Any]] = []

    @property
    def held(self) -> int:
        return self.withheld - self.returned - self.forfeited

    @property
    def outstanding(self) -> int:
        return self.to_recover - self.recovered

    # --- PAY-06: the 10% withheld ----------------------------------------------------
    def withhold(self, *, claim: str, batch: int, amount_fen: int, effective_on: date,
                 envelope: Envelope) -> None:
        self._withheld(claim=claim, batch=batch, amount_fen=amount_fen,
                       effective_on=effective_on, envelope=envelope)

    @event("DepositWithheld")
    def _withheld(self, claim: str, batch: int, amount_fen: int, effective_on: date,
                  envelope: Envelope) -> None:
        self.withheld += amount_fen

    # --- DEP-01, DEP-02, DEP-04: clearing by score -------------------------------------
    def clear(self, *, score: Decimal, assessment: str, ref: str, effective_on: date,
              envelope: Envelope) -> dict[str, Any]:
        if self.clearing is not None:
            raise RuleViolation("the {year} deposit of {agreement} was cleared on {cleared_on}",
                                rule="DEP-04",
                                remedy="a deposit is returned or forfeited once only",
                                key="refusal.fund_account.deposit_was_cleared_on",
                                values={"year": self.year, "agreement": self.agreement,
                                "cleared_on": self.clearing['cleared_on']})
        percent = return_percent(score)
        held = self.held
        returned = Money(held).percent_half_up(percent).fen
        forfeited = held - returned           # DEP-04: returned + forfeited = held, to the fen
        due_by = date(self.year + 1, *CLEAR_BY)
        self._cleared(score=score, percent=percent, returned=returned, forfeited=forfeited,
                      assessment=assessment, ref=ref, due_by=due_by,
                      late=effective_on > due_by, effective_on=effective_on, envelope=envelope)
        return dict(self.clearing or {})

    @event("DepositCleared")
    def _cleared(self, score: Decimal, percent: int, returned: int, forfeited: int,
                 assessment: str, ref: str, due_by: date, late: bool, effective_on: date,
                 envelope: Envelope) -> None:
        self.returned += returned
        self.forfeited += forfeited
        self.clearing = {"score": score, "percent": percent, "returned": returned,
                         "forfeited": forfeited, "assessment": assessment, "ref": ref,
                         "due_by": due_by,
                         "late": late, "cleared_on": effective_on}

    # --- DEP-03: DA 36 suspension and DA 37 termination ---------------------------------
    def forfeit_share(self, *, percent: int, clause: str, effective_on: date,
                      envelope: Envelope) -> int:
        if self.agreement_type != "DA":
            raise RuleViolation("only assistive-device agreements lose deposit under DA 36/37",
                                rule="DEP-03", remedy="no deposit deduction applies",
                                key="refusal.fund_account.only_assistive_device_agreements")
        if self.clearing is not None or self.held == 0:
            return 0
        amount = Money(self.held).percent_half_up(percent).fen
        self._forfeited(clause=clause, percent=percent, amount_fen=amount,
                        effective_on=effective_on, envelope=envelope)
        return amount

    @event("DepositForfeited")
    def _forfeited(self, clause: str, percent: int, amount_fen: int, effective_on: date,
                   envelope: Envelope) -> None:
        self.forfeited += amount_fen
        self.forfeits.append({"clause": clause, "percent": percent, "amount": amount_fen,
                              "on": effective_on})

    # --- PAY-08: recovery ----------------------------------------------------------------
    def order_recovery(self, *, amount_fen: int, ground: str, ref: str, effective_on: date,
                       envelope: Envelope) -> None:
        if amount_fen <= 0:
            raise InvalidCommand("an amount to recover is above 0", rule="PAY-08",
                                 remedy="give the amount paid for the breach",
                                 key="refusal.fund_account.amount_recover_above")
        self._recovery_ordered(amount_fen=amount_fen, ground=ground, ref=ref,
                               effective_on=effective_on, envelope=envelope)

    @event("RecoveryOrdered")
    def _recovery_ordered(self, amount_fen: int, ground: str, ref: str, effective_on: date,
                          envelope: Envelope) -> None:
        self.to_recover += amount_fen
        self.recoveries.append({"kind": "ordered", "amount": amount_fen, "ground": ground,
                                "ref": ref, "on": effective_on})

    def record_recovery(self, *, amount_fen: int, ref: str, effective_on: date,
                        envelope: Envelope) -> None:
        if amount_fen <= 0:
            raise InvalidCommand("a recovered amount is above 0", rule="PAY-08",
                                 remedy="give the amount received",
                                 key="refusal.fund_account.recovered_amount_above")
        if amount_fen > self.outstanding:
            raise RuleViolation("only {outstanding} yuan is outstanding", rule="AUD-06",
                                remedy="recovered can never exceed what is to recover",
                                key="refusal.fund_account.only_yuan_outstanding",
                                values={"outstanding": Money(self.outstanding)})
        self._recovered(amount_fen=amount_fen, ref=ref, effective_on=effective_on,
                        envelope=envelope)

    @event("Recovered")
    def _recovered(self, amount_fen: int, ref: str, effective_on: date,
                   envelope: Envelope) -> None:
        self.recovered += amount_fen
        self.recoveries.append({"kind": "recovered", "amount": amount_fen, "ref": ref,
                                "on": effective_on})

    def state(self) -> dict[str, Any]:
        return {"agreement": self.agreement, "year": self.year, "withheld": self.withheld,
                "returned": self.returned, "forfeited": self.forfeited, "held": self.held,
                "to_recover": self.to_recover, "recovered": self.recovered,
                "clearing": self.clearing}
