"""AUD-05 in the console's words (issue #17): a checkpoint or case file
checked on the console's proof page is reported to the person in the
page's language, Chinese by default, from the same report whose English
text ``--json`` keeps."""
from __future__ import annotations

import json

from cryptography.hazmat.primitives import serialization

from adapters import integrity as I
from adapters.console.proof import check_document
from tests.audit_scenario import sisters


def _pem(key) -> str:
    return key.public_key().public_bytes(serialization.Encoding.PEM,
                                         serialization.PublicFormat.SubjectPublicKeyInfo
                                         ).decode("ascii")


def test_aud05_a_checkpoint_checked_on_the_console_is_reported_in_the_pages_language(
        ledger, clerk):
    sisters(clerk)
    I.init_store(ledger, seal_unsealed=False)
    key = I.generate_key()
    text = json.dumps(I.export_checkpoint(ledger, key))
    report = I.check_checkpoint(ledger, json.loads(text), key.public_key())
    ok, zh = check_document(ledger, text, _pem(key), "zh")
    assert ok and zh == report.message().say("zh") and zh.startswith("通过")
    ok, en = check_document(ledger, text, _pem(key), "en")
    assert ok and en == str(report.message()) and en.startswith("OK")
    ok, other = check_document(ledger, text, _pem(I.generate_key()), "zh")
    assert not ok and "another key" not in other and other != zh


def test_aud05_a_document_that_is_neither_or_a_key_that_does_not_load_is_said_in_chinese(
        ledger):
    ok, words = check_document(ledger, json.dumps({"format": "x"}), _pem(I.generate_key()),
                               "zh")
    assert not ok and words.startswith("既不是案卷文件")
    ok, words = check_document(ledger, "{}", "not a key", "zh")
    assert not ok and words.startswith("公钥无法读取")
    ok, words = check_document(ledger, "{}", "not a key", "en")
    assert not ok and words.startswith("the public key does not load")
