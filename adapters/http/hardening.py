"""What every request and response of the service goes through, as one
ASGI middleware: a bounded body read in a bounded time, security headers,
and a JSON refusal instead of anything a crash would show.

* A body is read whole before any route sees it, up to the route's limit
  (``body_limit``): a ``Content-Length`` over it, or a body that grows over
  it, is answered 413 without reading further; a client that sends too
  slowly (``READ_SECONDS`` between chunks) is answered 408.
* A path or query that holds a control or bidirectional-override character
  (percent-encoded or not), or runs past ``TARGET_CHARS_MAX``, is answered
  400 before any route: no such character stands in any code, number or
  date the ledger keeps, and a NUL would reach the database.
* Every response carries ``nosniff``, no framing, no referrer, no caching, a
  content security policy that allows nothing, and HSTS (honoured once the
  service stands behind TLS).
* An exception nobody caught becomes a 500 with the plain error body: no
  stack trace, no exception text.
"""
from __future__ import annotations

import asyncio
import json
import logging
from typing import Any, Awaitable, Callable

from adapters.boundary import LINE_BYTES_MAX
from adapters.http.errors import Refusal, body_of

READ_SECONDS = 15.0
BULK_BYTES_MAX = 16 << 20     # a batch of command lines, a bank statement
BULK_PATHS = ("/batch", "/reconcile")
TARGET_CHARS_MAX = 2048
SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"cache-control", b"no-store"),
    (b"content-security-policy", b"default-src 'none'; frame-ancestors 'none'"),
    (b"cross-origin-resource-policy", b"same-origin"),
    (b"strict-transport-security", b"max-age=31536000"),
]
log = logging.getLogger("ledger.http")


def body_limit(path: str) -> int:
    return BULK_BYTES_MAX if path in BULK_PATHS else LINE_BYTES_MAX + 4096


class Hardening:
    def __init__(self, app: Callable[..., Awaitable[None]]) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def send_with_headers(message: dict[str, Any]) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                present = {k.lower() for k, _ in message.get("headers", [])}
                message = {**message, "headers": list(message.get("headers", [])) +
                           [h for h in SECURITY_HEADERS if h[0] not in present]}
            await send(message)

        try:
            _check_target(scope)
            body = await self._read(scope, receive)
        except Refusal as refusal:
            await _answer(send_with_headers, refusal.status, body_of(refusal), refusal.headers)
            return
        delivered = False

        async def replay() -> dict[str, Any]:
            nonlocal delivered
            if not delivered:
                delivered = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()   # the disconnect, when it comes

        try:
            await self.app(scope, replay, send_with_headers)
        except Exception:  # noqa: BLE001 - the last line: never a trace to the client
            log.exception("unhandled error on %s %s", scope.get("method"), scope.get("path"))
            if not started:
                await _answer(send_with_headers, 500, body_of(RuntimeError()), {})

    async def _read(self, scope: dict[str, Any], receive: Any) -> bytes:
        limit = body_limit(scope.get("path", ""))
        headers = dict(scope.get("headers") or [])
        declared = headers.get(b"content-length")
        if declared is not None:
            try:
                size = int(declared)
            except ValueError:
                raise Refusal(400, "BadRequest", "Content-Length is not a number") from None
            if size > limit:
                raise _too_large(size, limit)
        chunks, size = [], 0
        while True:
            try:
                message = await asyncio.wait_for(receive(), READ_SECONDS)
            except asyncio.TimeoutError:
                raise Refusal(408, "Timeout", f"the body did not arrive within "
                              f"{READ_SECONDS:.0f} s", "send the request again") from None
            if message["type"] == "http.disconnect":
                return b"".join(chunks)
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                raise _too_large(size, limit)
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks)


def _check_target(scope: dict[str, Any]) -> None:
    from urllib.parse import unquote
    from adapters.boundary import _bad_char
    query = scope.get("query_string", b"").decode("latin-1")
    for part in (scope.get("path", ""), unquote(query, errors="replace")):
        if len(part) > TARGET_CHARS_MAX:
            raise Refusal(414, "TooLong", f"the request's path or query runs past "
                          f"{TARGET_CHARS_MAX:,} characters", "ask with shorter parameters")
        bad = _bad_char(part, allow_newline=False)
        if bad:
            raise Refusal(400, "BadRequest", f"the request's path or query holds {bad}",
                          "codes, numbers and dates hold no control characters")


def _too_large(size: int, limit: int) -> Refusal:
    return Refusal(413, "TooLarge", f"the body holds {size:,} bytes or more, more than the "
                   f"{limit:,} this route reads", "split the batch, or a claim by month")


async def _answer(send: Any, status: int, body: dict[str, Any],
                  headers: dict[str, str]) -> None:
    data = json.dumps(body, ensure_ascii=False).encode("utf-8")
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(data)).encode())] +
                [(k.lower().encode(), v.encode()) for k, v in headers.items()]})
    await send({"type": "http.response.body", "body": data})
