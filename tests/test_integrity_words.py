"""What ``ledger verify``, ``seal`` and ``checkpoint check`` find is said in
the reader's language (issue #17), while JSON, logs and the HTTP answers keep
the English text they always had: a finding is ``adapters.labels.Said``,
English as a string and the catalogue's Chinese with ``say()``."""
from __future__ import annotations

import copy
import json
from dataclasses import asdict

import pytest

from adapters import integrity as I
from adapters.labels import Said, catalogue
from adapters.readable import why_unreadable

KEYS = sorted(k for k in catalogue() if k.split(".")[0] in
              ("integrity", "integrity_kind", "checkpoint", "readable", "identity", "verify"))


def test_a_finding_is_english_as_text_and_keeps_its_words_through_copies_and_json():
    finding = Said("integrity.deleted", {"version": 3, "aggregate": "a-1"})
    assert finding == "sealed event (v3 of a-1) is missing from the events table"
    assert json.loads(json.dumps({"detail": finding})) == {"detail": str(finding)}
    assert copy.deepcopy(finding).say("zh") == "已封存的事件（聚合 a-1 第 3 版）已不在事件表中"


def test_aud05_a_tampered_report_is_framed_in_chinese_and_its_json_stays_english():
    problem = I.Problem(9, "altered", Said("integrity.altered", {"event": Said(
        "integrity.event", {"topic": "Agreement.Suspended", "version": 2, "aggregate": "a-1"})}))
    report = I.VerifyReport(False, 8, 3, problem=problem)
    assert report.message().say("zh") == (
        "已被篡改（AUD-05）：事件 #9 被篡改：Agreement.Suspended（聚合 a-1 第 2 版）的存储内容与"
        "其封存值不符（其主题或状态字节被修改）。其前 8 条已封存事件核验无误。3 条未封存事件因核验失败而"
        "未予封存。")
    data = json.loads(json.dumps(report.as_dict()))
    assert data["message"].startswith("TAMPERED (AUD-05): event #9 altered: the stored form of "
                                      "Agreement.Suspended v2 of a-1 does not match its seal")
    assert asdict(problem)["detail"].say("zh").startswith("Agreement.Suspended（聚合 a-1")


@pytest.mark.parametrize("report, zh", [
    (I.VerifyReport(True, 40, 4, sealed_now=4, head_id=44, head="ab" * 32),
     "通过：已按哈希链核验 40 条已封存事件；本次封存 4 条未封存事件（其前全部核验无误）；链头 #44 abababababababab…。"),
    (I.VerifyReport(True, 40, 2), "通过：已按哈希链核验 40 条已封存事件；2 条未封存事件保持未封存。"),
    (I.SealResult(0, None, ""), "无需封存：日志为空"),
    (I.CheckReport(False, [Said("checkpoint.other_key"), Said("checkpoint.root")]),
     "未通过（AUD-05）：检查点并非由受信任的密钥签名；数据库对这些事件计算的 Merkle 根与检查点不同"),
])
def test_aud05_each_report_is_said_in_chinese(report, zh):
    assert report.message().say("zh") == zh
    assert str(report.message()) == report.message().say("en")


def test_aud05_why_an_event_cannot_be_read_is_said_in_both_languages():
    why = why_unreadable(None, "not-a-uuid", 1, "domain.agreement:Agreement.Suspended", b"{}")
    assert why == "its aggregate id 'not-a-uuid' is not a UUID"
    assert why.say("zh") == "其聚合标识 'not-a-uuid' 不是 UUID"


@pytest.mark.parametrize("key", KEYS)
def test_every_integrity_word_has_chinese_with_the_same_values_as_its_english(key):
    import string
    names = lambda text: {f for _, f, _, _ in string.Formatter().parse(text) if f}  # noqa: E731
    words = catalogue()[key]
    assert words["zh"] and names(words["zh"]) == names(words["en"])


def test_sup07_chain_value_is_the_genesis_before_any_event_and_the_chain_after_one(ledger, clerk):
    from tests.builders import register
    assert I.chain_value(ledger, 0) == I.GENESIS.hex()
    register(clerk)
    position = ledger.recorder.max_notification_id()
    assert I.chain_value(ledger, position) == I.verify(ledger).head
    with pytest.raises(LookupError) as missing:
        I.chain_value(ledger, position + 1000)
    assert missing.value.args[0].say("zh") == f"事件 #{position + 1000} 尚未封存：请运行 `ledger verify`"


@pytest.mark.parametrize("equal, broken, en, zh", [
    (True, [], "read models verified: rebuild equals live: True; money identities broken: 0; "
               "rows postings 3", "读模型核验通过：重建结果与现行读模型一致；资金恒等式不成立之处：0 处；行数 postings 3"),
    (False, ["x"], "READ MODELS DO NOT VERIFY: rebuild equals live: False; money identities "
                   "broken: 1; rows postings 3", "读模型核验未通过：重建结果与现行读模型不一致；资金恒等式不成立之处：1 处；行数 postings 3"),
])
def test_aud02_the_read_models_verdict_is_said_in_both_languages(equal, broken, en, zh):
    from adapters.readmodels.verify import verdict
    said = verdict({"rebuild_equals_live": equal, "identities_broken": broken,
                    "rows": {"postings": 3}})
    assert (str(said), said.say("zh")) == (en, zh)
