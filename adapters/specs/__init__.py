"""Every command the ledger takes, declared once (issue #13).

A spec names the command (its handler is the ``Ledger`` method of that
name), its fields as a pydantic model, its group in the reference and the
sentence its result is told in. From the specs come: ``ledger run``'s
validation (``MODELS``), the result sentences (``describe``), ``ledger
commands``, the roles that may give each command (derived from
``domain/roles.py``, which enforces them) and the reference part of
``docs/commands.md``. Adding a command means adding its spec in its
subject's module, its handler in ``domain/service.py`` and its test.
"""
from __future__ import annotations

from typing import Any

from adapters.specs import (accounts, admission, agreements, clock, disputes, institutions,
                            money, sanctions, supervision)
from adapters.labels import label
from adapters.specs.spec import Spec

# in the order the reference lists them
SPECS: dict[str, Spec] = {s.name: s for module in (clock, institutions, admission, agreements,
                                                   money, sanctions, disputes, supervision,
                                                   accounts)
                          for s in module.SPECS}
MODELS = {name: spec.model for name, spec in SPECS.items()}
# the reference's groups, in its order
GROUPS = ("Calendar", "Institutions and people", "Applications", "Evaluation", "Rehab pilot",
          "Agreements: signing and effect", "Agreements: changes, renewal, early end",
          "Suspension and findings", "Termination", "Claims and payment",
          "Recovery, assessment and deposit", "Practitioner bars", "Disputes",
          "Screening and the draw", "Leads and cases", "Time", "Accounts")
assert {s.group for s in SPECS.values()} == set(GROUPS), "every spec's group is listed"


def describe(result: dict[str, Any], lang: str | None = None) -> str:
    """A command's result in words a case officer understands, in ``lang``
    (the current language by default): its spec's sentence from the label
    catalogue, and a word that a repeated command recorded nothing new."""
    text = SPECS[result["command"]].say(result, lang)
    if result.get("recorded", True) is False:
        text += label("sentence.repeat", lang)
    return text


def roles_for(name: str) -> tuple[str, ...]:
    """The roles that may give a command, as domain/roles.py decides."""
    from domain.base import ROLES
    from domain.roles import NotPermitted, check_role
    allowed = []
    for role in ROLES:
        try:
            check_role(name, role)
        except NotPermitted:
            continue
        allowed.append(role)
    return tuple(allowed)
