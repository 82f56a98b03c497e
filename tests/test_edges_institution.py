"""An institution's own rules at their edges (issue #18), on the aggregate
itself (pure: no store, no service): the account the fund pays it to
(PAY-06: a name and a bank of 1 to 64 characters, a number of 6 to 32
digits optionally grouped, never the same account recorded twice for a day;
the account in force on a day), its people (a known role, never the same
person and role twice, only a linked one unlinked) and its bar facts (a
catalogued M 11 ground, ADM-03).
"""
from __future__ import annotations

from datetime import date

import pytest

from domain.base import Envelope
from domain.errors import InvalidCommand, NotFound, RuleViolation
from domain.institution import (ACCOUNT_DIGITS, ACCOUNT_TEXT_MAX, BAR_FACT_CODES, PERSON_ROLES,
                                Institution)

ENV = Envelope(user="wang.li", role="case_officer", command_id="c-1")
DAY = date(2025, 3, 3)
LO, HI = ACCOUNT_DIGITS


def institution() -> Institution:
    return Institution.register(code="TY-H001", name="太原医院", kind="medical", subtype=None,
                                agency="taiyuan", facts={}, people=[], effective_on=DAY,
                                envelope=ENV)


def account(inst, name="太原医院", bank="工商银行太原分行", number="6222 0000 1111",
            on=DAY):
    return inst.record_payee_account(name, bank, number, on, ENV)


def refusal(kind, rule, call, *args):
    with pytest.raises(kind) as info:
        call(*args)
    assert info.value.rule == rule, info.value
    assert info.value.remedy, "a refusal says what would make it valid"
    return info.value


# --- PAY-06: the account's name and bank -------------------------------------------------
@pytest.mark.parametrize("field", ["name", "bank"])
@pytest.mark.parametrize("length, fits", [(0, False), (1, True), (ACCOUNT_TEXT_MAX, True),
                                          (ACCOUNT_TEXT_MAX + 1, False)])
def test_pay06_an_accounts_name_and_bank_hold_1_to_64_characters(field, length, fits):
    inst = institution()
    text = "行" * length
    if fits:
        account(inst, **{field: text})
        assert inst.payee_account_on(DAY)["account_name" if field == "name" else "bank"] == text
    else:
        e = refusal(InvalidCommand, "PAY-06", account, inst, *(
            (text, "工商银行") if field == "name" else ("太原医院", text)))
        assert ("account name" if field == "name" else "bank") in e.reason
        assert inst.payee_accounts == []


@pytest.mark.parametrize("field", ["name", "bank"])
def test_pay06_blank_is_no_name_and_the_spaces_around_one_are_not_counted(field):
    inst = institution()
    refusal(InvalidCommand, "PAY-06", account, inst,
            *(("   ", "工商银行") if field == "name" else ("太原医院", " \t ")))
    padded = "  " + "行" * ACCOUNT_TEXT_MAX + "  "
    account(inst, **{field: padded})
    held = inst.payee_account_on(DAY)
    assert held["account_name" if field == "name" else "bank"] == "行" * ACCOUNT_TEXT_MAX


# --- PAY-06: the account's number ---------------------------------------------------------
@pytest.mark.parametrize("digits, fits", [(LO - 1, False), (LO, True), (HI, True),
                                          (HI + 1, False)])
def test_pay06_an_account_number_is_6_to_32_digits(digits, fits):
    inst = institution()
    number = "1" * digits
    if fits:
        account(inst, number=number)
        assert inst.payee_account_on(DAY)["account_number"] == number
    else:
        e = refusal(InvalidCommand, "PAY-06", account, inst, "太原医院", "工商银行", number)
        assert f"{LO} to {HI} digits" in e.reason


