"""Write the command reference of docs/commands.md from the specs
(adapters/specs/): the groups, each command's text, the roles that may give it.

    .venv/bin/python scripts/commands_doc.py          # rewrite the generated part
    .venv/bin/python scripts/commands_doc.py --check  # exit 1 if it is not current

tests/test_command_specs.py fails until the page is current.
"""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from adapters.specs.reference import replace_in  # noqa: E402
from scripts.generated_page import write_or_check  # noqa: E402

PAGE = Path(__file__).resolve().parents[1] / "docs" / "commands.md"


def main(argv: list[str]) -> int:
    return write_or_check(PAGE, replace_in, "commands_doc.py", argv)


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
