"""Agreements: signing (AGR-01, AGR-03, AGR-04, ADM-07), filing, notice and
objections (AGR-02), changes, renewal and early ending (AGR-05..07),
suspension and findings (SUS-01..06), termination (TER-01..05), and the
deposit an assistive-device agreement loses by them (DEP-03). What a new
agreement rests on is decided by ``domain/policies/agreements.py``.

Every command on an agreement first records what had fallen due for it by
the command's date (``_up_to_date``), so it never acts on a stale state.
"""
from __future__ import annotations

from datetime import date, timedelta

from domain.agency import Agency
from domain.agreement import Agreement
from domain.base import Context, LedgerAggregate
from domain.errors import RuleViolation
from domain.fund_account import FundAccount
from domain.grounds import AGREEMENT_TYPES
from domain.policies import agreements as policy
from domain.service.commanding import command
from domain.service.standing import Standing


class AgreementCommands(Standing):
    """An agreement's life from signing to its end."""

    @command
    def sign_agreement(self, ctx: Context, *, number: str, institution: str,
                       agreement_type: str | None, term_start: date, term_years: int,
                       renewal_of: str | None, late_reason: str):
        inst = self._institution_on(institution, ctx)
        if self._find(Agreement, number, "agreement") is not None:
            raise RuleViolation("agreement number {number} is already used",
                                remedy="give the agreement a new number",
                                key="refusal.service_agreements.agreement_number_already_used",
                                values={"number": number})
        agreement_type = agreement_type or AGREEMENT_TYPES[inst.kind]
        touched: list[LedgerAggregate] = []
        if renewal_of:
            predecessor, touched = self._up_to_date(renewal_of, ctx)
            policy.require_renewable(predecessor, institution)           # AGR-05
            basis = {"renewal_of": renewal_of, "article": "M 36"}
            touched = [predecessor, *touched]
        else:
            basis = self._admission_basis(inst, ctx.effective_on)         # AGR-01
            held = [self._find(Agreement, n, "agreement") for n in inst.agreements]
            policy.require_no_live_agreement(institution, inst.agency,    # AGR-05
                                             [ag for ag in held if ag is not None])
        policy.require_no_bar_to_sign(institution, ctx.effective_on,      # AGR-01 (ADM-03)
                                      self.bars_on(inst, ctx.effective_on))
        if inst.kind == "rehab":  # ADM-07: only the agency's selected pilots
            pilots = self._find(Agency, inst.agency, "agency")
            policy.require_rehab_pilot(institution, inst.kind, inst.agency,
                                       pilots.rehab_pilots if pilots is not None else ())
        if term_years == policy.LONG_TERM_YEARS:  # AGR-03: three consecutive excellent years
            policy.require_term_allowed(term_years, self.annual_scores(inst), term_start)
        agreement = Agreement.sign(number=number, institution_code=institution,
                                   agency=inst.agency, kind=inst.kind,
                                   agreement_type=agreement_type, term_start=term_start,
                                   term_years=term_years, basis=basis, renewal_of=renewal_of,
                                   late_reason=late_reason, effective_on=ctx.effective_on,
                                   envelope=ctx.envelope)
        if renewal_of:
            touched[0].note_successor(successor=number, effective_on=ctx.effective_on,
                                      envelope=ctx.envelope)
        inst.note_agreement(number, ctx.effective_on, ctx.envelope)
        registry = self._registry(ctx)
        registry.list_agreement(number, ctx.effective_on, ctx.envelope)
        return [agreement, inst, registry, *touched], {
            "agreement": number, "type": agreement_type, "term_start": term_start,
            "term_end": agreement.term_end, "late": agreement.late, "basis": basis}

    @command
    def file_agreement(self, ctx: Context, *, agreement: str, filing_ref: str):
        ag, touched = self._up_to_date(agreement, ctx)
        ag.file_with_department(filing_ref=filing_ref, effective_on=ctx.effective_on,
                                envelope=ctx.with_document(filing_ref).envelope)
        return [ag, *touched], {"agreement": agreement, "filing_ref": filing_ref}

    @command
    def start_public_notice(self, ctx: Context, *, agreement: str, notice_ref: str,
                            until: date):
        ag, touched = self._up_to_date(agreement, ctx)
        ag.start_public_notice(notice_ref=notice_ref, until=until, effective_on=ctx.effective_on,
                               envelope=ctx.with_document(notice_ref).envelope)
        return [ag, *touched], {"agreement": agreement, "notice_until": until}

    @command
    def raise_objection(self, ctx: Context, *, agreement: str, objection_no: str,
                        raised_by: str, summary: str):
        ag, touched = self._up_to_date(agreement, ctx)
        ag.raise_objection(objection_no=objection_no, raised_by=raised_by, summary=summary,
                           effective_on=ctx.effective_on, envelope=ctx.envelope)
        return [ag, *touched], {"agreement": agreement, "objection": objection_no}

    @command
    def decide_objection(self, ctx: Context, *, agreement: str, objection_no: str,
                         upheld: bool, reason: str):
        ag, touched = self._up_to_date(agreement, ctx)
        ag.decide_objection(objection_no=objection_no, upheld=upheld, reason=reason,
                            effective_on=ctx.effective_on, envelope=ctx.envelope)
        return [ag, *touched], {"agreement": agreement, "objection": objection_no,
                                "upheld": upheld, "status": ag.status}

    # --- AGR-05..07: changes, renewal, early ending ----------------------------
    @command
    def record_change(self, ctx: Context, *, agreement: str, change: str, approved_on: date,
                      reported_on: date | None, details: str):
        ag, touched = self._up_to_date(agreement, ctx)
        row = ag.record_change(change=change, approved_on=approved_on, reported_on=reported_on,
                               details=details, calendar=self.calendar(),
                               effective_on=ctx.effective_on, envelope=ctx.envelope)
        return [ag, *touched], {"agreement": agreement, "change": change, "due": row["due"],
                                "late": row["late"], "provisional": row["provisional"]}

    @command
    def report_change(self, ctx: Context, *, agreement: str, change: str, reported_on: date):
        ag, touched = self._up_to_date(agreement, ctx)
        row = ag.report_change(change=change, reported_on=reported_on,
                               effective_on=ctx.effective_on, envelope=ctx.envelope)
        return [ag, *touched], {"agreement": agreement, "change": change, "due": row["due"],
                                "late": row["late"]}

    @command
    def apply_for_renewal(self, ctx: Context, *, agreement: str, applied_on: date):
        ag, touched = self._up_to_date(agreement, ctx)
        late = ag.apply_for_renewal(applied_on=applied_on, effective_on=ctx.effective_on,
                                    envelope=ctx.envelope)
        return [ag, *touched], {"agreement": agreement, "late": late,
                                "due_by": ag.renewal["due_by"]}

    @command
    def object_to_renewal(self, ctx: Context, *, agreement: str, raised_by: str,
                          summary: str):
        ag, touched = self._up_to_date(agreement, ctx)
        ag.object_to_renewal(raised_by=raised_by, summary=summary,
                             effective_on=ctx.effective_on, envelope=ctx.envelope)
        return [ag, *touched], {"agreement": agreement, "raised_by": raised_by}

    @command
    def refuse_renewal(self, ctx: Context, *, agreement: str, reason: str):
        ag, touched = self._up_to_date(agreement, ctx)
        ag.refuse_renewal(reason=reason, effective_on=ctx.effective_on, envelope=ctx.envelope)
        touched += self._advance(ag, ctx.effective_on, self._clock(ctx))
        return [ag, *touched], {"agreement": agreement, "ends_on": ag.term_end
                                + timedelta(days=1) if not ag.continued_on else ctx.effective_on}

    @command
    def give_notice_to_end(self, ctx: Context, *, agreement: str, given_by: str, reason: str):
        ag, touched = self._up_to_date(agreement, ctx)
        ends_on = ag.give_notice_to_end(given_by=given_by, reason=reason,
                                        effective_on=ctx.effective_on, envelope=ctx.envelope)
        return [ag, *touched], {"agreement": agreement, "ends_on": ends_on,
                                "aftercare": ag.agreement_type == "DA"}

    # --- SUS-01..06: suspension and findings ------------------------------------
    @command
    def suspend_agreement(self, ctx: Context, *, agreement: str, kind: str, ground: str,
                          start: date | None, requested_on: date | None,
                          planned_days: int | None, months: int | None, notice_no: str):
        ag, touched = self._up_to_date(agreement, ctx)
        # The suspension takes effect on its start, which may lie before the
        # day it is recorded (a late-recorded, backdated suspension).
        row = ag.suspend(kind=kind, ground_code=ground, start=start or ctx.effective_on,
                         requested_on=requested_on, planned_days=planned_days, months=months,
                         notice_no=notice_no, calendar=self.calendar(),
                         effective_on=start or ctx.effective_on,
                         envelope=ctx.with_document(notice_no).envelope)
        obligation = next((o for o in ag.obligations if o["rule"] == "TER-02"
                           and o["discharged_on"] is None), None)
        if ag.agreement_type == "DA" and ground.startswith("DA36"):
            touched += self._deposit_losses(ag, ground, 50, ctx)   # DEP-03
        return [ag, *touched], {"agreement": agreement, "kind": kind, "start": row["start"],
                                "planned_end": row["planned_end"], "resume_by": row["resume_by"],
                                "provisional": row["provisional"],
                                "past_expiry": bool(row["planned_end"]
                                                    and row["planned_end"] > ag.term_end),
                                "termination_obligation": obligation is not None}

    @command
    def correct_suspension(self, ctx: Context, *, agreement: str, corrects: str, start: date,
                           reason: str, months: int | None = None):
        ag, touched = self._up_to_date(agreement, ctx)
        row = ag.correct_suspension(corrects=corrects, start=start, reason=reason,
                                    months=months, calendar=self.calendar(),
                                    effective_on=ctx.effective_on, envelope=ctx.envelope)
        return [ag, *touched], {"agreement": agreement, "corrects": corrects,
                                "start": row["start"], "resume_by": row["resume_by"],
                                "planned_end": row["planned_end"]}

    @command
    def apply_for_resumption(self, ctx: Context, *, agreement: str, applied_on: date):
        ag, touched = self._up_to_date(agreement, ctx)
        ag.apply_for_resumption(applied_on=applied_on, effective_on=ctx.effective_on,
                                envelope=ctx.envelope)
        return [ag, *touched], {"agreement": agreement, "applied_on": applied_on}

    @command
    def record_inspection(self, ctx: Context, *, agreement: str, passed: bool,
                          report_ref: str):
        ag, touched = self._up_to_date(agreement, ctx)
        ag.record_inspection(passed=passed, report_ref=report_ref,
                             effective_on=ctx.effective_on,
                             envelope=ctx.with_document(report_ref).envelope)
        return [ag, *touched], {"agreement": agreement, "passed": passed, "status": ag.status}

    @command
    def resume_agreement(self, ctx: Context, *, agreement: str):
        ag, touched = self._up_to_date(agreement, ctx)
        ag.resume(effective_on=ctx.effective_on, envelope=ctx.envelope)
        return [ag, *touched], {"agreement": agreement, "status": ag.status}

    @command
    def record_breach_finding(self, ctx: Context, *, agreement: str, clause: str,
                              found_on: date, facts: str, sanctions: list[str]):
        ag, touched = self._up_to_date(agreement, ctx)
        g = ag.record_finding(clause=clause, found_on=found_on, facts=facts,
                              sanctions=sanctions, effective_on=ctx.effective_on,
                              envelope=ctx.envelope)
        return [ag, *touched], {"agreement": agreement, "clause": clause,
                                "article": g.article, "sanctions": sorted(sanctions)}

    # --- TER-01..05: termination -------------------------------------------------
    @command
    def terminate_agreement(self, ctx: Context, *, agreement: str, ground: str,
                            notice_no: str, notice_on: date | None, reported_on: date | None,
                            report_ref: str, reason: str):
        ag, touched = self._up_to_date(agreement, ctx)
        g = ag.terminate(ground_code=ground, notice_no=notice_no,
                         notice_on=notice_on or ctx.effective_on, reported_on=reported_on,
                         report_ref=report_ref, reason=reason, effective_on=ctx.effective_on,
                         envelope=ctx.with_document(notice_no).envelope)
        registry = self._registry(ctx)
        registry.retire(agreement, ctx.effective_on, ctx.envelope)
        if ag.agreement_type == "DA" and ground.startswith("DA37"):
            touched += self._deposit_losses(ag, ground, 100, ctx)  # DEP-03
        return [ag, registry, *touched], {"agreement": agreement, "ground": ground,
                                          "article": g.article, "breach": g.is_breach,
                                          "aftercare": ag.agreement_type == "DA"}

    def _deposit_losses(self, ag: Agreement, clause: str, percent: int,
                        ctx: Context) -> list[FundAccount]:
        """DEP-03: a DA 36 suspension takes 50% of the deposit held, a DA 37
        termination all of it, from every year not yet cleared."""
        touched = []
        for year in range(ag.term_start.year, ag.term_end.year + 1):
            account = self._find(FundAccount, FundAccount.key(ag.number, year), "fund account")
            if account is not None and account.forfeit_share(
                    percent=percent, clause=clause, effective_on=ctx.effective_on,
                    envelope=ctx.envelope):
                touched.append(account)
        return touched
