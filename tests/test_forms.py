"""The scoring forms as data, and how a sheet is scored (EVA-02..06, ASM-01..03)."""
from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.forms import (
    F2_FORMS, F6_FORMS, SURVEY, Form, ScoreError, f2_form_for, f6_form_for, score_items,
    survey_to_assistive_item5,
)

D = Decimal


# --- EVA-02: six admission forms, each scored out of exactly 100 -------------

def _f2_totals_100(kind: str, subtype: str | None) -> None:
    form = f2_form_for(kind, subtype)
    assert form.max_total() == D(100)
    assert sum((it.max_points for it in form.items), D(0)) == D(100)
    assert [v.code for v in form.veto_items] == ["V1", "V2", "V3", "V4", "V5"]
    full = score_items(form, kind=kind)
    assert full.total == D(100) and full.passed_points


def test_eva02_the_medical_admission_form_totals_100():
    _f2_totals_100("medical", None)


def test_eva02_the_rehab_admission_form_totals_100():
    _f2_totals_100("rehab", None)


def test_eva02_the_prosthetic_orthotic_admission_form_totals_100():
    _f2_totals_100("assistive", "prosthetic_orthotic")


def test_eva02_the_hearing_aid_admission_form_totals_100():
    _f2_totals_100("assistive", "hearing_aid")


def test_eva02_the_optical_aid_admission_form_totals_100():
    _f2_totals_100("assistive", "optical_aid")


def test_eva02_the_artificial_eye_admission_form_totals_100():
    _f2_totals_100("assistive", "artificial_eye")


def test_eva02_there_are_exactly_six_admission_forms_with_distinct_ids():
    assert set(F2_FORMS) == {
        ("medical", None), ("rehab", None), ("assistive", "prosthetic_orthotic"),
        ("assistive", "hearing_aid"), ("assistive", "optical_aid"),
        ("assistive", "artificial_eye")}
    assert {f.form_id for f in F2_FORMS.values()} == {
        "F2-medical", "F2-rehab", "F2-assistive-prosthetic_orthotic",
        "F2-assistive-hearing_aid", "F2-assistive-optical_aid", "F2-assistive-artificial_eye"}


def test_eva02_an_unknown_kind_or_subtype_has_no_form_and_the_error_names_the_valid_ones():
    for kind, subtype in [("assistive", None), ("medical", "hearing_aid"), ("dental", None)]:
        with pytest.raises(LookupError) as info:
            f2_form_for(kind, subtype)
        assert "assistive/hearing_aid" in str(info.value)
        assert info.value.rule == "EVA-02"


def test_eva02_the_transcription_keeps_the_seed_wording_and_maxima():
    hearing = f2_form_for("assistive", "hearing_aid")
    assert hearing.item("6.1").max_points == D(20)
    assert "高级任职资格得20分" in hearing.item("6.1").rule_zh
    assert hearing.item("8.1").max_points == D(7)
    rehab = f2_form_for("rehab", None)
    assert "扣0.25分" in rehab.item("6.1").rule_zh
    assert "三级综合医疗机构" in rehab.veto_items[0].requirement_zh
    assert f2_form_for("medical", None).item("8").subject_zh == "药耗管理"


def test_asking_a_form_for_an_unknown_item_lists_the_valid_codes():
    with pytest.raises(LookupError) as info:
        f2_form_for("medical", None).item("6.1")
    assert "6, 7, 8, 9, 10" in str(info.value)
    assert not isinstance(info.value, KeyError)


# --- ASM-01: annual forms ----------------------------------------------------

def test_asm01_the_shared_form_gives_medical_institutions_exactly_100():
    form = f6_form_for("medical")
    assert form.max_total("medical") == D(100)
    codes = {it.code for it in form.items_for("medical")}
    assert "5.4" in codes and "5.6" in codes and "5.10" not in codes
    assert score_items(form, kind="medical").total == D(100)


def test_asm01_the_shared_form_gives_rehab_institutions_exactly_100():
    form = f6_form_for("rehab")
    assert form is f6_form_for("medical") is F6_FORMS["medical_rehab"]
    assert form.form_id == "F6-medical-rehab"
    assert form.max_total("rehab") == D(100)
    codes = {it.code for it in form.items_for("rehab")}
    assert "5.10" in codes and "5.4" not in codes and "5.6" not in codes
    assert score_items(form, kind="rehab").total == D(100)


def test_asm01_the_assistive_annual_form_totals_100_with_item_5_worth_20():
    form = f6_form_for("assistive")
    assert form is F6_FORMS["assistive"] and form.form_id == "F6-assistive"
    assert form.max_total() == D(100)
    assert form.item("5").max_points == D(20)


