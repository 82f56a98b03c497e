"""A page of the investigator's timeline (AUD-04) is the slice of the whole
timeline it names, chosen by the database (``subjects.timeline_page``), on
both stores: at its boundaries (a page of exactly the rows there are, one
short, an offset past the end), with the date and type filters, as known at
an earlier position; and a limit or offset that cannot be is refused."""
from __future__ import annotations

import random
import sys
from datetime import date
from pathlib import Path

import pytest

from adapters.readmodels import catch_up
from adapters.readmodels.subjects import timeline_page
from adapters.timeline import Subject, timeline
from projections.status import build

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def province(ledger):
    """A small generated province, its read models caught up."""
    sys.path.insert(0, str(ROOT / "scripts"))
    from generate_province import generate, load
    load(ledger, generate(3, institutions=8, years=2))
    catch_up(ledger)
    return ledger


def _subjects(ledger):
    state = build(e for _, e in ledger.read_log())
    rng = random.Random(2)
    investors = sorted({p["person_id"] for i in state.institutions.values()
                        for p in i.people if p["role"] == "investor"})
    return ([Subject("institution", c) for c in rng.sample(sorted(state.institutions), 2)]
            + [Subject("agreement", n) for n in rng.sample(sorted(state.agreements), 2)]
            + [Subject("person", p) for p in investors[:2]])


def test_aud04_every_page_of_a_timeline_is_that_slice_of_the_whole(province):
    checked = 0
    for subject in _subjects(province):
        whole = timeline(province, subject)
        n = len(whole.rows)
        assert n > 3, subject
        for limit, offset in [(n, 0), (n - 1, 0), (n + 1, 0), (1, n - 1), (3, n - 2),
                              (5, n), (5, n + 10), (0, 0), (7, 3)]:
            page = timeline_page(province, subject, limit=limit, offset=offset)
            assert page.rows == whole.rows[offset:offset + limit], (subject, limit, offset)
            assert page.total == n
            assert page.linked == whole.linked
            checked += len(page.rows)
    assert checked > 100


def test_aud04_a_filtered_page_is_the_slice_of_the_filtered_timeline(province):
    position = max(n for n, _ in province.read_log()) * 2 // 3
    filters = [dict(date_from=date(2016, 5, 1), date_to=date(2016, 12, 31)),
               dict(types=["Claim"]), dict(types=["Approved", "Agreement.Signed"]),
               dict(types=["Claim"], date_from=date(2017, 1, 1)), dict(types=["Dispute"])]
    checked = 0
    for subject in _subjects(province):
        for f in filters:
            for at in (None, position):
                try:
                    whole = timeline(province, subject, position=at, **f)
                except LookupError:   # not known yet at the earlier position
                    with pytest.raises(LookupError):
                        timeline_page(province, subject, position=at, limit=4, **f)
                    continue
                for limit, offset in [(4, 0), (4, 2), (50, 0)]:
                    page = timeline_page(province, subject, position=at, limit=limit,
                                         offset=offset, **f)
                    assert page.rows == whole.rows[offset:offset + limit], (subject, f, at)
                    assert page.total == len(whole.rows)
                    checked += len(page.rows)
    assert checked > 100


def test_aud04_a_page_filtered_by_user_or_role_is_the_slice_too(province):
    subject = _subjects(province)[0]
    some = timeline(province, subject).rows[2]
    whole = timeline(province, subject, users=[some.user])
    page = timeline_page(province, subject, users=[some.user], limit=2, offset=1)
    assert page.rows == whole.rows[1:3] and page.total == len(whole.rows)


def test_aud04_a_negative_limit_or_offset_and_an_unknown_subject_are_refused(province):
    subject = _subjects(province)[0]
    for limit, offset in [(-1, 0), (5, -1)]:
        with pytest.raises(ValueError, match="not negative"):
            timeline_page(province, subject, limit=limit, offset=offset)
    with pytest.raises(LookupError):
        timeline_page(province, Subject("institution", "NOPE"), limit=5)
    with pytest.raises(ValueError, match="Agreement.Suspended"):
        timeline_page(province, subject, limit=5, types=["Suspendd"])


# --- ledger history -----------------------------------------------------------------------------
@pytest.fixture
def ask(province, store, monkeypatch):
    """``ledger history`` on the province's store (its schema on PostgreSQL)."""
    import json as _json

    from typer.testing import CliRunner

    import adapters.cli_audit as audit
    from adapters import settings
    from adapters.cli import app
    monkeypatch.setattr(audit, "open_ledger",
                        lambda url=None, **kw: settings.open_ledger(url, store[1], **kw))
    runner = CliRunner()

    def run(*args, as_json=True):
        result = runner.invoke(app, ["history", *args, *(["--json"] if as_json else []),
                                     "--db", store[0]], env={"LEDGER_PROGRESS": "never"})
        return (_json.loads(result.stdout) if as_json and result.exit_code == 0 else result)
    return run


