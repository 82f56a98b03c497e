"""The calendar's refusals and limits at their edges (issue #18;
domain/calendar.py): a year arrangement loaded as data (CAL-01) refused
with the message the operator reads (``load_calendar_year`` passes it on as
the reason), the years 1 and 9999 and either side, a period of days given as
a boolean, a naive or a zoned instant (CAL-04), the years the package knows
and the grounds' catalogue helper, both run once at import (so only a test
that calls them again proves them).
"""
from __future__ import annotations

from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

import chinese_calendar
import pytest

from domain.calendar import (WorkingCalendar, YearArrangement, _package_years, period_last_day,
                             today_in_china)
from domain.grounds import StatutoryGround, _g, ground, grounds_for_rule


def refused(call, *args, **kwargs):
    with pytest.raises((ValueError, TypeError)) as info:
        call(*args, **kwargs)
    return str(info.value)


def year(**kw):
    args = dict(year=2027, holidays=frozenset(), workdays=frozenset())
    return YearArrangement(**{**args, **kw})


# --- CAL-01: one year's arrangement -----------------------------------------------------------
@pytest.mark.parametrize("y", [1, 9999])
def test_cal01_the_years_1_and_9999_are_the_first_and_last_an_arrangement_takes(y):
    assert year(year=y).year == y


@pytest.mark.parametrize("y", [0, 10000])
def test_cal01_the_years_0_and_10000_are_refused(y):
    assert refused(year, year=y) == f"year {y} is out of range 1-9999"


@pytest.mark.parametrize("kw, message", [
    ({"year": True}, "year must be an integer, got True"),
    ({"year": "2027"}, "year must be an integer, got '2027'"),
    ({"source": 7}, "source must be a string, got 7"),
    ({"holidays": "2027-01-01"},
     "holidays must be a collection of dates, got '2027-01-01'"),
    ({"workdays": 3}, "workdays must be a collection of dates, got 3"),
    ({"holidays": [datetime(2027, 1, 1, 9)]},
     "holidays must hold dates, got datetime.datetime(2027, 1, 1, 9, 0)"),
    ({"workdays": ["2027-01-02"]}, "workdays must hold dates, got '2027-01-02'"),
    ({"holidays": [date(2026, 12, 31), date(2027, 1, 1), date(2028, 1, 3)]},
     "holidays of year 2027 contain dates outside that year: 2026-12-31, 2028-01-03"),
    ({"workdays": [date(2028, 1, 1)]},
     "workdays of year 2027 contain dates outside that year: 2028-01-01"),
    ({"holidays": [date(2027, 2, 7), date(2027, 2, 6)],
      "workdays": [date(2027, 2, 6), date(2027, 2, 7)]},
     "year 2027: dates listed both as holidays and as make-up workdays: 2027-02-06, "
     "2027-02-07"),
    ({"workdays": [date(2027, 2, 9), date(2027, 2, 8), date(2027, 2, 6)]},
     "year 2027: make-up workdays must fall on a Saturday or Sunday, but these are "
     "Monday-Friday: 2027-02-08 (Monday), 2027-02-09 (Tuesday)"),
])
def test_cal01_each_refusal_of_an_arrangement_names_the_field_and_the_dates(kw, message):
    assert refused(year, **kw) == message


def test_cal01_an_arrangement_holds_its_dates_as_sets():
    a = year(holidays=[date(2027, 2, 8), date(2027, 2, 8)], workdays=(date(2027, 2, 6),),
             source="国办发明电〔2026〕1号")
    assert (a.holidays, a.workdays) == (frozenset({date(2027, 2, 8)}),
                                        frozenset({date(2027, 2, 6)}))
    assert not a.is_working_day(date(2027, 2, 8)) and a.is_working_day(date(2027, 2, 6))


# --- CAL-01: an arrangement read from data ----------------------------------------------------
def mapping(**kw):
    return {"year": 2027, "holidays": [], "workdays": [], **kw}


def test_cal01_a_mapping_is_read_with_its_year_as_digits_and_its_dates_as_dates_or_iso_text():
    a = YearArrangement.from_mapping(mapping(year=" 2027 ", holidays=[date(2027, 2, 8),
                                                                      " 2027-02-09 "],
                                             workdays=["2027-02-06"], source=None))
    assert a == YearArrangement(2027, frozenset({date(2027, 2, 8), date(2027, 2, 9)}),
                                frozenset({date(2027, 2, 6)}), "")
    assert YearArrangement.from_mapping(mapping()).source == ""


