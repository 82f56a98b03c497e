"""Who may act on and read which agency's part of the ledger (issue #15).

Twelve agencies work on one provincial ledger. An agency's staff act only on
the institutions, applications, agreements and disputes of their own agency;
the provincial agency (``SX``) acts on all. Reading is scoped the same way:
an agency's auditor reads only their agency unless granted the province.
The public list of ended agreements and the practitioner bar register are
province-wide by nature (a practitioner barred in one city is barred in all)
and every signed-in user reads them.

The refusals cite AUD-04 (every event records who recorded it and in which
role): the server stamps the actor on every command, and these rules decide
which actor may stand there. Pure functions: the service finds the agency of
the subjects a command names (``domain/service/accounts.py``) and asks here.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable

from domain.account import PROVINCE
from domain.roles import ACCOUNTS, NotPermitted, check_role

RULE = "AUD-04"
# commands that reach every agency at once: the calendar, time passing, and the
# dishonesty list (a listed person bars applications in every city, ADM-03)
PROVINCE_ONLY = ("load_calendar_year", "tick", "list_as_dishonest", "delist_dishonest")
# which field of a command names which kind of subject (the agency field of
# register_institution and the rehab pilot names the agency itself)
SUBJECT_FIELDS = {"agency": "agency", "institution": "institution",
                  "agreement": "agreement", "application": "application",
                  "evaluation": "evaluation"}
# commands whose ``number`` field names their own subject (the others create it)
NUMBER_NAMES = {"change_dispute_route": "dispute", "record_dispute_outcome": "dispute"}
# commands that name a bar by person and bar number
BAR_COMMANDS = ("approve_practitioner_bar", "report_bar_to_regulator")
# accounts are an administrator's business: domain/roles.py says so for every path
ACCOUNT_COMMANDS = ACCOUNTS
# what the least-privileged role is, when a user holds several that may give a command
ROLE_PREFERENCE = ("evaluator", "finance", "case_officer", "administrator")


@dataclass(frozen=True)
class Principal:
    """The signed-in user the server acts for."""

    user: str
    agency: str
    roles: tuple[str, ...]
    reads_province: bool

    @property
    def provincial(self) -> bool:
        return self.agency == PROVINCE


def subjects(command: str, args: dict[str, Any]) -> list[tuple[str, str]]:
    """(kind, key) of every subject a command's fields name."""
    found = [(kind, str(args[field])) for field, kind in SUBJECT_FIELDS.items()
             if args.get(field)]
    if command in NUMBER_NAMES and args.get("number"):
        found.append((NUMBER_NAMES[command], str(args["number"])))
    if command in BAR_COMMANDS and args.get("person_id") and args.get("bar_no"):
        found.append(("bar", f"{args['person_id']}/{args['bar_no']}"))
    return found


def may_give(command: str, role: str) -> None:
    """domain/roles.py's check (accounts for administrators only among them)."""
    check_role(command, role)


def choose_role(principal: Principal, command: str) -> str:
    """The role the user gives the command in: the least-privileged of their
    roles that may give it; refused when none may."""
    held = [r for r in ROLE_PREFERENCE if r in principal.roles] + \
        [r for r in principal.roles if r not in ROLE_PREFERENCE]
    last: NotPermitted | None = None
    for role in held:
        try:
            may_give(command, role)
        except NotPermitted as e:
            last = e
            continue
        return role
    reason = (f"{principal.user} holds {', '.join(principal.roles) or 'no role'}, and "
              + (last.reason if last else f"no role that may give {command}"))
    raise NotPermitted(reason, rule=RULE,
                       remedy=f"ask an administrator for a role that may give {command} "
                              "(docs/commands.md#who-may-record-what)")


def check_act(principal: Principal, command: str,
              agencies: Iterable[tuple[str, str, str | None]]) -> None:
    """May the user give this command on these subjects? ``agencies`` holds
    (kind, key, the agency it belongs to, or None when the ledger does not
    know the subject: the command itself then says it is unknown)."""
    if principal.provincial:
        return
    if command in PROVINCE_ONLY:
        raise NotPermitted("{command} reaches every agency; only the provincial agency gives "
                           "it, and {user} works for {agency}", rule=RULE,
                           remedy="ask the provincial agency (SX) to give it",
                           key="refusal.policies_access.reaches_every_agency_only",
                           values={"command": command, "user": principal.user,
                           "agency": principal.agency})
    for kind, key, agency in agencies:
        if agency is not None and agency != principal.agency:
            raise NotPermitted("{kind} {key} belongs to agency {agency}; {user} acts only for "
                               "agency {agency2}", rule=RULE,
                               remedy="ask agency {agency} or the provincial agency (SX)",
                               key="refusal.policies_access.belongs_agency_acts_only",
                               values={"kind": kind, "key": key, "agency": agency,
                               "user": principal.user, "agency2": principal.agency})


def check_read(principal: Principal, kind: str, key: str, agency: str | None) -> None:
    """May the user read this subject? None: the subject is not known."""
    if agency is None or principal.provincial or principal.reads_province:
        return
    if agency != principal.agency:
        raise NotPermitted("{kind} {key} belongs to agency {agency}; {user} reads only agency "
                           "{agency2}", rule=RULE,
                           remedy="ask an administrator of the province to grant reading the "
                                  "province, or ask the provincial agency",
                           key="refusal.policies_access.belongs_agency_reads_only", values={"kind": kind,
                           "key": key, "agency": agency, "user": principal.user,
                           "agency2": principal.agency})


def readable_agencies(principal: Principal) -> set[str] | None:
    """The agencies whose rows a list answers with; None for all."""
    if principal.provincial or principal.reads_province:
        return None
    return {principal.agency}


def check_account_admin(principal_agency: str | None, target_agency: str,
                        *, province_wide: bool = False) -> None:
    """An administrator manages the accounts of their own agency; the
    province's manage all, and only they grant reading the province or make
    a provincial account. None: the operator on a direct store connection."""
    if principal_agency is None or principal_agency == PROVINCE:
        return
    if province_wide or target_agency == PROVINCE:
        raise NotPermitted("only an administrator of the provincial agency grants reading the "
                           "province or manages its accounts", rule=RULE,
                           remedy="ask an administrator of the provincial agency (SX)",
                           key="refusal.policies_access.only_administrator_provincial_agency")
    if target_agency != principal_agency:
        raise NotPermitted("the account belongs to agency {target_agency}; an administrator of "
                           "{principal_agency} manages only {principal_agency}'s", rule=RULE,
                           remedy="ask an administrator of {target_agency} or SX",
                           key="refusal.policies_access.account_belongs_agency_administrator",
                           values={"target_agency": target_agency,
                           "principal_agency": principal_agency})
