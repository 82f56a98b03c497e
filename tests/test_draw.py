"""The double-random draw (SUP-07): targets from the institutions in force,
inspectors from the pool with conflicts excluded, a seed fixed by the hash
chain at a stated instant; re-run from its event and from the ledger it
gives the same targets and inspectors. Rule tests in memory; the chain and
the proof on both stores."""
from __future__ import annotations

import hashlib
import json
from datetime import date, datetime, timedelta, timezone

import pytest
from typer.testing import CliRunner

from domain.draw import Draw, draw, in_force_on
from domain.errors import InvalidCommand, RuleViolation
from tests.builders import effective_agreement, refused
from tests.conftest import Clerk
# the supervised ledger with its staff accounts, shared with the lead and case tests
from tests.test_supervision import SupervisedLedger, as_user, clerk, ledger  # noqa: F401
from tests import supervision_fold as fold

HEAD = hashlib.sha256(b"some chain head").hexdigest()
POOL = [{"expert": f"E{i}", "conflicts": []} for i in range(1, 6)]




def province(clerk, n=3):
    """n TY institutions with agreements in force through 2025."""
    for i in range(1, n + 1):
        effective_agreement(clerk, f"TY-H00{i}", f"XY-2025-00{i}")


def experts(clerk, conflicts=None, n=4, on="2025-03-01"):
    conflicts = conflicts or {}
    for i in range(1, n + 1):
        clerk("add_expert", on, agency="TY", expert=f"E{i}", name=f"专家{i}", field="骨科",
              conflicts=conflicts.get(f"E{i}", []))


def publish(clerk, on="2025-03-10", number="DRW-1", targets=2, per_target=2, instant=None,
            position=None, head=HEAD):
    instant = instant or datetime.now(timezone.utc)
    if position is None:
        position = clerk.ledger.log_position_at(instant)
    return clerk("publish_draw", on, number=number, agency="TY", targets=targets,
                 per_target=per_target, seed_head=head, seed_position=position,
                 seed_instant=instant)


# --- the draw itself ------------------------------------------------------------------------------
def test_sup07_the_ranking_is_plain_sha256_that_anyone_can_repeat():
    population = ["TY-H003", "TY-H001", "TY-H002", "TY-H004"]
    result = draw(head=HEAD, number="DRW-1", population=population, pool=POOL, targets=2,
                  per_target=3)

    def rank(*parts):
        return hashlib.sha256("|".join(parts).encode()).hexdigest()
    targets = sorted(population, key=lambda c: rank(HEAD, "DRW-1", "target", c))[:2]
    assert [r["institution"] for r in result] == targets
    for r in result:
        team = sorted((e["expert"] for e in POOL),
                      key=lambda x: rank(HEAD, "DRW-1", "inspector", r["institution"], x))[:3]
        assert r["inspectors"] == team
    assert result == draw(head=HEAD, number="DRW-1", population=list(reversed(population)),
                          pool=POOL, targets=2, per_target=3)
    other = hashlib.sha256(b"another head").hexdigest()
    assert any(draw(head=h, number="DRW-1", population=population, pool=POOL, targets=2,
                    per_target=3) != result for h in (other, HEAD[::-1]))


def test_sup07_an_inspector_is_never_drawn_for_an_institution_they_are_in_conflict_with():
    pool = [{"expert": "E1", "conflicts": ["TY-H001"]}, {"expert": "E2", "conflicts": []},
            {"expert": "E3", "conflicts": ["TY-H002"]}]
    for n in range(200):
        head = hashlib.sha256(str(n).encode()).hexdigest()
        for r in draw(head=head, number="D", population=["TY-H001", "TY-H002"], pool=pool,
                      targets=2, per_target=2):
            assert r["inspectors"] == sorted(r["inspectors"], key=lambda x: hashlib.sha256(
                f"{head}|D|inspector|{r['institution']}|{x}".encode()).hexdigest())
            assert r["institution"] not in {c for e in pool if e["expert"] in r["inspectors"]
                                            for c in e["conflicts"]}


def test_sup07_no_more_targets_than_institutions_and_enough_experts_without_conflict():
    with pytest.raises(RuleViolation) as info:
        draw(head=HEAD, number="D", population=["A", "B"], pool=POOL, targets=3, per_target=1)
    assert info.value.rule == "SUP-07"
    assert len(draw(head=HEAD, number="D", population=["A", "B"], pool=POOL, targets=2,
                    per_target=1)) == 2
    pool = [{"expert": "E1", "conflicts": ["A"]}, {"expert": "E2", "conflicts": []}]
    with pytest.raises(RuleViolation) as info:
        draw(head=HEAD, number="D", population=["A"], pool=pool, targets=1, per_target=2)
    assert info.value.rule == "SUP-07" and "A" in info.value.reason
    assert draw(head=HEAD, number="D", population=["A"], pool=pool, targets=1,
                per_target=1)[0]["inspectors"] == ["E2"]
    with pytest.raises(InvalidCommand):
        draw(head=HEAD, number="D", population=["A"], pool=pool, targets=0, per_target=1)


