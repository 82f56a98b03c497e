"""Who may record what. Auditors and investigators read the ledger and never
write to it; the clock (role ``system``) only lets time pass; evaluators
record evaluations; finance staff record money movements."""
from __future__ import annotations

from domain.errors import LedgerError

READ_ONLY = ("auditor", "investigator")
EVALUATION = ("form_panel", "record_scores", "conclude_evaluation")
MONEY = ("submit_claim", "draw_sample", "review_sampled_item", "query_claim_item",
         "record_explanation", "refuse_unexplained_item", "hold_claim_item",
         "release_claim_item", "approve_claim", "pay_claim", "order_recovery",
         "record_recovery", "clear_deposit", "record_statement_import")


class NotPermitted(LedgerError):
    """The role giving the command may not record it."""


def check_role(command: str, role: str) -> None:
    if role in READ_ONLY:
        raise NotPermitted(f"the {role} role reads the ledger and records nothing",
                           remedy="give the command as the officer responsible for it")
    if role == "system":
        raise NotPermitted("the system role only lets time pass (tick)",
                           remedy="give the command as the officer responsible for it")
    if role == "evaluator" and command not in EVALUATION:
        raise NotPermitted(f"an evaluator records evaluations, not {command}",
                           remedy="give the command as a case officer")
    if role == "finance" and command not in MONEY:
        raise NotPermitted(f"finance staff record claims and money, not {command}",
                           remedy="give the command as a case officer")
