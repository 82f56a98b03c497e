"""The investigator's timeline (AUD-04): every event about an institution, an
agreement or a person, with who recorded it, when, under which command, on
which document, and the rules it concerns.

One module, over 600 lines, because each event's summary and rule ids and
the subject resolution are one table read the same way by history, case
files and exports.

A person's timeline spans every institution linked to them as legal
representative, principal, actual controller or investor (the links come
from the Person aggregates as the status projection folds them, plus any
link since removed), so an investigator sees sister institutions together.
A practitioner's timeline holds the events that name them (bars, disputes,
claims naming them), not their employer's whole history.

``build_timeline`` is the definition: it folds a whole log with the status
projection's own ``apply`` (``projections.status``), so an event's
aggregate key and its rule ids (some depend on the aggregate's state at
that moment, e.g. which suspension a resumption ends) are read exactly as
the rules saw them. ``timeline`` answers the same from the read models
(``adapters/readmodels/about.py``, ``subjects.py``): the subject index
names the subject's aggregates and events, which alone are read and
decoded; only an aggregate with an event whose rules need its state is
folded, its own events (tests compare the two on generated provinces).
"""
from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field, fields, is_dataclass
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Sequence

from adapters.summaries import Summary, words as summary_words
from domain.grounds import ground
from projections.status import LedgerState, apply

try:
    from zoneinfo import ZoneInfo
    SHANGHAI: Any = ZoneInfo("Asia/Shanghai")
except Exception:  # noqa: BLE001 - no tz database: China has kept UTC+8 since 1991
    SHANGHAI = timezone(timedelta(hours=8), "CST")

SUBJECT_KINDS = ("institution", "agreement", "person")
# Roles whose institutions a person's timeline spans (ADM-03: people behind it).
SPANNING_ROLES = ("legal_representative", "principal", "actual_controller", "investor")

