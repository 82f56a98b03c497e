"""Issue #14: the cheap ways the hot path of `ledger run` was made faster
change nothing a user or an auditor can see.

- a code or id of printable ASCII is accepted at once, and every text is
  accepted or refused exactly as the full check does;
- an aggregate's id from its business key is remembered, and is the same id;
- the seal at the end of a run takes the events this process wrote, byte
  for byte, as read (AUD-05), and still decodes every other event, refusing
  to seal one that does not read;
- the HTTP service's answer when other commands kept changing what a
  command changes cites AUD-01, as `ledger run`'s loser of a race does;
- `ledger run --timings` gives the bench the hot path's own seconds.
"""
from __future__ import annotations

import json
from contextlib import contextmanager
from dataclasses import replace
from uuid import uuid5

import pytest
import sqlalchemy as sa
from eventsourcing.persistence import IntegrityError
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from adapters import integrity as I
from adapters.boundary import _code, _code_in_full
from adapters.settings import open_ledger
from domain.base import LEDGER_NAMESPACE, stable_id
from tests.builders import effective_agreement, register
from tests.conftest import Clerk


def outcome(check, value: str) -> tuple[str, str]:
    try:
        return "accepted", check(value)
    except ValueError as e:
        return "refused", str(e)


ASCII = st.text(alphabet=st.characters(max_codepoint=127))
ANY_TEXT = st.text(alphabet=st.characters(codec=None))


@given(st.one_of(ASCII, ANY_TEXT))
def test_a_code_is_accepted_or_refused_exactly_as_the_full_check_does(value):
    assert outcome(_code, value) == outcome(_code_in_full, value)


@pytest.mark.parametrize("value", ["TY-H001", "a b", " lead", "x\ty", "x\ny", "x\x7fy",
                                   "x\u200by", "x\u2028y", "名称"])
def test_the_codes_that_matter_most_are_judged_as_before(value):
    assert outcome(_code, value) == outcome(_code_in_full, value)
    assert (outcome(_code, value)[0] == "accepted") == (value in ("TY-H001", "a b", " lead",
                                                                  "名称"))


def test_an_aggregate_id_remembered_is_the_name_based_id_of_its_kind_and_key():
    first = stable_id("institution", " TY-H001 ")
    assert first == stable_id("institution", "TY-H001") == stable_id("institution", " TY-H001 ")
    assert first == uuid5(LEDGER_NAMESPACE, "institution:TY-H001")
    assert stable_id("agreement", "TY-H001") != first


# --- AUD-05: the seal at the end of a run ------------------------------------------------------
class CannotDecode:
    """The ledger, except that its mapper decodes nothing: what a seal
    through it seals, it sealed without decoding."""

    class _Mapper:
        def to_domain_event(self, stored):
            raise ValueError("this stand-in decodes nothing")

    def __init__(self, ledger) -> None:
        self._ledger = ledger
        self.mapper = self._Mapper()

    def __getattr__(self, name):
        return getattr(self._ledger, name)


def sealed_ids(ledger) -> list[int]:
    chain = I.chain_table(ledger)
    with I.engine_of(ledger).connect() as conn:
        return list(conn.execute(sa.select(chain.c.notification_id)
                                 .order_by(chain.c.notification_id)).scalars())


def test_aud05_a_run_seals_the_events_it_wrote_itself_without_decoding_them_again(ledger,
                                                                                     clerk):
    I.seal(ledger)
    head = sealed_ids(ledger)[-1] if sealed_ids(ledger) else 0
    effective_agreement(clerk)
    result = I.seal(CannotDecode(ledger))
    assert result.blocked is None and result.sealed > 0
    assert sealed_ids(ledger)[-1] == result.head_id > head
    assert I.verify(ledger).ok          # the chain it appended checks against the stored bytes


def test_aud05_events_another_process_wrote_are_still_decoded_before_they_are_sealed(store,
                                                                                     ledger,
                                                                                     clerk):
    effective_agreement(clerk)
    url, schema = store
    other = open_ledger(url, schema)
    try:
        theirs_clerk = Clerk(other)
        theirs_clerk.count = 1000          # command ids of its own
        register(theirs_clerk, "TY-H009")
        theirs = [n for n, _ in other.read_log()][-1]
    finally:
        other.close()
    result = I.seal(CannotDecode(ledger))
    assert result.blocked is not None and result.blocked.kind == "undecodable"
    assert result.blocked.notification_id > result.head_id     # this ledger's own: sealed
    assert theirs not in sealed_ids(ledger)
    assert I.seal(ledger).blocked is None and theirs in sealed_ids(ledger)  # they read


def test_aud05_an_own_event_whose_stored_id_or_version_is_malformed_is_decoded(ledger, clerk):
    register(clerk, "TY-H010")
    nid = [n for n, _ in ledger.read_log()][-1]
    with I.engine_of(ledger).connect() as conn:
        form = next(I.read_forms(conn, I.events_table(ledger), after=nid - 1, limit=1))
    assert ledger.written_here(form.notification_id, form.topic, form.state)
    assert I._unread(CannotDecode(ledger), form) is None
    for damaged in (replace(form, originator_version="x"), replace(form, originator_version=0),
                    replace(form, originator_id="not an id")):
        assert I._unread(CannotDecode(ledger), damaged) is not None
        assert I._unread(ledger, damaged) == I.unreadable(ledger, damaged)


# --- AUD-01: the service's answer to a lost race ------------------------------------------------
class AlwaysRaced:
    """A service whose every write loses to another writer."""

    @contextmanager
    def writing(self):
        yield


class LosesEveryRace:
    def apply(self):
        raise IntegrityError("another writer recorded this aggregate's next version first")


def test_aud01_the_service_busy_answer_after_its_retries_cites_the_rule():
    from adapters.http.commands import _apply_retrying
    from adapters.http.errors import Refusal
    with pytest.raises(Refusal) as refused:
        _apply_retrying(AlwaysRaced(), LosesEveryRace())
    body = refused.value.as_dict()
    assert refused.value.status == 503 and body["error"] == "Busy"
    assert body["rule"] == "AUD-01" and body["rule_title"]


# --- the hot path's own clock ------------------------------------------------------------------
def test_ledger_run_timings_give_the_lines_answered_and_the_seconds_of_commands_and_seal(
        store, tmp_path, monkeypatch):
    """What scripts/bench.py reads as the hot path: one JSON line on stderr,
    after the seal, also when a line was rejected; stdout is the run's own."""
    import adapters.cli as cli
    from adapters import settings
    from adapters.cli import app
    from tests.test_cli import GOOD, line, run
    monkeypatch.setattr(cli, "open_ledger",
                        lambda url=None, **kw: settings.open_ledger(url, store[1], **kw))
    bad = line("x1", "accept_application", "2025-01-07", application="SQ-404")
    result = run(tmp_path, store[0], [GOOD[0], bad, GOOD[1]], "--keep-going", "--timings")
    assert result.exit_code == 1 and "Traceback" not in result.output
    timings = json.loads(result.stderr.strip().splitlines()[-1])
    assert timings["lines"] == 3 and timings["rejected"] == 1
    assert timings["commands_seconds"] > 0 and timings["seal_seconds"] > 0
    assert "commands_seconds" not in result.stdout
    quiet = CliRunner().invoke(app, ["run", str(tmp_path / "commands.jsonl"), "--db", store[0],
                                     "--keep-going"])
    assert "commands_seconds" not in quiet.stderr          # only when asked for
