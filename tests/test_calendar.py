"""Tests for domain.calendar: rules CAL-01 to CAL-06 (Civil Code arts. 201-203).

The 2025 and 2026 dates are those of the State Council holiday notices
(国办发明电〔2024〕12号 for 2025, 国办发明电〔2025〕7号 for 2026), as carried by
chinese_calendar 1.11.0.  2027 is not known to that package; the 2027
arrangement loaded below is a *test fixture*, not the official notice.
"""
from __future__ import annotations

import json
from calendar import isleap, monthrange
from datetime import date, datetime, timedelta, timezone

import chinese_calendar
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.calendar import (
    DEFAULT_CALENDAR,
    Deadline,
    WorkingCalendar,
    YearArrangement,
    add_months,
    add_years,
    period_last_day,
    today_in_china,
)

D = date.fromisoformat
CAL = WorkingCalendar()

# A year the package does not know, whatever its version (CAL-01).
FAR_YEAR = 2100


@pytest.fixture
def package_without_2027(monkeypatch):
    """A package that stops at 2026, as 1.11 does: a newer chinese_calendar that
    knows 2027 must not turn these tests into skips or false passes."""
    import domain.calendar as calendar_module
    years = calendar_module._PACKAGE_YEARS
    monkeypatch.setattr(calendar_module, "_PACKAGE_YEARS", range(years.start, 2027))


needs_2027_unknown = pytest.mark.usefixtures("package_without_2027")

# Test fixture for 2027, NOT the official arrangement: New Year's Day
# (Friday 1 January 2027) as a rest day and one invented make-up Saturday.
FIXTURE_2027 = {
    "year": 2027,
    "holidays": ["2027-01-01"],
    "workdays": ["2027-02-06"],
    "source": "test fixture (not the State Council notice)",
}


# --------------------------------------------------------------------------
# CAL-01: the official arrangement, as the package carries it
# --------------------------------------------------------------------------
def test_cal01_national_day_2025_rest_days_and_make_up_weekends():
    for day in range(1, 9):  # Oct 1-8 rest, including Mon-Wed 6-8
        assert not CAL.is_working_day(date(2025, 10, day))
    assert CAL.is_working_day(D("2025-09-28"))  # Sunday, make-up working day
    assert CAL.is_working_day(D("2025-10-11"))  # Saturday, make-up working day
    assert CAL.is_working_day(D("2025-10-09"))
    assert not CAL.is_working_day(D("2025-10-12"))  # ordinary Sunday


def test_cal01_spring_festival_2025_rest_days_and_make_up_weekends():
    for d in (D("2025-01-28") + timedelta(days=i) for i in range(8)):  # Jan 28 - Feb 4
        assert not CAL.is_working_day(d), d
    assert CAL.is_working_day(D("2025-01-26"))  # Sunday, make-up
    assert CAL.is_working_day(D("2025-02-08"))  # Saturday, make-up
    assert CAL.is_working_day(D("2025-02-05"))


def test_cal01_spring_festival_2026_rest_days_and_make_up_weekends():
    for d in (D("2026-02-15") + timedelta(days=i) for i in range(9)):  # Feb 15-23
        assert not CAL.is_working_day(d), d
    assert CAL.is_working_day(D("2026-02-14"))  # Saturday, make-up
    assert CAL.is_working_day(D("2026-02-28"))  # Saturday, make-up
    assert CAL.is_working_day(D("2026-02-24"))


def test_cal01_national_day_and_mid_autumn_2026_rest_days_and_make_up_weekends():
    for day in range(1, 8):  # Oct 1-7 rest
        assert not CAL.is_working_day(date(2026, 10, day))
    assert not CAL.is_working_day(D("2026-09-25"))  # Mid-Autumn, Friday
    assert CAL.is_working_day(D("2026-09-20"))  # Sunday, make-up
    assert CAL.is_working_day(D("2026-10-10"))  # Saturday, make-up
    assert CAL.is_working_day(D("2026-10-08"))