@pytest.mark.parametrize("number, fits", [
    ("6222-0000-1111", True), ("6222 0000 1111", True), (" 622200001111 ", True),
    ("-622200001111", False), ("622200001111-", False), ("6222 0000 111a", False),
    ("62220000１１１１", False),                     # full-width digits are not digits here
    ("6" + " " * 60 + "22222", False),             # 6 digits, but longer than 64 characters
])
def test_pay06_a_number_may_be_grouped_by_spaces_or_hyphens_between_its_digits(number, fits):
    inst = institution()
    if fits:
        account(inst, number=number)
        assert inst.payee_account_on(DAY)["account_number"] == number.strip()
    else:
        refusal(InvalidCommand, "PAY-06", account, inst, "太原医院", "工商银行", number)


def test_pay06_a_grouped_number_is_at_most_64_characters():
    inst = institution()
    number = "  ".join(["11"] * 16)                    # 32 digits, 62 characters
    number = number.replace("  ", "    ", 1)             # 64 characters
    assert len(number) == ACCOUNT_TEXT_MAX and sum(c.isdigit() for c in number) == HI
    account(inst, number=number)
    longer = number.replace("    ", "     ", 1)        # 65 characters, the same digits
    refusal(InvalidCommand, "PAY-06", account, institution(), "太原医院", "工商银行", longer)


# --- PAY-06: the same account twice, and the account in force on a day --------------------
def test_pay06_the_account_already_in_force_is_refused_however_its_number_is_grouped():
    inst = institution()
    assert account(inst) is None
    e = refusal(RuleViolation, "PAY-06", account, inst, " 太原医院 ", "工商银行太原分行 ",
                "6222-0000-1111", DAY)
    assert "already paid to this account" in e.reason
    assert len(inst.payee_accounts) == 1


@pytest.mark.parametrize("change", [{"name": "太原市医院"}, {"bank": "建设银行"},
                                    {"number": "6222 0000 1112"}])
def test_pay06_an_account_differing_in_name_bank_or_number_replaces_the_one_in_force(change):
    inst = institution()
    account(inst)
    replaced = account(inst, **change)
    assert replaced["account_number"] == "6222 0000 1111"
    assert len(inst.payee_accounts) == 2


def test_pay06_the_account_in_force_is_the_latest_from_on_or_before_the_day():
    inst = institution()
    assert inst.payee_account_on(DAY) is None
    account(inst, number="111111", on=date(2025, 3, 10))
    account(inst, number="222222", on=date(2025, 3, 20))
    assert inst.payee_account_on(date(2025, 3, 9)) is None                 # the day before
    assert inst.payee_account_on(date(2025, 3, 10))["account_number"] == "111111"   # the day
    assert inst.payee_account_on(date(2025, 3, 19))["account_number"] == "111111"
    assert inst.payee_account_on(date(2025, 3, 20))["account_number"] == "222222"
    # an account recorded later but from an earlier day does not displace the later one
    account(inst, number="333333", on=date(2025, 3, 15))
    assert inst.payee_account_on(date(2025, 3, 21))["account_number"] == "222222"
    assert inst.payee_account_on(date(2025, 3, 16))["account_number"] == "333333"
    # of two records from one day, the one recorded later
    account(inst, number="444444", on=date(2025, 3, 20))
    assert inst.payee_account_on(date(2025, 3, 20))["account_number"] == "444444"


def test_pay06_the_history_lists_each_account_with_the_day_it_was_replaced():
    inst = institution()
    account(inst, number="111111", on=date(2025, 3, 10))
    account(inst, number="222222", on=date(2025, 3, 20))
    account(inst, number="333333", on=date(2025, 3, 20))     # replaces the day's record
    history = inst.payee_account_history()
    assert [(h["account_number"], h["from"], h["until"]) for h in history] == [
        ("111111", date(2025, 3, 10), date(2025, 3, 20)),
        ("333333", date(2025, 3, 20), None)]


