"""A monthly claim: one institution, one agreement, one service month
(PAY-01..10; M 25, 32, 33, 45; MA 32-38; RA 24-30; DA 29-32).

One module, just over 600 lines: one aggregate with its nested events and
the review steps that only it decides.

Money is whole fen (:class:`domain.money.Money` at the edges, ``int`` fen in
events). The review draws a reproducible 20% sample (the seed is recorded),
deducts non-compliant sampled amounts five times over, handles queries with
their 5-working-day explanation deadline, holds disputed or investigated
items, and approves what is payable. Each approval is paid as 90% paid and
10% withheld as the performance deposit, to the fen.
"""
from __future__ import annotations

import hashlib
import random
from datetime import date
from typing import Any

from eventsourcing.domain import event

from domain.base import Envelope, LedgerAggregate, stable_id
from domain.calendar import WorkingCalendar, add_months
from domain.errors import InvalidCommand, NotFound, RuleViolation
from domain.money import CLAIM_TOTAL_MAX_FEN, Money, require_within

SAMPLE_PERCENT = 20          # PAY-03: "总份数的20%进行抽查审核"
DEDUCTION_FACTOR = 5         # PAY-03: "对不符合费用实行5倍扣罚"
EXPLAIN_WORKING_DAYS = 5     # PAY-04: "5个工作日内" (M 32)
WITHHELD_PERCENT = 10        # PAY-06: 10% performance deposit (M 33)
SUBMIT_BY_DAY = 5            # PAY-01: non-networked institutions submit by the 5th
PAY_BY_DAY = 25              # PAY-06: paid by the 25th

# Why an amount is not fund-payable (the fund positions' "refused by reason").
REFUSAL_REASONS = {
    "non_injury": "PAY-09",          # non-injury costs are never fund-payable
    "query_unexplained": "PAY-04",   # no explanation within 5 working days
    "noncompliant": "PAY-04",        # confirmed non-compliant
    "medical_accident": "PAY-05",    # tied to a dispute found to be a medical accident
}


