"""A question the read-model tables answer alone (status, ended, bars,
deadlines, positions) is answered without the ledger when the read models
have applied every event (issue #14 point 4: no aggregate, mapper or store
set-up for a question), and answers what the ledger's path answers, on
both stores; behind the log, mid-rebuild or before the tables exist, the
ledger's own path (which catches up) answers instead."""
from __future__ import annotations

import json
from datetime import date

from typer.testing import CliRunner

from adapters import settings
from adapters.readmodels import (bars_as_of, catch_up, deadlines_as_of, ended_as_of,
                                 log_position, positions_as_of, status_as_of, view_for)
from adapters.readmodels.schema import _set_rebuild_state
from adapters.settings import ReadModelsAtHead, open_ledger
from domain.service import Ledger
from tests.builders import effective_agreement

runner = CliRunner()
AG = "XY-2025-701"


def _answers(view):
    position = log_position(view, None)
    day = date(2025, 6, 30)
    return {"status": status_as_of(view, day, position),
            "ended": ended_as_of(view, None, position),
            "bars": bars_as_of(view, None, position),
            "deadlines": deadlines_as_of(view, day, position),
            "positions": [vars(p) for p in positions_as_of(view, day, position)]}


def test_a_question_at_the_head_is_answered_without_the_ledger_and_the_same(store, ledger,
                                                                          clerk):
    url, schema = store
    effective_agreement(clerk, code="TY-Q001", number=AG)
    clerk("suspend_agreement", "2025-06-01", agreement=AG, kind="mandatory", ground="M38-2",
          start=None, requested_on=None, planned_days=None, months=None, notice_no="中止-1")
    clerk("propose_practitioner_bar", "2025-05-01", bar_no="停-1", person_id="DOC-1",
          name="刘医生", institution="TY-Q001", years=2, finding="虚开处方")
    catch_up(ledger)
    full = _answers(view_for(ledger))
    assert full["status"] and full["bars"]
    quick = open_ledger(url, schema, create=False, read_models_only=True)
    try:
        assert isinstance(quick, ReadModelsAtHead)
        assert _answers(view_for(quick)) == full
    finally:
        quick.close()


def test_behind_the_log_or_mid_rebuild_the_ledgers_path_answers(store, ledger, clerk):
    url, schema = store
    effective_agreement(clerk, code="TY-Q001", number=AG)   # not caught up yet
    behind = open_ledger(url, schema, create=False, read_models_only=True)
    try:
        assert isinstance(behind, Ledger)
    finally:
        behind.close()
    catch_up(ledger)
    _set_rebuild_state(view_for(ledger), "in_progress")
    rebuilding = open_ledger(url, schema, create=False, read_models_only=True)
    try:
        assert isinstance(rebuilding, Ledger)
    finally:
        rebuilding.close()


def test_ledger_status_answers_the_same_at_the_head_and_behind_it(store, ledger, clerk,
                                                                  monkeypatch):
    from adapters import cli
    url, schema = store
    monkeypatch.setattr(cli, "open_ledger",
                        lambda u=None, **kw: settings.open_ledger(u, schema, **kw))
    effective_agreement(clerk, code="TY-Q001", number=AG)
    args = ["status", "--on", "2025-06-30", "--json", "--db", url]
    behind = runner.invoke(cli.app, args)            # catches the read models up
    assert behind.exit_code == 0, behind.output
    opened = []
    real = settings._read_models_at_head
    monkeypatch.setattr(settings, "_read_models_at_head",
                        lambda *a: opened.append(real(*a)) or opened[-1])
    at_head = runner.invoke(cli.app, args)
    assert at_head.exit_code == 0, at_head.output
    assert isinstance(opened[-1], ReadModelsAtHead)   # this time without the ledger
    assert json.loads(at_head.output) == json.loads(behind.output)
    assert [r["agreement"] for r in json.loads(at_head.output)] == [AG]