# --- the population: institutions with an agreement in force ---------------------------------------
def test_sup07_only_institutions_with_an_agreement_in_force_on_the_draws_day_are_drawn(clerk,
                                                                                      ledger):
    province(clerk, 3)
    clerk("terminate_agreement", "2025-03-10", agreement="XY-2025-003", ground="M39-3",
          notice_no="解除-1", notice_on=date(2025, 3, 10), reported_on=date(2025, 3, 11),
          report_ref="报-1", reason="骗保")
    ag = ledger.agreement("XY-2025-003")
    assert in_force_on(ag, date(2025, 3, 9)) and not in_force_on(ag, date(2025, 3, 10))
    assert in_force_on(ledger.agreement("XY-2025-001"), date(2025, 12, 31))
    assert not in_force_on(ledger.agreement("XY-2025-001"), date(2026, 1, 1))
    experts(clerk)
    result = publish(clerk, on="2025-03-10", targets=2)
    assert result["population"] == 2
    assert sorted(result["targets"]) == ["TY-H001", "TY-H002"]
    refused("SUP-07", clerk, "publish_draw", "2025-03-10", number="DRW-2", agency="TY",
            targets=3, per_target=1, seed_head=HEAD, seed_position=ledger.log_position_at(
                datetime.now(timezone.utc)), seed_instant=datetime.now(timezone.utc))


def test_sup07_a_removed_expert_is_not_drawn_from_the_day_they_left(clerk, ledger):
    province(clerk, 1)
    experts(clerk, n=3)
    clerk("remove_expert", "2025-03-10", agency="TY", expert="E3", reason="调离")
    publish(clerk, on="2025-03-09", number="DRW-A", targets=1, per_target=3)
    refused("SUP-07", clerk, "publish_draw", "2025-03-10", number="DRW-B", agency="TY",
            targets=1, per_target=3, seed_head=HEAD,
            seed_position=ledger.log_position_at(datetime.now(timezone.utc)),
            seed_instant=datetime.now(timezone.utc))


# --- the seed --------------------------------------------------------------------------------------
def test_sup07_the_seed_is_the_head_at_a_past_instant_and_its_position_is_that_instants(
        clerk, ledger):
    province(clerk, 2)
    experts(clerk)
    instant = datetime.now(timezone.utc)
    at = ledger.log_position_at(instant)
    refused("SUP-07", clerk, "publish_draw", "2025-03-10", number="DRW-1", agency="TY",
            targets=1, per_target=1, seed_head=HEAD, seed_position=at - 1, seed_instant=instant)
    future = instant + timedelta(hours=1)
    refused("SUP-07", clerk, "publish_draw", "2025-03-10", number="DRW-1", agency="TY",
            targets=1, per_target=1, seed_head=HEAD, seed_position=at, seed_instant=future)
    refused("SUP-07", clerk, "publish_draw", "2025-03-10", number="DRW-1", agency="TY",
            targets=1, per_target=1, seed_head="AB" * 32, seed_position=at,
            seed_instant=instant)
    refused("SUP-07", clerk, "publish_draw", "2025-03-10", number="DRW-1", agency="TY",
            targets=1, per_target=1, seed_head=HEAD, seed_position=at,
            seed_instant=instant.replace(tzinfo=None))
    assert publish(clerk, instant=instant, position=at, targets=1)["recorded"]
    refused("SUP-07", clerk, "publish_draw", "2025-03-10", number="DRW-1", agency="TY",
            targets=1, per_target=1, seed_head=HEAD, seed_position=at, seed_instant=instant)


def test_sup07_a_city_agencys_staff_draw_only_over_their_own_city(clerk, ledger):
    province(clerk, 1)
    experts(clerk)
    instant = datetime.now(timezone.utc)
    refused("SUP-02", as_user(ledger, "dt.officer"), "publish_draw", "2025-03-10",
            number="DRW-1", agency="TY", targets=1, per_target=1, seed_head=HEAD,
            seed_position=ledger.log_position_at(instant), seed_instant=instant)
    refused("SUP-02", as_user(ledger, "dt.officer"), "add_expert", "2025-03-10", agency="TY",
            expert="E9", name="x", field="", conflicts=[])


