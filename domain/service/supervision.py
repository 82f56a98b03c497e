"""Supervision: leads, cases, the expert pool, screening and the random
draw (SUP-01..08; M 3, 4, 18, 29, 32, 42, 49), and the questions asked of
them.

Screening re-runs and a draw's proof fold the log (``domain/screening.py``'s
:func:`fold`, only the aggregates they need): a re-run "as known at" an
instant is that fold by definition. The questions about leads and cases
are pure functions at the end of this module over the records a read model
keeps (adapters/readmodels/supervision.py); each takes a
:class:`~domain.lead.Viewer`, so SUP-02 (whose institutions) and SUP-03
(whose personal data) hold for every caller.
"""
from __future__ import annotations

import hashlib
from datetime import date, datetime, timedelta, timezone
from typing import Any

from domain.agreement import Agreement
from domain.base import Context, LedgerAggregate
from domain.case import OUTCOME_KINDS, Case
from domain.draw import Draw, population_on
from domain.errors import InvalidCommand, NotFound, RuleViolation
from domain.expert_pool import ExpertPool
from domain.institution import Institution
from domain.lead import Lead, Viewer, check_agency, lead_view
from domain.person import Person
from domain.screening import REVIEW_THRESHOLD_FEN, Alert, Known, fold, screen
from domain.service.commanding import command
from domain.service.core import LedgerCore


