"""The deadlines list's "what" and the status list's "why" in the reader's
language (issue #17), read back from the English text the read models store.

The projections (projections/deadlines.py) build that text from a small set
of shapes (``WHAT``, ``WHY``) and quote a few texts the domain records
(``QUOTED``: an obligation's reason, a stop on an objection, a ground's
English). A stored text is matched against those same shapes and becomes a
``Told``: a ``Said`` whose string is the stored text itself, byte for byte
(so JSON, HTTP answers and comparisons with the fold are unchanged), and
whose ``say()`` fills the catalogue's ``list_words.<key>`` in the reader's
language, with the codes it quotes in words (materials, changes, parties,
grounds). Reading back rather than storing a key beside the text keeps the
tables, and so a rebuild's layout, as they are. A text of no known shape (a
note typed by a user) is said as it is.
"""
from __future__ import annotations

import re
from functools import lru_cache
from typing import Any, Callable, Mapping

from adapters.labels import Said, label, said, sentence, word


class Told(Said):
    """Stored English text, said in another language by ``key``'s template."""

    def __new__(cls, text: str, key: str, values: Mapping[str, object]) -> "Told":
        self = str.__new__(cls, text)
        self.key, self.values = key, dict(values)
        return self

    def __getnewargs__(self) -> tuple[str, str, dict[str, object]]:  # type: ignore[override]
        return str(self), self.key, self.values

    def say(self, lang: str | None = None) -> str:
        from adapters.labels import current
        chosen = lang or current()
        if chosen == "en":
            return str(self)
        return sentence(self.key, chosen, {k: said(v, chosen) for k, v in self.values.items()})


def _verbatim(text: str, words: Callable[[str], str]) -> Told:
    """``text`` as stored, and ``words(lang)`` in any other language."""
    return Told(text, "list_words.verbatim", {"text": _Lazy(text, words)})


class _Lazy(Said):
    def __new__(cls, text: str, words: Callable[[str], str]) -> "_Lazy":
        self = str.__new__(cls, text)
        self.key, self.values, self.words = "", {}, words
        return self

    def __getnewargs__(self) -> tuple[str, Any]:  # type: ignore[override]
        return str(self), self.words

    def say(self, lang: str | None = None) -> str:
        from adapters.labels import current
        chosen = lang or current()
        return str(self) if chosen == "en" else self.words(chosen)


def _codes(group: str) -> Callable[[str], Any]:
    """A value that is codes of one label group, comma-separated."""
    def read(text: str) -> Any:
        codes = [c.strip() for c in text.split(",")]
        return _verbatim(text, lambda lang: label("sentence.item_sep", lang).join(
            word(group, c, lang) for c in codes))
    return read


def _ground_text(text: str) -> Any:
    """An ending's reason that is a ground's English (an ending that fell due)."""
    from domain.grounds import ALL_GROUNDS
    for g in ALL_GROUNDS:
        if g.text_en == text:
            return _verbatim(text, lambda lang: g.text_zh)
    return quoted(text)


# how each placeholder's value is read back: words for codes, a quoted text
# read by its own shapes; any other value (a date, a number, a code) as it is
VALUES: dict[str, Callable[[str], Any]] = {
    "missing": _codes("material"), "change": _codes("change"), "by": _codes("party"),
    "kind": lambda text: _codes("obligation_kind")(text.replace(" ", "_")),
    "reason": lambda text: quoted(text),
}


@lru_cache(maxsize=None)
def _patterns(family: str) -> list[tuple[str, re.Pattern[str]]]:
    from projections.deadline_words import QUOTED, WHAT, WHY
    shapes = {"what": WHAT, "why": WHY, "quoted": QUOTED}[family]
    out = []
    for key, template in shapes.items():
        parts = re.split(r"\{(\w+)\}", template)
        regex = "".join(re.escape(p) if i % 2 == 0 else f"(?P<{p}>.+?)"
                        for i, p in enumerate(parts))
        out.append((len("".join(parts[::2])), key, re.compile(regex + r"\Z", re.S)))
    # the shape with the most fixed words first: "from D on G" would take "from
    # D on G, until E" whole, since a value may hold any text
    return [(key, pattern) for _, key, pattern in sorted(out, key=lambda o: -o[0])]


def _read(family: str, text: Any, values: Mapping[str, Callable[[str], Any]]) -> Any:
    if not isinstance(text, str) or isinstance(text, Said):
        return text
    for key, pattern in _patterns(family):
        m = pattern.match(text)
        if m:
            found = {k: values.get(k, str)(v) for k, v in m.groupdict().items()}
            return Told(text, f"list_words.{family}.{key}", found)
    return text


def quoted(text: str) -> Any:
    """A text the domain recorded, read by its shapes (an obligation's reason)."""
    return _read("quoted", text, VALUES)


def said_what(text: Any) -> Any:
    """A deadline's "what" as stored, to be said in the reader's language."""
    return _read("what", text, VALUES)


def said_why(text: Any) -> Any:
    """An agreement status's "why" as stored (an ending's reason may be a
    ground's own English, said in the ground's Chinese text; a stopped
    agreement's why is the reason the domain recorded)."""
    read = _read("why", text, {**VALUES, "reason": _ground_text})
    return quoted(text) if read is text else read


def in_words(rows: list[dict[str, Any]], key: str, read: Callable[[Any], Any]
             ) -> list[dict[str, Any]]:
    """Rows with ``key`` read back to be said in the reader's language."""
    return [{**r, key: read(r[key])} if key in r else r for r in rows]