# --- event type -> rule ids ------------------------------------------------------------------
# Read from domain/*.py: the rules each event's command checks or the event
# records. ``rules_for`` refines some by the event's fields or the aggregate's
# state at that moment (see _REFINE).
RULES: dict[str, tuple[str, ...]] = {
    # institutions and the people behind them (ADM-02, ADM-03)
    "Institution.Registered": ("ADM-02", "ADM-03"),
    "Institution.FactsAmended": ("ADM-02",),
    "Institution.PersonLinked": ("ADM-03",),
    "Institution.PersonUnlinked": ("ADM-03",),
    "Institution.BarFactRecorded": ("ADM-03",),
    "Institution.BarFactLifted": ("ADM-03",),
    "Institution.ApplicationFiled": ("ADM-02",),
    "Institution.AgreementSigned": ("AGR-01",),
    # the account the fund pays it to; statements are reconciled by it
    "Institution.PayeeAccountRecorded": ("PAY-06", "AUD-06"),
    "Person.Registered": ("ADM-03",),
    "Person.LinkedToInstitution": ("ADM-03",),
    "Person.UnlinkedFromInstitution": ("ADM-03",),
    "Person.ListedAsDishonest": ("ADM-03",),
    "Person.Delisted": ("ADM-03",),
    "Person.BarProposed": ("SAN-01",),
    "Person.BarApproved": ("SAN-01",),
    "Person.BarReported": ("SAN-01",),
    "Person.BarReversed": ("SAN-01", "DIS-01"),
    # applications (ADM-01..07)
    "Application.Submitted": ("ADM-01", "ADM-02", "ADM-03"),
    "Application.MaterialsNoticeSent": ("ADM-04", "CAL-02"),
    "Application.MaterialsSupplied": ("ADM-04",),
    "Application.Accepted": ("ADM-05",),
    "Application.SupplementRequested": ("ADM-05",),
    "Application.Declined": ("ADM-01",),
    "Application.Withdrawn": (),
    "Application.Exempted": ("ADM-06",),
    "Application.EvaluationStarted": ("EVA-01",),
    "Application.ResultNoted": ("EVA-04",),
    "Agency.Opened": ("ADM-07",),
    "Agency.RehabPilotSelected": ("ADM-07",),
    "Agency.RehabPilotReleased": ("ADM-07",),
    # evaluation (EVA-01..06)
    "Evaluation.PanelFormed": ("EVA-01", "EVA-02"),
    "Evaluation.Scored": ("EVA-02", "EVA-03", "EVA-06"),
    "Evaluation.Concluded": ("EVA-04", "EVA-06"),
    # agreements (AGR, SUS, TER, DIS)
    "Agreement.Signed": ("AGR-01", "AGR-03", "AGR-04"),
    "Agreement.Filed": ("AGR-02",),
    "Agreement.PublicNoticeStarted": ("AGR-02",),
    "Agreement.ObjectionRaised": ("AGR-02",),
    "Agreement.ObjectionDecided": ("AGR-02",),
    "Agreement.Stopped": ("AGR-02",),
    "Agreement.TookEffect": ("AGR-02",),
    "Agreement.ChangeRecorded": ("AGR-06",),
    "Agreement.ChangeReported": ("AGR-06",),
    "Agreement.ChangeReportOverdue": ("AGR-06", "TER-01"),
    "Agreement.RenewalApplied": ("AGR-05",),
    "Agreement.RenewalObjected": ("AGR-05",),
    "Agreement.RenewalRefused": ("AGR-05",),
    "Agreement.SuccessorSigned": ("AGR-05",),
    "Agreement.SuccessorTookEffect": ("AGR-05",),
    "Agreement.ContinuedUnderArt51": ("AGR-05",),
    "Agreement.NoticeToEndGiven": ("AGR-07",),
    "Agreement.Suspended": ("SUS-01",),
    "Agreement.ObligationRaised": ("TER-01",),
    "Agreement.ObligationsDischarged": ("TER-01",),
    "Agreement.ResumptionApplied": (),
    "Agreement.Inspected": ("SUS-04",),
    "Agreement.Resumed": ("SUS-01",),
    "Agreement.BreachFound": ("SUS-06",),
    "Agreement.Ended": (),
    "Agreement.DecisionReversed": ("DIS-01",),
    "Agreement.SuspensionCorrected": ("AUD-01", "SUS-01"),
    "Dispute.Opened": ("DIS-01",),
    "Dispute.RouteChanged": ("DIS-01",),
    "Dispute.OutcomeRecorded": ("DIS-01",),
    "Registry.Opened": (),
    "Registry.AgreementListed": (),
    "Registry.AgreementRetired": (),
    "Registry.AgreementReinstated": ("DIS-01",),
    # money (PAY, DEP, ASM)
    "Claim.Submitted": ("PAY-01", "PAY-02", "PAY-09"),
    "Claim.SampleDrawn": ("PAY-03",),
    "Claim.SampleItemReviewed": ("PAY-03",),
    "Claim.ItemQueried": ("PAY-04", "CAL-02", "CAL-06"),
    "Claim.ItemExplained": ("PAY-04",),
    "Claim.ItemRefusedUnexplained": ("PAY-04",),
    "Claim.ItemHeld": (),
    "Claim.HoldReleased": (),
    "Claim.Approved": ("PAY-03", "PAY-04"),
    "Claim.Paid": ("PAY-06",),
    "Claim.ItemCorrected": ("AUD-01", "PAY-01"),
    "FundAccount.Opened": ("PAY-06",),
    "FundAccount.DepositWithheld": ("PAY-06",),
    "FundAccount.DepositCleared": ("DEP-01", "DEP-02", "DEP-04"),
    "FundAccount.DepositForfeited": ("DEP-03",),
    "FundAccount.RecoveryOrdered": ("PAY-08",),
    "FundAccount.Recovered": ("PAY-08", "AUD-06"),
    "Assessment.Recorded": ("ASM-01", "ASM-03", "ASM-04"),
    # the calendar and the command record
    "CalendarBook.Opened": ("CAL-01",),
    "CalendarBook.YearLoaded": ("CAL-01",),
    "CommandRecord.Handled": ("AUD-04",),
    # the bank statement reconciled against the ledger's payments and returns
    "StatementImport.Imported": ("AUD-06", "PAY-06", "DEP-01"),
    # the clock's index of what falls due next (kept with the agreements it follows)
    "Registry.DueDatesNoted": (),
    # service accounts (domain/account.py): who may do what is itself on record
    "Account.Added": ("AUD-04",),
    "Account.RoleGranted": ("AUD-04",),
    "Account.RoleRevoked": ("AUD-04",),
    "Account.ProvinceReadChanged": ("AUD-04",),
    "Account.PasswordSet": ("AUD-04",),
    "Account.TokenIssued": ("AUD-04",),
    "Account.TokenRevoked": ("AUD-04",),
    # supervision: leads, cases, the double-random draw, expert pools (SUP-01..08)
    "Lead.Received": ("SUP-01", "SUP-02"),
    "Lead.JoinedCase": ("SUP-01", "SUP-04"),
    "Lead.SetAside": ("SUP-01",),
    "Case.Opened": ("SUP-04",),
    "Case.LeadAdded": ("SUP-04",),
    "Case.Assigned": ("SUP-04",),
    "Case.StepRecorded": ("SUP-04",),
    "Case.ExplanationRequested": ("SUP-05", "CAL-02"),
    "Case.ExplanationReceived": ("SUP-05",),
    "Case.Closed": ("SUP-04", "SUP-05"),
    "Draw.Published": ("SUP-07", "SUP-08"),
    "ExpertPool.Opened": ("SUP-08",),
    "ExpertPool.ExpertAdded": ("SUP-08",),
    "ExpertPool.ExpertRemoved": ("SUP-08",),
    "ExpertPool.ConflictDeclared": ("SUP-08",),
}

