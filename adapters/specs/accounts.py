"""The accounts of the ledger service (issue #15): add_user, grant_role,
revoke_role, grant_province_read, revoke_province_read, reset_password,
issue_token, revoke_token. Each command's fields, result sentence and group
are declared once here, like every other subject's.

The recorded fields hold hashes only (``password_hash``, ``token_hash``).
Whoever types a password types it to ``ledger user`` or to the service,
which take it in the ``INPUTS`` form below (``password`` instead of its
hash), hash it (adapters/http/credentials.py) and give the command.
"""
from __future__ import annotations

from typing import Any, Literal, Mapping

from pydantic import Field

from adapters.boundary import Code, Name
from adapters.labels import word
from adapters.specs.spec import Spec
from adapters.specs.types import Strict
from domain.account import GRANTABLE_ROLES
from domain.agency import AGENCIES

GROUP = "Accounts"
RoleName = Literal[GRANTABLE_ROLES]  # type: ignore[valid-type]
AgencyCode = Literal[tuple(AGENCIES)]  # type: ignore[valid-type]
PASSWORD_CHARS = (12, 256)   # long enough to resist guessing, short enough to hash quickly
Password = Field(min_length=PASSWORD_CHARS[0], max_length=PASSWORD_CHARS[1],
                 description="in clear over the wire only; the ledger records its argon2 hash")
HashText = Field(min_length=8, max_length=200)


class _NewUser(Strict):
    user: Code
    name: Name = ""
    agency: AgencyCode
    roles: list[RoleName] = Field(min_length=1, max_length=len(GRANTABLE_ROLES))

class AddUser(_NewUser):
    password_hash: str = HashText

class UserRole(Strict):
    user: Code
    role: RoleName

class User(Strict):
    user: Code

class ResetPassword(Strict):
    user: Code
    password_hash: str = HashText

class IssueToken(Strict):
    user: Code
    token_id: Code
    token_hash: str = HashText
    label: Name = ""

class RevokeToken(Strict):
    user: Code
    token_id: Code


# --- what a person types (the service and `ledger user` hash it) --------------------------
class AddUserInput(_NewUser):
    password: str = Password

class ResetPasswordInput(Strict):
    user: Code
    password: str = Password

class IssueTokenInput(Strict):
    user: Code
    label: Name = ""


# --- what an administrator reads back (sentence.<command> in adapters/data/labels.json) -------
def _role(r: Mapping[str, Any], lang: str) -> dict[str, str]:
    return {"role": word("role", r["role"], lang)}


SPECS = [
    Spec("add_user", AddUser, GROUP),
    Spec("grant_role", UserRole, GROUP, values=_role),
    Spec("revoke_role", UserRole, GROUP, values=_role),
    Spec("grant_province_read", User, GROUP),
    Spec("revoke_province_read", User, GROUP),
    Spec("reset_password", ResetPassword, GROUP),
    Spec("issue_token", IssueToken, GROUP),
    Spec("revoke_token", RevokeToken, GROUP),
]
# the commands whose typed form differs from the recorded one
INPUTS: dict[str, type[Strict]] = {"add_user": AddUserInput,
                                   "reset_password": ResetPasswordInput,
                                   "issue_token": IssueTokenInput}