def test_cal01_package_years_agree_with_chinese_calendar_on_every_day():
    d, end = date(2004, 1, 1), date(2026, 12, 31)
    while d <= end:
        assert CAL.is_working_day(d) == chinese_calendar.is_workday(d), d
        d += timedelta(days=1)


def test_cal01_known_years_are_the_package_years():
    assert CAL.is_known(2004) and CAL.is_known(2025) and CAL.is_known(2026)
    assert not CAL.is_known(2003)
    assert not CAL.is_known(FAR_YEAR)


@needs_2027_unknown
def test_cal01_deadline_in_unknown_2027_is_provisional_with_mon_fri_fallback():
    assert not CAL.is_known(2027)
    deadline = CAL.add_working_days(D("2027-03-01"), 5)  # Monday
    assert deadline == Deadline(D("2027-03-08"), provisional=True, rule="CAL-02")


def test_cal01_deadline_in_a_far_unknown_year_is_provisional_with_mon_fri_fallback():
    deadline = CAL.add_working_days(D("2100-02-26"), 1)  # Friday
    assert deadline.due == D("2100-03-01")  # Monday: weekend skipped, nothing else
    assert deadline.provisional


@needs_2027_unknown
def test_cal01_deadline_crossing_from_2026_into_unknown_2027_is_provisional():
    deadline = CAL.add_working_days(D("2026-12-31"), 1)
    assert deadline.due == D("2027-01-01")  # Mon-Fri fallback: Friday counts
    assert deadline.provisional


def test_cal01_deadline_wholly_inside_a_known_year_is_not_provisional():
    assert not CAL.add_working_days(D("2026-12-28"), 3).provisional  # ends 2026-12-31
    assert not CAL.act_deadline(D("2026-12-31")).provisional


def test_cal01_loaded_2027_arrangement_makes_deadlines_final_and_is_applied():
    cal = WorkingCalendar({2027: YearArrangement.from_mapping(FIXTURE_2027)})
    assert cal.is_known(2027)
    deadline = cal.add_working_days(D("2026-12-31"), 1)
    assert deadline == Deadline(D("2027-01-04"), provisional=False, rule="CAL-02")
    assert cal.is_working_day(D("2027-02-06"))  # the loaded make-up Saturday
    assert not cal.is_working_day(D("2027-02-07"))  # an ordinary Sunday


def test_cal01_loaded_year_replaces_the_package_data_for_that_year():
    plain_2025 = YearArrangement(2025, frozenset(), frozenset(), source="test fixture")
    cal = WorkingCalendar({2025: plain_2025})
    assert cal.is_working_day(D("2025-10-01"))
    assert not cal.is_working_day(D("2025-09-28"))
    assert not CAL.is_working_day(D("2025-10-01"))  # other calendars are unaffected


def test_cal01_loaded_year_key_must_match_the_arrangement_year():
    with pytest.raises(ValueError, match="does not match"):
        WorkingCalendar({2028: YearArrangement.from_mapping(FIXTURE_2027)})


def test_cal01_default_calendar_is_a_plain_working_calendar():
    assert isinstance(DEFAULT_CALENDAR, WorkingCalendar)
    assert DEFAULT_CALENDAR.is_known(2025)


# --------------------------------------------------------------------------
# CAL-01: year arrangement data and its validation
# --------------------------------------------------------------------------
def test_cal01_year_arrangement_round_trips_through_json_sorted():
    mapping = {"year": 2027, "holidays": ["2027-10-01", "2027-01-01", "2027-01-01"],
               "workdays": ["2027-09-26", "2027-02-06"], "source": "x"}
    arrangement = YearArrangement.from_mapping(mapping)
    out = arrangement.to_mapping()
    assert out == {"year": 2027, "holidays": ["2027-01-01", "2027-10-01"],
                   "workdays": ["2027-02-06", "2027-09-26"], "source": "x"}
    assert YearArrangement.from_mapping(json.loads(json.dumps(out))) == arrangement


def test_cal01_year_arrangement_rejects_a_date_outside_its_year():
    with pytest.raises(ValueError, match="outside that year.*2026-12-31"):
        YearArrangement.from_mapping({**FIXTURE_2027, "holidays": ["2026-12-31"]})