class SupervisionCommands(LedgerCore):
    """Leads, cases, the expert pool, screening and the draw (SUP)."""

    # --- who acts --------------------------------------------------------------------------
    def actor_agency(self, user: str) -> str | None:
        """The agency a user works for, from their account when the ledger
        keeps accounts (domain/service/accounts.py); None for an actor with
        no account, the operator on a direct store, who is not scoped."""
        principal = getattr(self, "principal", None)
        found = principal(user) if callable(principal) else None
        return found.agency if found is not None else None

    def viewer(self, user: str, role: str) -> Viewer:
        principal = getattr(self, "principal", None)
        found = principal(user) if callable(principal) else None
        return Viewer(role=role, agency=found.agency if found else None,
                      reads_province=bool(found and found.reads_province))

    def _institution_for(self, code: str, ctx: Context, what: str) -> Institution:
        inst = self._institution_on(code, ctx)
        check_agency(self.actor_agency(ctx.user), inst.agency, what)   # SUP-02
        return inst

    def _lead(self, number: str, ctx: Context) -> Lead:
        lead = self._get(Lead, number, "lead")
        check_agency(self.actor_agency(ctx.user), lead.agency, f"lead {number}")   # SUP-02
        return lead

    def _case(self, number: str, ctx: Context) -> Case:
        case = self._get(Case, number, "case")
        check_agency(self.actor_agency(ctx.user), case.agency, f"case {number}")   # SUP-02
        return case

    # --- SUP-01: leads ---------------------------------------------------------------------
    @command
    def receive_lead(self, ctx: Context, *, number: str, source: str, institution: str,
                     agreement: str | None, person_id: str | None, received_on: date,
                     allegation: str, reporter: str | None,
                     complainant: dict[str, Any] | None, origin: str):
        inst = self._institution_for(institution, ctx, f"institution {institution}")
        if self._find(Lead, number, "lead") is not None:
            raise RuleViolation("lead number {number} is already used", rule="SUP-01",
                                remedy="give the lead a new number",
                                key="refusal.service_supervision.lead_number_already_used",
                                values={"number": number})
        if agreement and self._get(Agreement, agreement, "agreement").institution_code \
                != institution:
            raise RuleViolation("agreement {agreement} is not {institution}'s", rule="SUP-01",
                                remedy="name the institution's own agreement",
                                key="refusal.service_supervision.agreement_not_s_2",
                                values={"agreement": agreement, "institution": institution})
        if person_id:
            self._get(Person, person_id, "person")
        lead = Lead.receive(number=number, source=source, institution_code=institution,
                            agency=inst.agency, agreement=agreement, person_id=person_id,
                            received_on=received_on, allegation=allegation, reporter=reporter,
                            complainant=complainant, origin=origin, rests_on=[],
                            effective_on=ctx.effective_on, envelope=ctx.envelope)
        # the answer never repeats the complainant (SUP-03): it is kept in the command record
        return [lead], {"lead": number, "source": source, "institution": institution}

    @command
    def set_lead_aside(self, ctx: Context, *, number: str, reason: str):
        lead = self._lead(number, ctx)
        lead.put_aside(reason=reason, effective_on=ctx.effective_on, envelope=ctx.envelope)
        return [lead], {"lead": number, "status": "set aside"}

    # --- SUP-04 / SUP-05: cases ----------------------------------------------------------------
    def _open_lead_of(self, number: str, institution: str, ctx: Context) -> Lead:
        lead = self._lead(number, ctx)
        if lead.institution_code != institution:
            raise RuleViolation("lead {number} is about {institution_code}, not {institution}",
                                rule="SUP-04",
                                remedy="a case investigates one institution; open another case",
                                key="refusal.service_supervision.lead_about_not", values={"number": number,
                                "institution_code": lead.institution_code,
                                "institution": institution})
        if lead.received_on > ctx.effective_on:
            raise RuleViolation("lead {number} was received on {received_on}", rule="SUP-04",
                                remedy="date the case on or after it",
                                key="refusal.service_supervision.lead_was_received_on",
                                values={"number": number, "received_on": lead.received_on})
        return lead

    @command
    def open_case(self, ctx: Context, *, number: str, leads: list[str], summary: str):
        if self._find(Case, number, "case") is not None:
            raise RuleViolation("case number {number} is already used", rule="SUP-04",
                                remedy="give the case a new number",
                                key="refusal.service_supervision.case_number_already_used",
                                values={"number": number})
        if not leads:
            raise InvalidCommand("a case is opened on one or more leads", rule="SUP-04",
                                 remedy="name the leads it investigates",
                                 key="refusal.service_supervision.case_opened_on_one")
        first = self._lead(leads[0], ctx)
        found = [self._open_lead_of(n, first.institution_code, ctx) for n in leads]
        case = Case.open(number=number, institution_code=first.institution_code,
                         agency=first.agency, leads=leads, summary=summary,
                         effective_on=ctx.effective_on, envelope=ctx.envelope)
        for lead in found:
            lead.join_case(case=number, effective_on=ctx.effective_on, envelope=ctx.envelope)
        return [case, *found], {"case": number, "institution": first.institution_code,
                                "leads": list(leads)}

    @command
    def add_lead_to_case(self, ctx: Context, *, number: str, lead: str):
        case = self._case(number, ctx)
        found = self._open_lead_of(lead, case.institution_code, ctx)
        case.add_lead(lead=lead, effective_on=ctx.effective_on, envelope=ctx.envelope)
        found.join_case(case=number, effective_on=ctx.effective_on, envelope=ctx.envelope)
        return [case, found], {"case": number, "lead": lead}

    @command
    def assign_case(self, ctx: Context, *, number: str, officers: list[str]):
        case = self._case(number, ctx)
        case.assign(officers=officers, effective_on=ctx.effective_on, envelope=ctx.envelope)
        return [case], {"case": number, "officers": list(officers)}

    @command
    def record_case_step(self, ctx: Context, *, number: str, step: str, summary: str,
                         ref: str):
        case = self._case(number, ctx)
        case.record_step(step=step, summary=summary, ref=ref, effective_on=ctx.effective_on,
                         envelope=ctx.with_document(ref).envelope)
        return [case], {"case": number, "step": step}

    @command
    def request_explanation(self, ctx: Context, *, number: str, request: str, question: str):
        case = self._case(number, ctx)
        due = case.request_explanation(request=request, question=question,
                                       calendar=self.calendar(), effective_on=ctx.effective_on,
                                       envelope=ctx.envelope)
        return [case], {"case": number, "request": request, "explain_by": due}

    @command
    def record_case_explanation(self, ctx: Context, *, number: str, request: str,
                                summary: str):
        case = self._case(number, ctx)
        in_time = case.record_explanation(request=request, summary=summary,
                                          effective_on=ctx.effective_on, envelope=ctx.envelope)
        return [case], {"case": number, "request": request, "late": not in_time}

    @command
    def close_case(self, ctx: Context, *, number: str, conclusion: str, reason: str,
                   outcomes: list[dict[str, str]]):
        case = self._case(number, ctx)
        for o in outcomes:
            self._check_outcome(case, o)
        case.close(conclusion=conclusion, reason=reason, outcomes=outcomes,
                   effective_on=ctx.effective_on, envelope=ctx.envelope)
        return [case], {"case": number, "conclusion": conclusion,
                        "outcomes": [f"{o['kind']} {o['subject']} {o['ref']}" for o in outcomes]}

    def _check_outcome(self, case: Case, o: dict[str, str]) -> None:
        """SUP-04: a named decision must be one the ledger holds, on the case's institution."""
        kind, subject, ref = o.get("kind"), o.get("subject", ""), o.get("ref", "")
        if kind not in OUTCOME_KINDS:
            return   # the case refuses the shape with its own message
        if OUTCOME_KINDS[kind] == "person":
            person = self._get(Person, subject, "person")
            bar = person.bars.get(ref)
            held = bar is not None and bar["institution"] == case.institution_code
        else:
            ag = self._get(Agreement, subject, "agreement")
            if ag.institution_code != case.institution_code:
                raise RuleViolation("agreement {subject} is not {institution_code}'s",
                                    rule="SUP-04", remedy="name the institution's agreement",
                                    key="refusal.service_supervision.agreement_not_s",
                                    values={"subject": subject,
                                    "institution_code": case.institution_code})
            held = (kind == "finding" and any(f["clause"] == ref for f in ag.findings)) or \
                (kind == "suspension" and any(s["notice_no"] == ref and s["kind"] != "voluntary"
                                              for s in ag.suspensions)) or \
                (kind == "termination" and ag.ending is not None
                 and ag.ending["notice_no"] == ref)
        if not held:
            raise RuleViolation("the ledger holds no {kind} {ref!r} on {subject} for "
                                "{institution_code}", rule="SUP-04",
                                remedy="record the decision first (a finding by its clause, a "
                                       "suspension or ending by its notice number, a bar by its "
                                       "number), then close the case naming it",
                                key="refusal.service_supervision.ledger_holds_no_on", values={"kind": kind,
                                "ref": ref, "subject": subject,
                                "institution_code": case.institution_code})

    # --- SUP-08: the expert pool -------------------------------------------------------------
    def _pool(self, agency: str, ctx: Context, *, create: bool = False) -> ExpertPool:
        check_agency(self.actor_agency(ctx.user), agency, f"the {agency} expert pool")
        pool = self._find(ExpertPool, agency, "expert pool")
        if pool is None:
            if not create:
                raise NotFound("agency {agency} has no expert pool", rule="SUP-08",
                               remedy="add its first expert",
                               key="refusal.service_supervision.agency_has_no_expert",
                               values={"agency": agency})
            pool = ExpertPool.open(agency=agency, effective_on=ctx.effective_on,
                                   envelope=ctx.envelope)
        return pool

    @command
    def add_expert(self, ctx: Context, *, agency: str, expert: str, name: str, field: str,
                   conflicts: list[str]):
        pool = self._pool(agency, ctx, create=True)
        for code in conflicts:
            self._get(Institution, code, "institution")
        pool.add_expert(expert=expert, name=name, field=field, conflicts=conflicts,
                        effective_on=ctx.effective_on, envelope=ctx.envelope)
        return [pool], {"agency": agency, "expert": expert, "conflicts": sorted(set(conflicts))}

    @command
    def declare_expert_conflict(self, ctx: Context, *, agency: str, expert: str,
                                institution: str):
        pool = self._pool(agency, ctx)
        self._get(Institution, institution, "institution")
        pool.declare_conflict(expert=expert, institution_code=institution,
                              effective_on=ctx.effective_on, envelope=ctx.envelope)
        return [pool], {"agency": agency, "expert": expert, "institution": institution}

    @command
    def remove_expert(self, ctx: Context, *, agency: str, expert: str, reason: str):
        pool = self._pool(agency, ctx)
        pool.remove_expert(expert=expert, reason=reason, effective_on=ctx.effective_on,
                           envelope=ctx.envelope)
        return [pool], {"agency": agency, "expert": expert}

    # --- SUP-06: screening --------------------------------------------------------------------
    def known_at(self, instant: datetime | None = None, *only: type) -> Known:
        """The ledger as the log had it at ``instant`` (all of it when None)."""
        return fold(self.read_log(), instant, *only)

    def screening_alerts(self, viewer: Viewer, rules: list[str] = (), *,
                         known_at: datetime | None = None,
                         threshold_fen: int = REVIEW_THRESHOLD_FEN) -> list[Alert]:
        """What the rules raise on the log as known at ``known_at``; nothing recorded."""
        alerts = screen(self.known_at(known_at), rules, threshold_fen=threshold_fen)
        return [a for a in alerts if viewer.reads(a.agency)]

    @staticmethod
    def alert_lead_number(alert: Alert) -> str:
        """The same alert always makes the same lead, so a rule run again adds nothing."""
        digest = hashlib.sha256(f"{alert.rule}|{alert.key}".encode("utf-8")).hexdigest()
        return f"SCR-{digest[:16]}"

    @command
    def run_screening(self, ctx: Context, *, rules: list[str], known_at: datetime | None,
                      threshold_fen: int | None):
        if known_at is not None and known_at.tzinfo is None:
            raise InvalidCommand("known_at carries its time zone", rule="SUP-06",
                                 remedy="give it as 2026-12-01T00:00:00+08:00",
                                 key="refusal.service_supervision.known_at_carries_its")
        actor = self.actor_agency(ctx.user)
        viewer = Viewer(role=ctx.role, agency=actor)
        alerts = self.screening_alerts(viewer, rules, known_at=known_at,
                                       threshold_fen=threshold_fen or REVIEW_THRESHOLD_FEN)
        new: list[LedgerAggregate] = []
        for a in alerts:
            number = self.alert_lead_number(a)
            if self._find(Lead, number, "lead") is not None:
                continue
            new.append(Lead.receive(
                number=number, source="screening", institution_code=a.institution,
                agency=a.agency, agreement=a.agreement if "," not in a.agreement else None,
                person_id=None, received_on=ctx.effective_on, allegation=a.what,
                reporter=None, complainant=None, origin=a.rule, rests_on=list(a.rests_on),
                effective_on=ctx.effective_on, envelope=ctx.envelope))
        return new, {"alerts": len(alerts), "new_leads": [lead.number for lead in new],
                     "known_at": known_at}

    # --- SUP-07: the draw -------------------------------------------------------------------------
    def log_position_at(self, instant: datetime) -> int:
        """The notification id of the last event recorded by ``instant`` (0: none)."""
        position = 0
        for nid, e in self.read_log():
            if e.timestamp <= instant:
                position = nid
        return position

    @command
    def publish_draw(self, ctx: Context, *, number: str, agency: str, targets: int,
                     per_target: int, seed_head: str, seed_position: int,
                     seed_instant: datetime):
        check_agency(self.actor_agency(ctx.user), agency, f"a draw over agency {agency}")
        if self._find(Draw, number, "draw") is not None:
            raise RuleViolation("draw number {number} is already used", rule="SUP-07",
                                remedy="give the draw a new number",
                                key="refusal.service_supervision.draw_number_already_used",
                                values={"number": number})
        if not isinstance(seed_instant, datetime) or seed_instant.tzinfo is None:
            raise InvalidCommand("the seed's instant carries its time zone", rule="SUP-07",
                                 remedy="give it as 2026-12-01T00:00:00+08:00",
                                 key="refusal.service_supervision.seed_s_instant_carries")
        if seed_instant > datetime.now(timezone.utc):
            raise RuleViolation("the seed's instant lies in the future", rule="SUP-07",
                                remedy="state an instant already past: its chain head is fixed",
                                key="refusal.service_supervision.seed_s_instant_lies")
        at = self.log_position_at(seed_instant)
        if seed_position != at:
            raise RuleViolation("the last event recorded by {seed_instant} is #{at}, not "
                                "#{seed_position}", rule="SUP-07",
                                remedy="take the chain head at the stated instant",
                                key="refusal.service_supervision.last_event_recorded_by",
                                values={"seed_instant": seed_instant.isoformat(), "at": at,
                                "seed_position": seed_position})
        population, members = self._draw_inputs(self.known_at(None, Agreement, ExpertPool),
                                                agency, ctx.effective_on)
        d = Draw.publish(number=number, agency=agency, seed_head=seed_head,
                         seed_position=seed_position, seed_instant=seed_instant,
                         population=population, pool=members, targets=targets,
                         per_target=per_target, effective_on=ctx.effective_on,
                         envelope=ctx.envelope)
        institutions = {code: self._get(Institution, code, "institution")
                        for code in (r["institution"] for r in d.result)}
        leads = [Lead.receive(number=f"{number}-{i}", source="draw", institution_code=code,
                              agency=institutions[code].agency, agreement=None, person_id=None,
                              received_on=ctx.effective_on,
                              allegation=f"drawn for inspection by {number} (M 42); "
                                         f"inspectors {', '.join(r['inspectors'])}",
                              reporter=None, complainant=None, origin=number,
                              rests_on=[{"event": "Draw.Published", "subject": f"draw {number}"}],
                              effective_on=ctx.effective_on, envelope=ctx.envelope)
                 for i, r in enumerate(d.result, start=1) for code in [r["institution"]]]
        return [d, *leads], {"draw": number, "targets": [r["institution"] for r in d.result],
                             "population": len(population), "seed": d.seed["head"][:16]}

    @staticmethod
    def _draw_inputs(known: Known, agency: str, day: date
                     ) -> tuple[list[str], list[dict[str, Any]]]:
        """The population and the pool a draw over ``agency`` on ``day`` takes."""
        pools = [p for p in known.all(ExpertPool) if p.agency == agency]
        members = pools[0].members_on(day) if pools else []
        return population_on(known.all(Agreement), agency, day), members

    def draw_proof(self, number: str) -> dict[str, Any]:
        """Everything to re-run a draw, and whether the ledger gives it again:
        the result from its own event, and the population and pool from the
        log as known just before it was recorded (the seed's chain head
        itself is checked against the chain by the adapters, which keep it)."""
        d = self._get(Draw, number, "draw")
        recorded_at = self.known_at(None, Draw).refs[d.id][0][2].timestamp
        before = self.known_at(recorded_at - timedelta(microseconds=1), Agreement, ExpertPool)
        population, members = self._draw_inputs(before, d.agency, d.drawn_on)
        pool = [{"expert": e["expert"], "conflicts": sorted(e["conflicts"])} for e in members]
        position = self.log_position_at(datetime.fromisoformat(d.seed["instant"]))
        checks = {"result_reruns": d.rerun() == d.result,
                  "population_from_log": population == d.population,
                  "pool_from_log": pool == d.pool,
                  "seed_position_at_instant": position == d.seed["position"]}
        return {**d.state(), "recorded_at": recorded_at.isoformat(), "checks": checks,
                "ok": all(checks.values())}


