"""The SQL read models' own rules agree with the domain: the deadlines table
with the pure fold on every day and at every knowledge instant, and the
posting rules with the Claim and FundAccount aggregates, event by event
(AUD-02, AUD-03)."""
from __future__ import annotations

import sys
from datetime import date, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from adapters.cli import app
from adapters.readmodels import catch_up, deadlines_as_of, log_position, rebuild, snapshot, view_for
from domain.claim import Claim
from domain.fund_account import FundAccount
from projections import postings
from projections.deadlines import open_deadlines
from projections.rows import money_numbers, posting_deltas
from projections.status import build

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ("admission.jsonl", "lifecycle.jsonl")


@pytest.fixture
def examples_ledger(store, monkeypatch, ledger):
    """Both worked example files applied through the command line."""
    import adapters.cli as cli
    from adapters import settings
    monkeypatch.setattr(cli, "open_ledger", lambda url=None, **kw: settings.open_ledger(url, store[1], **kw))
    for name in EXAMPLES:
        result = CliRunner().invoke(app, ["run", str(ROOT / "examples" / name), "--db", store[0]])
        assert result.exit_code == 0, result.output
    return ledger


def _days(first: date, last: date, step: int = 3):
    d = first
    while d <= last:
        yield d
        d += timedelta(days=step)


def test_aud03_the_deadlines_table_equals_the_pure_fold_on_every_day(examples_ledger):
    ledger = examples_ledger
    catch_up(ledger)
    view = view_for(ledger)
    events = [e for _, e in ledger.read_log()]
    last = log_position(view, None)
    days = list(_days(date(2025, 1, 1), date(2026, 1, 31)))
    seen = 0
    for day in days:
        folded = open_deadlines(build(events, as_of=day), day)
        assert deadlines_as_of(view, day, last) == folded, day
        seen += len(folded)
    assert seen > 50   # the examples do have deadlines to compare