_SUSPENSION_RULE = {"voluntary": "SUS-02", "mandatory": "SUS-03", "disciplinary": "SUS-04"}
_AUTOMATIC_ENDINGS = {"AUTO-SUS-180": ("SUS-02", "CAL-05", "CAL-06", "TER-05"),
                      "AUTO-SUS-EXPIRY": ("SUS-05", "TER-05"),
                      "EXPIRY": ("AGR-05", "TER-05"),
                      "RENEWED": ("AGR-05", "TER-05"),
                      "EARLY-NOTICE": ("AGR-07", "TER-05")}


def event_type(e: Any) -> str:
    """``Aggregate.Event``, e.g. ``Agreement.Suspended``."""
    return type(e).__qualname__


def _ground_rule(code: Any) -> str | None:
    try:
        return ground(str(code)).rule
    except LookupError:
        return None


def rules_for(e: Any, aggregate: Any = None) -> tuple[str, ...]:
    """The rule ids an event concerns; ``aggregate`` is its aggregate just
    after the event was applied (refines a few by state)."""
    kind = event_type(e)
    rules = list(RULES.get(kind, ()))
    add = rules.append
    if kind == "Agreement.Signed":
        if getattr(e, "renewal_of", None):
            add("AGR-05")
        if getattr(e, "agreement_type", "") == "RA":
            add("ADM-07")
    elif kind == "Agreement.Suspended":
        add(_SUSPENSION_RULE.get(e.kind, "SUS-03"))
        gr = _ground_rule(e.ground_code)
        if e.kind != "voluntary" and gr:
            add(gr)                       # SUS-03 for M 38, SUS-06 for a breach clause
        if e.kind == "voluntary":
            add("CAL-05")
            add("CAL-06")
        if str(e.ground_code).startswith("DA36"):
            add("DEP-03")
    elif kind in ("Agreement.ResumptionApplied", "Agreement.Resumed"):
        last = aggregate.suspensions[-1] if aggregate is not None and aggregate.suspensions \
            else None
        if last is not None:
            add(_SUSPENSION_RULE.get(last["kind"], "SUS-01"))
    elif kind == "Agreement.SuspensionCorrected":
        corrected = getattr(e, "suspension", None) or {}
        if corrected.get("kind") in _SUSPENSION_RULE:
            add(_SUSPENSION_RULE[corrected["kind"]])
    elif kind == "Agreement.Inspected":
        if not e.passed:
            add("TER-01")
    elif kind == "Agreement.ObligationRaised":
        add(e.rule)
    elif kind == "Agreement.ObligationsDischarged":
        if e.rule not in rules:           # TER-02 when a reversal lets it lapse
            add(e.rule)
    elif kind == "Agreement.Ended":
        code = str(e.ground_code)
        if code in _AUTOMATIC_ENDINGS:
            rules += _AUTOMATIC_ENDINGS[code]
        else:                             # an agency's decision to end (M 39, MA 44 ...)
            rules += ["TER-01", "TER-03", "TER-04", "TER-05"]
            if code.startswith("DA37"):
                add("DEP-03")
        if getattr(e, "aftercare", False):
            add("AGR-07")                 # DA 40, 42: repair duties survive the ending
    elif kind == "Agreement.DecisionReversed":
        add("SUS-01" if e.decision == "suspension" else "TER-03")
    elif kind in ("Institution.BarFactRecorded", "Institution.BarFactLifted"):
        gr = _ground_rule(e.ground)
        if gr and gr not in rules:
            add(gr)
    elif kind in ("Person.Registered", "Person.LinkedToInstitution",
                  "Person.UnlinkedFromInstitution"):
        if getattr(e, "role", None) == "practitioner":
            rules = ["SAN-01"]
    elif kind == "Application.EvaluationStarted":
        add("ADM-05" if e.attempt == 1 else "EVA-05")
    elif kind == "Application.ResultNoted":
        if not e.passed:
            rules = ["EVA-05"]
    elif kind == "Application.MaterialsSupplied":
        if aggregate is not None and getattr(aggregate, "accepted_on", None) is not None:
            add("ADM-05")                 # supplied after acceptance: the clock runs again
    elif kind == "Evaluation.Concluded":
        if not e.passed:
            add("EVA-05")
        if e.veto_failed:
            add("EVA-03")
    elif kind == "Claim.Submitted":
        if any(i.get("practitioner_id") for i in e.items):
            add("SAN-02")
        if getattr(e, "late", False):
            add("PAY-01")
    elif kind == "Claim.ItemCorrected":
        if not e.injury:
            add("PAY-09")
    elif kind == "Claim.ItemHeld":
        add("PAY-05" if e.hold == "medical_dispute" else "PAY-07")
    elif kind == "Claim.HoldReleased":
        item = aggregate.items.get(e.item_id) if aggregate is not None else None
        hold = (item or {}).get("hold") or {}
        add("PAY-07" if hold.get("kind") == "investigation" else "PAY-05")
    elif kind == "Claim.Approved":
        if e.excess:
            add("PAY-08")
    elif kind == "Claim.Paid":
        if e.late:
            add("PAY-06")
    elif kind == "FundAccount.RecoveryOrdered":
        if _looks_like_rule(e.ground):
            add(e.ground)
    elif kind == "Assessment.Recorded":
        if e.veto_failed:
            add("ASM-02")
    elif kind == "Lead.Received":
        if e.source == "screening":
            add("SUP-06")             # an alert of the screening rules
        elif e.source == "draw":
            add("SUP-07")
        if getattr(e, "complainant", None):
            add("SUP-03")             # personal data shown to investigators only
    seen: list[str] = []
    for r in rules:
        if r and r not in seen:
            seen.append(r)
    return tuple(seen)