def test_cal01_year_arrangement_rejects_a_day_both_holiday_and_workday():
    with pytest.raises(ValueError, match="both.*2027-02-06"):
        YearArrangement.from_mapping({**FIXTURE_2027, "holidays": ["2027-02-06"]})


def test_cal01_year_arrangement_rejects_a_make_up_workday_on_a_weekday():
    with pytest.raises(ValueError, match="Saturday or Sunday.*2027-02-05"):
        YearArrangement.from_mapping({**FIXTURE_2027, "workdays": ["2027-02-05"]})


@pytest.mark.parametrize("bad", ["2027-02-30", "27-01-01", "2027/01/01", "", 20270101])
def test_cal01_year_arrangement_rejects_a_malformed_date(bad):
    with pytest.raises(ValueError, match="ISO date"):
        YearArrangement.from_mapping({**FIXTURE_2027, "holidays": [bad]})


def test_cal01_year_arrangement_rejects_missing_and_misspelt_keys():
    with pytest.raises(ValueError, match="lacks workdays"):
        YearArrangement.from_mapping({"year": 2027, "holidays": []})
    with pytest.raises(ValueError, match="unknown key.*workday"):
        YearArrangement.from_mapping({"year": 2027, "holidays": [], "workdays": [],
                                      "workday": ["2027-02-06"]})


def test_cal01_year_arrangement_rejects_a_non_integer_year():
    with pytest.raises(ValueError, match="year must be an integer"):
        YearArrangement.from_mapping({**FIXTURE_2027, "year": 2027.5})


def test_cal01_year_arrangement_rejects_a_single_string_instead_of_a_list():
    with pytest.raises(ValueError, match="list of ISO dates"):
        YearArrangement.from_mapping({**FIXTURE_2027, "holidays": "2027-01-01"})


# --------------------------------------------------------------------------
# CAL-02: within N working days from D (D not counted)
# --------------------------------------------------------------------------
def test_cal02_five_working_days_skip_national_day_2025_and_count_make_up_saturday():
    # Oct 1-8 rest; Oct 9, 10, 11 (make-up Sat), 13, 14.
    assert CAL.add_working_days(D("2025-09-30"), 5) == Deadline(D("2025-10-14"), False, "CAL-02")


def test_cal02_one_working_day_after_friday_is_make_up_sunday_2025_09_28():
    assert CAL.add_working_days(D("2025-09-26"), 1).due == D("2025-09-28")


def test_cal02_the_starting_day_itself_is_not_counted():
    assert CAL.add_working_days(D("2025-03-03"), 1).due == D("2025-03-04")  # Mon -> Tue
    assert CAL.add_working_days(D("2025-03-07"), 1).due == D("2025-03-10")  # Fri -> Mon


def test_cal02_spring_festival_2025_skipped_and_make_up_days_counted():
    assert CAL.add_working_days(D("2025-01-24"), 1).due == D("2025-01-26")  # make-up Sun
    assert CAL.add_working_days(D("2025-01-27"), 1).due == D("2025-02-05")
    assert CAL.add_working_days(D("2025-01-27"), 4).due == D("2025-02-08")  # make-up Sat


def test_cal02_spring_festival_2026_skipped_and_make_up_days_counted():
    assert CAL.add_working_days(D("2026-02-13"), 1).due == D("2026-02-14")  # make-up Sat
    assert CAL.add_working_days(D("2026-02-14"), 1).due == D("2026-02-24")
    assert CAL.add_working_days(D("2026-02-14"), 5).due == D("2026-02-28")  # make-up Sat


def test_cal02_national_day_and_mid_autumn_2026_skipped_and_make_up_days_counted():
    assert CAL.add_working_days(D("2026-09-30"), 3).due == D("2026-10-10")  # make-up Sat
    assert CAL.add_working_days(D("2026-09-19"), 1).due == D("2026-09-20")  # make-up Sun
    assert CAL.add_working_days(D("2026-09-24"), 1).due == D("2026-09-28")  # Sep 25 rest


