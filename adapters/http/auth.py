"""Who is asking: a session cookie (browsers; CSRF-checked) or a bearer
token (batch clients), resolved to the account on the ledger, and the
routes that sign in and out.

A cookie session is ``HttpOnly`` and ``SameSite=Strict`` (``Secure`` when
the request came over HTTPS), and every request that could change something
must repeat the session's CSRF token in ``X-CSRF-Token`` (a page on another
site can make the browser send the cookie, never read the token). A bearer
token is not sent by a browser on its own, so it needs no CSRF token.
Whatever no longer holds (a revoked token, a session made before a password
reset, a user with no role left) is refused as not signed in.
"""
from __future__ import annotations

import json
import math
from typing import Any

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, Field

from adapters.http import accesslog
from adapters.http.credentials import (burn_time, make_session, password_matches, read_session,
                                       read_token, token_matches)
from adapters.http.errors import ERROR_RESPONSES, Refusal, unauthenticated, unreadable
from domain.policies.access import RULE, Principal

COOKIE = "ledger_session"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
router = APIRouter()


def remote(request: Request) -> str:
    return request.client.host if request.client else ""


def refuse(request: Request, refusal: Refusal, user: str | None = None) -> Refusal:
    """Write the refusal to the access log, and hand it back to raise."""
    request.app.state.service.access.write(
        "refused", user=user, remote=remote(request), method=request.method,
        path=request.url.path, status=refusal.status, reason=refusal.reason)
    return refusal


def principal(request: Request) -> Principal:
    """The signed-in user, or 401; a cookie session's write without its CSRF token is 403."""
    service = request.app.state.service
    header = request.headers.get("authorization", "")
    if header:
        scheme, _, text = header.partition(" ")
        found = read_token(text.strip()) if scheme.lower() == "bearer" else None
        if found is None:
            raise refuse(request, unauthenticated("the Authorization header holds no ledger "
                                                  "token"))
        user, token_id, secret = found
        account = service.ledger.account(user)
        if account is None or not token_matches(account.live_token_hash(token_id), secret):
            raise refuse(request, unauthenticated("the token is unknown or revoked"),
                         user if account else None)
        return _with_roles(request, account)
    cookie = request.cookies.get(COOKIE)
    if not cookie:
        raise refuse(request, unauthenticated())
    session = read_session(service.secret, cookie)
    account = service.ledger.account(session.user) if session else None
    if session is None or account is None or account.password_version != session.password_version:
        raise refuse(request, unauthenticated("the session has ended; sign in again"))
    if request.method not in SAFE_METHODS and \
            request.headers.get(CSRF_HEADER, "") != session.csrf:
        raise refuse(request, Refusal(403, "NotPermitted", "a change through a cookie session "
                                      "needs the session's CSRF token",
                                      f"send the csrf_token POST /login gave in {CSRF_HEADER}",
                                      rule=RULE), account.user)
    return _with_roles(request, account)


def _with_roles(request: Request, account: Any) -> Principal:
    if not account.roles:
        raise refuse(request, unauthenticated(f"{account.user} holds no role any more"),
                     account.user)
    return Principal(account.user, account.agency, tuple(account.roles), account.reads_province)


class Login(BaseModel):
    user: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)


class SignedIn(BaseModel):
    user: str
    agency: str
    roles: list[str]
    reads_province: bool
    csrf_token: str
    expires: int


def _login_body(request: Request, body: bytes) -> Login:
    if request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
        raise Refusal(415, "UnsupportedMediaType", "POST /login reads application/json",
                      'send {"user": ..., "password": ...} as application/json')
    try:
        return Login.model_validate(json.loads(body))
    except (ValueError, UnicodeDecodeError):
        raise unreadable('the body is not {"user": ..., "password": ...}',
                         "send the user and password as a JSON object") from None


@router.post("/login", response_model=SignedIn, responses=ERROR_RESPONSES,
             summary="Sign in with a password: a session cookie and its CSRF token",
             openapi_extra={"requestBody": {"required": True, "content": {
                 "application/json": {"schema": Login.model_json_schema()}}}})
async def login(request: Request, response: Response) -> SignedIn:
    from starlette.concurrency import run_in_threadpool
    given = _login_body(request, await request.body())
    return await run_in_threadpool(_login, request, response, given)


def _login(request: Request, response: Response, given: Login) -> SignedIn:
    service = request.app.state.service
    log = service.access
    where = {"remote": remote(request), "method": "POST", "path": "/login"}
    until = log.locked_until(given.user)
    if until is not None:
        log.write("locked", user=given.user, status=429, reason="login while locked out",
                  **where)
        raise Refusal(429, "LockedOut", f"too many failed logins for {given.user}; password "
                      f"logins open again at {until.isoformat(timespec='seconds')}",
                      "wait, or ask an administrator to reset the password",
                      # the seconds left until the moment the answer names
                      headers={"Retry-After": str(max(1, math.ceil(
                          (until - accesslog._now()).total_seconds())))})
    account = service.ledger.account(given.user)
    if account is None:
        burn_time(given.password)
        ok = False
    else:
        ok = password_matches(account.password_hash, given.password) and bool(account.roles)
    if not ok:
        log.write("login_failed", user=given.user, status=401,
                  reason="unknown user, wrong password or no role", **where)
        raise unauthenticated("the user or the password is wrong")
    log.write("login", user=account.user, status=200, **where)
    cookie, session = make_session(service.secret, account.user, account.password_version)
    response.set_cookie(COOKIE, cookie, httponly=True, samesite="strict", path="/",
                        secure=request.url.scheme == "https")
    return SignedIn(user=account.user, agency=account.agency, roles=list(account.roles),
                    reads_province=account.reads_province, csrf_token=session.csrf,
                    expires=session.expires)


@router.post("/logout", responses=ERROR_RESPONSES, summary="End the cookie session")
def logout(request: Request, response: Response) -> dict[str, bool]:
    who = principal(request)
    request.app.state.service.access.write("logout", user=who.user, remote=remote(request),
                                           method="POST", path="/logout", status=200)
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="strict")
    return {"signed_out": True}
