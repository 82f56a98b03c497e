"""A property-based run against the service's OpenAPI document (issue #15):
schemathesis generates requests for every route from /openapi.json (bounded:
a few examples each, a fixed seed) and sends them to a server process over
real HTTP, signed in as the province's administrator. No answer may be a
500, and every answer must have the content type and the schema the
document declares for its status.

The run is the schemathesis command line, given this module as its hooks
(``SCHEMATHESIS_HOOKS``) so that it can write NDJSON bodies for /batch.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import schemathesis

from tests.test_http_server import ROOT, Server, events_in, seed

CHECKS = ("not_a_server_error,status_code_conformance,content_type_conformance,"
          "response_schema_conformance")


@schemathesis.serializer("application/x-ndjson")
def _ndjson(ctx, value):   # a batch body is text: whatever was generated, as lines
    if isinstance(value, bytes):
        return {"data": value}
    return {"data": str(value).encode("utf-8", "surrogatepass")}


def test_a_generated_request_to_any_route_never_gets_a_500_or_an_undeclared_answer(tmp_path):
    url = f"sqlite:///{tmp_path / 'ledger.sqlite'}"
    tokens = seed(url, None)
    server = Server(url, None)
    try:
        run = subprocess.run(
            [str(Path(sys.executable).with_name("schemathesis")), "run",
             server.base + "/openapi.json", "-H",
             f"Authorization: Bearer {tokens['guo.admin']}", "--checks", CHECKS,
             "--max-examples", "4", "--seed", "15", "--workers", "1", "--no-color",
             "--phases", "coverage,fuzzing", "--generation-database", "none",
             "--request-timeout", "60", "--report-dir", str(tmp_path / "report")],
            cwd=ROOT, capture_output=True, text=True, timeout=900,
            env={**os.environ, "SCHEMATHESIS_HOOKS": "tests.test_http_schema",
                 "PYTHONPATH": str(ROOT)})
    finally:
        log = server.stop()
    summary = run.stdout[-6000:]
    assert run.returncode == 0, summary + run.stderr[-2000:]
    assert " passed" in summary and "error" not in summary.split("SUMMARY")[-1].lower(), summary
    assert "Traceback" not in log or "unhandled error" not in log, log[-3000:]
    events_in(url, None)   # the store still opens
