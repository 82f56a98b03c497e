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
         "record_recovery", "clear_deposit", "record_statement_import",
         "record_payee_account")
# Where the fund's money goes: whoever records the payee account could divert
# a payment, so case officers, who decide the claims, do not (separation of
# duties); finance staff and administrators do.
PAYEE_ACCOUNT = ("record_payee_account",)
PAYEE_ACCOUNT_ROLES = ("finance", "administrator")
# Who may use the ledger is an administrator's business (AUD-04: who recorded
# what holds only if accounts are kept by those answerable for them).
ACCOUNTS = ("add_user", "grant_role", "revoke_role", "grant_province_read",
            "revoke_province_read", "reset_password", "issue_token", "revoke_token")


class NotPermitted(LedgerError):
    """The role giving the command may not record it."""


def check_role(command: str, role: str) -> None:
    if role in READ_ONLY:
        raise NotPermitted("the {role} role reads the ledger and records nothing",
                           remedy="give the command as the officer responsible for it",
                           key="refusal.roles.role_reads_ledger_and", values={"role": role})
    if role == "system":
        if command == "tick":
            return
        raise NotPermitted("the system role only lets time pass (tick)",
                           remedy="give the command as the officer responsible for it",
                           key="refusal.roles.system_role_only_lets")
    if command in ACCOUNTS and role != "administrator":
        raise NotPermitted("the {role} role may not manage accounts ({command})", rule="AUD-04",
                           remedy="give the command as an administrator",
                           key="refusal.roles.role_may_not_manage", values={"role": role,
                           "command": command})
    if command in PAYEE_ACCOUNT and role not in PAYEE_ACCOUNT_ROLES:
        raise NotPermitted("the {role} role may not record where the fund pays an institution "
                           "({command})",
                           remedy="give the command as finance staff or an administrator",
                           key="refusal.roles.role_may_not_record", values={"role": role,
                           "command": command})
    if role == "evaluator" and command not in EVALUATION:
        raise NotPermitted("an evaluator records evaluations, not {command}",
                           remedy="give the command as a case officer",
                           key="refusal.roles.evaluator_records_evaluations_not",
                           values={"command": command})
    if role == "finance" and command not in MONEY:
        raise NotPermitted("finance staff record claims and money, not {command}",
                           remedy="give the command as a case officer",
                           key="refusal.roles.finance_staff_record_claims", values={"command": command})