def test_aud03_the_deadlines_table_answers_as_known_at_earlier_instants(examples_ledger):
    ledger = examples_ledger
    catch_up(ledger)
    view = view_for(ledger)
    log = list(ledger.read_log())
    for cut in (len(log) // 4, len(log) // 2, 3 * len(log) // 4):
        n, cut_event = log[cut - 1]
        known_at = cut_event.timestamp
        events = [e for _, e in log if e.timestamp <= known_at]
        position = log_position(view, known_at)
        for day in _days(date(2025, 1, 1), date(2025, 12, 31), 17):
            assert deadlines_as_of(view, day, position) == \
                open_deadlines(build(events, as_of=day), day), (cut, day)


def test_aud02_a_rebuild_equals_the_live_deadlines_table(examples_ledger):
    ledger = examples_ledger
    catch_up(ledger)
    live = snapshot(view_for(ledger))
    assert live["deadlines"]
    rebuild(ledger, batch_size=7)
    assert snapshot(view_for(ledger)) == live


def test_aud02_the_posting_rules_give_what_the_aggregates_give_event_by_event():
    """Over a generated province, every Claim and FundAccount event's posting
    rule gives exactly the difference the aggregate's own event body makes."""
    sys.path.insert(0, str(ROOT / "scripts"))
    from generate_province import generate

    aggregates, states = {}, {}
    names = set()
    for batch in generate(11, institutions=25, years=3):
        for e in batch:
            name = type(e).__qualname__
            if name.split(".")[0] not in ("Claim", "FundAccount"):
                continue
            names.add(name)
            before = aggregates.get(e.originator_id)
            numbers = money_numbers(before) if before is not None else {}
            after = e.mutate(None) if before is None else (e.apply(before) or before)
            aggregates[e.originator_id] = after
            expected = posting_deltas(numbers, money_numbers(after))
            assert postings.has_rule(name), name
            if before is None:
                states[e.originator_id], got = postings.created(name, e.__dict__)
            else:
                got = postings.apply(name, states[e.originator_id], e.__dict__)
            assert got == expected, (name, e.originator_id)
    assert {"Claim.Submitted", "Claim.Approved", "Claim.Paid", "FundAccount.DepositCleared"} <= names


def test_every_claim_and_fund_account_event_has_a_posting_rule():
    for cls in (Claim, FundAccount):
        for name, member in vars(cls).items():
            if isinstance(member, type) and issubclass(member, cls.Event) and \
                    name not in ("Event", "Created"):
                assert postings.has_rule(member.__qualname__), member.__qualname__


def test_aud02_every_replayed_aggregate_has_the_views_that_make_its_rows():
    """Each view's module names the aggregates whose events it handles; an
    aggregate routed to replay with no view would stop the read models, and
    a view that lost its handler would silently keep no rows for it."""
    from adapters.readmodels import about, bars, deadlines, ended, status
    from adapters.readmodels.projection import ROWS_OF
    from adapters.readmodels.routing import REPLAYED
    from domain.agreement import Agreement
    from domain.application import Application
    from domain.calendar_book import CalendarBook
    from domain.evaluation import Evaluation
    from domain.person import Person
    assert set(ROWS_OF) == set(REPLAYED)
    # an agreement's event makes its status, public-list and deadline rows, in that order
    assert ROWS_OF[Agreement] == (status.StatusRows._status, ended.EndedRows._ended,
                                  deadlines.DeadlineRows._agreement_deadlines,
                                  about.AboutRows._about)
    assert ROWS_OF[Person] == (bars.BarRows._bars, about.AboutRows._about)
    assert ROWS_OF[Application] == (deadlines.DeadlineRows._application_deadlines,
                                    about.AboutRows._about)
    assert ROWS_OF[Evaluation] == (deadlines.DeadlineRows._evaluation_deadlines,
                                   about.AboutRows._about)
    assert ROWS_OF[CalendarBook] == (deadlines.DeadlineRows._calendar_loaded,)


def test_cal01_loading_a_year_recomputes_provisional_deadlines_in_the_table(clerk, ledger):
    """An application received late in 2026 has its one-time-notice deadline
    in 2027, a year the ledger does not know: provisional (CAL-01). Once the
    operator loads 2027, the table answers as the fold does on both sides of
    the load, and as known before the load it is still provisional."""
    from tests.builders import register
    register(clerk, on="2026-12-20")
    clerk("submit_application", "2026-12-29", number="SQ-27", institution="TY-H001",
          materials=["application_letter", "licences"])
    catch_up(ledger)
    view = view_for(ledger)
    day = date(2027, 1, 4)
    before = deadlines_as_of(view, day, log_position(view, None))
    assert before and all(r["provisional"] for r in before if r["rule"] == "ADM-04")
    position_before_load = log_position(view, None)
    clerk("load_calendar_year", "2027-01-02",
          arrangement={"year": 2027, "holidays": ["2027-01-01", "2027-01-04", "2027-01-05"],
                       "workdays": [], "source": "国办发明电〔2026〕 test"})
    catch_up(ledger)
    events = [e for _, e in ledger.read_log()]
    last = log_position(view, None)
    for d in (date(2027, 1, 1), day, date(2027, 1, 8)):
        assert deadlines_as_of(view, d, last) == open_deadlines(build(events, as_of=d), d), d
    after = deadlines_as_of(view, day, last)
    assert not any(r["provisional"] for r in after)
    assert after != before
    assert deadlines_as_of(view, day, position_before_load) == before


def test_aud02_after_a_generated_province_a_partitioned_rebuild_equals_the_live_read_models(
        ledger):
    """A small province (every kind of institution, claims, reviews,
    payments, assessments, clearings, suspensions, endings, bars) loaded
    into the store: the live read models, kept by catching up, equal a
    rebuild in 3 processes, and the fund positions equal the pure fold."""
    sys.path.insert(0, str(ROOT / "scripts"))
    from generate_province import generate, load

    from adapters.readmodels import positions_as_of
    from projections.fund import positions
    batches = list(generate(5, institutions=25, years=3))
    for i in range(0, len(batches), 6):   # the live models follow the load month by month
        load(ledger, batches[i:i + 6])
        catch_up(ledger)
    view = view_for(ledger)
    live = snapshot(view)
    assert len(live["log"]) > 5000 and live["postings"] and live["deadlines"]
    result = rebuild(ledger, batch_size=500, workers=3)
    assert result["complete"] and result["partitions"] == 3
    assert snapshot(view_for(ledger)) == live
    folded = {(p.agreement, p.year): p for p in positions(build(e for _, e in ledger.read_log()))}
    sql = {(p.agreement, p.year): p for p in positions_as_of(view, None, log_position(view, None))}
    assert sql == folded