# --- questions (SUP-02, SUP-03) ------------------------------------------------------------------
# What the supervision questions answer, from the records of the leads and
# cases as they stood on a day as known at a log position: the read model's
# (adapters/readmodels/supervision.py) or the fold's (projections/supervision.py),
# which tests hold equal. Each takes a Viewer, so SUP-02 (whose institutions)
# and SUP-03 (whose personal data) hold for every caller.
def _may_read(viewer: Viewer, agency: str, what: str) -> None:
    if not viewer.reads(agency):
        raise RuleViolation("{what} belongs to agency {agency}; this reader reads only agency "
                            "{agency2}", rule="SUP-02", remedy="ask the provincial agency (SX)",
                            key="refusal.service_supervision.belongs_agency_this_reader",
                            values={"what": what, "agency": agency, "agency2": viewer.agency})


def one_lead(record: dict[str, Any] | None, number: str, viewer: Viewer) -> dict[str, Any]:
    """A lead's state as ``viewer`` may read it."""
    if record is None:
        raise NotFound("no lead {number!r} on that day as known then", rule="SUP-01",
                       remedy="check the number, the day and the instant",
                       key="refusal.service_supervision.no_lead_on_that", values={"number": number})
    _may_read(viewer, record["agency"], f"lead {number}")
    return lead_view(record, viewer)


