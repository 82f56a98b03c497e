"""The ledger as an HTTP service (issue #15): FastAPI on uvicorn, chosen
because the ledger's commands are pydantic models already, so the OpenAPI
document (``/openapi.json``) is derived from the same specs that validate a
command file.

``create_app()`` is what each worker runs (``ledger serve`` starts them,
adapters/cli_service.py). Routes: ``auth`` (sign in and out), ``commands``
(one route per command spec, any command line, a batch), ``questions``
(every question the CLI answers), ``reconcile`` (a bank statement). Every
refusal is JSON with the rule, reason and remedy (``errors``); every
request goes through ``hardening`` (body limits and time, security headers,
no stack trace). One worker runs the read-model follower and the daily tick
(``background``).
"""
from __future__ import annotations

import contextlib
import logging
from typing import Any, AsyncIterator

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from adapters.http import auth, commands, questions, reconcile, supervision
from adapters.http.errors import Refusal, body_of, status_of
from adapters.http.hardening import Hardening
from domain.errors import LedgerError

log = logging.getLogger("ledger.http")


def create_app(service: Any = None) -> Any:
    """The service's ASGI app; ``service`` for tests, else from the environment."""

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        from adapters.http.background import Background
        from adapters.http.service import Service
        app.state.service = service or Service()
        background = Background(app.state.service)
        background.start()
        from adapters.collector import settle
        settle()   # the service is up: what it holds now lives as long as it does
        try:
            yield
        finally:
            background.stop()
            app.state.service.close()

    app = FastAPI(title="The agreement ledger", version="1", lifespan=lifespan,
                  docs_url=None, redoc_url=None,
                  description="Shanxi work-injury insurance agreement institutions: commands "
                              "and questions of the event-sourced ledger. Sign in with POST "
                              "/login (a cookie session and a CSRF token) or send a token "
                              "as `Authorization: Bearer`.")
    for router in (auth.router, commands.router, questions.router, reconcile.router,
                   supervision.router):
        app.include_router(router)

    @app.exception_handler(Refusal)
    async def _refusal(request: Request, e: Refusal) -> JSONResponse:
        if e.status not in (401,):   # 401s are logged where they are decided
            _log_refusal(request, e.status, e.reason)
        return JSONResponse(body_of(e), status_code=e.status, headers=e.headers)

    @app.exception_handler(LedgerError)
    async def _ledger_error(request: Request, e: LedgerError) -> JSONResponse:
        _log_refusal(request, status_of(e), e.reason)
        return JSONResponse(body_of(e), status_code=status_of(e))

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, e: RequestValidationError) -> JSONResponse:
        first = (e.errors() or [{}])[0]
        where = ".".join(str(p) for p in first.get("loc", ())[1:]) or "(request)"
        error = Refusal(422, "InvalidCommand", f"{where}: {first.get('msg', 'invalid')}",
                        "see /openapi.json for this route's parameters")
        return JSONResponse({**body_of(error), "field": where}, status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, e: StarletteHTTPException) -> JSONResponse:
        reason = {404: "no such route", 405: "this route does not take that method"}.get(
            e.status_code, "the request cannot be answered")
        error = Refusal(e.status_code, {404: "NotFound", 405: "MethodNotAllowed"}.get(
            e.status_code, "BadRequest"), reason, "see /openapi.json for the routes")
        return JSONResponse(body_of(error), status_code=e.status_code,
                            headers=getattr(e, "headers", None))

    @app.exception_handler(Exception)
    async def _crash(request: Request, e: Exception) -> JSONResponse:
        # Starlette answers an uncaught error itself, in plain text: this is
        # that answer, as JSON, with nothing of the error in it
        log.error("unhandled error on %s %s", request.method, request.url.path,
                  exc_info=(type(e), e, e.__traceback__))
        return JSONResponse(body_of(e), status_code=500)

    app.openapi = lambda: _openapi(app)   # type: ignore[method-assign]
    # the auditors' console (adapters/console): pages over the same routes
    from adapters.console import mount
    mount(app)
    return Hardening(app)


def _log_refusal(request: Request, status: int, reason: str) -> None:
    service = getattr(request.app.state, "service", None)
    if service is not None:
        auth.refuse(request, Refusal(status, "", reason))


def _openapi(app: FastAPI) -> dict[str, Any]:
    """FastAPI's document, with the command bodies' schemas from the specs."""
    if app.openapi_schema:
        return app.openapi_schema
    from pydantic.json_schema import models_json_schema
    document = get_openapi(title=app.title, version=app.version, description=app.description,
                           routes=app.routes)
    models = [(commands.command_body_model(name), "validation") for name in commands.ALL_SPECS]
    _, top = models_json_schema(models, ref_template="#/components/schemas/{model}")
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    schemas.update(top.get("$defs", {}))
    schemas["AnyCommand"] = {"type": "object", "required": ["id", "command", "date"],
                             "properties": {"id": {"type": "string"},
                                            "command": {"type": "string",
                                                        "enum": sorted(commands.ALL_SPECS)},
                                            "date": {"type": "string", "format": "date"},
                                            "document": {"type": "string"},
                                            "fields": {"type": "object"}},
                             "additionalProperties": False}
    app.openapi_schema = document
    return document
