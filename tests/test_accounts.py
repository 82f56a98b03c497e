"""Accounts are facts (issue #15): users, agencies, roles, passwords and
tokens recorded as events, hashes only; and who may act on and read which
agency's part of the ledger (domain/policies/access.py). Rule tests, on the
in-memory store."""
from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path

import pytest

from adapters.http.credentials import (hash_password, make_session, new_token,
                                       password_matches, read_session, read_token,
                                       token_matches)
from adapters.specs import accounts as account_specs
from domain.account import Account
from domain.base import Context
from domain.errors import InvalidCommand, NotFound, RuleViolation
from domain.policies.access import (Principal, check_account_admin, check_act, check_read,
                                    choose_role, readable_agencies, subjects)
from domain.roles import NotPermitted
from domain.service import Ledger
from domain.service.accounts import AccountCommands

DAY = date(2026, 12, 1)
HASH = hash_password("a long enough password", command_id="x", user="u")


class L(Ledger, AccountCommands):
    pass


@pytest.fixture
def ledger():
    return L(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})


def ctx(cid: str, user: str = "os:root", role: str = "administrator") -> Context:
    return Context(cid, DAY, user, role, "晋工伤〔2026〕5号")


def add(ledger, user, agency="TY", roles=("case_officer",), cid=None, by="os:root"):
    return ledger.add_user(ctx(cid or f"add-{user}", by), user=user, name=user, agency=agency,
                           roles=list(roles), password_hash=HASH)


# --- the account's events -------------------------------------------------------------------
def test_aud04_adding_a_user_records_who_added_them_on_which_document(ledger):
    assert add(ledger, "zhang.min")["recorded"] is True
    events = [e for _, e in ledger.read_log() if type(e).__qualname__.startswith("Account.")]
    assert len(events) == 1
    added = events[0]
    assert (added.envelope.user, added.envelope.document) == ("os:root", "晋工伤〔2026〕5号")
    assert added.password_hash.startswith("$argon2id$")
    assert ledger.account("zhang.min").state() == {
        "user": "zhang.min", "name": "zhang.min", "agency": "TY", "roles": ["case_officer"],
        "reads_province": False, "tokens": []}


def test_only_hashes_are_recorded_a_clear_password_is_refused(ledger):
    with pytest.raises(InvalidCommand, match="hash"):
        ledger.add_user(ctx("c1"), user="a.b", name="", agency="TY", roles=["finance"],
                        password_hash="correct horse battery staple")
    with pytest.raises(InvalidCommand, match="hash"):
        add(ledger, "a.b")
        ledger.issue_token(ctx("c2"), user="a.b", token_id="abcdefgh", token_hash="plain",
                           label="")
    assert ledger.account("a.b").tokens == {}


@pytest.mark.parametrize("user", ["Zhang", "os:root", "", "a b", "x" * 65, "-a"])
def test_a_login_name_is_lower_case_without_a_colon(ledger, user):
    with pytest.raises(InvalidCommand):
        add(ledger, user)


def test_an_unknown_agency_or_role_or_no_role_is_refused(ledger):
    with pytest.raises(InvalidCommand, match="agency"):
        add(ledger, "a.b", agency="XX")
    with pytest.raises(InvalidCommand, match="role"):
        add(ledger, "a.b", roles=("system",))
    with pytest.raises(InvalidCommand, match="at least one role"):
        add(ledger, "a.b", roles=())


def test_aud04_roles_are_granted_and_revoked_once_each(ledger):
    add(ledger, "zhang.min")
    assert ledger.grant_role(ctx("g1"), user="zhang.min", role="finance")["roles"] == \
        ["case_officer", "finance"]
    with pytest.raises(RuleViolation, match="already holds"):
        ledger.grant_role(ctx("g2"), user="zhang.min", role="finance")
    ledger.revoke_role(ctx("r1"), user="zhang.min", role="case_officer")
    with pytest.raises(RuleViolation, match="does not hold"):
        ledger.revoke_role(ctx("r2"), user="zhang.min", role="case_officer")
    assert ledger.account("zhang.min").roles == ["finance"]
    with pytest.raises(NotFound):
        ledger.grant_role(ctx("g3"), user="nobody", role="finance")


def test_aud04_an_existing_user_is_not_added_again(ledger):
    add(ledger, "zhang.min")
    with pytest.raises(RuleViolation, match="exists"):
        add(ledger, "zhang.min", cid="add-again")


