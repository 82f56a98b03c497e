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
