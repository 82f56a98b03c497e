"""The service's account rules at their edges (issue #18 on issue #15's
accounts): the lock-out after 4, 5 and 6 failed logins and at the end of its
15-minute window; a session cookie a second before, at and after its expiry;
the lengths of a login name, a token id and a hash at their limits.

The lock-out is the access log's (adapters/http/accesslog.py), not a fact of
the ledger; it is read here on a SQLite file with the log's clock replaced
by a fixed one (a fake clock, not a mock: the log runs its own queries).
None of these is a catalogued rule of the measures, so the names carry no
rule id except AUD-04's, which every account change answers to.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

from adapters.http import accesslog, credentials
from adapters.http.accesslog import AccessLog
from adapters.http.credentials import hash_password, make_session, read_session
from domain.account import check_hash, check_user_name
from domain.base import Context
from domain.errors import InvalidCommand
from domain.service import Ledger
from domain.service.accounts import AccountCommands

NINE = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)
WINDOW = timedelta(minutes=15)     # the measure the docstring states, counted by hand


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def log(tmp_path, monkeypatch):
    clock = Clock(NINE)
    monkeypatch.setattr(accesslog, "_now", clock)
    access = AccessLog(f"sqlite:///{tmp_path / 'access.db'}")
    access.clock = clock
    yield access
    access.close()


def fail(log, times: int, user: str = "ty.officer") -> None:
    for _ in range(times):
        log.write("login_failed", user=user, status=401)


def as_utc(moment: datetime | None) -> datetime | None:
    # SQLite hands back the time without its zone; the log's answer is UTC
    return moment if moment is None or moment.tzinfo else moment.replace(tzinfo=timezone.utc)


# --- the lock-out: 5 failures within 15 minutes ----------------------------------------------
def test_four_failed_logins_leave_the_user_free_to_sign_in(log):
    fail(log, 4)
    assert log.locked_until("ty.officer") is None


def test_the_fifth_failed_login_locks_the_user_for_15_minutes_from_it(log):
    fail(log, 4)
    log.clock.now = NINE + timedelta(minutes=3)
    fail(log, 1)
    assert as_utc(log.locked_until("ty.officer")) == NINE + timedelta(minutes=18)


def test_a_sixth_failed_login_keeps_the_lock_and_counts_from_the_latest(log):
    fail(log, 5)
    log.clock.now = NINE + timedelta(minutes=2)
    fail(log, 1)
    assert as_utc(log.locked_until("ty.officer")) == NINE + timedelta(minutes=17)


def test_a_lock_is_the_users_own_and_other_users_failures_do_not_add_up(log):
    fail(log, 4, user="ty.officer")
    fail(log, 4, user="dt.officer")
    assert log.locked_until("ty.officer") is None and log.locked_until("dt.officer") is None
    fail(log, 1, user="dt.officer")
    assert log.locked_until("ty.officer") is None
    assert log.locked_until("dt.officer") is not None


def test_five_failures_at_one_moment_lock_to_the_end_of_the_15th_minute_and_not_after(log):
    fail(log, 5)
    log.clock.now = NINE + WINDOW - timedelta(seconds=1)
    assert as_utc(log.locked_until("ty.officer")) == NINE + WINDOW
    log.clock.now = NINE + WINDOW            # the window's last instant still holds them
    assert as_utc(log.locked_until("ty.officer")) == NINE + WINDOW
    log.clock.now = NINE + WINDOW + timedelta(seconds=1)
    assert log.locked_until("ty.officer") is None


def test_a_good_login_starts_the_count_again(log):
    fail(log, 4)
    log.write("login", user="ty.officer", status=200)
    fail(log, 4)
    assert log.locked_until("ty.officer") is None
    fail(log, 1)
    assert log.locked_until("ty.officer") is not None


def test_an_administrators_reset_unlocks_at_once_and_starts_the_count_again(log):
    fail(log, 5)
    assert log.locked_until("ty.officer") is not None
    log.write("unlock", user="ty.officer")
    assert log.locked_until("ty.officer") is None
    fail(log, 4)
    assert log.locked_until("ty.officer") is None


def test_a_login_refused_while_locked_is_not_a_failure_that_moves_the_lock(log):
    fail(log, 5)
    log.clock.now = NINE + timedelta(minutes=10)
    log.write("locked", user="ty.officer", status=429)
    assert as_utc(log.locked_until("ty.officer")) == NINE + WINDOW


# --- a session cookie: 8 hours, to the second -------------------------------------------------
class FrozenTime:
    def __init__(self, now: float) -> None:
        self.now = now

    def time(self) -> float:
        return self.now


def test_a_session_holds_to_its_last_second_and_not_at_its_expiry(monkeypatch):
    frozen = FrozenTime(1_772_442_000.0)          # 2026-03-02 09:00 UTC
    monkeypatch.setattr(credentials, "time", frozen)
    cookie, session = make_session(b"k" * 32, "zhang.min", 1)
    assert session.expires == 1_772_442_000 + 8 * 3600
    frozen.now = session.expires - 1
    assert read_session(b"k" * 32, cookie) == session
    frozen.now = session.expires
    assert read_session(b"k" * 32, cookie) is None
    frozen.now = session.expires + 1
    assert read_session(b"k" * 32, cookie) is None


# --- the lengths of a login, a token id and a hash --------------------------------------------
@pytest.mark.parametrize("user", ["a", "a" * 64, "0.b-c_d"])
def test_a_login_name_of_1_to_64_characters_is_taken(user):
    assert check_user_name(user) == user


@pytest.mark.parametrize("user", ["", "a" * 65, ".ab", "-ab", "Ab", "os:root", "a b"])
def test_a_login_name_of_65_characters_or_starting_with_a_sign_is_refused(user):
    with pytest.raises(InvalidCommand):
        check_user_name(user)


def test_a_hash_of_200_characters_is_taken_and_of_201_refused():
    assert check_hash("token", "sha256:" + "0" * 193) == "sha256:" + "0" * 193
    with pytest.raises(InvalidCommand):
        check_hash("token", "sha256:" + "0" * 194)
    with pytest.raises(InvalidCommand):
        check_hash("token", "$argon2id$v=19$")       # a password's hash given as a token's


class L(Ledger, AccountCommands):
    pass


HASH = hash_password("a long enough password", command_id="x", user="u")


def ctx(cid: str) -> Context:
    return Context(cid, date(2026, 3, 2), "os:root", "administrator", "晋工伤〔2026〕5号")


@pytest.mark.parametrize("token_id, taken", [("a" * 7, False), ("a" * 8, True),
                                             ("A_-9" * 8, True), ("a" * 33, False)])
def test_aud04_a_token_id_of_8_to_32_characters_is_taken_and_7_or_33_refused(token_id, taken):
    ledger = L(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    ledger.add_user(ctx("add"), user="zhang.min", name="张敏", agency="TY",
                    roles=["case_officer"], password_hash=HASH)
    given = dict(user="zhang.min", token_id=token_id, token_hash="sha256:" + "0" * 64,
                 label="batch")
    if taken:
        ledger.issue_token(ctx("t1"), **given)
        assert [t["token_id"] for t in ledger.account("zhang.min").state()["tokens"]] == \
            [token_id]
    else:
        before = ledger.recorder.max_notification_id()
        with pytest.raises(InvalidCommand):
            ledger.issue_token(ctx("t1"), **given)
        assert ledger.recorder.max_notification_id() == before


def test_aud04_each_reset_counts_one_password_version_so_one_reset_ends_a_session():
    ledger = L(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    ledger.add_user(ctx("add"), user="zhang.min", name="张敏", agency="TY",
                    roles=["case_officer"], password_hash=HASH)
    versions = [ledger.account("zhang.min").password_version]
    for n in range(2):
        ledger.reset_password(ctx(f"p{n}"), user="zhang.min", password_hash=HASH)
        versions.append(ledger.account("zhang.min").password_version)
    assert versions == [1, 2, 3]
    with pytest.raises(InvalidCommand):
        ledger.reset_password(ctx("p-clear"), user="zhang.min", password_hash="hunter2")
    assert ledger.account("zhang.min").password_version == 3