def test_asm01_the_satisfaction_survey_has_seven_questions_adding_to_20():
    assert SURVEY.form_id == "F6-survey"
    assert [it.code for it in SURVEY.items] == [f"Q{n}" for n in range(1, 8)]
    assert SURVEY.max_total() == D(20)


def test_asm01_the_survey_total_feeds_assistive_item_5():
    answers = {"Q1": D(4), "Q2": D(0), "Q3": D(1), "Q4": D(1), "Q5": D(3), "Q6": D(2),
               "Q7": D(4)}
    item5 = survey_to_assistive_item5(answers)
    assert item5 == D(15)
    result = score_items(f6_form_for("assistive"), kind="assistive", awarded={"5": item5})
    assert result.item_points["5"] == D(15) and result.total == D(95)


def test_asm01_a_survey_answer_its_scheme_does_not_allow_is_refused():
    answers = {f"Q{n}": D(0) for n in range(1, 8)}
    with pytest.raises(ScoreError) as info:
        survey_to_assistive_item5({**answers, "Q1": D(2)})  # Q1 is all or nothing: 0 or 4
    assert info.value.rule == "ASM-03"
    with pytest.raises(ScoreError):
        survey_to_assistive_item5({k: v for k, v in answers.items() if k != "Q7"})


def test_asm01_the_shared_form_needs_the_kind_named():
    with pytest.raises(ScoreError) as info:
        score_items(f6_form_for("medical"), kind=None)
    assert info.value.rule == "ASM-01"
    with pytest.raises(LookupError):
        f6_form_for("dental")


# --- EVA-03: vetoes, bounds, computed total -----------------------------------

def test_eva03_a_failed_veto_fails_the_evaluation_whatever_the_points():
    form = f2_form_for("medical", None)
    result = score_items(form, kind="medical", veto_failed=["V3"])
    assert result.total == D(100)          # F2 keeps the computed points
    assert result.veto_failed == ("V3",)
    assert result.passed_points is False


def test_eva03_an_unknown_veto_code_is_refused():
    with pytest.raises(ScoreError):
        score_items(f2_form_for("rehab", None), kind="rehab", veto_failed=["V9"])


def test_eva03_deductions_stop_at_zero_within_an_item():
    form = f2_form_for("assistive", "hearing_aid")
    # 8.1 is worth 7 and takes 4 per missing device: two misses clamp at 0, not -1.
    result = score_items(form, kind="assistive", deductions={
        "8.1": [(D(4), "no pure-tone audiometer"), (D(4), "no tympanometer")]})
    assert result.item_points["8.1"] == D(0)
    assert result.total == D(93)


def test_eva03_an_awarded_score_above_the_maximum_is_refused():
    form = f2_form_for("assistive", "hearing_aid")
    with pytest.raises(ScoreError) as info:
        score_items(form, kind="assistive", awarded={"6.1": D(25)})
    assert info.value.rule == "EVA-03"
    assert "20" in info.value.remedy
    with pytest.raises(ScoreError) as info:
        score_items(form, kind="assistive", awarded={"6.1": D(-1)})
    assert info.value.rule == "EVA-03"


def test_eva03_an_award_within_bounds_is_taken_as_given():
    form = f2_form_for("assistive", "hearing_aid")
    result = score_items(form, kind="assistive", awarded={"6.1": D(10), "6.2": D(5)})
    assert result.item_points["6.1"] == D(10) and result.total == D(85)
    assert result.passed_points is False


def test_eva03_the_total_is_computed_from_the_items():
    form = f2_form_for("rehab", None)
    result = score_items(form, kind="rehab", deductions={
        "6.1": [(D("0.25"), "one therapist short"), (D("0.5"), "one doctor short")],
        "7.2": [(D(3), "47 beds")]})
    assert result.total == sum(result.item_points.values())
    assert result.total == D("96.25")
    assert result.passed_points is True


def test_eva03_an_item_cannot_be_both_awarded_and_deducted():
    form = f2_form_for("assistive", "optical_aid")
    with pytest.raises(ScoreError):
        score_items(form, kind="assistive", awarded={"6.1": D(10)},
                    deductions={"6.1": [(D(1), "x")]})


def test_eva02_an_unknown_item_code_is_refused_listing_the_valid_codes():
    with pytest.raises(ScoreError) as info:
        score_items(f2_form_for("medical", None), kind="medical",
                    deductions={"6.1": [(D(1), "x")]})
    assert info.value.rule == "EVA-02"
    assert "6, 7, 8, 9, 10" in info.value.remedy


def test_eva02_a_form_scored_for_the_wrong_kind_is_refused():
    with pytest.raises(ScoreError) as info:
        score_items(f2_form_for("medical", None), kind="rehab")
    assert info.value.rule == "EVA-02"