def test_aud04_ledger_history_answers_a_page_of_50_with_the_total_and_the_next(province, ask,
                                                                             tmp_path):
    from adapters.paging import DEFAULT_LIMIT
    subject = max(_subjects(province), key=lambda s: len(timeline(province, s).rows))
    whole = [r.as_dict() for r in timeline(province, subject).rows]
    assert len(whole) > DEFAULT_LIMIT + 1
    args = [f"--{subject.kind}", subject.key]
    first = ask(*args)
    assert first["rows"] == _plain(whole[:DEFAULT_LIMIT])
    assert (first["total"], first["offset"], first["next_offset"]) == \
        (len(whole), 0, DEFAULT_LIMIT)
    second = ask(*args, "--offset", str(first["next_offset"]))
    assert second["rows"] == _plain(whole[DEFAULT_LIMIT:2 * DEFAULT_LIMIT])
    assert ask(*args, "--limit", "3", "--page", "2")["rows"] == _plain(whole[3:6])
    last = ask(*args, "--offset", str(len(whole) - 1))
    assert len(last["rows"]) == 1 and last["next_offset"] is None
    assert ask(*args, "--offset", str(len(whole) + 5))["rows"] == []
    assert ask(*args, "--all")["rows"] == _plain(whole) == ask(*args, "--limit", "0")["rows"]
    path = tmp_path / "t.csv"
    table = ask(*args, "--csv", str(path), as_json=False)
    assert table.exit_code == 0, table.output
    assert f"显示第 1–{DEFAULT_LIMIT} 条，共 {len(whole)} 条" in table.output
    assert f"--offset {DEFAULT_LIMIT}" in table.output
    assert len(path.read_text("utf-8-sig").splitlines()) == len(whole) + 1   # every row


def _plain(rows):
    import json as _json
    return _json.loads(_json.dumps(rows, ensure_ascii=False, default=str))


def test_aud04_ledger_history_refuses_a_page_that_cannot_be_in_one_chinese_line(province, ask):
    subject = _subjects(province)[0]
    args = [f"--{subject.kind}", subject.key]
    for bad, says in [(["--limit", "-1"], "--limit 须为 0 到"), (["--limit", "abc"], "--limit 须为"),
                      (["--offset", "-3"], "--offset 须为"), (["--offset", "1e3"], "--offset 须为"),
                      (["--page", "0"], "--page 须为 1 到"),
                      (["--all", "--limit", "5"], "--all 与 --limit")]:
        result = ask(*args, *bad, as_json=False)
        assert result.exit_code == 2, (bad, result.output)
        assert says in result.output and "Traceback" not in result.output, (bad, result.output)


# --- the console's pager ------------------------------------------------------------------------
def test_aud04_the_consoles_timeline_pager_links_the_pages_before_and_after():
    from adapters.console.page import Ctx
    from adapters.console.subjects import pager
    ctx = Ctx(request=None, who=None, lang="zh", as_of="2025-03-01", known_at=None,
              params={"type": "Claim", "offset": "2"})
    rows = [{}, {}]
    middle = pager(ctx, {"rows": rows, "total": 5, "offset": 2, "limit": 2})
    assert "第 3–4 条，共 5 条" in middle
    assert 'rel="prev"' in middle and 'rel="next"' in middle
    prev_href = middle.split('rel="prev" id="page-prev" href="')[1].split('"')[0]
    next_href = middle.split('rel="next" id="page-next" href="')[1].split('"')[0]
    assert "offset" not in prev_href and "type=Claim" in prev_href   # the first page
    assert "offset=4" in next_href and "as_of=2025-03-01" in next_href
    last = pager(ctx, {"rows": [{}], "total": 5, "offset": 4, "limit": 2})
    assert 'rel="next"' not in last and "offset=2" in last.split('rel="prev"')[1]
    assert pager(ctx, {"rows": rows, "total": 2, "offset": 0, "limit": 50}) == ""   # one page
    past = pager(ctx, {"rows": [], "total": 5, "offset": 9, "limit": 2})
    assert "第 9 条之后没有记录：共 5 条" in past
    english = pager(Ctx(request=None, who=None, lang="en", as_of=None, known_at=None),
                    {"rows": rows, "total": 5, "offset": 0, "limit": 2})
    assert "rows 1-2 of 5" in english and "next page" in english
