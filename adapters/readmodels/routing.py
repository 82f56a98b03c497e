"""Which path each event takes into the read models, by its aggregate's class.

Money events (claims, fund accounts) go through the posting rules
(``positions``); the replayed kinds are decoded and replayed by their
aggregate's own event bodies (``status``, ``deadlines``, ``ended``,
``bars``, ``about``, ``supervision``); the linked kinds are read for the subjects they
name (``about``); every other event only gets its log row (``log``).
"""
from __future__ import annotations

from domain.agency import Agency
from domain.agreement import Agreement
from domain.application import Application
from domain.assessment import Assessment
from domain.calendar_book import CalendarBook
from domain.case import Case
from domain.claim import Claim
from domain.dispute import Dispute
from domain.evaluation import Evaluation
from domain.fund_account import FundAccount
from domain.institution import Institution
from domain.lead import Lead
from domain.person import Person
from domain.registry import Registry

MONEY = (Claim, FundAccount)      # postings, by the posting rules
MONEY_KINDS = tuple(cls.__name__ for cls in MONEY)
# status, deadlines, public list, bars, supervision: by the aggregate's own
# event bodies (a case's deadlines are recomputed by a calendar load, so
# cases replay with the calendar book, in one rebuild partition)
REPLAYED = (Agreement, Person, Application, Evaluation, CalendarBook, Lead, Case)
REPLAYED_KINDS = tuple(cls.__name__ for cls in REPLAYED)
# read from their stored JSON, not replayed, for what they say they are about
# (``about``): few events, which the rebuild's money partitions share
LINKED = (Institution, Dispute, Agency, Registry, Assessment)
LINKED_KINDS = tuple(cls.__name__ for cls in LINKED)

APP = "Ledger"
PROJECTION = "ReadModels"
