"""The per-subject read models (the subject index ``rm_about``, ``rm_named``,
``rm_names``) answer what the fold over the whole log answers, on a
generated province, live and rebuilt, as known now and at an earlier log
position, as of business dates (AUD-02, AUD-03, AUD-04): the investigator's
timeline of institutions, agreements and persons (legal representatives,
investors, practitioners), an institution's and an application's state,
and the names on the public list."""
from __future__ import annotations

import random
import sys
from datetime import date
from pathlib import Path

import pytest

from adapters.readmodels import catch_up, rebuild, snapshot, view_for
from adapters.readmodels.about import names_of
from adapters.readmodels.subjects import subject_state
from adapters.settings import open_ledger
from adapters.timeline import Subject, build_timeline, timeline
from projections.status import build
from tests.conftest import Clerk

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def province(module_store):
    """A small province loaded month by month, the read models following;
    then two practitioners its claims name are proposed for a bar (so they
    are registered persons whose timelines hold the claims naming them).
    Built once a store for the module: its tests only read it, and the
    rebuild one test runs must end where it began (which it asserts)."""
    ledger = open_ledger(*module_store)
    try:
        yield _built(ledger, Clerk(ledger))
    finally:
        ledger.close()


def _built(ledger, clerk):
    sys.path.insert(0, str(ROOT / "scripts"))
    from generate_province import generate, load
    batches = list(generate(5, institutions=25, years=3))
    for i in range(0, len(batches), 5):
        load(ledger, batches[i:i + 5])
        catch_up(ledger)
    claims = [e for b in batches for e in b if type(e).__qualname__ == "Claim.Submitted"]
    for k, claim in enumerate((claims[3], claims[-7])):
        person = next(i["practitioner_id"] for i in claim.items if i.get("practitioner_id"))
        clerk("propose_practitioner_bar", "2019-02-01", bar_no=f"TZ-{k}", person_id=person,
              name="", institution=claim.institution_code, years=1, finding="test finding")
    catch_up(ledger)
    return ledger


def _subjects(log):
    """A spread of subjects: institutions, agreements, persons of every kind
    (a legal representative, an investor, a practitioner named by claims)."""
    state = build(e for _, e in log)
    rng = random.Random(4)
    institutions = rng.sample(sorted(state.institutions), 3)
    agreements = rng.sample(sorted(state.agreements), 3)
    named = sorted({i["practitioner_id"] for _, e in log
                    if type(e).__qualname__ == "Claim.Submitted"
                    for i in e.items if i.get("practitioner_id")})
    people = sorted(state.persons)
    # practitioners are registered as persons only when a bar is proposed
    registered = [p for p in people if p in named]
    assert registered
    persons = rng.sample([p for p in people if p not in named], 2) + registered[:2] + \
        [next(p for p in named if p not in state.persons)]
    return ([Subject("institution", c) for c in institutions]
            + [Subject("agreement", n) for n in agreements]
            + [Subject("person", p) for p in persons]), state


def _same_timelines(ledger, log, subjects, position):
    prefix = [(n, e) for n, e in log if n <= position]
    compared = 0
    for subject in subjects:
        try:
            expected = build_timeline(prefix, subject)
        except LookupError:
            with pytest.raises(LookupError):
                timeline(ledger, subject, position=position)
            continue
        got = timeline(ledger, subject, position=position)
        assert got.rows == expected.rows, subject
        assert got.linked == expected.linked, subject
        compared += len(got.rows)
    return compared


def _same_states(ledger, log, position, days):
    view = view_for(ledger)
    prefix = [e for n, e in log if n <= position]
    whole = build(prefix)
    for day in days:
        folded = build(prefix, as_of=day)
        for code in sorted(whole.institutions)[:4]:
            got = subject_state(ledger, view, position, institutions=[code], as_of=day)
            inst = folded.institutions.get(code)
            assert (code in got.institutions) == (inst is not None), (code, day)
            if inst is None:
                continue
            mine = got.institutions[code]
            assert (mine.state(), mine.bar_facts) == (inst.state(), inst.bar_facts)
            for n in inst.applications:
                if n in folded.applications:
                    assert got.applications[n].state() == folded.applications[n].state()
                    for ev in folded.applications[n].evaluations:
                        if ev in folded.evaluations:
                            assert got.evaluations[ev].state() == folded.evaluations[ev].state()
            for n in inst.agreements:
                if n in folded.agreements:
                    assert got.agreements[n].state() == folded.agreements[n].state()
        for number in sorted(whole.applications)[:4]:
            got = subject_state(ledger, view, position, applications=[number], as_of=day)
            assert (number in got.applications) == (number in folded.applications)
            if number in folded.applications:
                a = folded.applications[number]
                assert got.applications[number].state() == a.state()
                assert {n: got.evaluations[n].state() for n in a.evaluations
                        if n in folded.evaluations} == \
                    {n: folded.evaluations[n].state() for n in a.evaluations
                     if n in folded.evaluations}