@pytest.mark.parametrize("n", [0, -1, 1.5, True])
def test_cal02_number_of_working_days_must_be_a_positive_integer(n):
    with pytest.raises(ValueError):
        CAL.add_working_days(D("2025-03-03"), n)


def test_cal02_working_days_between_counts_end_but_not_start():
    assert CAL.working_days_between(D("2025-09-30"), D("2025-10-14")) == 5
    assert CAL.working_days_between(D("2025-09-30"), D("2025-10-08")) == 0
    assert CAL.working_days_between(D("2025-09-27"), D("2025-09-28")) == 1  # make-up Sun
    assert CAL.working_days_between(D("2025-03-03"), D("2025-03-03")) == 0
    assert CAL.working_days_between(D("2025-03-10"), D("2025-03-03")) == 0


# --------------------------------------------------------------------------
# CAL-03: N months / years from D (Civil Code art. 202)
# --------------------------------------------------------------------------
@pytest.mark.parametrize("start, months, expected", [
    ("2025-03-15", 3, "2025-06-15"),   # the corresponding day
    ("2025-08-31", 6, "2026-02-28"),   # no 31 Feb: the month's last day
    ("2023-08-31", 6, "2024-02-29"),   # leap year
    ("2024-01-31", 1, "2024-02-29"),
    ("2025-01-31", 1, "2025-02-28"),
    ("2025-05-31", 1, "2025-06-30"),
    ("2025-12-15", 1, "2026-01-15"),   # across the year end
    ("2025-03-31", -1, "2025-02-28"),  # negative n
    ("2025-01-15", -1, "2024-12-15"),
    ("2025-06-30", 0, "2025-06-30"),
])
def test_cal03_months_end_on_the_corresponding_day_or_the_month_end(start, months, expected):
    assert add_months(D(start), months) == D(expected)


def test_cal03_years_from_29_february_end_on_28_february_or_29_in_a_leap_year():
    assert add_years(D("2024-02-29"), 1) == D("2025-02-28")
    assert add_years(D("2024-02-29"), 4) == D("2028-02-29")
    assert add_years(D("2025-10-01"), 3) == D("2028-10-01")
    assert add_years(D("2025-10-01"), -1) == D("2024-10-01")


# --------------------------------------------------------------------------
# CAL-04: today is the Asia/Shanghai calendar date
# --------------------------------------------------------------------------
def test_cal04_today_is_the_china_date_of_an_aware_instant():
    assert today_in_china(datetime(2025, 9, 30, 15, 59, tzinfo=timezone.utc)) == D("2025-09-30")
    assert today_in_china(datetime(2025, 9, 30, 16, 0, tzinfo=timezone.utc)) == D("2025-10-01")
    new_york = timezone(timedelta(hours=-4))
    assert today_in_china(datetime(2025, 9, 30, 13, 0, tzinfo=new_york)) == D("2025-10-01")


def test_cal04_a_naive_datetime_is_refused_and_the_default_is_now():
    with pytest.raises(ValueError, match="naive"):
        today_in_china(datetime(2025, 9, 30, 12, 0))
    now = datetime.now(timezone.utc)
    assert today_in_china() in {(now + timedelta(hours=8)).date(),
                                (now + timedelta(hours=8, seconds=5)).date()}


# --------------------------------------------------------------------------
# CAL-05: a period in days starts the day after the event (art. 201)
# --------------------------------------------------------------------------
def test_cal05_suspension_from_2025_03_01_reaches_day_180_on_2025_08_28():
    assert period_last_day(D("2025-03-01"), 180) == D("2025-08-28")


def test_cal05_one_day_period_ends_the_next_day():
    assert period_last_day(D("2025-12-31"), 1) == D("2026-01-01")


def test_cal05_negative_period_is_refused():
    with pytest.raises(ValueError):
        period_last_day(D("2025-03-01"), -1)


