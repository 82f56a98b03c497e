"""The README's command blocks run as written, in order, on a fresh store
(issue #17): each ```bash block that uses the ledger's command line runs
under ``bash -euo pipefail`` in a scratch folder holding only a fresh store
and links to the checkout's ``.venv``, ``examples`` and ``tests/data``.

Left out, each for its reason: the set-up scripts (``scripts/demo.sh``
builds its own store; ``scripts/test.sh`` would run this suite inside
itself) and the HTTP service's blocks (``ledger serve`` runs until stopped,
``curl`` needs it running; tests/test_http_server.py serves them)."""
from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

from openpyxl import load_workbook

ROOT = Path(__file__).resolve().parents[1]
NOT_HERE = ("scripts/demo.sh", "scripts/test.sh", "ledger serve", "curl ", "ledger user ")


def blocks(text: str) -> list[str]:
    found = re.findall(r"```bash\n(.*?)```", text, flags=re.S)
    return [b for b in found if "ledger" in b and not any(n in b for n in NOT_HERE)]


def test_the_readme_runs_as_written_on_a_fresh_store(tmp_path):
    runnable = blocks((ROOT / "README.md").read_text(encoding="utf-8"))
    assert len(runnable) >= 6, runnable        # a README without them would pass unread
    for name in (".venv", "examples"):
        (tmp_path / name).symlink_to(ROOT / name)
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "data").symlink_to(ROOT / "tests" / "data")
    env = {**os.environ, "HOME": str(tmp_path), "LEDGER_DATABASE_URL":
           f"sqlite:///{tmp_path / 'ledger.sqlite'}", "LEDGER_PROGRESS": "never"}
    env.pop("LEDGER_LANG", None)
    for block in runnable:
        done = subprocess.run(["bash", "-euo", "pipefail", "-c", block], cwd=tmp_path, env=env,
                              capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, f"{block}\n--- stdout\n{done.stdout}\n--- stderr\n" \
                                     f"{done.stderr}"
        assert "Traceback" not in done.stderr, done.stderr
    # what the blocks said they would write is there and reads back
    status = load_workbook(tmp_path / "status.xlsx")
    assert status.active["A1"].value == "协议编号" and len(status.sheetnames) == 2
    assert (tmp_path / "positions.png").read_bytes().startswith(b"\x89PNG")
    assert (tmp_path / "TY-H001.case.json").exists()
    assert (tmp_path / "findings.csv").read_bytes().startswith(b"\xef\xbb\xbf")