def _looks_like_rule(text: Any) -> bool:
    s = str(text)
    return len(s) == 6 and s[3] == "-" and s[:3].isalpha() and s[:3].isupper() \
        and s[4:].isdigit()


# --- subjects --------------------------------------------------------------------------------
@dataclass(frozen=True)
class Subject:
    kind: str
    key: str

    @classmethod
    def parse(cls, text: str) -> "Subject":
        kind, sep, key = text.partition(":")
        kind = kind.strip().lower()
        if not sep or kind not in SUBJECT_KINDS or not key.strip():
            raise ValueError(f"a subject is institution:CODE, agreement:NUMBER or person:ID; "
                             f"got {text!r}")
        return cls(kind, key.strip())

    def __str__(self) -> str:
        return f"{self.kind}:{self.key}"


@dataclass
class Relations:
    institutions: set[str] = field(default_factory=set)
    agreements: set[str] = field(default_factory=set)
    persons: set[str] = field(default_factory=set)


def aggregate_key(aggregate: Any) -> str:
    name = type(aggregate).__name__
    if name == "Institution" or name == "Agency":
        return aggregate.code
    if name == "Person":
        return aggregate.person_id
    if name in ("Application", "Evaluation", "Agreement", "Dispute"):
        return aggregate.number
    if name == "Claim":
        return f"{aggregate.agreement}:{aggregate.month}"
    if name in ("FundAccount", "Assessment"):
        return f"{aggregate.agreement}:{aggregate.year}"
    if name == "CommandRecord":
        return aggregate.command_id
    if name == "Registry":
        return "agreements"
    if name == "CalendarBook":
        return "calendar"
    if name == "StatementImport":
        return str(aggregate.sha256)[:16]
    return str(getattr(aggregate, "id", ""))


def relations(e: Any, aggregate: Any, state: LedgerState) -> Relations:
    """Which institutions, agreements and persons an event is about."""
    rel = Relations()
    if aggregate is None:
        return rel
    name = type(aggregate).__name__
    kind = event_type(e)
    if name == "Institution":
        rel.institutions.add(aggregate.code)
        if kind == "Institution.AgreementSigned":
            rel.agreements.add(e.number)
        if kind == "Institution.Registered":
            rel.persons |= {p["person_id"] for p in e.people}
        if hasattr(e, "person_id"):
            rel.persons.add(e.person_id)
    elif name == "Person":
        rel.persons.add(aggregate.person_id)
        if hasattr(e, "institution_code"):
            rel.institutions.add(e.institution_code)
        bar_no = getattr(e, "bar_no", None)
        if bar_no and bar_no in aggregate.bars:
            rel.institutions.add(aggregate.bars[bar_no]["institution"])
    elif name in ("Application", "Evaluation"):
        rel.institutions.add(aggregate.institution_code)
    elif name == "Agreement":
        rel.institutions.add(aggregate.institution_code)
        rel.agreements.add(aggregate.number)
        for attr in ("renewal_of", "successor"):
            if getattr(e, attr, None):
                rel.agreements.add(getattr(e, attr))
    elif name == "Dispute":
        rel.institutions.add(aggregate.institution_code)
        if aggregate.agreement:
            rel.agreements.add(aggregate.agreement)
        if aggregate.person_id:
            rel.persons.add(aggregate.person_id)
    elif name in ("Claim", "FundAccount", "Assessment"):
        rel.institutions.add(aggregate.institution_code)
        rel.agreements.add(aggregate.agreement)
        if kind == "Claim.Submitted":
            rel.persons |= {i["practitioner_id"] for i in e.items if i.get("practitioner_id")}
    elif name == "Agency":
        if hasattr(e, "institution_code"):
            rel.institutions.add(e.institution_code)
    elif name == "Registry":
        number = getattr(e, "number", None)
        if number:
            rel.agreements.add(number)
            ag = state.agreements.get(number)
            if ag is not None:
                rel.institutions.add(ag.institution_code)
    return rel


