"""Write a page generated from the project's own data, or check it is current
(scripts/rules_doc.py, scripts/commands_doc.py)."""
from __future__ import annotations

import sys
from pathlib import Path
from typing import Callable


def write_or_check(page: Path, make: Callable[[str], str], script: str,
                   argv: list[str]) -> int:
    """``make`` turns the page's current text into what it should be."""
    current = page.read_text(encoding="utf-8") if page.exists() else ""
    text = make(current)
    if "--check" in argv:
        if current != text:
            print(f"{page} is not current: run python scripts/{script}", file=sys.stderr)
            return 1
        return 0
    page.write_text(text, encoding="utf-8")
    print(f"wrote {page} ({len(text.splitlines())} lines)")
    return 0