# --------------------------------------------------------------------------
# CAL-06: a last day on a rest day moves to the next working day (art. 203)
# --------------------------------------------------------------------------
def test_cal06_day_180_on_national_day_2025_moves_to_2025_10_09():
    last = period_last_day(D("2025-04-04"), 180)
    assert last == D("2025-10-01")
    assert CAL.act_deadline(last) == Deadline(D("2025-10-09"), False, "CAL-06")


def test_cal06_a_plain_weekend_moves_to_monday():
    assert CAL.act_deadline(D("2025-03-08")).due == D("2025-03-10")  # Sat -> Mon
    assert CAL.act_deadline(D("2025-03-09")).due == D("2025-03-10")  # Sun -> Mon


def test_cal06_a_working_day_or_make_up_saturday_stays():
    assert CAL.act_deadline(D("2025-08-28")).due == D("2025-08-28")
    assert CAL.act_deadline(D("2025-10-11")).due == D("2025-10-11")  # make-up Saturday


def test_cal06_spring_festival_2026_moves_to_the_first_working_day_after():
    assert CAL.act_deadline(D("2026-02-15")).due == D("2026-02-24")


def test_cal06_the_caller_may_name_the_rule_applied():
    assert CAL.act_deadline(D("2025-10-01"), rule="ADM-05").rule == "ADM-05"


def test_cal06_last_day_in_an_unknown_year_is_provisional():
    assert CAL.act_deadline(D("2100-03-01")).provisional  # a Monday, still unconfirmed


@needs_2027_unknown
def test_cal06_weekend_roll_in_unknown_2027_uses_mon_fri_and_is_provisional():
    # Sat 2027-01-02 rolls to Monday by the fallback, unconfirmed.
    deadline = CAL.act_deadline(D("2027-01-02"))
    assert deadline.due == D("2027-01-04") and deadline.provisional


# --------------------------------------------------------------------------
# Properties
# --------------------------------------------------------------------------
any_day = st.dates(min_value=date(2003, 6, 1), max_value=date(2028, 6, 30))


@settings(max_examples=300, deadline=None)
@given(start=any_day, n=st.integers(min_value=1, max_value=40))
def test_cal02_property_lands_on_a_working_day_strictly_after_start(start, n):
    deadline = CAL.add_working_days(start, n)
    assert deadline.due > start
    assert CAL.is_working_day(deadline.due)
    assert CAL.working_days_between(start, deadline.due) == n
    assert CAL.working_days_between(start, deadline.due - timedelta(days=1)) == n - 1
    consulted = range((start + timedelta(days=1)).year, deadline.due.year + 1)  # (start, due]
    assert deadline.provisional == any(not CAL.is_known(y) for y in consulted)


@settings(max_examples=500)
@given(d=st.dates(min_value=date(1900, 1, 1), max_value=date(2200, 12, 31)),
       n=st.integers(min_value=-1200, max_value=1200))
def test_cal03_property_add_months_lands_in_the_right_month_on_the_clamped_day(d, n):
    result = add_months(d, n)
    assert (result.year * 12 + result.month) - (d.year * 12 + d.month) == n
    # the month's length from the standard library, not from add_months itself
    last_day = monthrange(result.year, result.month)[1]
    assert result.day == min(d.day, last_day)
    # n // 12 years: the same month and day, 29 February landing on the 28th
    years = add_years(d, n // 12)
    assert (years.year, years.month) == (d.year + n // 12, d.month)
    assert years.day == (28 if (d.month, d.day) == (2, 29) and not isleap(years.year)
                         else d.day)


@settings(max_examples=300, deadline=None)
@given(d=any_day)
def test_cal06_property_act_deadline_is_idempotent_and_never_earlier(d):
    first = CAL.act_deadline(d)
    assert first.due >= d
    assert CAL.is_working_day(first.due)
    assert CAL.act_deadline(first.due).due == first.due
    assert CAL.working_days_between(d - timedelta(days=1), first.due) == 1


@given(start=any_day, days=st.integers(min_value=0, max_value=3650))
def test_cal05_property_last_day_is_exactly_days_after_start(start, days):
    assert (period_last_day(start, days) - start).days == days