# --- rows ------------------------------------------------------------------------------------
COLUMNS: tuple[tuple[str, str, int], ...] = (   # attribute, header, xlsx width
    ("notification_id", "notification id", 10),
    ("recorded_utc", "recorded (UTC)", 20),
    ("recorded_shanghai", "recorded (Asia/Shanghai)", 20),
    ("effective_on", "business date", 12),
    ("aggregate", "aggregate", 13),
    ("key", "key", 18),
    ("event", "event", 30),
    ("user", "user", 14),
    ("role", "role", 13),
    ("command_id", "command id", 18),
    ("document", "document", 18),
    ("summary", "summary", 70),
    ("rules", "rules", 22),
    ("via", "via", 28),
)


@dataclass(frozen=True)
class TimelineRow:
    notification_id: int
    recorded_utc: datetime
    recorded_shanghai: datetime
    effective_on: date | None
    aggregate: str
    key: str
    event: str
    user: str
    role: str
    command_id: str
    document: str
    summary: str
    rules: tuple[str, ...]
    via: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {"notification_id": self.notification_id,
                "recorded_utc": self.recorded_utc.isoformat(),
                "recorded_shanghai": self.recorded_shanghai.isoformat(),
                "effective_on": self.effective_on.isoformat() if self.effective_on else None,
                "aggregate": self.aggregate, "key": self.key, "event": self.event,
                "user": self.user, "role": self.role, "command_id": self.command_id,
                "document": self.document, "summary": self.summary, "rules": list(self.rules),
                "via": self.via}


_SKIP = {"originator_id", "originator_version", "timestamp", "originator_topic", "envelope",
         "effective_on"}


def _short(value: Any, width: int = 60, revive: Callable[[Any], Any] | None = None) -> str:
    """A value in at most ``width`` characters; an object or array whose JSON
    is longer says how many fields or items it has. ``revive`` turns a value
    left as parsed (``shallow_event``) into what the transcoder decodes, as
    far as it is read."""
    if isinstance(value, (date, datetime)):
        text = value.isoformat()
    elif isinstance(value, Decimal):
        text = str(value)
    elif isinstance(value, dict):
        if revive is not None:
            value = revive(value)
        text = _json_within(value, width, sort_keys=True)
        if text is None:
            text = f"{{{len(value)} fields}}"
    elif isinstance(value, (list, tuple)):
        if revive is not None and isinstance(value, list):
            value = _Revived(value, revive)
        if all(isinstance(v, (str, int, Decimal)) for v in value):
            text = "[" + ", ".join(str(v) for v in value) + "]"
            if len(text) > width:
                text = None
        else:
            text = _json_within(value, width)
        if text is None:
            text = f"[{len(value)} item{'' if len(value) == 1 else 's'}]"
    elif value is None:
        text = "-"
    else:
        text = str(value)
    return text if len(text) <= width else text[: width - 1] + "…"


class _Revived:
    """A parsed array whose items are revived as they are first read."""

    def __init__(self, items: list[Any], revive: Callable[[Any], Any]) -> None:
        self.items, self.revive, self.done = items, revive, 0

    def __len__(self) -> int:
        return len(self.items)

    def __iter__(self) -> Iterator[Any]:
        for i in range(len(self.items)):
            if i >= self.done:
                self.items[i] = self.revive(self.items[i])
                self.done = i + 1
            yield self.items[i]


def _json_within(value: Any, width: int, sort_keys: bool = False) -> str | None:
    """``json.dumps(value, ensure_ascii=False, default=str, sort_keys=...)``,
    or None as soon as it is sure to be longer than ``width``: the text is
    built item by item (the encoder's own separators, ", " and ": "), so a
    claim's twenty items are not all written only to be abridged."""
    def dumps(v: Any) -> str:
        return json.dumps(v, ensure_ascii=False, default=str, sort_keys=sort_keys)
    if isinstance(value, dict):
        if not all(type(k) is str for k in value):
            text = dumps(value)
            return text if len(text) <= width else None
        pairs = sorted(value.items()) if sort_keys else value.items()
        pieces = (f"{dumps(k)}: {dumps(v)}" for k, v in pairs)
        ends = "{}"
    else:
        pieces = (dumps(v) for v in value)
        ends = "[]"
    parts: list[str] = []
    length = 2
    for piece in pieces:
        length += len(piece) + (2 if parts else 0)
        if length > width:
            return None
        parts.append(piece)
    return ends[0] + ", ".join(parts) + ends[1]


