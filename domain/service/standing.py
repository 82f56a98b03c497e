"""An institution's standing, gathered from the store for the policies:
the grounds barring it (ADM-03), its valid pass (EVA-04), its annual scores
(ASM, for AGR-03). Admission, the rehab pilot and signing all ask these, so
they live here once; the deciding is in ``domain/policies``.
"""
from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from domain.agreement import Agreement
from domain.application import Application as AdmissionApplication
from domain.assessment import Assessment
from domain.bars import Ending
from domain.evaluation import Evaluation
from domain.institution import SISTER_LINK_ROLES, Institution
from domain.person import Person
from domain.policies import admission as admission_policy
from domain.policies.agreements import admission_basis
from domain.service.core import LedgerCore


class Standing(LedgerCore):
    """What the log says about an institution's right to apply and sign."""

    # --- who may apply (ADM-01, ADM-03, EVA-05) --------------------------------------
    def sister_codes(self, inst: Institution) -> set[str]:
        """Institutions sharing a legal representative or investor (ADM-03 item 4)."""
        people = [p for pid in inst.person_ids(SISTER_LINK_ROLES)
                  if (p := self._find(Person, pid, "person")) is not None]
        return admission_policy.sister_codes(inst.code, people)

    def breach_endings(self, inst: Institution) -> list[Ending]:
        """Agreements of this institution ended (解除) by an agency for breach or
        violation: the ledger's own endings, and earlier ones recorded as M 11(5)
        bar facts. Expiry, automatic and agreed endings bar nothing (TER-05)."""
        agreements = [self._find(Agreement, number, "agreement") for number in inst.agreements]
        return admission_policy.breach_endings(
            inst.code, inst.bar_facts, [ag.ending for ag in agreements if ag is not None])

    def bars_on(self, inst: Institution, on: date) -> list:
        """ADM-03: every ground barring ``inst`` from applying (or signing) on ``on``."""
        persons = {p["person_id"]: person for p in inst.people
                   if (person := self._find(Person, p["person_id"], "person")) is not None}
        sister_endings: list[Ending] = []
        for code in sorted(self.sister_codes(inst)):
            sister = self._find(Institution, code, "institution")
            if sister is not None:
                sister_endings += self.breach_endings(sister)
        return admission_policy.application_grounds(
            on, institution_code=inst.code, people=inst.people, persons=persons,
            bar_facts=inst.bar_facts, own_endings=self.breach_endings(inst),
            sister_endings=sister_endings, second_fail_served_on=self._second_fails(inst))

    def _second_fails(self, inst: Institution) -> list[date]:
        last_results = []
        for number in inst.applications:
            app = self._find(AdmissionApplication, number, "application")
            if app is None or len(app.evaluations) < 2:
                continue
            ev = self._find(Evaluation, app.evaluations[-1], "evaluation")
            last_results.append(ev.result if ev is not None else None)
        return admission_policy.second_fails(last_results)

    @staticmethod
    def basic_conditions(inst: Institution, facts: dict[str, Any], on: date) -> list[str]:
        """ADM-01: the kind's basic conditions that the F1 facts do not meet."""
        return admission_policy.basic_conditions(inst.kind, facts, on)

    # --- passes and scores (EVA-04, ASM) -----------------------------------------------
    def valid_pass(self, inst: Institution, on: date) -> Evaluation | None:
        """EVA-04: the evaluation whose pass is valid on ``on``, if any."""
        for number in reversed(inst.applications):
            app = self._find(AdmissionApplication, number, "application")
            for ev_no in reversed(app.evaluations if app else []):
                ev = self._find(Evaluation, ev_no, "evaluation")
                if ev is not None and ev.pass_valid_on(on):
                    return ev
        return None

    def annual_scores(self, inst: Institution) -> dict[int, Decimal]:
        """Year -> annual assessment total over the institution's agreements (ASM)."""
        scores: dict[int, Decimal] = {}
        for number in inst.agreements:
            ag = self._find(Agreement, number, "agreement")
            if ag is None:
                continue
            # Its term, and the years it went on under M 51 until it ended.
            last = ag.ending["ended_on"].year if ag.ending else (
                ag.term_end.year + 10 if ag.continued_on else ag.term_end.year)
            for year in range(ag.term_start.year, last + 1):
                found = self._find(Assessment, Assessment.key(number, year), "assessment")
                if found is not None:
                    scores[year] = found.total
        return scores

    def _admission_basis(self, inst: Institution, on: date) -> dict[str, Any]:
        """AGR-01: a valid evaluation pass (EVA-04) or an exemption (ADM-06)."""
        def exempted():   # latest first, looked up only when there is no pass
            for number in reversed(inst.applications):
                app = self._find(AdmissionApplication, number, "application")
                if app is not None and app.exemption is not None:
                    yield number
        return admission_basis(inst.code, on, self.valid_pass(inst, on), exempted())
