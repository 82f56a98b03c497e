"""A user's account on the ledger service (issue #15): who they are, the
agency they work for (or the province), the roles they hold, their password
and API tokens, each change an event like any other fact (AUD-04: who granted
what, when, on which document).

Secrets never reach this module in clear: the adapters hash a password
(argon2) and a token (SHA-256 of 256 random bits) and hand over the hash,
so an event, a command record and a fingerprint hold only hashes. Failed
logins are not facts of the ledger: they go to the service's access log
(adapters/http/accesslog.py), which decides a lock-out; a password reset
here ends one (``password_version``).
"""
from __future__ import annotations

import re
from datetime import date
from typing import Any

from eventsourcing.domain import event

from domain.agency import AGENCIES
from domain.base import ROLES, Envelope, LedgerAggregate, stable_id
from domain.errors import InvalidCommand, RuleViolation

PROVINCE = "SX"     # the provincial agency: acts on every agency's institutions
# the clock's role is the clock's: no person logs in as the system
GRANTABLE_ROLES = tuple(r for r in ROLES if r != "system")
# a login: lower-case letters, digits, dot, hyphen, underscore; never a colon, so
# no account can be named like the operator's direct-store actor ("os:<user>")
USER_NAME = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}")
TOKEN_ID = re.compile(r"[A-Za-z0-9_-]{8,32}")
HASH_PREFIXES = {"password": "$argon2", "token": "sha256:"}


def check_user_name(user: str) -> str:
    if not USER_NAME.fullmatch(user or ""):
        raise InvalidCommand("{user!r} is not a login name", field="fields.user",
                             remedy="use 1-64 lower-case letters, digits, '.', '-' or '_', "
                                    "starting with a letter or digit",
                             key="refusal.account.not_login_name", values={"user": user})
    return user


def check_role_name(role: str) -> str:
    if role not in GRANTABLE_ROLES:
        raise InvalidCommand("{role!r} is not a role a user may hold", field="fields.role",
                             remedy="use one of {GRANTABLE_ROLES}",
                             key="refusal.account.not_role_user_may", values={"role": role,
                             "GRANTABLE_ROLES": ', '.join(GRANTABLE_ROLES)})
    return role


def check_hash(kind: str, value: str) -> str:
    """Only a hash is ever recorded: a value that does not look like one is
    refused, so a clear password given by mistake is never stored."""
    if not isinstance(value, str) or not value.startswith(HASH_PREFIXES[kind]) \
            or len(value) > 200:
        raise InvalidCommand("the {kind} is not given as its hash", field=f"fields.{kind}_hash",
                             remedy="the ledger records only hashes; give the password to "
                                    "`ledger user` or the service, which hash it",
                             key="refusal.account.not_given_as_its", values={"kind": kind})
    return value