def one_case(record: dict[str, Any] | None, number: str, deadlines: list[dict[str, Any]],
             viewer: Viewer) -> dict[str, Any]:
    """A case's state with its deadlines on the day asked (``on_date`` rows)."""
    if record is None:
        raise NotFound("no case {number!r} on that day as known then", rule="SUP-04",
                       remedy="check the number, the day and the instant",
                       key="refusal.service_supervision.no_case_on_that", values={"number": number})
    _may_read(viewer, record["agency"], f"case {number}")
    return {**record, "deadlines": [d for d in deadlines if d["subject"] == f"case {number}"]}


def open_cases(cases: list[dict[str, Any]], deadlines: list[dict[str, Any]], viewer: Viewer,
               *, overdue: bool = False) -> list[dict[str, Any]]:
    """Open cases the viewer may read, each with its deadlines on the day
    asked (``on_date`` rows of the deadlines view); with ``overdue``, only
    those with a deadline past."""
    of: dict[str, list[dict[str, Any]]] = {}
    for d in deadlines:
        of.setdefault(d["subject"], []).append(d)
    out = []
    for case in sorted(cases, key=lambda c: c["case"]):
        if case["status"] != "open" or not viewer.reads(case["agency"]):
            continue
        due = of.get(f"case {case['case']}", [])
        if overdue and not any(d["overdue"] for d in due):
            continue
        out.append({**case, "deadlines": due})
    return out


