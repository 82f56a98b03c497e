"""--db and LEDGER_DATABASE_URL (issue #12): a file path or a URL; a question
never creates a store; a store that cannot be used is one line, exit 2,
with the password masked."""
from __future__ import annotations

import pytest
from typer.testing import CliRunner

from adapters.cli import app
from adapters.settings import database_url

runner = CliRunner()


def one_clean_line(result):
    assert result.exception is None or isinstance(result.exception, SystemExit), \
        repr(result.exception)
    assert "Traceback" not in result.output
    assert result.exit_code == 2, result.output
    assert len(result.output.strip().splitlines()) == 1, result.output
    return result.output


@pytest.mark.parametrize("question", [["status", "--on", "2025-03-01"], ["positions"],
                                      ["ended"], ["verify"], ["institution", "TY-H001"],
                                      ["history", "--institution", "TY-H001"]])
def test_a_question_on_a_mistyped_path_names_the_file_and_creates_nothing(tmp_path,
                                                                        question):
    missing = tmp_path / "ledgr.sqlite"
    out = one_clean_line(runner.invoke(app, [*question, "--db", str(missing)]))
    assert str(missing) in out and "no ledger store" in out
    assert not missing.exists()


def test_a_file_that_is_not_a_store_is_one_line(tmp_path):
    plain = tmp_path / "notes.txt"
    plain.write_text("这不是数据库\n" * 100, encoding="utf-8")
    out = one_clean_line(runner.invoke(app, ["status", "--on", "2025-03-01",
                                             "--db", str(plain)]))
    assert "not a database" in out
    assert plain.read_text(encoding="utf-8") == "这不是数据库\n" * 100


def test_a_folder_is_not_a_store(tmp_path):
    out = one_clean_line(runner.invoke(app, ["status", "--on", "2025-03-01",
                                             "--db", str(tmp_path)]))
    assert "is a folder" in out


def test_an_unreachable_postgresql_is_one_line_without_its_password():
    url = "postgresql://auditor:s3cret-pw@127.0.0.1:9/ledger"   # port 9: nobody listens
    out = one_clean_line(runner.invoke(app, ["status", "--on", "2025-03-01", "--db", url]))
    assert "s3cret-pw" not in out and "auditor:***@127.0.0.1:9" in out


def test_a_url_the_ledger_cannot_use_is_refused(tmp_path):
    out = one_clean_line(runner.invoke(app, ["status", "--on", "2025-03-01",
                                             "--db", "mysql://u@h/db"]))
    assert "SQLite or PostgreSQL" in out or "no driver" in out


def test_a_path_and_a_url_name_the_same_sqlite_store(tmp_path):
    path = tmp_path / "l.sqlite"
    assert database_url(str(path)) == f"sqlite:///{path}"
    assert database_url(f"sqlite:///{path}") == f"sqlite:///{path}"


def test_a_run_creates_the_store_a_path_names(tmp_path):
    store = tmp_path / "new" / "ledger.sqlite"
    commands = tmp_path / "c.jsonl"
    commands.write_text("", encoding="utf-8")
    result = runner.invoke(app, ["run", str(commands), "--db", str(store)])
    assert result.exit_code == 0, result.output
    assert store.exists()
    assert runner.invoke(app, ["status", "--on", "2025-03-01", "--db", str(store)]
                         ).exit_code == 0
