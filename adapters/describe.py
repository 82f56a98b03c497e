"""Results in words a case officer understands."""
from __future__ import annotations

from typing import Any

from domain.application import MATERIALS


_EVENT_WORDS = {"Ended": "ended", "TookEffect": "took effect",
                "ContinuedUnderArt51": "continued under M 51",
                "ChangeReportOverdue": "change report overdue",
                "SuccessorTookEffect": "successor took effect"}


def _items(items: list[str]) -> str:
    return ", ".join(MATERIALS.get(i, i).split(" (")[0] for i in items) or "none"


def describe(result: dict[str, Any]) -> str:
    c = result.get("command", "")
    r = result
    again = "" if r.get("recorded", True) else " (already recorded earlier; nothing new)"
    if c == "register_institution":
        text = f"Registered institution {r['institution']} ({r['kind']}" + \
               (f"/{r['subtype']}" if r.get("subtype") else "") + ")."
    elif c == "submit_application":
        if r["missing"]:
            prov = " (provisional: the holiday arrangement for that year is not known)" \
                if r.get("provisional") else ""
            text = (f"Application {r['application']} received; missing materials: "
                    f"{_items(r['missing'])}. The one-time notice is due by "
                    f"{r['notice_due']}{prov} (ADM-04).")
        else:
            text = f"Application {r['application']} received with all five M 12 materials."
    elif c == "send_materials_notice":
        late = " LATE: it was due by " + str(r["notice_due"]) if r.get("late") else \
            f" (due by {r['notice_due']})"
        text = f"One-time notice {r['notice_no']} sent for {r['application']}{late}."
    elif c == "supply_materials":
        text = f"Materials supplied for {r['application']}; still missing: " \
               f"{_items(r['still_missing'])}."
        if r.get("evaluation_due"):
            text += f" Evaluation now due by {r['evaluation_due']}."
    elif c == "accept_application":
        text = f"Application {r['application']} accepted; the evaluation must end by " \
               f"{r['evaluation_due']} (ADM-05)."
    elif c == "request_supplement":
        text = f"Supplementary materials requested for {r['application']}; the evaluation " \
               f"clock is paused (ADM-05)."
    elif c == "exempt_from_evaluation":
        text = f"Application {r['application']} exempted from evaluation under M 16 (ADM-06)."
    elif c == "form_panel":
        rec = f", {len(r['recused'])} recused ({', '.join(r['recused'])})" if r["recused"] else ""
        text = f"Evaluation {r['evaluation']} (attempt {r['attempt']}, form {r['form']}): " \
               f"panel of {r['scoring_members']} scoring members{rec}."
    elif c == "record_scores":
        veto = f"; veto item(s) failed: {', '.join(r['veto_failed'])}" if r["veto_failed"] else ""
        text = f"Scores recorded for {r['evaluation']}: total {r['total']} points{veto}."
    elif c == "conclude_evaluation":
        if r["passed"]:
            text = f"Evaluation {r['evaluation']} PASSED with {r['total']} points; the pass " \
                   f"is valid until {r['valid_until']}."
        else:
            why = f"veto item(s) {', '.join(r['veto_failed'])} failed" if r["veto_failed"] \
                else f"{r['total']} points is below 90"
            text = f"Evaluation {r['evaluation']} FAILED: {why}."
            if r.get("reapply_from"):
                text += f" The re-evaluation failed too: no new application until " \
                        f"{r['reapply_from']} (EVA-05)."
            elif r.get("reevaluation_from"):
                text += f" A re-evaluation may be organised from {r['reevaluation_from']} " \
                        f"(EVA-05)."
        if r.get("overdue"):
            text += f" The evaluation ended after its due date {r['evaluation_due']} (ADM-05)."
    elif c == "decline_application":
        text = f"Application {r['application']} not accepted (不予受理)."
    elif c == "withdraw_application":
        text = f"Application {r['application']} withdrawn."
    elif c == "list_as_dishonest":
        text = f"{r['person']} entered on the dishonesty list from {r['listed_on']}."
    elif c == "record_bar_fact":
        text = f"Bar fact {r['ground']} recorded for {r['institution']}."
    elif c == "record_payee_account":
        was = f", replacing account {r['replaces']}" if r.get("replaces") else ""
        text = f"From {r['from']} the fund pays {r['institution']} to {r['account_name']}, " \
               f"{r['bank']}, account {r['account_number']}{was} (PAY-06)."
    elif c == "select_rehab_pilot":
        text = f"Agency {r['agency']} rehab pilots: {', '.join(r['rehab_pilots'])} (ADM-07)."
    elif c == "load_calendar_year":
        text = f"Official working-day arrangement for {r['year']} loaded " \
               f"({r['holidays']} holidays, {r['workdays']} make-up workdays)."
    elif c == "tick":
        if not r["recorded"]:
            text = f"Clock advanced to {r['to']}: nothing fell due."
        else:
            text = f"Clock advanced to {r['to']}; recorded: " + "; ".join(
                f"{x['agreement']} {_EVENT_WORDS.get(x['event'], x['event'])} on {x['on']}"
                + (f" ({x['ground']})" if x.get("ground") else "") for x in r["recorded"])
        return text
    elif c == "sign_agreement":
        late = " — a LATE renewal, reason recorded (AGR-01)" if r["late"] else ""
        text = f"Agreement {r['agreement']} ({r['type']}) signed for {r['term_start']} to " \
               f"{r['term_end']}{late}."
    elif c == "file_agreement":
        text = f"Agreement {r['agreement']} filed with the administrative department " \
               f"({r['filing_ref']})."
    elif c == "start_public_notice":
        text = f"Agreement {r['agreement']} publicly noticed until {r['notice_until']}; it takes " \
               f"effect the next day if no objection is upheld (AGR-02)."
    elif c == "suspend_agreement":
        text = f"Agreement {r['agreement']} suspended ({r['kind']}) from {r['start']}"
        if r.get("resume_by"):
            text += f"; the institution must apply to resume by {r['resume_by']} or the " \
                    f"agreement ends the next day (SUS-02)"
        elif r.get("planned_end"):
            text += f" until {r['planned_end']}"
        text += "."
        if r.get("termination_obligation"):
            text += " This is the 2nd agency-imposed suspension in the term: the agency " \
                    "must now end the agreement (TER-02, M 39(1))."
    elif c == "resume_agreement":
        text = f"Agreement {r['agreement']} resumed."
    elif c == "record_breach_finding":
        text = f"Breach finding on {r['agreement']} under {r['article']}: " \
               f"{', '.join(r['sanctions'])}."
    elif c == "terminate_agreement":
        text = f"Agreement {r['agreement']} ended on ground {r['ground']} ({r['article']}); " \
               f"listed publicly{' as a breach' if r['breach'] else ''} (TER-03, TER-04)."
    elif c == "propose_practitioner_bar":
        text = f"Bar {r['bar']} on {r['person']} for {r['years']} year(s) proposed; it takes " \
               f"effect only with the administrative department's approval (SAN-01)."
    elif c == "approve_practitioner_bar":
        text = f"Bar {r['bar']} on {r['person']} approved: barred from {r['from']} to " \
               f"{r['until']}."
    elif c == "record_assessment":
        text = f"{r['agreement']} assessed for {r['year']} on form {r['form']}: {r['total']} " \
               f"points" + (f" (veto {', '.join(r['veto_failed'])}: the year scores 0)"
                            if r["veto_failed"] else "") + "."
    elif c == "clear_deposit":
        late = " LATE (due by " + str(r["due_by"]) + ")" if r["late"] else ""
        text = f"{r['agreement']} {r['year']} deposit cleared on a score of {r['score']}: " \
               f"{r['percent']}% returned = {r['returned']} yuan, {r['forfeited']} yuan " \
               f"forfeited to the fund (DEP-01){late}."
    elif c == "pay_claim":
        late = " LATE: after the 25th" if r["late"] else ""
        text = f"{r['agreement']} {r['month']}: {r['paid']} yuan paid, {r['withheld']} yuan " \
               f"withheld as deposit{late}."
    else:
        shown = {k: v for k, v in r.items() if k not in ("command", "command_id", "recorded")}
        text = f"{c}: " + ", ".join(f"{k}={v}" for k, v in shown.items())
    return text + again
