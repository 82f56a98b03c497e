#!/usr/bin/env bash
# Set up (if needed) and run the realistic demo on a fresh embedded SQLite store.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
exec .venv/bin/python scripts/demo.py "$@"
