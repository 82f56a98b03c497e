"""Which path each event takes into the read models, by its aggregate's class.

Money events (claims, fund accounts) go through the posting rules
(``positions``); the replayed kinds are decoded and replayed by their
aggregate's own event bodies (``status``, ``deadlines``, ``ended``,
``bars``, ``about``, ``supervision``); the linked kinds are read for the subjects they
name (``about``); every other event only gets its log row (``log``).
"""
from __future__ import annotations

from importlib import import_module
from typing import Any

# Each path's aggregates by name (the first part of an event's qualified
# name), and the domain module that defines each: the projection routes by
# name, so that importing this module (every question does, through the
# runner) loads no domain; the classes (``MONEY``, ``REPLAYED``, ``LINKED``)
# are imported when asked (a rebuild's partitions; start-up, issue #14).
_MODULE_OF = {
    "Claim": "claim", "FundAccount": "fund_account", "Agreement": "agreement",
    "Person": "person", "Application": "application", "Evaluation": "evaluation",
    "CalendarBook": "calendar_book", "Lead": "lead", "Case": "case",
    "Institution": "institution", "Dispute": "dispute", "Agency": "agency",
    "Registry": "registry", "Assessment": "assessment",
}
MONEY_KINDS = ("Claim", "FundAccount")      # postings, by the posting rules
# status, deadlines, public list, bars, supervision: by the aggregate's own
# event bodies (a case's deadlines are recomputed by a calendar load, so
# cases replay with the calendar book, in one rebuild partition)
REPLAYED_KINDS = ("Agreement", "Person", "Application", "Evaluation", "CalendarBook", "Lead",
                  "Case")
# read from their stored JSON, not replayed, for what they say they are about
# (``about``): few events, which the rebuild's money partitions share
LINKED_KINDS = ("Institution", "Dispute", "Agency", "Registry", "Assessment")

APP = "Ledger"
PROJECTION = "ReadModels"

_KINDS_OF = {"MONEY": MONEY_KINDS, "REPLAYED": REPLAYED_KINDS, "LINKED": LINKED_KINDS}


def _aggregate(kind: str) -> type:
    return getattr(import_module(f"domain.{_MODULE_OF[kind]}"), kind)


def __getattr__(name: str) -> Any:
    """``MONEY``, ``REPLAYED``, ``LINKED``: each path's aggregate classes."""
    kinds = _KINDS_OF.get(name)
    if kinds is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return tuple(_aggregate(kind) for kind in kinds)