def test_aud04_the_subject_read_models_equal_the_fold_live_and_rebuilt(province):
    ledger = province
    log = list(ledger.read_log())
    subjects, state = _subjects(log)
    last, earlier = log[-1][0], log[len(log) // 2][0]
    days = [date(2016, 6, 30), date(2017, 3, 31), None]
    for _ in ("live", "rebuilt"):
        assert _same_timelines(ledger, log, subjects, last) > 500
        assert _same_timelines(ledger, log, subjects, earlier) > 100
        _same_states(ledger, log, last, days)
        _same_states(ledger, log, earlier, days)
        view = view_for(ledger)
        assert names_of(view, state.institutions) == \
            {c: i.name for c, i in state.institutions.items()}
        live = snapshot(view)
        assert live["about"] and live["named"] and live["names"]
        result = rebuild(ledger, batch_size=400, workers=3)
        assert result["complete"] and result["partitions"] == 3
        assert snapshot(view_for(ledger)) == live


def test_aud04_the_timeline_filters_by_date_type_user_and_role_as_the_fold_does(province):
    ledger = province
    log = list(ledger.read_log())
    subjects, _ = _subjects(log)
    rows = timeline(ledger, subjects[0]).rows
    some = rows[len(rows) // 2]
    filters = [dict(date_from=date(2016, 5, 1), date_to=date(2016, 9, 30)),
               dict(types=["Claim"]), dict(types=["Approved", "Agreement.Signed"]),
               dict(users=[some.user]), dict(roles=[some.role], types=["Claim"])]
    for subject in subjects[:4] + subjects[-3:-1]:   # the last is not a person on record
        for f in filters:
            assert timeline(ledger, subject, **f).rows == build_timeline(log, subject, **f).rows
    with pytest.raises(ValueError, match="Agreement.Suspended"):
        timeline(ledger, subjects[0], types=["Suspendd"])


def test_two_rebuilds_at_once_the_second_is_refused_in_one_line(store, ledger, clerk):
    """A rebuild holds its store's rebuild lock; a `ledger rebuild` started in
    another process meanwhile says so in one line, exit 2, and changes
    nothing; once the first is done a rebuild runs."""
    import os
    import subprocess
    from adapters.readmodels import rebuild_lock
    from tests.builders import register
    register(clerk, on="2025-01-06")
    catch_up(ledger)
    before = snapshot(view_for(ledger))
    url, schema = store
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    if schema:   # the command line names no schema: the search path finds the test's
        url = f"{url}?options=-csearch_path%3D{schema}"
    command = [sys.executable, "-m", "adapters.cli", "rebuild", "--db", url]
    with rebuild_lock(ledger):
        second = subprocess.run(command, capture_output=True, text=True, env=env, cwd=ROOT,
                                timeout=120)
    assert second.returncode == 2, second.stderr
    assert "Traceback" not in second.stderr + second.stdout
    assert [line for line in second.stderr.splitlines() if line.strip()] == [
        "another `ledger rebuild` is running on this store: wait for it to finish "
        "(one rebuild at a time)."]
    assert snapshot(view_for(ledger)) == before
    after = subprocess.run(command, capture_output=True, text=True, env=env, cwd=ROOT,
                           timeout=120)
    assert after.returncode == 0, after.stderr
    assert snapshot(view_for(ledger)) == before


def test_after_a_rebuild_a_timeline_page_is_found_by_the_subject_not_by_walking_the_log(
        province):
    """A page of a timeline is chosen from the events table by the subject's
    originators (issue #14), never by walking the primary key through the
    log (which PostgreSQL chose whenever it misjudged the subject's rows: a
    server with autovacuum off, a store just loaded); and a rebuild gathers
    the planner's statistics of the log's own table (``_analyze_log``)."""
    import sqlalchemy as sa
    from adapters.integrity import engine_of, events_table
    from adapters.readmodels.subjects import timeline_page
    ledger = province
    engine = engine_of(ledger)
    postgres = engine.dialect.name == "postgresql"
    events = events_table(ledger)
    if postgres:   # forget what the planner knows of the log, as a fresh load has it
        with engine.begin() as conn:
            conn.execute(sa.text("DELETE FROM pg_statistic WHERE starelid = CAST(:t AS regclass)"),
                         {"t": engine.dialect.identifier_preparer.format_table(events)})
    rebuild(ledger, batch_size=2000, workers=1)
    subject, _ = _subjects(list(ledger.read_log()))
    asked = []
    listen = lambda conn, cursor, statement, params, *rest: asked.append((statement, params))  # noqa: E731
    sa.event.listen(engine, "before_cursor_execute", listen)
    try:
        page = timeline_page(ledger, subject[0], limit=50)
    finally:
        sa.event.remove(engine, "before_cursor_execute", listen)
    assert len(page.rows) == 50
    statement, params = next((s, p) for s, p in asked if "LIMIT" in s and "originator_id IN" in s)
    with engine.connect() as conn:
        cursor = conn.connection.cursor()
        cursor.execute(("EXPLAIN " if postgres else "EXPLAIN QUERY PLAN ") + statement, params)
        plan = " ".join(str(row) for row in cursor.fetchall())
    assert "aggregate_idx" in plan, plan
    assert "Index Scan using ledger_events_pkey" not in plan, plan
    if postgres:
        with engine.connect() as conn:
            analysed = conn.execute(sa.text(
                "SELECT count(*) FROM pg_statistic WHERE starelid = CAST(:t AS regclass)"),
                {"t": engine.dialect.identifier_preparer.format_table(events)}).scalar_one()
        assert analysed > 0