def summarize(e: Any, width: int = 300, revive: Callable[[Any], Any] | None = None) -> Summary:
    """``field=value`` for the event's own fields, long values abridged: the
    English text (JSON keeps it), with the words of each field in Chinese for
    the tables and files people read (adapters/summaries.py)."""
    names = [f.name for f in fields(e)] if is_dataclass(e) else list(vars(e))
    aggregate = type(e).__qualname__.split(".")[0]
    shown = [(n, getattr(e, n)) for n in names if n not in _SKIP]
    shown = [(n, value, _short(value, revive=revive)) for n, value in shown]
    text = "; ".join(f"{n}={text}" for n, _, text in shown)
    return Summary(text if len(text) <= width else text[: width - 1] + "…",
                   [(n, summary_words(aggregate, n, value, text)) for n, value, text in shown],
                   width)


def _row(nid: int, e: Any, name: str, key: str, summary: str, rules: tuple[str, ...],
         via: str) -> TimelineRow:
    env = getattr(e, "envelope", None)
    instant = e.timestamp if e.timestamp.tzinfo else e.timestamp.replace(tzinfo=timezone.utc)
    return TimelineRow(
        notification_id=nid,
        recorded_utc=instant.astimezone(timezone.utc),
        recorded_shanghai=instant.astimezone(SHANGHAI),
        effective_on=getattr(e, "effective_on", None), aggregate=name, key=key,
        event=event_type(e),
        user=getattr(env, "user", ""), role=getattr(env, "role", ""),
        command_id=getattr(env, "command_id", ""), document=getattr(env, "document", ""),
        summary=summary, rules=rules, via=via)


def _type_matches(kind: str, wanted: Sequence[str]) -> bool:
    if not wanted:
        return True
    aggregate, _, name = kind.partition(".")
    low = {w.lower() for w in wanted}
    return kind.lower() in low or aggregate.lower() in low or name.lower() in low


def check_types(types: Sequence[str]) -> None:
    """ValueError naming the valid event types when one given matches none."""
    unknown = [t for t in types if not any(_type_matches(kind, [t]) for kind in RULES)]
    if unknown:
        raise ValueError(f"unknown event type(s) {', '.join(map(repr, unknown))}; give an "
                         f"aggregate, an event or Aggregate.Event, one of: "
                         f"{', '.join(sorted(RULES))}")


def _wanted(e: Any, date_from: date | None, date_to: date | None, types: Sequence[str],
            users: Sequence[str], roles: Sequence[str]) -> bool:
    env = getattr(e, "envelope", None)
    if users and getattr(env, "user", "") not in users:
        return False
    if roles and getattr(env, "role", "") not in roles:
        return False
    return _wanted_by(event_type(e), getattr(e, "effective_on", None), date_from, date_to,
                      types)


# the events whose rule ids depend on their aggregate's state (``rules_for``)
STATEFUL = frozenset({"Agreement.ResumptionApplied", "Agreement.Resumed",
                      "Application.MaterialsSupplied", "Claim.HoldReleased"})


@dataclass
class Timeline:
    subject: Subject
    rows: list[TimelineRow]
    state: LedgerState
    linked: dict[str, list[str]] = field(default_factory=dict)  # person: code -> roles
    event_ids: list[int] = field(default_factory=list)           # every row's notification id
    total: int | None = None   # the rows before paging (``timeline``'s limit), or None

    def __post_init__(self) -> None:
        if self.total is None:
            self.total = len(self.rows)


def build_timeline(log: Iterable[tuple[int, Any]], subject: Subject | str, *,
                   date_from: date | None = None, date_to: date | None = None,
                   types: Sequence[str] = (), users: Sequence[str] = (),
                   roles: Sequence[str] = ()) -> Timeline:
    """The subject's rows from ``(notification id, event)`` pairs in log
    order, folding them all (the definition ``timeline`` is checked against)."""
    subject = Subject.parse(subject) if isinstance(subject, str) else subject
    check_types(types)
    state = LedgerState()
    seen: list[tuple[int, Any, Any, Relations, str, tuple[str, ...]]] = []
    history_links: dict[str, set[str]] = {}
    for nid, e in log:
        summary = summarize(e)            # before any later event can touch its fields
        apply(state, e)
        aggregate = state.index.get(e.originator_id)
        rel = relations(e, aggregate, state)
        if subject.kind == "person" and event_type(e) == "Person.LinkedToInstitution" \
                and getattr(aggregate, "person_id", None) == subject.key:
            history_links.setdefault(e.institution_code, set()).add(e.role)
        # the rules as of this moment: the aggregate goes on changing
        seen.append((nid, e, aggregate, rel, summary, rules_for(e, aggregate)))
    table = {"institution": state.institutions, "agreement": state.agreements,
             "person": state.persons}[subject.kind]
    if subject.key not in table:
        raise LookupError(f"unknown {subject.kind} {subject.key!r}")
    linked: dict[str, list[str]] = {}
    if subject.kind == "person":
        person = state.persons[subject.key]
        for link in person.institutions:            # current links, from the projection
            history_links.setdefault(link["code"], set()).add(link["role"])
        linked = {code: sorted(roles) for code, roles in sorted(history_links.items())}
    spanning = {code for code, roles in linked.items() if set(roles) & set(SPANNING_ROLES)}
    rows: list[TimelineRow] = []
    for nid, e, aggregate, rel, summary, rules in seen:
        via = _via(subject, rel, spanning, linked)
        if via is None or not _wanted(e, date_from, date_to, types, users, roles):
            continue
        rows.append(_row(nid, e, type(aggregate).__name__ if aggregate is not None
                         else event_type(e).split(".")[0],
                         aggregate_key(aggregate) if aggregate is not None else "",
                         summary, rules, via))
    return Timeline(subject, rows, state, linked, [r.notification_id for r in rows])


