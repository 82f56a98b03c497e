"""Checking a proof the console was given: a case file (offline, as
``ledger verify-case`` checks it: every byte, both signatures, every leaf
and Merkle proof) or a checkpoint (as ``ledger checkpoint check``: the
store still holds what it signed), against a trusted public key (PEM).

The console shows the verifier's words to a person, so they are said in the
page's language (the reports' ``Said``); the CLI's ``--json`` keeps the
English text of the same reports."""
from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any


def _key(pem: str) -> Any:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
    key = serialization.load_pem_public_key(pem.strip().encode("ascii"))
    if not isinstance(key, Ed25519PublicKey):
        raise ValueError("not an Ed25519 public key")
    return key


def check_document(ledger: Any, text: str, pem: str, lang: str | None = None
                   ) -> tuple[bool, str]:
    """(verified, the verifier's own words in ``lang``; the current language
    by default)."""
    from adapters.casefile import CASE_FORMAT, verify_case
    from adapters.integrity import CHECKPOINT_FORMAT, check_checkpoint
    from adapters.labels import label, said
    try:
        key = _key(pem)
    except (ValueError, TypeError, UnicodeEncodeError) as e:
        return False, label("console.proof_key_unloadable", lang, error=e)
    try:
        document = json.loads(text)
    except ValueError:
        document = None
    kind = document.get("format") if isinstance(document, dict) else None
    if kind == CHECKPOINT_FORMAT:
        report = check_checkpoint(ledger, document, key)
        return report.ok, said(report.message(), lang)
    if kind != CASE_FORMAT and document is not None:
        return False, label("console.proof_neither", lang, case=CASE_FORMAT,
                            checkpoint=CHECKPOINT_FORMAT)
    with tempfile.TemporaryDirectory() as folder:   # verify_case reads the file's own bytes
        path = Path(folder) / "case.json"
        path.write_bytes(text.encode("utf-8"))
        report = verify_case(path, key)
    # a case file's report is Said (adapters/casefile.py): said() gives it in ``lang``
    return report.ok, said(report.message(), lang)
