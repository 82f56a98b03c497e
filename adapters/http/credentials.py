"""Passwords, API tokens and session cookies: the secrets of the service,
and the only place that sees them in clear.

* A password is hashed with argon2id (argon2-cffi, the library's default
  parameters). Its salt is drawn from the command id and the user, so a
  command given again under the same id with the same password has the same
  fingerprint and is answered with its first result (idempotency) instead of
  a Conflict; a new command id gives a new salt.
* An API token is 256 random bits; the ledger records the SHA-256 of it
  only (a token is not guessable, so a slow hash buys nothing). Its text
  names the user and the token id, so the service finds the one account to
  check it against: ``lt1.<user, base64url>.<token id>.<secret>``.
* A session is a cookie signed with HMAC-SHA256 under the service's secret,
  carrying the user, the password version it was made under (a reset ends
  it), its CSRF token and its expiry. No state on the server: every worker
  checks it alike.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_HASHER = PasswordHasher()
TOKEN_PREFIX = "lt1"
SESSION_SECONDS = 8 * 3600   # a working day


def hash_password(password: str, *, command_id: str, user: str) -> str:
    salt = hashlib.sha256(f"ledger-password:{command_id}:{user}".encode()).digest()[:16]
    return _HASHER.hash(password, salt=salt)


def password_matches(password_hash: str, password: str) -> bool:
    try:
        return _HASHER.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


# a hash to check a password against when the user does not exist, so that
# an unknown user costs the same time as a wrong password (no user probing)
_DUMMY = _HASHER.hash("not-a-password-of-anyone")


def burn_time(password: str) -> None:
    password_matches(_DUMMY, password)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    """Strictly: a character outside base64url is an error, not skipped."""
    return base64.b64decode(text + "=" * (-len(text) % 4), altchars=b"-_", validate=True)


def token_hash(secret: str) -> str:
    return "sha256:" + hashlib.sha256(secret.encode("ascii")).hexdigest()


@dataclass(frozen=True)
class NewToken:
    text: str          # shown once, to whoever asked for it
    token_id: str
    token_hash: str


def new_token(user: str) -> NewToken:
    token_id = secrets.token_urlsafe(12)
    secret = secrets.token_urlsafe(32)
    return NewToken(f"{TOKEN_PREFIX}.{_b64(user.encode())}.{token_id}.{secret}", token_id,
                    token_hash(secret))


def read_token(text: str) -> tuple[str, str, str] | None:
    """(user, token id, secret) of a token's text; None for anything else."""
    parts = text.split(".")
    if len(parts) != 4 or parts[0] != TOKEN_PREFIX or len(text) > 300:
        return None
    try:
        user = _unb64(parts[1]).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    return (user, parts[2], parts[3]) if user and parts[2] and parts[3] else None


def token_matches(stored_hash: str | None, secret: str) -> bool:
    return stored_hash is not None and hmac.compare_digest(stored_hash, token_hash(secret))


# --- sessions ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Session:
    user: str
    password_version: int
    csrf: str
    expires: int


def make_session(secret: bytes, user: str, password_version: int) -> tuple[str, Session]:
    session = Session(user, password_version, secrets.token_urlsafe(24),
                      int(time.time()) + SESSION_SECONDS)
    body = _b64(json.dumps([session.user, session.password_version, session.csrf,
                            session.expires], separators=(",", ":")).encode())
    mac = _b64(hmac.new(secret, body.encode(), hashlib.sha256).digest())
    return f"{body}.{mac}", session


def read_session(secret: bytes, cookie: str) -> Session | None:
    """The session a cookie holds, if its signature holds and it has not expired."""
    if len(cookie) > 1000 or cookie.count(".") != 1:
        return None
    body, mac = cookie.split(".")
    good = _b64(hmac.new(secret, body.encode(), hashlib.sha256).digest())
    if not hmac.compare_digest(good, mac):
        return None
    try:
        user, version, csrf, expires = json.loads(_unb64(body))
        session = Session(str(user), int(version), str(csrf), int(expires))
    except (ValueError, TypeError, binascii.Error):
        return None
    return session if session.expires > time.time() else None
