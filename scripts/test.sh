#!/usr/bin/env bash
# Set up (if needed) and run the whole test suite on SQLite and PostgreSQL.
# PostgreSQL: LEDGER_TEST_POSTGRES_URL, default postgresql+psycopg2://postgres@127.0.0.1:5432/test.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
exec .venv/bin/python -m pytest -q "$@"