def test_a_password_reset_counts_the_version_that_sessions_are_checked_against(ledger):
    add(ledger, "zhang.min")
    assert ledger.account("zhang.min").password_version == 1
    ledger.reset_password(ctx("p1"), user="zhang.min", password_hash=HASH)
    assert ledger.account("zhang.min").password_version == 2


def test_aud04_a_token_is_live_until_revoked_and_then_refused(ledger):
    add(ledger, "zhang.min")
    token = new_token("zhang.min")
    ledger.issue_token(ctx("t1"), user="zhang.min", token_id=token.token_id,
                       token_hash=token.token_hash, label="batch")
    user, token_id, secret = read_token(token.text)
    account = ledger.account(user)
    assert token_matches(account.live_token_hash(token_id), secret)
    assert not token_matches(account.live_token_hash(token_id), secret[:-1] + "x")
    ledger.revoke_token(ctx("t2"), user="zhang.min", token_id=token_id)
    assert ledger.account("zhang.min").live_token_hash(token_id) is None
    with pytest.raises(RuleViolation, match="no live token"):
        ledger.revoke_token(ctx("t3"), user="zhang.min", token_id=token_id)
    with pytest.raises(RuleViolation, match="already has a token"):
        ledger.issue_token(ctx("t4"), user="zhang.min", token_id=token_id,
                           token_hash=token.token_hash, label="")


# --- who manages accounts ----------------------------------------------------------------------
def test_aud04_account_commands_are_for_administrators_only(ledger):
    with pytest.raises(NotPermitted, match="may not manage accounts") as refused:
        ledger.add_user(ctx("c1", "wang.li", "case_officer"), user="a.b", name="",
                        agency="TY", roles=["finance"], password_hash=HASH)
    assert refused.value.rule == "AUD-04"
    assert ledger.account("a.b") is None


def test_aud04_an_agencys_administrator_manages_only_that_agencys_accounts(ledger):
    add(ledger, "ty.admin", roles=("administrator",))
    add(ledger, "dt.officer", agency="DT")
    add(ledger, "ty.officer", by="ty.admin", cid="by-ty")   # their own agency: yes
    with pytest.raises(NotPermitted, match="agency DT"):
        ledger.grant_role(ctx("g1", "ty.admin"), user="dt.officer", role="finance")
    with pytest.raises(NotPermitted, match="provincial"):
        add(ledger, "sx.new", agency="SX", by="ty.admin", cid="by-ty-2")
    with pytest.raises(NotPermitted, match="provincial"):
        ledger.grant_province_read(ctx("g2", "ty.admin"), user="ty.officer")
    add(ledger, "sx.admin", agency="SX", roles=("administrator",))
    assert ledger.grant_province_read(ctx("g3", "sx.admin"), user="ty.officer")["recorded"]
    assert ledger.account("ty.officer").reads_province


def test_check_account_admin_lets_the_operator_and_the_province_manage_all():
    check_account_admin(None, "DT")
    check_account_admin("SX", "DT", province_wide=True)
    with pytest.raises(NotPermitted):
        check_account_admin("TY", "DT")


# --- the access policy -------------------------------------------------------------------------------
TY_OFFICER = Principal("ty.o", "TY", ("case_officer",), False)
SX_AUDITOR = Principal("sx.a", "SX", ("auditor",), True)


def test_aud04_the_least_privileged_role_that_may_give_a_command_is_chosen():
    both = Principal("a", "TY", ("administrator", "finance", "case_officer"), False)
    assert choose_role(both, "submit_claim") == "finance"
    assert choose_role(both, "register_institution") == "case_officer"
    assert choose_role(both, "add_user") == "administrator"
    with pytest.raises(NotPermitted) as refused:
        choose_role(Principal("e", "TY", ("evaluator",), False), "register_institution")
    assert refused.value.rule == "AUD-04" and "evaluator" in refused.value.reason


def test_aud04_subjects_are_found_by_the_fields_that_name_them():
    assert subjects("amend_institution", {"institution": "TY-1", "changes": {}}) == \
        [("institution", "TY-1")]
    assert subjects("register_institution", {"code": "TY-1", "agency": "TY"}) == \
        [("agency", "TY")]
    assert ("dispute", "D-1") in subjects("record_dispute_outcome", {"number": "D-1"})
    assert ("bar", "P/B") in subjects("approve_practitioner_bar",
                                      {"person_id": "P", "bar_no": "B"})
    assert subjects("open_dispute", {"number": "D-1", "institution": "TY-1"}) == \
        [("institution", "TY-1")]


