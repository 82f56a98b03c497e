"""Every word a user reads, Chinese first: one catalogue (adapters/data/
labels.json and its labels-<area>.json) for the command line, the exports
and the console.

A label is looked up by a stable English key (``column.agreement``,
``status.suspended``); JSON output keeps those codes, people read the
words. The language is Chinese unless ``--lang en`` or the ``LEDGER_LANG``
setting says English. An unknown key is an error, not a silent echo of the
code: a test renders every table and would fail on it.
"""
from __future__ import annotations

import json
import os
from functools import lru_cache
from importlib import resources
from typing import Mapping

LANGS = ("zh", "en")
LANG_SETTING = "LEDGER_LANG"
_chosen: str | None = None


class UnknownLabel(KeyError):
    """A key the catalogue does not have (a typo, or a word never catalogued)."""


@lru_cache(maxsize=1)
def catalogue() -> dict[str, dict[str, str]]:
    """labels.json plus one ``labels-<area>.json`` per area that keeps its own
    words (so that an area's words change with its code); a key in two files
    is an error, so the catalogue stays one."""
    data = resources.files("adapters").joinpath("data")
    merged: dict[str, dict[str, str]] = {}
    files = sorted(f for f in data.iterdir()
                   if f.name == "labels.json" or (f.name.startswith("labels-") and f.name.endswith(".json")))
    for f in files:
        for key, words in json.loads(f.read_text("utf-8")).items():
            if key in merged:
                raise ValueError(f"label {key!r} is in two catalogue files (the second: {f.name})")
            merged[key] = words
    return merged


def set_lang(lang: str | None) -> None:
    """The language for this process (``--lang``); None goes back to the setting."""
    global _chosen
    if lang is not None and lang not in LANGS:
        raise ValueError(f"unknown language {lang!r}: give one of {', '.join(LANGS)}")
    _chosen = lang


def current() -> str:
    if _chosen:
        return _chosen
    wanted = os.environ.get(LANG_SETTING, "zh").strip().lower()
    return wanted if wanted in LANGS else "zh"


def label(key: str, lang: str | None = None, **values: object) -> str:
    """The words for ``key`` in ``lang`` (the current language by default),
    with ``{name}`` placeholders filled from ``values``."""
    try:
        entry = catalogue()[key]
    except KeyError:
        raise UnknownLabel(key) from None
    text = entry[lang or current()]
    return text.format(**values) if values else text


def sentence(key: str, lang: str | None, values: Mapping[str, object]) -> str:
    """``label`` for a template filled from a mapping whose names may be any
    (a command's result has a ``from`` and may have a ``key``)."""
    try:
        entry = catalogue()[key]
    except KeyError:
        raise UnknownLabel(key) from None
    return entry[lang or current()].format_map(values)


def word(group: str, code: object, lang: str | None = None) -> str:
    """A code's words within a group (``word("status", "in notice")``): the
    catalogue's key is the code with spaces as underscores. A code the
    catalogue lacks is shown as it is, so that no value is ever hidden; the
    label tests list every code the ledger produces."""
    key = f"{group}.{str(code).replace(' ', '_')}"
    if key in catalogue():
        return label(key, lang)
    return str(code)


class Said(str):
    """Words told later in whichever language is asked: the catalogue's
    ``key`` and its values (themselves ``Said`` where they are words too).

    As a string it is the English text, which is what JSON, logs, HTTP
    answers and scripts keep (stable, as the codes are); ``say()`` gives it
    in the reader's language. So a report can hold its findings once and
    be both printed for a person and written as JSON."""
    key: str
    values: dict[str, object]

    def __new__(cls, key: str, values: Mapping[str, object] | None = None) -> "Said":
        values = dict(values or {})
        self = super().__new__(cls, _said(key, "en", values))
        self.key, self.values = key, values
        return self

    def __getnewargs__(self) -> tuple[str, dict[str, object]]:   # copies keep their words
        return self.key, self.values

    def say(self, lang: str | None = None) -> str:
        return _said(self.key, lang or current(), self.values)


def said(text: object, lang: str | None = None) -> str:
    """``text`` in ``lang`` when it is ``Said``, else as it is."""
    return text.say(lang) if isinstance(text, Said) else str(text)


def _said(key: str, lang: str, values: Mapping[str, object]) -> str:
    return sentence(key, lang, {k: said(v, lang) for k, v in values.items()})
