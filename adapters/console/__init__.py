"""The auditors' console (issue #16): web pages in Chinese (an English
switch) over the ledger service of adapters/http, served by ``ledger serve``
under ``/console``.

The pages are a client of the service: they sign in through its session
(POST /login: an HttpOnly cookie and a CSRF token), answer from the same
route functions the API answers with (adapters/http/questions.py), and give
commands and reconcile statements by posting to the API itself from the
browser. Modules: ``page`` (context, time machine, layout), ``home``
(sign-in, home, search, events, what changed), ``subjects`` (institution,
agreement, person, timeline, exports), ``money`` (positions and chart,
claims, reconciliation, proof), ``supervision`` (open cases, alerts, an
institution's leads and cases, a draw's proof), ``forms`` (command forms
from the specs),
``reads`` (read-only questions the API lacks), ``views`` (each table's
columns), ``proof`` (checking a case file or checkpoint); ``static/`` holds
the styles, scripts and ECharts 5 (Apache-2.0, its LICENSE and NOTICE
beside it).
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

STATIC_DIR = Path(__file__).resolve().parent / "static"


def mount(app: Any) -> Any:
    """Add the console's pages and static files to the service's FastAPI app
    (once; ``/`` leads to the console)."""
    if getattr(app.state, "console_mounted", False):
        return app
    from fastapi.responses import RedirectResponse
    from starlette.staticfiles import StaticFiles

    from adapters.console import forms, home, money, subjects, supervision
    for module in (home, subjects, money, supervision, forms):
        app.include_router(module.router)
    class CachedStatic(StaticFiles):
        # the service says no-store to everything it does not mark: scripts
        # and styles may be kept an hour (ECharts alone is a megabyte)
        async def get_response(self, path: str, scope: Any) -> Any:
            response = await super().get_response(path, scope)
            response.headers.setdefault("cache-control", "private, max-age=3600")
            return response

    app.mount("/console/static", CachedStatic(directory=STATIC_DIR), name="console-static")

    @app.get("/", include_in_schema=False)
    async def _root() -> RedirectResponse:
        return RedirectResponse("/console/", status_code=303)

    app.state.console_mounted = True
    return app
