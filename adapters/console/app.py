"""The service with its console: ``adapters.http.app.create_app()`` plus the
console's pages (``uvicorn adapters.console.app:create_app --factory``; the
console's tests serve it so). Once adapters/http/app.py mounts the console
itself, ``ledger serve`` serves both and this factory adds nothing."""
from __future__ import annotations

from typing import Any

from adapters.console import mount


def create_app(service: Any = None) -> Any:
    from adapters.http.app import create_app as service_app
    hardened = service_app(service)
    mount(hardened.app)       # Hardening wraps the FastAPI app
    return hardened
