"""The reference part of docs/commands.md, made from the specs: the groups,
and for each command its section (the text beside its spec module, in
``adapters/specs/<subject>.md``), the roles that may give it, and its
fields when its text has no table of them."""
from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from adapters.specs import GROUPS, SPECS, roles_for

BEGIN = ("<!-- The command reference below is generated from adapters/specs/ by "
         "scripts/commands_doc.py: edit the specs, not this part. -->\n")
END = "<!-- End of the generated command reference. -->\n"
_HERE = Path(__file__).parent


@lru_cache(maxsize=None)
def _sections(module: str) -> dict[str, str]:
    path = _HERE / f"{module}.md"
    if not path.exists():
        return {}
    parts = re.split(r"(?m)^## ([a-z_]+)\n", path.read_text(encoding="utf-8"))
    return {parts[i]: parts[i + 1].strip("\n") + "\n" for i in range(1, len(parts), 2)}


def section_text(name: str) -> str:
    """The written reference of one command ('' when it has none yet)."""
    spec = SPECS[name]
    return _sections(spec.module).get(name, "")


def fields_table(name: str) -> str:
    """A table of a command's fields made from its model (for a command
    whose written text has none)."""
    rows = ["| field | required | meaning |", "|---|---|---|"]
    for field, info in SPECS[name].model.model_fields.items():
        shown = info.alias or field
        rows.append(f"| `{shown}` | {'yes' if info.is_required() else 'no'} | "
                    f"{info.description or ''} |")
    return "\n".join(rows) + "\n"


def render() -> str:
    out = [BEGIN, "\nThe commands are grouped by what they record:\n\n"]
    for group in GROUPS:
        names = [n for n, s in SPECS.items() if s.group == group]
        links = ", ".join(f"[{n}](#{n})" for n in names)
        out.append(f"* **{group}**: {links}.\n")
    for group in GROUPS:
        for name, spec in SPECS.items():
            if spec.group != group:
                continue
            text = section_text(name)
            roles = ", ".join(f"`{r}`" for r in roles_for(name))
            out.append(f"\n## {name}\n\nGiven by: {roles} ([roles](#who-may-record-what)).\n\n")
            out.append(text if "| field |" in text or "| fact |" in text
                       else text + ("\n" if text else "") + fields_table(name))
    out.append("\n" + END)
    return "".join(out)


def replace_in(page: str) -> str:
    """``page`` with its generated part made current."""
    start, end = page.index(BEGIN), page.index(END) + len(END)
    return page[:start] + render() + page[end:]
