"""The README's demo runs end to end on a fresh SQLite store."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_the_demo_runs_and_tells_what_happened_in_words(tmp_path):
    db = f"sqlite:///{tmp_path / 'demo.sqlite'}"
    out = subprocess.run([sys.executable, str(ROOT / "scripts" / "demo.py"), "--db", db],
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    text = out.stdout
    assert "PASSED with 95 points" in text
    assert "REFUSED [ADM-04]" in text and "REFUSED [ADM-03]" in text and "M 11(4)" in text
    assert "The re-evaluation failed too" in text