@pytest.mark.parametrize("data, message", [
    ([2027], "a year arrangement must be a mapping, got list"),
    (mapping(holiday=[], extra=1),
     "unknown key(s) in year arrangement: extra, holiday (expected holidays, source, "
     "workdays, year)"),
    ({"year": 2027}, "year arrangement lacks holidays, workdays"),
    (mapping(year=2027.0), "year must be an integer, got 2027.0"),
    (mapping(year="MMXXVII"), "year must be an integer, got 'MMXXVII'"),
    (mapping(holidays="2027-02-08"),
     "holidays must be a list of ISO dates (YYYY-MM-DD), got '2027-02-08'"),
    (mapping(workdays=[datetime(2027, 2, 6, 8)]),
     "workdays: datetime.datetime(2027, 2, 6, 8, 0) is a date-time, expected a date"),
    (mapping(holidays=[20270208]), "holidays: 20270208 is not an ISO date (YYYY-MM-DD)"),
    (mapping(workdays=["2027-2-6"]), "workdays: '2027-2-6' is not a valid ISO date (YYYY-MM-DD)"),
    (mapping(holidays=["2027-02-30"]),
     "holidays: '2027-02-30' is not a valid ISO date (YYYY-MM-DD)"),
])
def test_cal01_each_refusal_of_a_mapping_names_the_entry_at_fault(data, message):
    assert refused(YearArrangement.from_mapping, data) == message


def test_cal01_a_loaded_year_is_named_in_the_calendar_and_checked_against_its_key():
    assert repr(WorkingCalendar({2027: year()})) == "WorkingCalendar(loaded=[2027])"
    assert refused(WorkingCalendar, {2027: {"year": 2027}}) == \
        "loaded year 2027 is not a YearArrangement: {'year': 2027}"
    assert refused(WorkingCalendar, {2028: year()}) == \
        "loaded year key 2028 does not match the arrangement's year 2027"


def test_cal01_the_package_years_are_exactly_those_chinese_calendar_answers_for():
    years = _package_years()
    for y in (years.start, years.stop - 1):
        assert chinese_calendar.is_workday(date(y, 6, 2)) in (True, False)
    for y in (years.start - 1, years.stop):
        with pytest.raises(NotImplementedError):
            chinese_calendar.is_workday(date(y, 6, 2))


# --- CAL-05, CAL-04 ---------------------------------------------------------------------------
@pytest.mark.parametrize("days", [True, -1, 1.0])
def test_cal05_a_period_is_a_whole_number_of_days_from_0(days):
    assert refused(period_last_day, date(2025, 3, 1), days) == \
        f"a period in days must be an integer >= 0, got {days!r}"


def test_cal04_a_zoned_instant_is_read_in_china_and_anything_else_refused():
    # 16:00 in Shanghai on 30 September is still that day; 00:30 on 1 October is the next
    shanghai = ZoneInfo("Asia/Shanghai")
    assert today_in_china(datetime(2025, 9, 30, 16, 0, tzinfo=shanghai)) == date(2025, 9, 30)
    assert today_in_china(datetime(2025, 10, 1, 0, 30, tzinfo=shanghai)) == date(2025, 10, 1)
    assert refused(today_in_china, date(2025, 9, 30)) == \
        "expected an aware datetime, got datetime.date(2025, 9, 30)"
    assert refused(today_in_china, datetime(2025, 9, 30, 12, 0)) == \
        "2025-09-30T12:00:00 is a naive date-time; give an aware instant " \
        "(e.g. with tzinfo=timezone.utc)"
    assert today_in_china(datetime(2025, 9, 30, 16, 0, tzinfo=timezone.utc)) == \
        date(2025, 10, 1)


# --- the grounds' catalogue, built at import --------------------------------------------------
def test_a_ground_is_built_with_each_field_in_its_place():
    g = _g("M39-3", "M 39(3)", "TER-01", "以欺诈手段骗取工伤保险基金", "fraud on the fund",
           is_breach=True, sanction="refund,suspend")
    assert g == StatutoryGround(code="M39-3", article="M 39(3)", rule="TER-01",
                                text_zh="以欺诈手段骗取工伤保险基金", text_en="fraud on the fund",
                                bar_years=None, is_breach=True, sanction="refund,suspend")
    assert g.sanctions == ("refund", "suspend")


def test_the_grounds_of_a_rule_are_found_by_its_id_and_an_unknown_code_lists_the_valid_ones():
    assert [g.code for g in grounds_for_rule("SUS-03")] == ["M38-1", "M38-2", "M38-3", "M38-4"]
    assert grounds_for_rule("CAL-01") == ()
    with pytest.raises(LookupError) as info:
        ground("M99-9")
    assert str(info.value).startswith("unknown ground code 'M99-9'; valid codes: M11-1, M11-2, ")
