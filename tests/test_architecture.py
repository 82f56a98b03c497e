"""Imports point inward: the domain imports the standard library,
eventsourcing and pure data packages, never a database driver, SQLAlchemy,
the CLI, web code or the boundary's validation library."""
from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ALLOWED_THIRD_PARTY = {"eventsourcing", "chinese_calendar"}
FORBIDDEN = {"sqlalchemy", "psycopg2", "psycopg", "typer", "rich", "pydantic", "flask",
             "fastapi", "openpyxl", "adapters", "projections", "eventsourcing_sqlalchemy"}


def imported_roots(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    roots = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
    return roots


def test_domain_imports_no_database_cli_web_or_boundary_code():
    import sys
    stdlib = set(sys.stdlib_module_names)
    for path in sorted((ROOT / "domain").rglob("*.py")):
        roots = imported_roots(path)
        bad = roots & FORBIDDEN
        assert not bad, f"{path.name} imports {bad}"
        unknown = roots - stdlib - ALLOWED_THIRD_PARTY - {"domain", "__future__"}
        assert not unknown, f"{path.name} imports {unknown}: not allowed in the domain"


def test_projections_import_no_database_or_cli_code():
    for path in sorted((ROOT / "projections").rglob("*.py")):
        bad = imported_roots(path) & {"sqlalchemy", "psycopg2", "typer", "rich", "adapters"}
        assert not bad, f"{path.name} imports {bad}"


def test_the_project_never_reads_the_shared_folder_at_run_time():
    for folder in ("domain", "projections", "adapters"):
        for path in (ROOT / folder).rglob("*.py"):
            assert "shared/" not in path.read_text(encoding="utf-8"), path