def _via(subject: Subject, rel: Relations, spanning: set[str],
         linked: dict[str, list[str]]) -> str | None:
    if subject.kind == "institution":
        return subject.key if subject.key in rel.institutions else None
    if subject.kind == "agreement":
        return subject.key if subject.key in rel.agreements else None
    hits = sorted(rel.institutions & spanning)
    parts = (["person"] if subject.key in rel.persons else []) + \
        [f"{c} ({', '.join(linked[c])})" for c in hits]
    return "; ".join(parts) if parts else None


def timeline(ledger: Any, subject: Subject | str, *, date_from: date | None = None,
             date_to: date | None = None, types: Sequence[str] = (),
             users: Sequence[str] = (), roles: Sequence[str] = (),
             known_at: datetime | None = None, position: int | None = None,
             limit: int | None = None, offset: int = 0) -> Timeline:
    """The subject's timeline from the read models, as known at ``known_at``
    (or at log ``position``): the rows ``build_timeline`` gives for the log
    recorded by then; with ``limit``, the page of that many rows from
    ``offset`` on (``Timeline.total`` counts them all), and only the page's
    events are summarised. ``Timeline.state`` is left empty
    (``subject_state``)."""
    from adapters.readmodels import catch_up, log_position, view_for
    from adapters.readmodels.subjects import (NotPlain, business_dates, revive, shallow_event,
                                              subject_events, with_states)
    subject = Subject.parse(subject) if isinstance(subject, str) else subject
    check_types(types)
    if limit is not None and limit < 0 or offset < 0:
        raise ValueError("a page's limit and offset are not negative")
    catch_up(ledger)
    view = view_for(ledger)
    if position is None:
        position = log_position(view, known_at)
    # which events make rows is known before any is read: the subject index
    # says which are about the subject, the stored topic names the event and
    # the log row holds its business date; only a user or role filter reads
    # the events themselves (their envelope)
    by_envelope = bool(users or roles)
    # the whole timeline reads every event anyway: in the same query
    with_state = by_envelope or limit is None
    found = subject_events(ledger, view, subject.kind, subject.key, position,
                           with_state=with_state)
    mapper = ledger.mapper
    members = [(nid, stored, via) for nid, stored in found.events
               if (via := found.via(nid)) is not None]
    days = business_dates(view, (nid for nid, _, _ in members)) \
        if (date_from or date_to) and not by_envelope else {}
    chosen = []
    for nid, stored, via in members:
        if by_envelope:
            e = shallow_event(mapper, stored)
            if _wanted(e, date_from, date_to, types, users, roles):
                chosen.append((nid, stored, e, via))
        elif _wanted_by(_event_name(stored.topic), days.get(nid), date_from, date_to, types):
            chosen.append((nid, stored, None, via))
    total = len(chosen)
    page = chosen[offset:] if limit is None else chosen[offset:offset + limit]
    if not by_envelope:   # only the page's events are decoded (and read, for a page)
        stored_page = [(nid, stored) for nid, stored, _, _ in page]
        if not with_state:
            stored_page = with_states(ledger, stored_page)
        page = [(nid, stored, shallow_event(mapper, stored), via)
                for (nid, stored), (_, _, _, via) in zip(stored_page, page)]
    rules = _rules_in_order(ledger, position,
                            {nid: stored.originator_id for nid, stored, e, _ in page
                             if event_type(e) in STATEFUL})
    rows = []
    for nid, stored, e, via in page:
        try:
            summary = summarize(e, revive=lambda v: revive(mapper, v))
        except NotPlain:   # a value only the library's decoder may read
            e = mapper.to_domain_event(stored)
            summary = summarize(e)
        name, key = found.label(nid)
        rows.append(_row(nid, e, name, key, summary, rules.get(nid) or rules_for(e), via))
    return Timeline(subject, rows, LedgerState(), found.linked,
                    [r.notification_id for r in rows], total)


