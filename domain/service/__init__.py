"""The application service: one method per command, split by subject.

Each command method checks the rules against the aggregates it loads (the
rules that look across aggregates are policies in ``domain/policies``), lets
them emit events, and saves everything (the events and the command's own
record) in one atomic write. A repeated command id is answered with the
first result and records nothing new; a rejected command raises a named
error and records nothing. How a command is handled (role, fingerprint,
record) is in ``commanding.py``; the handlers are in one module per subject:

==================  ===============================================================
``admission``       institutions, people, bar facts, payee accounts, applications
``evaluation``      the panel, score sheet and report; the rehab pilot
``agreements``      signing, notice, changes, renewal, suspension, termination
``claims``          claims, payment, recovery, assessment, deposits, bank statements
``sanctions``       practitioner bars
``disputes``        disputes and their outcome
``supervision``     leads, cases, expert pools, screening, the random draw
``accounts``        users, their agency and roles, passwords, tokens
``clock``           the calendar and time passing (``tick``)
==================  ===============================================================

``Ledger`` is composed here, keeping its name and module: eventsourcing
names the application (and its environment prefixes) after it, and callers
import ``Ledger``, ``_plain`` and ``fingerprint`` from ``domain.service``.
"""
from __future__ import annotations

from typing import Any, Callable

from domain.registry import Registry
from domain.service.accounts import AccountCommands
from domain.service.admission import AdmissionCommands
from domain.service.agreements import AgreementCommands
from domain.service.claims import ClaimCommands
from domain.service.clock import ClockCommands
from domain.service.commanding import _plain, clock_command, command, fingerprint
from domain.service.disputes import DisputeCommands
from domain.service.evaluation import EvaluationCommands
from domain.policies.agreements import excellent_years_considered
from domain.service.sanctions import SanctionCommands
from domain.service.supervision import SupervisionCommands

__all__ = ["COMMANDS", "Ledger", "_plain", "clock_command", "command",
           "excellent_years_considered", "fingerprint"]


class Ledger(AdmissionCommands, EvaluationCommands, AgreementCommands, ClaimCommands,
             SanctionCommands, DisputeCommands, SupervisionCommands, ClockCommands,
             AccountCommands):
    """The agreement ledger's application service."""

    name = "Ledger"
    snapshotting_intervals = {Registry: 100}
    # How the events' values are stored is the adapters' (adapters/transcodings.py):
    # named by topic, the default every ledger gets (an in-memory one for tests
    # too) unless its environment says otherwise, so the domain imports none of it.
    env = {"TRANSCODER_TOPIC": "adapters.transcoder:LedgerTranscoder",
           # The library's aggregate cache, process-wide: a cached aggregate is
           # brought forward by the events stored since (one indexed read) and
           # handed out as a copy, so a refused command leaves it untouched and
           # another process's writes are seen; a write on a copy gone stale
           # between that read and the commit is refused by the store
           # (optimistic concurrency) and the command runs again (commanding.py).
           "AGGREGATE_CACHE_MAXSIZE": "10000"}


# Every command, by name: those that keep a command record and the clock.
COMMANDS: dict[str, Callable[..., dict[str, Any]]] = {
    name: getattr(Ledger, name) for name in dir(Ledger)
    if getattr(getattr(Ledger, name, None), "is_command", False)
}