def test_asm01_an_item_for_the_other_kind_is_refused_on_the_shared_form():
    with pytest.raises(ScoreError) as info:
        score_items(f6_form_for("rehab"), kind="rehab", deductions={"5.4": [(D(1), "x")]})
    assert info.value.rule == "ASM-01"
    assert "5.10" in info.value.remedy


def test_points_are_never_floats_and_have_at_most_two_decimals():
    form = f2_form_for("medical", None)
    with pytest.raises(TypeError):
        score_items(form, kind="medical", deductions={"6": [(1.5, "float")]})
    with pytest.raises(TypeError):
        score_items(form, kind="medical", awarded={"6": 20.0})
    with pytest.raises(ScoreError):
        score_items(form, kind="medical", deductions={"6": [(D("0.125"), "too fine")]})
    with pytest.raises(ScoreError):
        score_items(form, kind="medical", deductions={"6": [(D(0), "nothing")]})
    with pytest.raises(ScoreError):
        score_items(form, kind="medical", deductions={"6": [(D(-2), "negative")]})


# --- EVA-06: working papers keep the reason of each deduction -------------------

def test_eva06_a_deduction_without_a_reason_is_refused():
    form = f2_form_for("medical", None)
    for reason in ("", "   ", None):
        with pytest.raises(ScoreError) as info:
            score_items(form, kind="medical", deductions={"6": [(D(5), reason)]})
        assert info.value.rule == "EVA-06"
        assert info.value.remedy


# --- ASM-02 / ASM-03 -----------------------------------------------------------

def test_asm02_a_failed_veto_on_the_medical_rehab_form_sets_the_total_to_zero():
    form = f6_form_for("medical")
    assert {v.subject_zh for v in form.veto_items} == {"冒名住院", "提供虚假资料"}
    result = score_items(form, kind="medical", veto_failed=["V1"])
    assert result.total == D(0) and result.veto_failed == ("V1",)
    assert result.passed_points is False


def test_asm02_a_failed_veto_on_the_assistive_form_sets_the_total_to_zero():
    form = f6_form_for("assistive")
    assert {v.subject_zh for v in form.veto_items} == {"虚报冒领", "提供虚假资料"}
    result = score_items(form, kind="assistive", veto_failed=["V2"])
    assert result.total == D(0) and not result.passed_points


def test_asm03_annual_item_scores_lie_between_zero_and_the_item_maximum():
    form = f6_form_for("assistive")
    with pytest.raises(ScoreError) as info:
        score_items(form, kind="assistive", awarded={"5": D(21)})
    assert info.value.rule == "ASM-03" and "20" in info.value.remedy
    with pytest.raises(ScoreError) as info:
        score_items(form, kind="assistive", awarded={"1.3": D(-1)})
    assert info.value.rule == "ASM-03"
    clamped = score_items(form, kind="assistive",
                          deductions={"4.6": [(D(2), "dispute 1"), (D(2), "dispute 2"),
                                              (D(2), "dispute 3"), (D(2), "dispute 4")]})
    assert clamped.item_points["4.6"] == D(0) and clamped.total == D(94)


# --- property: totals stay in bounds and equal the clamped items --------------------

_SHEETS: list[tuple[Form, str]] = (
    [(form, kind) for (kind, _), form in F2_FORMS.items()]
    + [(F6_FORMS["medical_rehab"], "medical"), (F6_FORMS["medical_rehab"], "rehab"),
       (F6_FORMS["assistive"], "assistive")])

_amount = st.decimals(min_value=D("0.01"), max_value=D(30), places=2,
                      allow_nan=False, allow_infinity=False)


@st.composite
def _sheet(draw):
    form, kind = draw(st.sampled_from(_SHEETS))
    codes = [it.code for it in form.items_for(kind)]
    chosen = draw(st.lists(st.sampled_from(codes), unique=True))
    deductions = {c: draw(st.lists(st.tuples(_amount, st.just("reason")), min_size=1,
                                   max_size=4)) for c in chosen}
    return form, kind, deductions


@settings(max_examples=300, deadline=None)
@given(_sheet())
def test_eva03_asm03_for_random_deductions_the_total_stays_within_0_and_100(sheet):
    form, kind, deductions = sheet
    result = score_items(form, kind=kind, deductions=deductions)
    assert D(0) <= result.total <= D(100)
    expected = {
        it.code: max(it.max_points - sum((a for a, _ in deductions.get(it.code, ())), D(0)),
                     D(0))
        for it in form.items_for(kind)}
    assert result.item_points == expected
    assert result.total == sum(expected.values(), D(0))
    assert result.passed_points == (result.total >= 90)