def _rules_in_order(ledger: Any, position: int, wanted: dict[int, Any]
                    ) -> dict[int, tuple[str, ...]]:
    """The rule ids of the events ``wanted`` (notification id: aggregate id)
    that need their aggregate's state then (``STATEFUL``): each such
    aggregate folded over its own events, read and decoded in full."""
    from adapters.readmodels.subjects import read_stored
    if not wanted:
        return {}
    own: dict[str, list[tuple[int, Any]]] = {}
    for nid, stored in read_stored(ledger, max(wanted), aggregates=set(wanted.values())):
        own.setdefault(str(stored.originator_id), []).append((nid, stored))
    to_domain = ledger.mapper.to_domain_event
    rules = {}
    for stream in own.values():
        aggregate = None
        last = max((nid for nid, _ in stream if nid in wanted), default=0)
        for nid, stored in stream:
            if nid > last:
                break
            e = to_domain(stored)
            aggregate = e.mutate(None) if aggregate is None else (e.apply(aggregate) or
                                                                  aggregate)
            if nid in wanted:
                rules[nid] = rules_for(e, aggregate)
    return rules


_NAMES: dict[str, str] = {}


def _event_name(topic: str) -> str:
    """``Aggregate.Event`` of a stored topic: its class's (a renamed event's
    old topic resolves to its class, ``register_topic``)."""
    name = _NAMES.get(topic)
    if name is None:
        from eventsourcing.utils import resolve_topic
        name = _NAMES[topic] = resolve_topic(topic).__qualname__
    return name


def _wanted_by(kind: str, eff: date | None, date_from: date | None, date_to: date | None,
               types: Sequence[str]) -> bool:
    """``_wanted`` without users or roles, from the event's name and date."""
    if date_from and (eff is None or eff < date_from):
        return False
    if date_to and (eff is None or eff > date_to):
        return False
    return _type_matches(kind, types)


# --- exports ---------------------------------------------------------------------------------
def _cell(row: TimelineRow, attr: str) -> Any:
    value = getattr(row, attr)
    if attr == "rules":
        return " ".join(value)
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return "" if value is None else value


def to_csv(rows: Sequence[TimelineRow]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([header for _, header, _ in COLUMNS])
    for r in rows:
        writer.writerow([_cell(r, attr) for attr, _, _ in COLUMNS])
    return out.getvalue()


def write_csv(rows: Sequence[TimelineRow], path: Path | str) -> Path:
    """UTF-8 with a byte-order mark, so Excel opens Chinese text cleanly."""
    path = Path(path)
    path.write_bytes(to_csv(rows).encode("utf-8-sig"))
    return path


def write_xlsx(rows: Sequence[TimelineRow], path: Path | str, *,
               about: dict[str, Any] | None = None) -> Path:
    """An .xlsx workbook: bold frozen header, widths, real dates and times
    (instants without a zone, as Excel has none: the header names it)."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    path = Path(path)
    wb = Workbook()
    ws = wb.active
    ws.title = "timeline"
    ws.append([header for _, header, _ in COLUMNS])
    for cell in ws[1]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(vertical="top")
    ws.freeze_panes = "A2"
    for r in rows:
        values = []
        for attr, _, _ in COLUMNS:
            value = getattr(r, attr)
            if attr in ("recorded_utc", "recorded_shanghai"):
                value = value.replace(tzinfo=None, microsecond=0)
            elif attr == "rules":
                value = " ".join(value)
            values.append(value)
        ws.append(values)
    formats = {"recorded_utc": "yyyy-mm-dd hh:mm:ss", "recorded_shanghai": "yyyy-mm-dd hh:mm:ss",
               "effective_on": "yyyy-mm-dd"}
    for index, (attr, _, width) in enumerate(COLUMNS, start=1):
        letter = get_column_letter(index)
        ws.column_dimensions[letter].width = width
        if attr in formats:
            for (cell,) in ws.iter_rows(min_row=2, min_col=index, max_col=index):
                cell.number_format = formats[attr]
    if rows:
        ws.auto_filter.ref = f"A1:{get_column_letter(len(COLUMNS))}{len(rows) + 1}"
    if about:
        info = wb.create_sheet("about")
        for key, value in about.items():
            info.append([key, value if isinstance(value, (str, int, float)) else
                         json.dumps(value, ensure_ascii=False, default=str)])
        info.column_dimensions["A"].width = 22
        info.column_dimensions["B"].width = 80
        for (cell,) in info.iter_rows(min_col=1, max_col=1):
            cell.font = Font(bold=True)
    wb.save(path)
    return path