def month_key(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def parse_month(text: str) -> date:
    try:
        year, month = text.split("-")
        return date(int(year), int(month), 1)
    except (ValueError, TypeError):
        raise InvalidCommand("not a service month: {text!r}", rule="PAY-01",
                             remedy="give the month as YYYY-MM", key="refusal.claim.not_service_month",
                             values={"text": text}) from None


def withheld_part(approved_fen: int) -> int:
    """PAY-06: withheld = round-half-up(approved x 10%) to the fen."""
    return Money(approved_fen).percent_half_up(WITHHELD_PERCENT).fen


def sample_size(n: int) -> int:
    """PAY-03: 20% of the items, rounded half up, at least one when any."""
    if n == 0:
        return 0
    return max(1, Money(n).percent_half_up(SAMPLE_PERCENT).fen)


def corrected_status(injury: bool, refused_as_non_injury: bool) -> tuple[str | None, str | None]:
    """PAY-09: the status and refusal reason a corrected item takes: refused
    when corrected to a non-injury cost, pending again when corrected back
    from one, else unchanged (None, None)."""
    if not injury:
        return "refused", "non_injury"
    if refused_as_non_injury:
        return "pending", ""
    return None, None


def explained_status(accepted: bool) -> tuple[str, str]:
    """PAY-04: an accepted explanation makes the item payable again; a
    rejected one confirms the amount non-compliant, never paid."""
    return ("pending", "") if accepted else ("refused", "noncompliant")


def review_deduction(item_id: str, noncompliant_fen: int, deducted_fen: int,
                     reason: str) -> dict[str, Any]:
    """PAY-03: the deduction a non-compliant sampled amount gives, settled
    by the next approval."""
    return {"item_id": item_id, "noncompliant": noncompliant_fen, "deducted": deducted_fen,
            "reason": reason, "batch": None}


class Claim(LedgerAggregate):
    """The monthly claim of one agreement."""

    @staticmethod
    def key(agreement: str, month: str) -> str:
        return f"{agreement}:{month}"

    @staticmethod
    def id_for(key: str):
        return stable_id("claim", key)

    @classmethod
    def submit(cls, *, agreement: str, institution_code: str, agency: str, month: str,
               items: list[dict[str, Any]], networked: bool, effective_on: date,
               envelope: Envelope) -> "Claim":
        first = parse_month(month)
        if effective_on < first:
            raise RuleViolation("a claim for {month} cannot be submitted before the month starts",
                                rule="PAY-01",
                                remedy="costs are booked first and settled afterwards",
                                key="refusal.claim.claim_for_cannot_submitted", values={"month": month})
        ids = [i["item_id"] for i in items]
        if not items or len(set(ids)) != len(ids):
            raise InvalidCommand("a claim lists its items, each with its own item id",
                                 rule="PAY-01", remedy="give unique item ids",
                                 key="refusal.claim.claim_lists_its_items")
        for i in items:
            if type(i["amount_fen"]) is not int or i["amount_fen"] <= 0:
                raise InvalidCommand("item {item_id}: the amount is whole fen above 0",
                                     rule="PAY-10",
                                     remedy="give the amount in yuan with at most 2 decimals",
                                     key="refusal.claim.item_amount_whole_fen",
                                     values={"item_id": i['item_id']})
            require_within(i["amount_fen"], f"item {i['item_id']}")
            if month_key(i["service_date"]) != month:
                raise RuleViolation("item {item_id} is dated {service_date}, outside the "
                                    "service month {month}", rule="PAY-01",
                                    remedy="claim it in its own month",
                                    key="refusal.claim.item_dated_outside_service",
                                    values={"item_id": i['item_id'],
                                    "service_date": i['service_date'], "month": month})
        require_within(sum(i["amount_fen"] for i in items), f"the claim for {month}",
                       CLAIM_TOTAL_MAX_FEN)
        due = None
        if not networked:
            nxt = add_months(first, 1)
            due = date(nxt.year, nxt.month, SUBMIT_BY_DAY)
        return cls._create(cls.Submitted, id=cls.id_for(cls.key(agreement, month)),
                           agreement=agreement, institution_code=institution_code,
                           agency=agency, month=month, items=items, networked=networked,
                           due_by=due, late=bool(due and effective_on > due),
                           effective_on=effective_on, envelope=envelope)

    class Submitted(LedgerAggregate.Created):
        agreement: str
        institution_code: str
        agency: str
        month: str
        items: list[dict[str, Any]]
        networked: bool
        due_by: date | None
        late: bool
        effective_on: date
        envelope: Envelope

    def __init__(self, agreement: str, institution_code: str, agency: str, month: str,
                 items: list[dict[str, Any]], networked: bool, due_by: date | None, late: bool,
                 effective_on: date) -> None:
        self.agreement = agreement
        self.institution_code = institution_code
        self.agency = agency
        self.month = month
        self.year = int(month[:4])
        self.submitted_on = effective_on
        self.due_by = due_by
        self.late = late
        self.items: dict[str, dict[str, Any]] = {}
        for i in items:
            self.items[i["item_id"]] = {
                **i, "status": "pending" if i["injury"] else "refused",
                "reason": "" if i["injury"] else "non_injury", "batch": None,
                "query": None, "hold": None}
        self.sample: dict[str, Any] | None = None
        self.deductions: list[dict[str, Any]] = []   # {item_id, noncompliant, deducted, reason}
        self.batches: list[dict[str, Any]] = []      # approvals, each paid once

    # --- derived money ------------------------------------------------------------
    def total(self, *, status: str | None = None, reason: str | None = None) -> int:
        return sum(i["amount_fen"] for i in self.items.values()
                   if (status is None or i["status"] == status)
                   and (reason is None or i["reason"] == reason))

    @property
    def claimed(self) -> int:
        return self.total()

    def refused_by_reason(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for i in self.items.values():
            if i["status"] == "refused":
                out[i["reason"]] = out.get(i["reason"], 0) + i["amount_fen"]
        return out

    @property
    def held(self) -> int:
        return self.total(status="held")

    @property
    def approved(self) -> int:
        return sum(b["approved"] for b in self.batches)

    @property
    def deducted(self) -> int:
        return sum(b["deducted"] for b in self.batches)

    @property
    def paid(self) -> int:
        return sum(b["paid"] for b in self.batches if b["paid_on"])

    @property
    def withheld(self) -> int:
        return sum(b["withheld"] for b in self.batches if b["paid_on"])

    def _item(self, item_id: str) -> dict[str, Any]:
        found = self.items.get(item_id)
        if found is None:
            raise NotFound("claim {agreement} {month} has no item {item_id}",
                           remedy="name an item of the claim", key="refusal.claim.claim_has_no_item",
                           values={"agreement": self.agreement, "month": self.month,
                           "item_id": item_id})
        return found

    # --- AUD-01: correcting a recorded item -----------------------------------------
    def correct_item(self, *, item_id: str, amount_fen: int, service_date: date,
                     injury: bool, reason: str, corrects: str, effective_on: date,
                     envelope: Envelope) -> dict[str, Any]:
        """A new event naming the submission it corrects and why; the
        submitted amount stays in the log. Only an item not yet approved,
        refused or paid can be corrected."""
        item = self._item(item_id)
        if item["status"] not in ("pending", "queried", "held") and item["reason"] != "non_injury":
            raise RuleViolation("item {item_id} is {status}", rule="AUD-01",
                                remedy="an approved or refused item is settled; order a "
                                       "recovery (PAY-08) instead",
                                key="refusal.claim.item_item_id_status_3", values={"item_id": item_id,
                                "status": item['status']})
        if not reason.strip():
            raise InvalidCommand("a correction says why", rule="AUD-01",
                                 remedy="give the reason for the correction",
                                 key="refusal.claim.correction_says_why")
        if type(amount_fen) is not int or amount_fen <= 0:
            raise InvalidCommand("the amount is whole fen above 0", rule="PAY-10",
                                 remedy="give the corrected amount in yuan",
                                 key="refusal.claim.amount_whole_fen_above")
        require_within(amount_fen, f"item {item_id}")
        require_within(self.claimed - self.items[item_id]["amount_fen"] + amount_fen,
                       f"the claim for {self.month}", CLAIM_TOTAL_MAX_FEN)
        if month_key(service_date) != self.month:
            raise RuleViolation("{service_date} lies outside the service month {month}",
                                rule="PAY-01", remedy="claim it in its own month",
                                key="refusal.claim.lies_outside_service_month",
                                values={"service_date": service_date, "month": self.month})
        # PAY-09: a cost corrected to non-injury is refused; one corrected back
        # to a work-injury cost is pending again; otherwise its status stays.
        status, status_reason = corrected_status(injury, item["reason"] == "non_injury")
        self._item_corrected(
            corrects={"event": "Claim.Submitted", "command_id": corrects, "item_id": item_id,
                      "amount_fen": item["amount_fen"], "service_date": item["service_date"],
                      "injury": item["injury"]},
            item_id=item_id, amount_fen=amount_fen, service_date=service_date, injury=injury,
            reason=reason, status=status, status_reason=status_reason,
            effective_on=self.submitted_on, envelope=envelope)
        return self.items[item_id]

    class ItemCorrected(LedgerAggregate.Event):
        """AUD-01: an item corrected, with the status and refusal reason it
        takes (None: unchanged). Up to class_version 1 the body worked them
        out (PAY-09); the upcast fills them in from the event itself: an item
        is refused as non-injury exactly while its injury flag is false, so
        the flag the correction names (``corrects["injury"]``) says what the
        v1 body found."""
        class_version = 2
        corrects: dict[str, Any]
        item_id: str
        amount_fen: int
        service_date: date
        injury: bool
        reason: str
        status: str | None
        status_reason: str | None
        effective_on: date
        envelope: Envelope

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state["status"], state["status_reason"] = \
                ("refused", "non_injury") if not state["injury"] else \
                ("pending", "") if not state["corrects"]["injury"] else (None, None)

    @event(ItemCorrected)
    def _item_corrected(self, corrects: dict[str, Any], item_id: str, amount_fen: int,
                        service_date: date, injury: bool, reason: str, status: str | None,
                        status_reason: str | None, effective_on: date,
                        envelope: Envelope) -> None:
        item = self.items[item_id]
        item.update(amount_fen=amount_fen, service_date=service_date, injury=injury,
                    corrected={"reason": reason, "was": corrects["amount_fen"]})
        if status is not None:
            item["status"], item["reason"] = status, status_reason

    # --- PAY-03: the reproducible 20% sample ---------------------------------------
    def draw_sample(self, *, seed: str | None, effective_on: date,
                    envelope: Envelope) -> list[str]:
        if self.sample is not None:
            raise RuleViolation("the sample is already drawn", rule="PAY-03",
                                remedy="review the sampled items {items}",
                                key="refusal.claim.sample_already_drawn",
                                values={"items": self.sample['items']})
        if self.batches:
            raise RuleViolation("the claim is already approved", rule="PAY-03",
                                remedy="sample before approval",
                                key="refusal.claim.claim_already_approved")
        seed = seed or hashlib.sha256(f"{self.agreement}:{self.month}".encode()).hexdigest()[:16]
        population = sorted(i for i, row in self.items.items() if row["reason"] != "non_injury")
        chosen = sorted(random.Random(seed).sample(population, sample_size(len(population))))
        self._sample_drawn(seed=seed, population=len(population), sampled=chosen,
                           effective_on=effective_on, envelope=envelope)
        return chosen

    @event("SampleDrawn")
    def _sample_drawn(self, seed: str, population: int, sampled: list[str],
                      effective_on: date, envelope: Envelope) -> None:
        self.sample = {"seed": seed, "population": population, "items": list(sampled),
                       "reviewed": []}

    def review_sampled_item(self, *, item_id: str, noncompliant_fen: int, reason: str,
                            effective_on: date, envelope: Envelope) -> int:
        item = self._item(item_id)
        if self.sample is None or item_id not in self.sample["items"]:
            raise RuleViolation("item {item_id} is not in the drawn sample", rule="PAY-03",
                                remedy="5x deductions apply to sampled items only; query others "
                                       "(PAY-04)", key="refusal.claim.item_not_in_drawn",
                                values={"item_id": item_id})
        if item_id in self.sample["reviewed"]:
            raise RuleViolation("item {item_id} is already reviewed", rule="PAY-03",
                                remedy="nothing to do", key="refusal.claim.item_already_reviewed",
                                values={"item_id": item_id})
        if not 0 <= noncompliant_fen <= item["amount_fen"]:
            raise InvalidCommand("the non-compliant amount lies within the item's {amount_fen} "
                                 "yuan", rule="PAY-03",
                                 remedy="give the non-compliant part of the item",
                                 key="refusal.claim.non_compliant_amount_lies",
                                 values={"amount_fen": Money(item['amount_fen'])})
        if noncompliant_fen and not reason.strip():
            raise InvalidCommand("a deduction gives its reason", rule="PAY-03",
                                 remedy="say which rule the amount breaks",
                                 key="refusal.claim.deduction_gives_its_reason")
        deducted = noncompliant_fen * DEDUCTION_FACTOR
        # PAY-03: only a non-compliant amount is deducted (five times over)
        deductions = [review_deduction(item_id, noncompliant_fen, deducted, reason)] \
            if noncompliant_fen else []
        self._sample_reviewed(item_id=item_id, noncompliant_fen=noncompliant_fen,
                              deducted_fen=deducted, reason=reason, deductions=deductions,
                              effective_on=effective_on, envelope=envelope)
        return deducted

    class SampleItemReviewed(LedgerAggregate.Event):
        """A sampled item reviewed, with the deduction it gives (none when it
        complies). Up to class_version 1 the body decided whether there was
        one; the upcast fills it in as that body did."""
        class_version = 2
        item_id: str
        noncompliant_fen: int
        deducted_fen: int
        reason: str
        deductions: list[dict[str, Any]]
        effective_on: date
        envelope: Envelope

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            # the v1 body's own dict, frozen here (not review_deduction, which may change)
            state["deductions"] = [{
                "item_id": state["item_id"], "noncompliant": state["noncompliant_fen"],
                "deducted": state["deducted_fen"], "reason": state["reason"],
                "batch": None}] if state["noncompliant_fen"] else []

    @event(SampleItemReviewed)
    def _sample_reviewed(self, item_id: str, noncompliant_fen: int, deducted_fen: int,
                         reason: str, deductions: list[dict[str, Any]], effective_on: date,
                         envelope: Envelope) -> None:
        self.sample["reviewed"].append(item_id)  # type: ignore[index]
        self.deductions.extend(dict(d) for d in deductions)

    # --- PAY-04: queries ------------------------------------------------------------
    def query_item(self, *, item_id: str, question: str, calendar: WorkingCalendar,
                   effective_on: date, envelope: Envelope) -> date:
        item = self._item(item_id)
        if item["status"] != "pending":
            raise RuleViolation("item {item_id} is {status}", rule="PAY-04",
                                remedy="query an item still under review",
                                key="refusal.claim.item_item_id_status_2", values={"item_id": item_id,
                                "status": item['status']})
        due = calendar.add_working_days(effective_on, EXPLAIN_WORKING_DAYS)
        self._queried(item_id=item_id, question=question, explain_by=due.due,
                      effective_on=effective_on, envelope=envelope)
        return due.due

    @event("ItemQueried")
    def _queried(self, item_id: str, question: str, explain_by: date, effective_on: date,
                 envelope: Envelope) -> None:
        self.items[item_id]["status"] = "queried"
        self.items[item_id]["query"] = {"question": question, "told_on": effective_on,
                                        "explain_by": explain_by, "explained_on": None}

    def record_explanation(self, *, item_id: str, accepted: bool, effective_on: date,
                           envelope: Envelope) -> None:
        item = self._item(item_id)
        if item["status"] != "queried":
            raise RuleViolation("item {item_id} is not queried", rule="PAY-04",
                                remedy="only a queried item is explained",
                                key="refusal.claim.item_not_queried_2", values={"item_id": item_id})
        # PAY-04: an accepted explanation makes it payable; a rejected one
        # confirms it non-compliant, never paid
        status, status_reason = explained_status(accepted)
        self._explained(item_id=item_id, accepted=accepted, status=status,
                        status_reason=status_reason, effective_on=effective_on,
                        envelope=envelope)

    class ItemExplained(LedgerAggregate.Event):
        """A query answered, with the status and refusal reason the item
        takes. Up to class_version 1 the body worked them out; the upcast
        fills them in from ``accepted`` as that body did."""
        class_version = 2
        item_id: str
        accepted: bool
        status: str
        status_reason: str
        effective_on: date
        envelope: Envelope

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            accepted = state["accepted"]
            state["status"] = "pending" if accepted else "refused"
            state["status_reason"] = "" if accepted else "noncompliant"

    @event(ItemExplained)
    def _explained(self, item_id: str, accepted: bool, status: str, status_reason: str,
                   effective_on: date, envelope: Envelope) -> None:
        item = self.items[item_id]
        item["query"]["explained_on"] = effective_on
        item["status"], item["reason"] = status, status_reason

    def refuse_unexplained(self, *, item_id: str, effective_on: date,
                           envelope: Envelope) -> None:
        item = self._item(item_id)
        if item["status"] != "queried":
            raise RuleViolation("item {item_id} is not queried", rule="PAY-04",
                                remedy="only a queried, unexplained item can be refused",
                                key="refusal.claim.item_not_queried", values={"item_id": item_id})
        if effective_on <= item["query"]["explain_by"]:
            raise RuleViolation("the institution has until {explain_by} to explain", rule="PAY-04",
                                remedy="refuse it after {explain_by}",
                                key="refusal.claim.institution_has_until_explain",
                                values={"explain_by": item['query']['explain_by']})
        self._refused_unexplained(item_id=item_id, effective_on=effective_on, envelope=envelope)

    @event("ItemRefusedUnexplained")
    def _refused_unexplained(self, item_id: str, effective_on: date,
                             envelope: Envelope) -> None:
        self.items[item_id]["status"] = "refused"
        self.items[item_id]["reason"] = "query_unexplained"

    # --- PAY-05, PAY-07: holds --------------------------------------------------------
    def hold_item(self, *, item_id: str, hold: str, ref: str, effective_on: date,
                  envelope: Envelope) -> None:
        item = self._item(item_id)
        if hold not in ("medical_dispute", "investigation"):
            raise InvalidCommand("unknown hold {hold!r}", rule="PAY-05",
                                 remedy="hold for a medical_dispute (PAY-05) or an "
                                        "investigation (PAY-07)", key="refusal.claim.unknown_hold_hold",
                                 values={"hold": hold})
        if item["status"] != "pending":
            raise RuleViolation("item {item_id} is {status}",
                                rule="PAY-05" if hold == "medical_dispute" else "PAY-07",
                                remedy="hold an item not yet approved or refused",
                                key="refusal.claim.item_item_id_status", values={"item_id": item_id,
                                "status": item['status']})
        self._held(item_id=item_id, hold=hold, ref=ref, effective_on=effective_on,
                   envelope=envelope)

    @event("ItemHeld")
    def _held(self, item_id: str, hold: str, ref: str, effective_on: date,
              envelope: Envelope) -> None:
        self.items[item_id]["status"] = "held"
        self.items[item_id]["hold"] = {"kind": hold, "ref": ref, "from": effective_on}

    def release_hold(self, *, item_id: str, medical_accident: bool | None,
                     effective_on: date, envelope: Envelope) -> None:
        item = self._item(item_id)
        if item["status"] != "held":
            raise RuleViolation("item {item_id} is not held", rule="PAY-05",
                                remedy="release a held item", key="refusal.claim.item_not_held",
                                values={"item_id": item_id})
        kind = item["hold"]["kind"]
        if kind == "medical_dispute" and medical_accident is None:
            raise RuleViolation("a medical-dispute hold ends with the accident finding",
                                rule="PAY-05", remedy="say whether it is a medical accident",
                                key="refusal.claim.medical_dispute_hold_ends")
        accident = bool(medical_accident)
        # PAY-05: a medical accident is never paid; otherwise it is payable again
        status, status_reason = ("refused", "medical_accident") if accident else ("pending", None)
        self._released(item_id=item_id, accident=accident, status=status,
                       status_reason=status_reason, effective_on=effective_on,
                       envelope=envelope)

    class HoldReleased(LedgerAggregate.Event):
        """A hold ended, with the status the item takes and its refusal reason
        (None: kept). Up to class_version 1 the body worked them out; the
        upcast fills them in from ``accident`` as that body did."""
        class_version = 2
        item_id: str
        accident: bool
        status: str
        status_reason: str | None
        effective_on: date
        envelope: Envelope

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state["status"], state["status_reason"] = \
                ("refused", "medical_accident") if state["accident"] else ("pending", None)

    @event(HoldReleased)
    def _released(self, item_id: str, accident: bool, status: str, status_reason: str | None,
                  effective_on: date, envelope: Envelope) -> None:
        item = self.items[item_id]
        item["hold"]["until"] = effective_on
        item["status"] = status
        if status_reason is not None:
            item["reason"] = status_reason

    # --- approval and payment (PAY-03, PAY-06) ----------------------------------------
    def approve(self, *, effective_on: date, envelope: Envelope) -> dict[str, Any]:
        if self.sample is not None and len(self.sample["reviewed"]) < len(self.sample["items"]):
            todo = sorted(set(self.sample["items"]) - set(self.sample["reviewed"]))
            raise RuleViolation("sampled items not reviewed yet: {todo}", rule="PAY-03",
                                remedy="review every sampled item first",
                                key="refusal.claim.sampled_items_not_reviewed",
                                values={"todo": ', '.join(todo)})
        unpaid = [b for b in self.batches if b["paid_on"] is None]
        if unpaid:
            raise RuleViolation("approval {batch} is not paid yet", rule="PAY-06",
                                remedy="pay it before approving more",
                                key="refusal.claim.approval_not_paid_yet",
                                values={"batch": unpaid[0]['batch']})
        items = sorted(i for i, row in self.items.items() if row["status"] == "pending")
        deductions = [d for d in self.deductions if d["batch"] is None]
        if not items and not deductions:
            raise RuleViolation("nothing is payable: every item is refused, queried, held or "
                                "already approved", rule="PAY-06",
                                remedy="settle the queries and holds first",
                                key="refusal.claim.nothing_payable_every_item")
        gross = sum(self.items[i]["amount_fen"] for i in items)
        deduct = sum(d["deducted"] for d in deductions)
        approved = max(0, gross - deduct)
        excess = deduct - (gross - approved)   # PAY-08: a deduction beyond the payable
        batch = len(self.batches) + 1
        first = parse_month(self.month)
        nxt = add_months(first, 1)
        due = date(nxt.year, nxt.month, PAY_BY_DAY)
        if batch > 1 or effective_on > due:
            due = date(effective_on.year, effective_on.month, PAY_BY_DAY)
            if effective_on.day > PAY_BY_DAY:
                later = add_months(due, 1)
                due = date(later.year, later.month, PAY_BY_DAY)
        self._approved(batch=batch, items=items, gross=gross, deducted=deduct - excess,
                       excess=excess, approved=approved, pay_by=due,
                       deductions=[i for i, d in enumerate(self.deductions)
                                   if d["batch"] is None],
                       effective_on=effective_on, envelope=envelope)
        return self.batches[-1]

    class Approved(LedgerAggregate.Event):
        """A batch approved: its items and, by position, the deductions it
        settles (PAY-03). Up to class_version 1 the body took every deduction
        not yet settled; an upcast v1 event carries ``deductions`` None and
        its replay does that, frozen."""
        class_version = 2
        batch: int
        items: list[str]
        gross: int
        deducted: int
        excess: int
        approved: int
        pay_by: date
        deductions: list[int] | None
        effective_on: date
        envelope: Envelope

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state["deductions"] = None

    @event(Approved)
    def _approved(self, batch: int, items: list[str], gross: int, deducted: int, excess: int,
                  approved: int, pay_by: date, deductions: list[int] | None,
                  effective_on: date, envelope: Envelope) -> None:
        for i in items:
            self.items[i]["status"] = "approved"
            self.items[i]["batch"] = batch
        if deductions is None:   # history: the v1 body's choice, frozen
            deductions = [i for i, d in enumerate(self.deductions) if d["batch"] is None]
        for i in deductions:
            self.deductions[i]["batch"] = batch
        self.batches.append({"batch": batch, "items": list(items), "gross": gross,
                             "deducted": deducted, "excess": excess, "approved": approved,
                             "pay_by": pay_by, "approved_on": effective_on, "paid": 0,
                             "withheld": 0, "paid_on": None, "ref": "", "late": False})

    def pay(self, *, batch: int, ref: str, effective_on: date,
            envelope: Envelope) -> dict[str, Any]:
        found = [b for b in self.batches if b["batch"] == batch]
        if not found:
            raise NotFound("no approval {batch} on claim {agreement} {month}", rule="PAY-06",
                           remedy="approve the claim first", key="refusal.claim.no_approval_on_claim",
                           values={"batch": batch, "agreement": self.agreement,
                           "month": self.month})
        b = found[0]
        if b["paid_on"] is not None:
            raise RuleViolation("approval {batch} was paid on {paid_on} ({ref})", rule="PAY-06",
                                remedy="each approval is paid once",
                                key="refusal.claim.approval_was_paid_on", values={"batch": batch,
                                "paid_on": b['paid_on'], "ref": b['ref']})
        if effective_on < b["approved_on"]:
            raise InvalidCommand("payment cannot precede approval", rule="PAY-06",
                                 remedy="pay on or after {approved_on}",
                                 key="refusal.claim.payment_cannot_precede_approval",
                                 values={"approved_on": b['approved_on']})
        withheld = withheld_part(b["approved"])   # PAY-06: round half up of 10%
        paid = b["approved"] - withheld           # ... and the rest is paid
        self._paid(batch=batch, ref=ref, paid=paid, withheld=withheld,
                   late=effective_on > b["pay_by"], effective_on=effective_on,
                   envelope=envelope)
        return b

    @event("Paid")
    def _paid(self, batch: int, ref: str, paid: int, withheld: int, late: bool,
              effective_on: date, envelope: Envelope) -> None:
        for b in self.batches:
            if b["batch"] == batch:
                b.update(paid=paid, withheld=withheld, paid_on=effective_on, ref=ref, late=late)

    def state(self) -> dict[str, Any]:
        return {"agreement": self.agreement, "month": self.month, "claimed": self.claimed,
                "refused": self.refused_by_reason(), "held": self.held,
                "deducted": self.deducted, "approved": self.approved, "paid": self.paid,
                "withheld": self.withheld, "batches": self.batches, "sample": self.sample,
                "late": self.late, "due_by": self.due_by}