class Account(LedgerAggregate):
    """One user of the ledger service, found by their login name."""

    @staticmethod
    def id_for(user: str):
        return stable_id("account", user)

    @classmethod
    def add(cls, *, user: str, name: str, agency: str, roles: list[str], password_hash: str,
            effective_on: date, envelope: Envelope) -> "Account":
        check_user_name(user)
        if agency not in AGENCIES:
            raise InvalidCommand("unknown agency {agency!r}", field="fields.agency",
                                 remedy="use one of {AGENCIES}",
                                 key="refusal.account.unknown_agency_agency", values={"agency": agency,
                                 "AGENCIES": ', '.join(AGENCIES)})
        if not roles:
            raise InvalidCommand("a user needs at least one role", field="fields.roles",
                                 remedy="grant one of {GRANTABLE_ROLES}",
                                 key="refusal.account.user_needs_at_least",
                                 values={"GRANTABLE_ROLES": ', '.join(GRANTABLE_ROLES)})
        for role in roles:
            check_role_name(role)
        check_hash("password", password_hash)
        return cls._create(cls.Added, id=cls.id_for(user), user=user, name=name,
                           agency=agency, roles=sorted(set(roles)),
                           password_hash=password_hash, effective_on=effective_on,
                           envelope=envelope)

    class Added(LedgerAggregate.Created):
        user: str
        name: str
        agency: str
        roles: list[str]
        password_hash: str
        effective_on: date
        envelope: Envelope

    def __init__(self, user: str, name: str, agency: str, roles: list[str],
                 password_hash: str) -> None:
        self.user = user
        self.name = name
        self.agency = agency
        self.roles: list[str] = list(roles)
        self.reads_province = agency == PROVINCE
        self.password_hash = password_hash
        # counts the passwords set; a session made under an older one is void
        self.password_version = 1
        # token id -> {"hash", "label", "issued_on", "revoked_on"}
        self.tokens: dict[str, dict[str, Any]] = {}

    # --- roles -----------------------------------------------------------------------
    def grant_role(self, role: str, effective_on: date, envelope: Envelope) -> None:
        check_role_name(role)
        if role in self.roles:
            raise RuleViolation("{user} already holds the {role} role", rule="AUD-04",
                                remedy="nothing to grant; `GET /me` lists a user's roles",
                                key="refusal.account.already_holds_role", values={"user": self.user,
                                "role": role})
        self._role_granted(role=role, effective_on=effective_on, envelope=envelope)

    @event("RoleGranted")
    def _role_granted(self, role: str, effective_on: date, envelope: Envelope) -> None:
        self.roles = sorted({*self.roles, role})

    def revoke_role(self, role: str, effective_on: date, envelope: Envelope) -> None:
        if role not in self.roles:
            raise RuleViolation("{user} does not hold the {role} role", rule="AUD-04",
                                remedy="{user} holds {value}", key="refusal.account.does_not_hold_role",
                                values={"user": self.user, "role": role,
                                "value": ', '.join(self.roles) or 'none'})
        self._role_revoked(role=role, effective_on=effective_on, envelope=envelope)

    @event("RoleRevoked")
    def _role_revoked(self, role: str, effective_on: date, envelope: Envelope) -> None:
        # revoke_role found it held; roles are kept without repeats (sorted set)
        self.roles = [*self.roles]
        self.roles.remove(role)

    # --- reading the whole province (an agency's auditor, when granted) ---------------
    def grant_province_read(self, effective_on: date, envelope: Envelope) -> None:
        if self.reads_province:
            raise RuleViolation("{user} already reads the whole province", rule="AUD-04",
                                remedy="nothing to grant",
                                key="refusal.account.already_reads_whole_province",
                                values={"user": self.user})
        self._province_read(granted=True, effective_on=effective_on, envelope=envelope)

    def revoke_province_read(self, effective_on: date, envelope: Envelope) -> None:
        if self.agency == PROVINCE or not self.reads_province:
            if self.agency == PROVINCE:
                raise RuleViolation("{user} reads the province as its staff", rule="AUD-04",
                                    remedy="nothing to revoke",
                                    key="refusal.account.reads_province_as_staff",
                                    values={"user": self.user})
            raise RuleViolation("{user} reads only agency {agency}", rule="AUD-04",
                                remedy="nothing to revoke", key="refusal.account.reads_only_own_agency",
                                values={"user": self.user, "agency": self.agency})
        self._province_read(granted=False, effective_on=effective_on, envelope=envelope)

    @event("ProvinceReadChanged")
    def _province_read(self, granted: bool, effective_on: date, envelope: Envelope) -> None:
        self.reads_province = granted

    # --- password and tokens ------------------------------------------------------------
    def set_password(self, password_hash: str, effective_on: date, envelope: Envelope) -> None:
        check_hash("password", password_hash)
        self._password_set(password_hash=password_hash, effective_on=effective_on,
                           envelope=envelope)

    @event("PasswordSet")
    def _password_set(self, password_hash: str, effective_on: date, envelope: Envelope) -> None:
        self.password_hash = password_hash
        self.password_version += 1

    def issue_token(self, token_id: str, token_hash: str, label: str, effective_on: date,
                    envelope: Envelope) -> None:
        if not TOKEN_ID.fullmatch(token_id or ""):
            raise InvalidCommand("{token_id!r} is not a token id", field="fields.token_id",
                                 remedy="8-32 letters, digits, '-' or '_'",
                                 key="refusal.account.not_token_id", values={"token_id": token_id})
        if token_id in self.tokens:
            raise RuleViolation("{user} already has a token {token_id}", rule="AUD-04",
                                remedy="issue the new token under a new id",
                                key="refusal.account.already_has_token", values={"user": self.user,
                                "token_id": token_id})
        check_hash("token", token_hash)
        self._token_issued(token_id=token_id, token_hash=token_hash, label=label,
                           effective_on=effective_on, envelope=envelope)

    @event("TokenIssued")
    def _token_issued(self, token_id: str, token_hash: str, label: str, effective_on: date,
                      envelope: Envelope) -> None:
        self.tokens[token_id] = {"hash": token_hash, "label": label,
                                 "issued_on": effective_on.isoformat(), "revoked_on": None}

    def revoke_token(self, token_id: str, effective_on: date, envelope: Envelope) -> None:
        token = self.tokens.get(token_id)
        if token is None or token["revoked_on"] is not None:
            raise RuleViolation("{user} has no live token {token_id}", rule="AUD-04",
                                remedy="name a token `GET /me` lists as live",
                                key="refusal.account.has_no_live_token", values={"user": self.user,
                                "token_id": token_id})
        self._token_revoked(token_id=token_id, effective_on=effective_on, envelope=envelope)

    @event("TokenRevoked")
    def _token_revoked(self, token_id: str, effective_on: date, envelope: Envelope) -> None:
        self.tokens[token_id] = {**self.tokens[token_id], "revoked_on": effective_on.isoformat()}

    def live_token_hash(self, token_id: str) -> str | None:
        token = self.tokens.get(token_id)
        return token["hash"] if token and token["revoked_on"] is None else None

    def state(self) -> dict[str, Any]:
        """What a user and an administrator may read: never a hash."""
        return {"user": self.user, "name": self.name, "agency": self.agency,
                "roles": list(self.roles), "reads_province": self.reads_province,
                "tokens": [{"token_id": t, "label": v["label"], "issued_on": v["issued_on"],
                            "revoked_on": v["revoked_on"]} for t, v in self.tokens.items()]}
