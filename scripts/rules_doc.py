"""Write docs/rules.md from the rule catalogue (domain/data/rules.json) and
the scoring forms (domain/forms.py).

    .venv/bin/python scripts/rules_doc.py          # rewrite docs/rules.md
    .venv/bin/python scripts/rules_doc.py --check  # exit 1 if it is not current

Run it after changing the catalogue; tests/test_rule_catalogue.py fails until
the page is current, so the page users read is the catalogue the code checks.
"""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from domain.rules import render_markdown  # noqa: E402
from scripts.generated_page import write_or_check  # noqa: E402

PAGE = Path(__file__).resolve().parents[1] / "docs" / "rules.md"


def main(argv: list[str]) -> int:
    return write_or_check(PAGE, lambda _current: render_markdown(), "rules_doc.py", argv)


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