def open_leads(leads: list[dict[str, Any]], viewer: Viewer, *,
               institution: str | None = None) -> list[dict[str, Any]]:
    """Leads not yet in a case nor set aside, that the viewer may read (M 18:
    a complaint, report or referral stays here until a case takes it)."""
    return [lead_view(r, viewer) for r in sorted(leads, key=lambda r: (r["received_on"],
                                                                      r["lead"]))
            if r["status"] == "open" and viewer.reads(r["agency"])
            and (institution is None or r["institution"] == institution)]


def institution_supervision(code: str, agency: str, leads: list[dict[str, Any]],
                            cases: list[dict[str, Any]], viewer: Viewer) -> dict[str, Any]:
    """An institution's leads (personal data as SUP-03 allows) and cases."""
    _may_read(viewer, agency, code)
    mine = sorted((r for r in leads if r["institution"] == code),
                  key=lambda r: (r["received_on"], r["lead"]))
    return {"institution": code, "agency": agency,
            "leads": [lead_view(r, viewer) for r in mine],
            "cases": sorted((c for c in cases if c["institution"] == code),
                            key=lambda c: c["case"])}


def alerts_by_rule(leads: list[dict[str, Any]], viewer: Viewer, *, rule: str | None = None,
                   agency: str | None = None) -> list[dict[str, Any]]:
    """Screening leads recorded, counted by rule and agency, with their leads."""
    groups: dict[tuple[str, str], list[str]] = {}
    for r in leads:
        if r["source"] != "screening" or not viewer.reads(r["agency"]):
            continue
        if (rule and r["origin"] != rule) or (agency and r["agency"] != agency):
            continue
        groups.setdefault((r["origin"], r["agency"]), []).append(r["lead"])
    return [{"rule": r, "agency": a, "alerts": len(n), "leads": sorted(n)}
            for (r, a), n in sorted(groups.items())]
