"""The lock-out holds until the time it announces (issue #15's 5 failures
within 15 minutes): five failures at 09:00, 09:03, 09:06, 09:09 and 09:12
lock the password logins until 09:27, the newest failure's 15 minutes, and
not one second less or more."""
from __future__ import annotations

from datetime import timedelta

from tests import test_edges_accounts as accounts
from tests.test_edges_accounts import NINE, WINDOW, as_utc, fail

USER = "ty.officer"
log = accounts.log     # the access log on a clock the test sets (the fixture)


def fail_every_three_minutes(log, times: int) -> None:
    for k in range(times):
        log.clock.now = NINE + timedelta(minutes=3 * k)
        fail(log, 1)


def test_five_failures_from_0900_to_0912_still_lock_at_0916_until_0927(log):
    fail_every_three_minutes(log, 5)
    log.clock.now = NINE + timedelta(minutes=16)       # the 09:00 failure is 16 minutes old
    assert as_utc(log.locked_until(USER)) == NINE + timedelta(minutes=27)


def test_the_lock_from_0900_to_0912_holds_at_0927_and_opens_at_0927_01(log):
    fail_every_three_minutes(log, 5)
    log.clock.now = NINE + timedelta(minutes=27)
    assert as_utc(log.locked_until(USER)) == NINE + timedelta(minutes=27)
    log.clock.now = NINE + timedelta(minutes=27, seconds=1)
    assert log.locked_until(USER) is None


def test_four_failures_three_minutes_apart_never_lock(log):
    fail_every_three_minutes(log, 4)
    for minutes in (9, 10, 16, 24):
        log.clock.now = NINE + timedelta(minutes=minutes)
        assert log.locked_until(USER) is None


def test_five_failures_more_than_15_minutes_apart_do_not_lock(log):
    # 09:00, then four at 09:15:01: the oldest and newest are 15 minutes and a second apart
    fail(log, 1)
    log.clock.now = NINE + WINDOW + timedelta(seconds=1)
    fail(log, 4)
    assert log.locked_until(USER) is None


def test_five_failures_exactly_15_minutes_apart_lock(log):
    fail(log, 1)
    log.clock.now = NINE + WINDOW
    fail(log, 4)
    assert as_utc(log.locked_until(USER)) == NINE + 2 * WINDOW
