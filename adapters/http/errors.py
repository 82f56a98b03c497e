"""Every refusal of the service as JSON with the rule, reason and remedy,
under the HTTP status that fits; never a stack trace.

=====================  ======  ==============================================
refusal                status  when
=====================  ======  ==============================================
unreadable request      400    not JSON, not an object, a key twice, a bad query value
not signed in           401    no session or token, or one that no longer holds
``NotPermitted``        403    the role, the agency, a claimed actor, a missing CSRF token
``NotFound``            404    the ledger does not hold what is named; an unknown path
``Conflict``            409    a command id used for a different command
``RuleViolation``       409    a business rule forbids it in the ledger's present state
too large               413    a body over the limit
wrong content type      415    a body that is not the type the route reads
``InvalidCommand``      422    a field missing, mistyped or malformed
locked out              429    too many failed logins
not caught up           503    the read models did not reach the client's last write in time
=====================  ======  ==============================================
"""
from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from domain.errors import Conflict, InvalidCommand, LedgerError, NotFound, RuleViolation
from domain.roles import NotPermitted

STATUS: tuple[tuple[type[LedgerError], int], ...] = (
    (NotPermitted, 403), (NotFound, 404), (Conflict, 409), (RuleViolation, 409),
    (InvalidCommand, 422))


class Refusal(Exception):
    """A refusal the service itself gives (not the ledger's)."""

    def __init__(self, status: int, error: str, reason: str, remedy: str = "", *,
                 rule: str = "", headers: dict[str, str] | None = None) -> None:
        super().__init__(reason)
        self.status, self.error, self.reason, self.remedy = status, error, reason, remedy
        self.rule = rule
        self.headers = headers or {}

    def as_dict(self) -> dict[str, Any]:
        from domain.rules import RULES
        rule = RULES.get(self.rule) if self.rule else None
        return {"error": self.error, "rule": self.rule or None,
                "rule_title": rule.title if rule else None,
                "article": (rule.article or None) if rule else None, "field": None,
                "reason": self.reason, "remedy": self.remedy or None, "grounds": []}


class ErrorBody(BaseModel):
    """The body of every refusal (as ``ledger run --json``'s ``rejected``)."""

    error: str
    rule: str | None = None
    rule_title: str | None = None
    article: str | None = None
    field: str | None = None
    reason: str
    remedy: str | None = None
    grounds: list[dict[str, Any]] = []


def status_of(error: LedgerError) -> int:
    for cls, status in STATUS:
        if isinstance(error, cls):
            return status
    return 422


def body_of(error: Exception) -> dict[str, Any]:
    if isinstance(error, (LedgerError, Refusal)):
        return error.as_dict()
    return Refusal(500, "InternalError", "the service could not answer",
                   "try again; if it persists, tell the ledger's operators the time").as_dict()


def unreadable(reason: str, remedy: str = "") -> Refusal:
    return Refusal(400, "BadRequest", reason, remedy)


def unauthenticated(reason: str = "sign in first") -> Refusal:
    return Refusal(401, "NotSignedIn", reason,
                   "POST /login with your user and password (a session cookie), or send "
                   "`Authorization: Bearer <token>`", headers={"WWW-Authenticate": "Bearer"})


ERROR_RESPONSES = {status: {"model": ErrorBody, "description": what} for status, what in (
    (400, "unreadable request"), (401, "not signed in"), (403, "not permitted"),
    (404, "not found"), (408, "the body came too slowly"),
    (409, "refused by a rule or a conflicting command id"), (413, "body too large"),
    (414, "path or query too long"), (415, "wrong content type"), (422, "invalid fields"),
    (429, "locked out"), (503, "not answered in time"))}
