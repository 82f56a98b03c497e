"""Accounts of the ledger service (issue #15): users, their agency, roles,
password and tokens, each change a command with its record like any other;
and the agency of what a command names, for the access policy
(``domain/policies/access.py``).

An account command given by a signed-in administrator is scoped by that
administrator's agency; one given on a direct store connection (``ledger
user``, ``ledger run``: an actor with no account) is the operator's.
"""
from __future__ import annotations

from typing import Any

from domain.account import Account, check_user_name
from domain.agreement import Agreement
from domain.application import Application as AdmissionApplication
from domain.base import Context
from domain.case import Case
from domain.dispute import Dispute
from domain.errors import NotFound, RuleViolation
from domain.evaluation import Evaluation
from domain.institution import Institution
from domain.lead import Lead
from domain.person import Person
from domain.policies.access import Principal, check_account_admin, may_give
from domain.service.commanding import command
from domain.service.core import LedgerCore


class AccountCommands(LedgerCore):
    """Users of the service, and the agency each subject belongs to."""

    # --- reading accounts ------------------------------------------------------------------
    def account(self, user: str) -> Account | None:
        return self._find(Account, user, "user")

    def principal(self, user: str) -> Principal | None:
        """The user as the access policy sees them; None without an account."""
        acc = self.account(user)
        if acc is None:
            return None
        return Principal(acc.user, acc.agency, tuple(acc.roles), acc.reads_province)

    def _acting_admin(self, ctx: Context, name: str, target_agency: str, *,
                      province_wide: bool = False) -> None:
        may_give(name, ctx.role)
        actor = self.account(ctx.user)
        check_account_admin(actor.agency if actor else None, target_agency,
                            province_wide=province_wide)

    def _account_for(self, ctx: Context, name: str, user: str, *,
                     province_wide: bool = False) -> Account:
        acc = self.account(user)
        if acc is None:
            raise NotFound("unknown user {user!r}", field="fields.user",
                           remedy="add the user first (`ledger user add`)",
                           key="refusal.service_accounts.unknown_user_user", values={"user": user})
        self._acting_admin(ctx, name, acc.agency, province_wide=province_wide)
        return acc

    # --- the commands --------------------------------------------------------------------------
    @command
    def add_user(self, ctx: Context, *, user: str, name: str, agency: str, roles: list[str],
                 password_hash: str):
        check_user_name(user)
        self._acting_admin(ctx, "add_user", agency)
        if self.account(user) is not None:
            raise RuleViolation("the user {user} exists already", rule="AUD-04",
                                remedy="grant or revoke roles, or reset the password, instead",
                                key="refusal.service_accounts.user_exists_already", values={"user": user})
        acc = Account.add(user=user, name=name or user, agency=agency, roles=roles,
                          password_hash=password_hash, effective_on=ctx.effective_on,
                          envelope=ctx.envelope)
        return [acc], {"user": user, "agency": agency, "roles": list(acc.roles)}

    @command
    def grant_role(self, ctx: Context, *, user: str, role: str):
        acc = self._account_for(ctx, "grant_role", user)
        acc.grant_role(role, ctx.effective_on, ctx.envelope)
        return [acc], {"user": user, "role": role, "roles": list(acc.roles)}

    @command
    def revoke_role(self, ctx: Context, *, user: str, role: str):
        acc = self._account_for(ctx, "revoke_role", user)
        acc.revoke_role(role, ctx.effective_on, ctx.envelope)
        return [acc], {"user": user, "role": role, "roles": list(acc.roles)}

    @command
    def grant_province_read(self, ctx: Context, *, user: str):
        acc = self._account_for(ctx, "grant_province_read", user, province_wide=True)
        acc.grant_province_read(ctx.effective_on, ctx.envelope)
        return [acc], {"user": user, "reads_province": True}

    @command
    def revoke_province_read(self, ctx: Context, *, user: str):
        acc = self._account_for(ctx, "revoke_province_read", user, province_wide=True)
        acc.revoke_province_read(ctx.effective_on, ctx.envelope)
        return [acc], {"user": user, "reads_province": False}

    @command
    def reset_password(self, ctx: Context, *, user: str, password_hash: str):
        acc = self._account_for(ctx, "reset_password", user)
        acc.set_password(password_hash, ctx.effective_on, ctx.envelope)
        return [acc], {"user": user, "password_version": acc.password_version}

    @command
    def issue_token(self, ctx: Context, *, user: str, token_id: str, token_hash: str,
                    label: str):
        acc = self._account_for(ctx, "issue_token", user)
        acc.issue_token(token_id, token_hash, label, ctx.effective_on, ctx.envelope)
        return [acc], {"user": user, "token_id": token_id, "label": label}

    @command
    def revoke_token(self, ctx: Context, *, user: str, token_id: str):
        acc = self._account_for(ctx, "revoke_token", user)
        acc.revoke_token(token_id, ctx.effective_on, ctx.envelope)
        return [acc], {"user": user, "token_id": token_id}

    # --- the agency of what a command names ------------------------------------------------------
    def agency_of(self, kind: str, key: str) -> str | None:
        """The agency a subject belongs to; None when the ledger does not hold it."""
        if kind == "agency":
            return key
        if kind == "institution":
            inst = self._find(Institution, key, kind)
            return inst.agency if inst else None
        if kind in ("agreement", "application"):
            cls: Any = Agreement if kind == "agreement" else AdmissionApplication
            found = self._find(cls, key, kind)
            return found.agency if found else None
        if kind in ("case", "lead"):
            # a lead or case keeps the agency of its institution as recorded (SUP-02)
            held: Any = self._find(Case if kind == "case" else Lead, key, kind)
            return held.agency if held else None
        if kind in ("evaluation", "dispute"):
            found = self._find(Evaluation if kind == "evaluation" else Dispute, key, kind)
            return self.agency_of("institution", found.institution_code) if found else None
        if kind == "bar":
            person_id, _, bar_no = key.partition("/")
            person = self._find(Person, person_id, "person")
            bar = person.bars.get(bar_no) if person else None
            return self.agency_of("institution", bar["institution"]) if bar else None
        if kind == "user":
            acc = self.account(key)
            return acc.agency if acc else None
        return None