def test_aud04_an_agency_acts_on_its_own_and_the_province_on_all():
    check_act(TY_OFFICER, "amend_institution", [("institution", "TY-1", "TY")])
    check_act(TY_OFFICER, "amend_institution", [("institution", "X", None)])   # unknown: its own refusal
    with pytest.raises(NotPermitted, match="belongs to agency DT") as refused:
        check_act(TY_OFFICER, "amend_institution", [("institution", "DT-1", "DT")])
    assert refused.value.rule == "AUD-04"
    with pytest.raises(NotPermitted, match="every agency"):
        check_act(TY_OFFICER, "tick", [])
    check_act(Principal("p", "SX", ("case_officer",), True), "tick", [])
    check_act(Principal("p", "SX", ("case_officer",), True), "amend_institution",
              [("institution", "DT-1", "DT")])


def test_aud04_reading_is_scoped_to_the_agency_unless_granted_the_province():
    check_read(TY_OFFICER, "institution", "TY-1", "TY")
    with pytest.raises(NotPermitted, match="reads only agency TY"):
        check_read(TY_OFFICER, "institution", "DT-1", "DT")
    check_read(Principal("a", "TY", ("auditor",), True), "institution", "DT-1", "DT")
    check_read(SX_AUDITOR, "institution", "DT-1", "DT")
    assert readable_agencies(TY_OFFICER) == {"TY"}
    assert readable_agencies(SX_AUDITOR) is None


# --- secrets ---------------------------------------------------------------------------------------------
def test_a_password_hash_is_argon2_and_the_same_command_gives_the_same_hash():
    first = hash_password("a long enough password", command_id="c1", user="u")
    assert first.startswith("$argon2id$") and "a long enough password" not in first
    assert first == hash_password("a long enough password", command_id="c1", user="u")
    assert first != hash_password("a long enough password", command_id="c2", user="u")
    assert password_matches(first, "a long enough password")
    assert not password_matches(first, "a long enough passworD")
    assert not password_matches("not a hash", "x")


def test_a_session_cookie_holds_only_while_its_signature_and_time_hold():
    cookie, session = make_session(b"k" * 32, "zhang.min", 3)
    assert read_session(b"k" * 32, cookie) == session
    assert read_session(b"j" * 32, cookie) is None
    body, mac = cookie.split(".")
    assert read_session(b"k" * 32, body[:-2] + "AA." + mac) is None
    assert read_session(b"k" * 32, "garbage") is None


@pytest.mark.parametrize("text", ["", "lt1.a.b", "lt2.dXNlcg.abcdefgh.secret", "x" * 400,
                                  "lt1.!!!.abcdefgh.secret"])
def test_anything_but_a_token_reads_as_none(text):
    assert read_token(text) is None


# --- the reference --------------------------------------------------------------------------------------------
SECTIONS = Path(account_specs.__file__).with_suffix(".md").read_text(encoding="utf-8")


@pytest.mark.parametrize("spec", account_specs.SPECS, ids=lambda s: s.name)
def test_every_account_command_has_its_reference_a_valid_example_and_its_handler(spec):
    import inspect
    part = SECTIONS.split(f"## {spec.name}\n", 1)[1].split("\n## ", 1)[0]
    table = set(re.findall(r"^\| `([a-z_]+)` \|", part, re.M))
    assert table == set(spec.model.model_fields)
    examples = [json.loads(x) for x in part.splitlines() if x.startswith('{"id"')]
    assert examples
    for example in examples:
        assert example["command"] == spec.name
        spec.model.model_validate(example["fields"])
    handler = getattr(AccountCommands, spec.name)
    params = {p.name for p in inspect.signature(handler).parameters.values()
              if p.kind is p.KEYWORD_ONLY}
    assert params == set(spec.model.model_fields)


def test_an_account_aggregate_is_found_by_its_login():
    assert Account.id_for("zhang.min") == Account.id_for("zhang.min")
    assert Account.id_for("zhang.min") != Account.id_for("zhang.mIn")