# --- the published result, and the draw again ---------------------------------------------------------
def test_sup07_the_published_draw_reruns_from_its_event_and_from_the_ledger(clerk, ledger):
    province(clerk, 3)
    experts(clerk, conflicts={"E1": ["TY-H001", "TY-H002"]})
    result = publish(clerk, targets=2, per_target=2)
    d = ledger._get(Draw, "DRW-1", "draw")
    assert [r["institution"] for r in d.result] == result["targets"]
    assert d.rerun() == d.result
    proof = ledger.draw_proof("DRW-1")
    assert proof["ok"] and all(proof["checks"].values())
    assert proof["population"] == ["TY-H001", "TY-H002", "TY-H003"]
    # each drawn target is a lead, in draw order, naming the draw
    auditor = ledger.viewer("x", "auditor")
    leads = {code: fold.institution_supervision(ledger, code, auditor)["leads"]
             for code in result["targets"]}
    for i, code in enumerate(result["targets"], start=1):
        assert [(lead["lead"], lead["source"], lead["origin"]) for lead in leads[code]] == \
            [(f"DRW-1-{i}", "draw", "DRW-1")]
    # what happens after the draw does not change its proof
    clerk("add_expert", "2025-03-11", agency="TY", expert="E9", name="专家9", field="",
          conflicts=[])
    clerk("terminate_agreement", "2025-03-12", agreement="XY-2025-001", ground="M39-3",
          notice_no="解除-1", notice_on=date(2025, 3, 12), reported_on=date(2025, 3, 12),
          report_ref="报-1", reason="骗保")
    assert ledger.draw_proof("DRW-1")["ok"]


def test_sup07_a_proof_fails_when_the_ledger_would_not_give_the_same_draw(clerk, ledger):
    province(clerk, 2)
    experts(clerk)
    publish(clerk, targets=1)
    d = ledger._get(Draw, "DRW-1", "draw")
    d.population = d.population[:1]     # as if the event said otherwise: never saved
    d.result = [{"institution": "TY-H999", "inspectors": ["E1"]}]
    checks = SupervisedLedger.draw_proof.__get__(_Fixed(ledger, d))("DRW-1")["checks"]
    assert checks["result_reruns"] is False and checks["population_from_log"] is False


class _Fixed:
    """The ledger, answering for the draw with an altered copy of it."""

    def __init__(self, ledger, altered):
        self._ledger, self._altered = ledger, altered

    def __getattr__(self, name):
        return getattr(self._ledger, name)

    def _get(self, cls, key, what, remedy=""):
        return self._altered if cls is Draw else self._ledger._get(cls, key, what, remedy)


# --- on both stores: the chain's head seeds the draw, and the proof checks it ------------------------
def test_sup07_the_chain_head_seeds_the_draw_and_the_proof_reruns_it_on_the_store(
        store, monkeypatch):
    import adapters.cli_supervision as cli
    from adapters.cli_supervision import app, chain_value, supervised
    from adapters.settings import open_ledger
    url, schema = store
    # the CLI opens the ledger by URL; route it into the test's schema
    monkeypatch.setattr(cli, "open_ledger", lambda u=None, **kw: open_ledger(u, schema, **kw))
    led = supervised(open_ledger(url, schema))
    try:
        clerk = Clerk(led)
        province(clerk, 3)
        experts(clerk, conflicts={"E2": ["TY-H003"]})
        instant = datetime.now(timezone.utc)
        position = led.log_position_at(instant)
        head = chain_value(led, position)
        assert len(head) == 64 and position > 0
        result = publish(clerk, targets=2, per_target=2, instant=instant, position=position,
                         head=head)
        first = led.draw_proof("DRW-1")
    finally:
        led.close()
    out = CliRunner().invoke(app, ["proof", "DRW-1", "--json", "--db", url])
    assert out.exit_code == 0, out.output
    proof = json.loads(out.output)
    assert proof["checks"]["seed_is_chain_head"] is True and proof["ok"] is True
    assert [r["institution"] for r in proof["result"]] == result["targets"] == \
        [r["institution"] for r in first["result"]]
    seed = CliRunner().invoke(app, ["seed", "--instant", instant.isoformat(), "--db", url])
    assert seed.exit_code == 0, seed.output
    assert json.loads(seed.output) == {"seed_head": head, "seed_position": position,
                                       "seed_instant": instant.isoformat()}
    assert CliRunner().invoke(app, ["proof", "DRW-9", "--db", url]).exit_code == 1
    assert CliRunner().invoke(app, ["seed", "--instant", "2025-03-01T00:00:00",
                                    "--db", url]).exit_code == 2
    # the published proof, as a file anyone holds, re-runs with plain SHA-256
    # alone (no ledger, no database): the same targets, the same inspectors
    def rank(*parts):
        return hashlib.sha256("|".join(parts).encode()).hexdigest()
    head = proof["seed"]["head"]
    chosen = sorted(proof["population"], key=lambda c: rank(head, "DRW-1", "target", c))
    again = [{"institution": code, "inspectors": sorted(
        (e["expert"] for e in proof["pool"] if code not in e["conflicts"]),
        key=lambda x: rank(head, "DRW-1", "inspector", code, x))[:proof["per_target"]]}
        for code in chosen[:proof["targets"]]]
    assert again == proof["result"]
    assert all("E2" not in r["inspectors"] for r in again if r["institution"] == "TY-H003")
