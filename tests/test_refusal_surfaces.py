"""A refusal reads in the reader's language wherever a person meets it, not
only in ``ledger run`` (issue #17): the console's refusal box and the
supervision scoping's re-raise keep the domain's message key, so the Chinese
is what a Chinese page shows and the English stays the API's JSON."""
from __future__ import annotations

from types import SimpleNamespace

from adapters.console.page import refusal_box
from adapters.http.supervision import _scoped
from adapters.refusals import reason_words
from domain.errors import RuleViolation
from domain.roles import NotPermitted


def _pay01() -> RuleViolation:
    return RuleViolation("a claim for {month} cannot be submitted before the month starts",
                         rule="PAY-01", remedy="costs are booked first and settled afterwards",
                         key="refusal.claim.claim_for_cannot_submitted",
                         values={"month": "2025-02"})


def _ctx(lang: str):
    from adapters.console.page import t
    return SimpleNamespace(lang=lang, t=lambda key, **v: t(key, lang, **v))


def test_pay01_the_consoles_refusal_box_speaks_the_pages_language():
    zh = refusal_box(_ctx("zh"), _pay01())
    assert "2025-02 的申报不能在该月开始前提交" in zh and "费用先发生后结算" in zh
    assert "cannot be submitted" not in zh and "PAY-01" in zh
    en = refusal_box(_ctx("en"), _pay01())
    assert "a claim for 2025-02 cannot be submitted before the month starts" in en
    assert "costs are booked first and settled afterwards" in en


def test_sup02_a_scoped_refusal_keeps_its_words_for_each_language():
    def refused():
        raise RuleViolation("{what} belongs to agency {agency}; this reader reads only agency "
                            "{agency2}", rule="SUP-02", remedy="ask the provincial agency (SX)",
                            key="refusal.service_supervision.belongs_agency_this_reader",
                            values={"what": "case 7", "agency": "DT", "agency2": "TY"})
    try:
        _scoped(refused)
    except NotPermitted as e:
        assert e.rule == "SUP-02"
        # filled once, not twice, and still said in Chinese from its key
        assert e.reason == "case 7 belongs to agency DT; this reader reads only agency TY"
        assert reason_words(e, "zh") == "case 7 属于经办机构 DT；此查阅人只能查阅经办机构 TY"
    else:
        raise AssertionError("a SUP-02 refusal of reading must be re-raised as NotPermitted")