# --- its people ---------------------------------------------------------------------------
def test_a_person_is_linked_in_a_known_role_once_and_unlinked_only_when_linked():
    inst = institution()
    e = refusal(InvalidCommand, "", inst.link_person, "P-1", "owner", DAY, ENV)
    assert "unknown role 'owner'" in e.reason and PERSON_ROLES[0] in e.remedy
    for role in PERSON_ROLES:
        inst.link_person("P-1", role, DAY, ENV)
    assert inst.person_ids() == {"P-1"}
    refusal(RuleViolation, "", inst.link_person, "P-1", PERSON_ROLES[0], DAY, ENV)
    inst.link_person("P-2", PERSON_ROLES[0], DAY, ENV)       # another person, the same role
    refusal(NotFound, "", inst.unlink_person, "P-3", PERSON_ROLES[0], DAY, ENV)
    refusal(NotFound, "", inst.unlink_person, "P-2", PERSON_ROLES[1], DAY, ENV)
    inst.unlink_person("P-2", PERSON_ROLES[0], DAY, ENV)
    assert {"person_id": "P-2", "role": PERSON_ROLES[0]} not in inst.people
    assert len(inst.people) == len(PERSON_ROLES)


def test_an_institution_registered_with_a_person_in_an_unknown_role_is_refused():
    with pytest.raises(InvalidCommand) as info:
        Institution.register(code="TY-H002", name="x", kind="medical", subtype=None,
                             agency="taiyuan", facts={},
                             people=[{"person_id": "P-1", "role": "owner"}],
                             effective_on=DAY, envelope=ENV)
    assert "P-1" in info.value.reason and info.value.remedy


# --- ADM-03: bar facts ------------------------------------------------------------------
def test_adm03_a_bar_fact_names_a_catalogued_m11_ground():
    inst = institution()
    e = refusal(InvalidCommand, "ADM-03", inst.record_bar_fact, "M11-4", DAY, "a finding", DAY,
                ENV)
    assert "M11-4" in e.reason and BAR_FACT_CODES[0] in e.remedy
    for ground in BAR_FACT_CODES:
        inst.record_bar_fact(ground, DAY, "a finding", DAY, ENV)
    assert len(inst.bar_facts) == len(BAR_FACT_CODES)


def test_adm03_a_bar_fact_needs_a_note_and_only_an_open_one_is_lifted():
    inst = institution()
    refusal(InvalidCommand, "ADM-03", inst.record_bar_fact, "M11-2", DAY, "  ", DAY, ENV)
    assert inst.bar_facts == []
    refusal(NotFound, "ADM-03", inst.lift_bar_fact, "M11-2", DAY, "", DAY, ENV)
    inst.record_bar_fact("M11-2", DAY, "a finding", DAY, ENV)
    refusal(NotFound, "ADM-03", inst.lift_bar_fact, "M11-3", DAY, "", DAY, ENV)  # another ground
    lifted = date(2025, 6, 1)
    inst.lift_bar_fact("M11-2", lifted, "lifted", lifted, ENV)
    assert inst.bar_facts[0]["lifted_on"] == lifted
    refusal(NotFound, "ADM-03", inst.lift_bar_fact, "M11-2", lifted, "", lifted, ENV)  # lifted
    inst.record_bar_fact("M11-2", lifted, "again", lifted, ENV)   # a new fact of the same ground
    inst.lift_bar_fact("M11-2", date(2025, 7, 1), "", date(2025, 7, 1), ENV)
    assert [f["lifted_on"] for f in inst.bar_facts] == [lifted, date(2025, 7, 1)]


def test_an_institutions_state_holds_its_facts_people_and_accounts_with_their_days():
    inst = institution()
    account(inst, on=date(2025, 3, 3))
    account(inst, number="111111", on=date(2025, 4, 1))
    inst.link_person("P-1", "investor", DAY, ENV)
    first = {"account_name": "太原医院", "bank": "工商银行太原分行",
             "account_number": "6222 0000 1111", "from": date(2025, 3, 3), "command_id": "c-1"}
    assert inst.state() == {
        "code": "TY-H001", "name": "太原医院", "kind": "medical", "subtype": None,
        "agency": "taiyuan", "facts": {}, "people": [{"person_id": "P-1", "role": "investor"}],
        "payee_accounts": [{**first, "until": date(2025, 4, 1)},
                           {**first, "account_number": "111111", "from": date(2025, 4, 1),
                            "until": None}]}
