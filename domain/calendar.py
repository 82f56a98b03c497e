"""Working days, periods and deadlines (rules CAL-01 to CAL-06).

The authority is the Civil Code of the PRC, arts. 201-203:

* art. 201 -- a period counted in years, months or days starts the day after
  the starting day (CAL-02, CAL-05);
* art. 202 -- a period in years or months ends on the corresponding day of
  the final month, or on that month's last day if it has none (CAL-03);
* art. 203 -- when the last day is a statutory rest day or holiday, the period
  ends on the day after that rest ends (CAL-06); the last day ends at 24:00
  (China time, CAL-04).

Working days follow the official State Council holiday arrangement including
make-up working weekends (CAL-01).  The ``chinese_calendar`` package supplies
the years it knows; an operator can load further years (or corrected ones) as
:class:`YearArrangement` data.  A year known to neither is *not* silently
treated as Monday-Friday: the Mon-Fri fallback is used, but every
:class:`Deadline` that consulted such a year is flagged ``provisional``.

Imports only the standard library and ``chinese_calendar``.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Any, Iterable, Mapping

import chinese_calendar

__all__ = [
    "YearArrangement",
    "Deadline",
    "WorkingCalendar",
    "add_months",
    "add_years",
    "period_last_day",
    "today_in_china",
    "DEFAULT_CALENDAR",
]

_MAPPING_KEYS = frozenset({"year", "holidays", "workdays", "source"})


# --------------------------------------------------------------------------
# CAL-01: one year's official arrangement, loadable as data
# --------------------------------------------------------------------------
@dataclass(frozen=True)
class YearArrangement:
    """CAL-01: the official holiday arrangement of one calendar year.

    ``holidays`` are the official rest days that would otherwise be working
    days (Mon-Fri); weekend dates copied from the notice ("10月1日至8日放假")
    are accepted and are simply redundant.  ``workdays`` are the make-up
    working days (调休), which must fall on a Saturday or Sunday.  Every other
    day is a working day exactly when it is Monday-Friday.
    """

    year: int
    holidays: frozenset[date]
    workdays: frozenset[date]
    source: str = ""

    def __post_init__(self) -> None:
        if isinstance(self.year, bool) or not isinstance(self.year, int):
            raise ValueError(f"year must be an integer, got {self.year!r}")
        if not 1 <= self.year <= 9999:
            raise ValueError(f"year {self.year} is out of range 1-9999")
        if not isinstance(self.source, str):
            raise ValueError(f"source must be a string, got {self.source!r}")
        holidays = _date_set(self.holidays, "holidays")
        workdays = _date_set(self.workdays, "workdays")
        object.__setattr__(self, "holidays", holidays)
        object.__setattr__(self, "workdays", workdays)
        for field, days in (("holidays", holidays), ("workdays", workdays)):
            outside = sorted(d for d in days if d.year != self.year)
            if outside:
                raise ValueError(
                    f"{field} of year {self.year} contain dates outside that year: "
                    + ", ".join(d.isoformat() for d in outside))
        both = sorted(holidays & workdays)
        if both:
            raise ValueError(
                f"year {self.year}: dates listed both as holidays and as make-up workdays: "
                + ", ".join(d.isoformat() for d in both))
        weekday_workdays = sorted(d for d in workdays if d.weekday() < 5)
        if weekday_workdays:
            raise ValueError(
                f"year {self.year}: make-up workdays must fall on a Saturday or Sunday, "
                "but these are Monday-Friday: "
                + ", ".join(f"{d.isoformat()} ({d.strftime('%A')})" for d in weekday_workdays))

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> "YearArrangement":
        """CAL-01: parse ``{"year": 2027, "holidays": ["2027-01-01", ...],
        "workdays": [...], "source": "..."}``.  ``holidays`` and ``workdays``
        are required (either may be empty); unknown keys are rejected so that
        a misspelt key cannot silently drop the make-up days.  Raises
        ValueError with a message naming the offending entry."""
        if not isinstance(data, Mapping):
            raise ValueError(f"a year arrangement must be a mapping, got {type(data).__name__}")
        unknown = sorted(str(k) for k in data if k not in _MAPPING_KEYS)
        if unknown:
            raise ValueError(f"unknown key(s) in year arrangement: {', '.join(unknown)} "
                             f"(expected {', '.join(sorted(_MAPPING_KEYS))})")
        missing = [k for k in ("year", "holidays", "workdays") if k not in data]
        if missing:
            raise ValueError(f"year arrangement lacks {', '.join(missing)}")
        year = data["year"]
        if isinstance(year, str) and year.strip().isdigit():
            year = int(year.strip())
        if isinstance(year, bool) or not isinstance(year, int):
            raise ValueError(f"year must be an integer, got {data['year']!r}")
        source = data.get("source", "")
        if source is None:
            source = ""
        return cls(year=year,
                   holidays=_parse_dates(data["holidays"], "holidays"),
                   workdays=_parse_dates(data["workdays"], "workdays"),
                   source=source)

    def to_mapping(self) -> dict[str, Any]:
        """CAL-01: the inverse of :meth:`from_mapping`; ISO dates, sorted."""
        return {
            "year": self.year,
            "holidays": [d.isoformat() for d in sorted(self.holidays)],
            "workdays": [d.isoformat() for d in sorted(self.workdays)],
            "source": self.source,
        }

    def is_working_day(self, d: date) -> bool:
        """CAL-01: whether ``d`` (a date of this year) is a working day."""
        if d in self.workdays:
            return True
        if d in self.holidays:
            return False
        return d.weekday() < 5


def _date_set(values: Any, field: str) -> frozenset[date]:
    if isinstance(values, (str, bytes)) or not isinstance(values, Iterable):
        raise ValueError(f"{field} must be a collection of dates, got {values!r}")
    out = set()
    for v in values:
        if isinstance(v, datetime) or not isinstance(v, date):
            raise ValueError(f"{field} must hold dates, got {v!r}")
        out.add(v)
    return frozenset(out)


def _parse_dates(values: Any, field: str) -> frozenset[date]:
    if isinstance(values, (str, bytes)) or not isinstance(values, Iterable):
        raise ValueError(f"{field} must be a list of ISO dates (YYYY-MM-DD), got {values!r}")
    out = set()
    for v in values:
        if isinstance(v, datetime):
            raise ValueError(f"{field}: {v!r} is a date-time, expected a date")
        if isinstance(v, date):
            out.add(v)
            continue
        if not isinstance(v, str):
            raise ValueError(f"{field}: {v!r} is not an ISO date (YYYY-MM-DD)")
        try:
            if len(v.strip()) != 10:
                raise ValueError
            out.add(date.fromisoformat(v.strip()))
        except ValueError:
            raise ValueError(f"{field}: {v!r} is not a valid ISO date (YYYY-MM-DD)") from None
    return frozenset(out)


# --------------------------------------------------------------------------
# Deadlines and the working calendar (CAL-01, CAL-02, CAL-06)
# --------------------------------------------------------------------------
@dataclass(frozen=True)
class Deadline:
    """A computed last day.  ``provisional`` (CAL-01) is True when any year
    consulted to compute it has no known official arrangement, so that the
    Mon-Fri fallback was used; ``rule`` names the rule applied."""

    due: date
    provisional: bool
    rule: str


def _package_years() -> range:
    # chinese_calendar supports exactly the years between its first and last
    # listed holiday (it raises NotImplementedError otherwise).
    days = chinese_calendar.holidays
    return range(min(days).year, max(days).year + 1)


_PACKAGE_YEARS = _package_years()
_PACKAGE_CACHE: dict[int, YearArrangement] = {}


def _package_arrangement(year: int) -> YearArrangement | None:
    """CAL-01: the ``chinese_calendar`` package's arrangement of ``year`` as a
    YearArrangement (holidays restricted to Mon-Fri), or None if unknown."""
    if year not in _PACKAGE_YEARS:
        return None
    found = _PACKAGE_CACHE.get(year)
    if found is None:
        found = YearArrangement(
            year=year,
            holidays=frozenset(d for d in chinese_calendar.holidays
                               if d.year == year and d.weekday() < 5),
            workdays=frozenset(d for d in chinese_calendar.workdays
                               if d.year == year and d.weekday() >= 5),
            source=f"chinese_calendar {getattr(chinese_calendar, '__version__', '?')}",
        )
        _PACKAGE_CACHE[year] = found
    return found


class WorkingCalendar:
    """CAL-01: working days per the official arrangement.

    Years in ``loaded`` replace the package's data for that year entirely
    (correct a year or add one the package does not know yet); other years
    come from ``chinese_calendar``; any remaining year falls back to Mon-Fri
    and makes every deadline that consults it provisional.
    """

    def __init__(self, loaded: Mapping[int, YearArrangement] | None = None):
        years: dict[int, YearArrangement] = {}
        for key, arrangement in (loaded or {}).items():
            if not isinstance(arrangement, YearArrangement):
                raise ValueError(f"loaded year {key!r} is not a YearArrangement: {arrangement!r}")
            if key != arrangement.year:
                raise ValueError(f"loaded year key {key!r} does not match the arrangement's "
                                 f"year {arrangement.year}")
            years[arrangement.year] = arrangement
        self._loaded = years

    def __repr__(self) -> str:
        return f"WorkingCalendar(loaded={sorted(self._loaded)})"

    def _arrangement(self, year: int) -> YearArrangement | None:
        found = self._loaded.get(year)
        if found is not None:
            return found
        return _package_arrangement(year)

    def is_known(self, year: int) -> bool:
        """CAL-01: True when the official arrangement of ``year`` is known
        (loaded by an operator or in the package)."""
        return self._arrangement(year) is not None

    def is_working_day(self, d: date) -> bool:
        """CAL-01: official working day, make-up weekends included; for an
        unknown year the Mon-Fri fallback (check :meth:`is_known`)."""
        d = _as_date(d)
        arrangement = self._arrangement(d.year)
        if arrangement is None:
            return d.weekday() < 5
        return arrangement.is_working_day(d)

    def add_working_days(self, start: date, n: int) -> Deadline:
        """CAL-02: "within n working days from ``start``": ``start`` itself is
        not counted; the deadline is the n-th working day after it."""
        start = _as_date(start)
        if isinstance(n, bool) or not isinstance(n, int) or n < 1:
            raise ValueError(f"a number of working days must be an integer >= 1, got {n!r}")
        d = start
        provisional = False
        counted = 0
        while counted < n:
            d += timedelta(days=1)
            if not self.is_known(d.year):
                provisional = True
            if self.is_working_day(d):
                counted += 1
        return Deadline(due=d, provisional=provisional, rule="CAL-02")

    def act_deadline(self, last_day: date, rule: str = "CAL-06") -> Deadline:
        """CAL-06 (Civil Code art. 203): when the last day of a period to act
        is a statutory rest day or holiday, the period ends on the first
        working day after it; otherwise it ends on ``last_day``."""
        d = _as_date(last_day)
        provisional = not self.is_known(d.year)
        while not self.is_working_day(d):
            d += timedelta(days=1)
            if not self.is_known(d.year):
                provisional = True
        return Deadline(due=d, provisional=provisional, rule=rule)

    def working_days_between(self, start: date, end: date) -> int:
        """CAL-02: the number of working days in (start, end] -- ``start`` not
        counted, ``end`` counted; 0 when end <= start."""
        start, end = _as_date(start), _as_date(end)
        count = 0
        d = start + timedelta(days=1)
        while d <= end:
            if self.is_working_day(d):
                count += 1
            d += timedelta(days=1)
        return count


def _as_date(d: Any) -> date:
    if isinstance(d, datetime) or not isinstance(d, date):
        raise TypeError(f"expected a date (not a date-time), got {d!r}")
    return d


# --------------------------------------------------------------------------
# Periods in months, years and days (CAL-03, CAL-05) and today (CAL-04)
# --------------------------------------------------------------------------
def _days_in_month(year: int, month: int) -> int:
    if month == 12:
        return 31
    return (date(year, month + 1, 1) - date(year, month, 1)).days


def add_months(d: date, n: int) -> date:
    """CAL-03 (Civil Code art. 202): the same day-of-month n months later (or
    earlier for negative n), or that month's last day when the day does not
    exist there: 31 Aug + 6 months = 28 Feb (29 Feb in a leap year)."""
    d = _as_date(d)
    if isinstance(n, bool) or not isinstance(n, int):
        raise TypeError(f"a number of months must be an integer, got {n!r}")
    index = d.year * 12 + (d.month - 1) + n
    year, month0 = divmod(index, 12)
    if not 1 <= year <= 9999:
        raise ValueError(f"{d.isoformat()} {n:+d} months is outside the supported years 1-9999")
    month = month0 + 1
    return date(year, month, min(d.day, _days_in_month(year, month)))


def add_years(d: date, n: int) -> date:
    """CAL-03: n years = 12*n months (29 Feb + 1 year = 28 Feb)."""
    if isinstance(n, bool) or not isinstance(n, int):
        raise TypeError(f"a number of years must be an integer, got {n!r}")
    return add_months(d, 12 * n)


def period_last_day(start: date, days: int) -> date:
    """CAL-05 (Civil Code art. 201): a period of ``days`` days counted from
    the event on ``start`` starts the next day, so its last day is
    ``start + days`` (it ends at 24:00 that day).  2025-03-01 + 180 days ->
    2025-08-28.  Apply :meth:`WorkingCalendar.act_deadline` (CAL-06) when the
    period is one for someone to act."""
    start = _as_date(start)
    if isinstance(days, bool) or not isinstance(days, int) or days < 0:
        raise ValueError(f"a period in days must be an integer >= 0, got {days!r}")
    return start + timedelta(days=days)


_CHINA_OFFSET = timezone(timedelta(hours=8), "CST")


def _china_zone():
    try:
        from zoneinfo import ZoneInfo
        return ZoneInfo("Asia/Shanghai")
    except Exception:  # no tz database installed: China has kept UTC+8 without DST since 1992
        return _CHINA_OFFSET


_CHINA = _china_zone()


def today_in_china(now: datetime | None = None) -> date:
    """CAL-04: the Asia/Shanghai calendar date of the aware instant ``now``
    (default: the current instant).  A naive date-time is refused, since its
    zone -- and so its calendar day -- is unknown."""
    if now is None:
        now = datetime.now(timezone.utc)
    if not isinstance(now, datetime):
        raise TypeError(f"expected an aware datetime, got {now!r}")
    if now.tzinfo is None or now.tzinfo.utcoffset(now) is None:
        raise ValueError(f"{now.isoformat()} is a naive date-time; give an aware instant "
                         "(e.g. with tzinfo=timezone.utc)")
    return now.astimezone(_CHINA).date()


DEFAULT_CALENDAR = WorkingCalendar()
