"""How a long answer is given a page at a time: the investigator's timeline
in ``ledger history``, ``GET /history`` and the console's subject pages
asks for ``DEFAULT_LIMIT`` rows from an offset, with the total and where
the next page starts; exports still get every row.

Oldest first, as the log and every export: page 1 is where the subject's
history begins. A page of 50 is a page's cost however long the timeline
(``adapters/readmodels/subjects.timeline_page``); a whole timeline of a
thousand rows is not (docs/performance.md). Imports nothing heavy: the
command line's start-up reads it.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

DEFAULT_LIMIT = 50     # rows a page unless asked otherwise
MAX_LIMIT = 1000       # the most a page may ask for (the whole timeline: --all, limit=0)
MAX_OFFSET = 10 ** 9


def number(name: str, text: Optional[str], default: int, high: int) -> int:
    """A limit or offset given as text: a whole number from 0 to ``high``,
    or ValueError saying so in the catalogue's words."""
    if text is None:
        return default
    from adapters.labels import label
    stripped = text.strip()
    if not stripped.isascii() or not stripped.isdigit() or len(stripped) > 10 \
            or int(stripped) > high:
        shown = text if len(text) <= 20 else text[:19] + "…"
        raise ValueError(label("paging.bad_number", name=name, low=0, high=high,
                               got=repr(shown)))
    return int(stripped)


@dataclass(frozen=True)
class Window:
    """Rows ``offset`` to ``offset + shown`` of ``total``; ``limit`` None is every row."""
    offset: int
    limit: Optional[int]
    total: int
    shown: int

    @property
    def next_offset(self) -> Optional[int]:
        """Where the next page starts, or None on the last page."""
        end = self.offset + self.shown
        return end if self.limit is not None and end < self.total else None

    @property
    def previous_offset(self) -> Optional[int]:
        if self.limit is None or self.offset == 0:
            return None
        return max(0, self.offset - self.limit)

    def as_dict(self) -> dict[str, Optional[int]]:
        return {"total": self.total, "offset": self.offset, "limit": self.limit,
                "next_offset": self.next_offset}

    def note(self) -> Optional[str]:
        """What a table leaves out (None when it shows every row)."""
        from adapters.labels import label
        if self.shown == self.total:
            return None
        if not self.shown:
            return label("paging.past_end", offset=self.offset, total=self.total)
        following, shown = self.next_offset, dict(first=self.offset + 1,
                                                  last=self.offset + self.shown, total=self.total)
        if following is None:
            return label("paging.last_page", **shown)
        if self.limit and following % self.limit == 0:   # --page says the same
            return label("paging.shown", next=following, page=following // self.limit + 1,
                         **shown)
        return label("paging.shown_from", next=following, **shown)
