"""Money: monthly claims, their review and payment (PAY-01..10), recovery
(PAY-08), the annual assessment (ASM-01..04), deposit clearing (DEP-01,
DEP-02, DEP-04), and the record of a reconciled bank statement (AUD-06).
"""
from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from domain.agreement import Agreement
from domain.assessment import Assessment
from domain.base import Context, LedgerAggregate
from domain.claim import Claim
from domain.errors import Ground, RuleViolation
from domain.fund_account import FundAccount
from domain.institution import Institution
from domain.money import Money, require_within
from domain.person import Person
from domain.reconciliation import StatementImport
from domain.service.commanding import command
from domain.service.core import LedgerCore


class ClaimCommands(LedgerCore):
    """Claims, payments, recoveries, assessments, deposits, bank statements."""

    # --- money: claims, review, payment (PAY-01..10) ------------------------------
    def _account(self, ag: Agreement, year: int, ctx: Context) -> FundAccount:
        return self._find(FundAccount, FundAccount.key(ag.number, year), "fund account") or \
            FundAccount.open(agreement=ag.number, institution_code=ag.institution_code,
                             agency=ag.agency, agreement_type=ag.agreement_type, year=year,
                             effective_on=ctx.effective_on, envelope=ctx.envelope)

    def _claim(self, agreement: str, month: str) -> Claim:
        return self._get(Claim, Claim.key(agreement, month), "claim",
                         remedy="submit the month's claim first")

    @command
    def submit_claim(self, ctx: Context, *, agreement: str, month: str,
                     items: list[dict[str, Any]]):
        ag, touched = self._up_to_date(agreement, ctx)
        self._ask_at_once([Claim.id_for(Claim.key(agreement, month)),
                           *{Person.id_for(item["practitioner_id"]) for item in items
                             if item.get("practitioner_id")}])
        if self._find(Claim, Claim.key(agreement, month), "claim") is not None:
            raise RuleViolation("agreement {agreement} already has its claim for {month}",
                                rule="PAY-01", remedy="one claim per agreement and service month",
                                key="refusal.service_claims.agreement_already_has_its",
                                values={"agreement": agreement, "month": month})
        inst = self._get(Institution, ag.institution_code, "institution")
        grounds = []
        for item in items:
            allowed, rule, why = ag.settles_on(item["service_date"])  # PAY-02, SUS-01, TER-03
            if not allowed:
                grounds.append(Ground(rule, "item {item_id} dated {service_date}: {why} (PAY-02)",
                                      key="refusal.service_claims.item_dated_pay",
                                      values={"item_id": item['item_id'],
                                      "service_date": item['service_date'], "why": why}))
            practitioner = item.get("practitioner_id")
            if practitioner:
                person = self._find(Person, practitioner, "person")
                bar = person.barred_on(item["service_date"]) if person else None
                if bar is not None:  # SAN-02
                    grounds.append(Ground("SAN-02",
                                          "item {item_id}: practitioner {practitioner} is "
                                          "barred ({bar_no}) from {approved_on} to {until}",
                                          "M 44", bar["until"],
                                          key="refusal.service_claims.item_practitioner_barred_from",
                                          values={"item_id": item['item_id'],
                                          "practitioner": practitioner, "bar_no": bar['bar_no'],
                                          "approved_on": bar['approved_on'],
                                          "until": bar['until']}))
        if grounds:
            raise RuleViolation("{grounds} item(s) of the {month} claim cannot be settled",
                                rule=grounds[0].rule, grounds=tuple(grounds),
                                remedy="remove those items; costs outside the agreement's "
                                       "effect, inside a suspension or by a barred practitioner "
                                       "are never settled",
                                key="refusal.service_claims.item_s_claim_cannot",
                                values={"grounds": len(grounds), "month": month})
        claim = Claim.submit(agreement=agreement, institution_code=ag.institution_code,
                             agency=ag.agency, month=month, items=items,
                             networked=bool(inst.facts.get("networked_settlement")),
                             effective_on=ctx.effective_on, envelope=ctx.envelope)
        return [claim, ag, *touched], {
            "agreement": agreement, "month": month, "claimed": Money(claim.claimed),
            "non_injury": Money(claim.refused_by_reason().get("non_injury", 0)),
            "late": claim.late, "due_by": claim.due_by}

    @command
    def correct_claim_item(self, ctx: Context, *, agreement: str, month: str, item_id: str,
                           amount_fen: int, service_date: date, injury: bool, corrects: str,
                           reason: str):
        claim = self._claim(agreement, month)
        ag = self._get(Agreement, agreement, "agreement")
        allowed, rule, why = ag.settles_on(service_date)  # the corrected date is checked too
        if not allowed:
            raise RuleViolation("item {item_id} corrected to {service_date}: {why}", rule=rule,
                                remedy="a correction cannot bring in what could not be claimed",
                                key="refusal.service_claims.item_corrected_item_id_service_date",
                                values={"item_id": item_id, "service_date": service_date,
                                "why": why})
        row = claim.correct_item(item_id=item_id, amount_fen=amount_fen,
                                 service_date=service_date, injury=injury, reason=reason,
                                 corrects=corrects, effective_on=ctx.effective_on,
                                 envelope=ctx.envelope)
        return [claim], {"agreement": agreement, "month": month, "item": item_id,
                         "amount": Money(row["amount_fen"]), "was": Money(row["corrected"]["was"])}

    @command
    def draw_sample(self, ctx: Context, *, agreement: str, month: str, seed: str | None):
        claim = self._claim(agreement, month)
        chosen = claim.draw_sample(seed=seed, effective_on=ctx.effective_on,
                                   envelope=ctx.envelope)
        return [claim], {"agreement": agreement, "month": month, "seed": claim.sample["seed"],
                         "sampled": chosen, "population": claim.sample["population"]}

    @command
    def review_sampled_item(self, ctx: Context, *, agreement: str, month: str, item_id: str,
                            noncompliant_fen: int, reason: str):
        claim = self._claim(agreement, month)
        deducted = claim.review_sampled_item(item_id=item_id, noncompliant_fen=noncompliant_fen,
                                             reason=reason, effective_on=ctx.effective_on,
                                             envelope=ctx.envelope)
        return [claim], {"agreement": agreement, "month": month, "item": item_id,
                         "noncompliant": Money(noncompliant_fen), "deducted": Money(deducted)}

    @command
    def query_claim_item(self, ctx: Context, *, agreement: str, month: str, item_id: str,
                         question: str):
        claim = self._claim(agreement, month)
        due = claim.query_item(item_id=item_id, question=question, calendar=self.calendar(),
                               effective_on=ctx.effective_on, envelope=ctx.envelope)
        return [claim], {"agreement": agreement, "month": month, "item": item_id,
                         "explain_by": due}

    @command
    def record_explanation(self, ctx: Context, *, agreement: str, month: str, item_id: str,
                           accepted: bool):
        claim = self._claim(agreement, month)
        claim.record_explanation(item_id=item_id, accepted=accepted,
                                 effective_on=ctx.effective_on, envelope=ctx.envelope)
        return [claim], {"agreement": agreement, "month": month, "item": item_id,
                         "accepted": accepted}

    @command
    def refuse_unexplained_item(self, ctx: Context, *, agreement: str, month: str,
                                item_id: str):
        claim = self._claim(agreement, month)
        claim.refuse_unexplained(item_id=item_id, effective_on=ctx.effective_on,
                                 envelope=ctx.envelope)
        return [claim], {"agreement": agreement, "month": month, "item": item_id}

    @command
    def hold_claim_item(self, ctx: Context, *, agreement: str, month: str, item_id: str,
                        hold: str, ref: str):
        claim = self._claim(agreement, month)
        claim.hold_item(item_id=item_id, hold=hold, ref=ref, effective_on=ctx.effective_on,
                        envelope=ctx.envelope)
        return [claim], {"agreement": agreement, "month": month, "item": item_id, "hold": hold}

    @command
    def release_claim_item(self, ctx: Context, *, agreement: str, month: str, item_id: str,
                           medical_accident: bool | None):
        claim = self._claim(agreement, month)
        claim.release_hold(item_id=item_id, medical_accident=medical_accident,
                           effective_on=ctx.effective_on, envelope=ctx.envelope)
        return [claim], {"agreement": agreement, "month": month, "item": item_id,
                         "status": claim.items[item_id]["status"]}

    @command
    def approve_claim(self, ctx: Context, *, agreement: str, month: str):
        claim = self._claim(agreement, month)
        batch = claim.approve(effective_on=ctx.effective_on, envelope=ctx.envelope)
        changed: list[LedgerAggregate] = [claim]
        if batch["excess"]:
            # PAY-03/PAY-08: a 5x deduction beyond the month's payable amount is owed back.
            ag = self._get(Agreement, agreement, "agreement")
            account = self._account(ag, claim.year, ctx)
            account.order_recovery(amount_fen=batch["excess"], ground="PAY-03",
                                   ref=f"{agreement}:{month}:{batch['batch']}",
                                   effective_on=ctx.effective_on, envelope=ctx.envelope)
            changed.append(account)
        return changed, {"agreement": agreement, "month": month, "batch": batch["batch"],
                         "gross": Money(batch["gross"]), "deducted": Money(batch["deducted"]),
                         "approved": Money(batch["approved"]), "excess": Money(batch["excess"]),
                         "pay_by": batch["pay_by"]}

    @command
    def pay_claim(self, ctx: Context, *, agreement: str, month: str, batch: int, ref: str):
        claim = self._claim(agreement, month)
        row = claim.pay(batch=batch, ref=ref, effective_on=ctx.effective_on,
                        envelope=ctx.with_document(ref).envelope)
        ag = self._get(Agreement, agreement, "agreement")
        account = self._account(ag, claim.year, ctx)
        account.withhold(claim=Claim.key(agreement, month), batch=batch,
                         amount_fen=row["withheld"], effective_on=ctx.effective_on,
                         envelope=ctx.envelope)
        return [claim, account], {"agreement": agreement, "month": month, "batch": batch,
                                  "approved": Money(row["approved"]), "paid": Money(row["paid"]),
                                  "withheld": Money(row["withheld"]), "late": row["late"],
                                  "pay_by": row["pay_by"], "ref": ref}

    @command
    def order_recovery(self, ctx: Context, *, agreement: str, year: int, amount_fen: int,
                       ground: str, ref: str):
        require_within(amount_fen, "an amount to recover")
        ag = self._get(Agreement, agreement, "agreement")
        account = self._account(ag, year, ctx)
        account.order_recovery(amount_fen=amount_fen, ground=ground, ref=ref,
                               effective_on=ctx.effective_on, envelope=ctx.envelope)
        return [account], {"agreement": agreement, "year": year,
                           "to_recover": Money(account.to_recover),
                           "outstanding": Money(account.outstanding)}

    @command
    def record_recovery(self, ctx: Context, *, agreement: str, year: int, amount_fen: int,
                        ref: str):
        require_within(amount_fen, "a recovered amount")
        account = self._get(FundAccount, FundAccount.key(agreement, year), "fund account",
                            remedy="order the recovery first")
        account.record_recovery(amount_fen=amount_fen, ref=ref, effective_on=ctx.effective_on,
                                envelope=ctx.envelope)
        return [account], {"agreement": agreement, "year": year,
                           "recovered": Money(account.recovered),
                           "outstanding": Money(account.outstanding)}

    # --- annual assessment and deposit clearing (ASM, DEP) ----------------------------
    @command
    def record_assessment(self, ctx: Context, *, agreement: str, year: int,
                          deductions: dict[str, list[list[Any]]], awarded: dict[str, Decimal],
                          veto_failed: list[str], survey: dict[str, Decimal] | None,
                          employer_views: list[str], supervisor_views: list[str],
                          satisfaction: str):
        ag = self._get(Agreement, agreement, "agreement")
        if self._find(Assessment, Assessment.key(agreement, year), "assessment") is not None:
            raise RuleViolation("{agreement} is already assessed for {year}", rule="ASM-01",
                                remedy="one assessment per agreement and year",
                                key="refusal.service_claims.already_assessed_for",
                                values={"agreement": agreement, "year": year})
        # A year the agreement was in force: its term, and the months it went
        # on under M 51 (continued) until it ended.
        last_year = ag.ending["ended_on"].year if ag.ending else (
            ctx.effective_on.year if ag.continued_on else ag.term_end.year)
        if ag.took_effect_on is None or not ag.term_start.year <= year <= last_year:
            raise RuleViolation("agreement {agreement} was not in force in {year}", rule="ASM-01",
                                remedy="assess a year the agreement was in force",
                                key="refusal.service_claims.agreement_was_not_in",
                                values={"agreement": agreement, "year": year})
        assessment = Assessment.record(
            agreement=agreement, institution_code=ag.institution_code, kind=ag.kind, year=year,
            deductions=deductions, awarded=awarded, veto_failed=veto_failed, survey=survey,
            employer_views=employer_views, supervisor_views=supervisor_views,
            satisfaction=satisfaction, effective_on=ctx.effective_on, envelope=ctx.envelope)
        return [assessment], {"agreement": agreement, "year": year, "form": assessment.form_id,
                              "total": assessment.total, "veto_failed": assessment.veto_failed}

    @command
    def clear_deposit(self, ctx: Context, *, agreement: str, year: int, ref: str | None):
        ag = self._get(Agreement, agreement, "agreement")
        assessment = self._find(Assessment, Assessment.key(agreement, year), "assessment")
        if assessment is None:
            raise RuleViolation("{agreement} has no {year} assessment", rule="DEP-01",
                                remedy="the score decides the return: record the assessment "
                                       "first", key="refusal.service_claims.has_no_assessment",
                                values={"agreement": agreement, "year": year})
        account = self._account(ag, year, ctx)
        ref = ref or f"DEP-{agreement}-{year}"   # the bank transfer's reference
        row = account.clear(score=assessment.total, assessment=Assessment.key(agreement, year),
                            ref=ref, effective_on=ctx.effective_on,
                            envelope=ctx.with_document(ref).envelope)
        return [account], {"agreement": agreement, "year": year, "score": row["score"],
                           "percent": row["percent"], "returned": Money(row["returned"]),
                           "forfeited": Money(row["forfeited"]), "due_by": row["due_by"],
                           "late": row["late"], "ref": ref}

    # --- reconciliation with the bank (AUD-06) ------------------------------------
    @command
    def record_statement_import(self, ctx: Context, *, sha256: str, file_name: str,
                                encoding: str, lines: int, summary: dict[str, int]):
        """Record that a bank statement was reconciled. The same statement (by
        content) is recorded once; a second import records nothing new."""
        if self._find(StatementImport, sha256, "statement") is not None:
            found = self._get(StatementImport, sha256, "statement")
            return [], {"sha256": sha256, "already_imported_on": found.imported_on,
                        "summary": found.summary}
        record = StatementImport.record(sha256=sha256, file_name=file_name, encoding=encoding,
                                        lines=lines, summary=summary,
                                        effective_on=ctx.effective_on, envelope=ctx.envelope)
        return [record], {"sha256": sha256, "summary": summary}
