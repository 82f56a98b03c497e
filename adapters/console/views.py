"""The console's tables: each view's columns, once, for its page and for its
CSV and xlsx exports (adapters/exports.py: the house conventions), so a
downloaded file holds what the page showed, under the same headers. The
supervision answers nest (a case's deadlines, a lead's complainant, a
draw's result), so their flat rows are made here too, for the console and
``ledger supervision --csv/--xlsx`` alike."""
from __future__ import annotations

from typing import Any

from adapters.labels import word
from adapters.tables import Column

STATUS = (Column("agreement", "code"), Column("institution", "code"),
          Column("agency", "code"), Column("status", "word", group="status"),
          Column("why", "text"), Column("valid_from", "date", header="column.since"))
DEADLINES = (Column("due", "date"), Column("rule", "code"), Column("subject", "code"),
             Column("what", "text"), Column("overdue", "bool", header="console.overdue"))
EVENTS = (Column("notification_id", "int", header="console.position"),
          Column("recorded_at", "instant", header="column.recorded_at"),
          Column("effective_on", "date"), Column("event", "word", group="event"),
          Column("subject", "code"), Column("user", "code", header="column.actor"),
          Column("role", "word", group="role"), Column("document", "text"))
TIMELINE = (Column("notification_id", "int", header="console.position"),
            Column("recorded_shanghai", "instant", header="column.recorded_at"),
            Column("effective_on", "date"), Column("event", "word", group="event"),
            Column("key", "code", header="column.subject"),
            Column("user", "code", header="column.actor"), Column("role", "word", group="role"),
            Column("document", "text"), Column("rules", "text", header="column.rules"),
            Column("summary", "text"))
PERIODS = (Column("valid_from", "date", header="column.from"),
           Column("valid_to", "date", header="column.until"),
           Column("status", "word", group="status"), Column("why", "text"))
POSITION_MONEY = ("claimed", "refused", "deducted", "approved", "paid", "withheld", "returned",
                  "forfeited", "still_held", "to_recover", "recovered")
POSITIONS = (Column("agreement", "code"), Column("institution", "code"),
             Column("year", "year"),
             *(Column(m, "money", header=f"money.{m}") for m in POSITION_MONEY))
AGENCY_POSITIONS = (Column("agency", "code"),
                    *(Column(m, "money", header=f"money.{m}") for m in POSITION_MONEY))
# the chart's series, over the years (the list)
CHART_SERIES = ("claimed", "paid", "withheld", "returned", "forfeited", "still_held",
                "to_recover")
CLAIMS = (Column("month", "code", header="console.month"),
          Column("claimed", "money", header="money.claimed"),
          Column("refused_total", "money", header="money.refused"),
          Column("deducted", "money", header="money.deducted"),
          Column("approved", "money", header="money.approved"),
          Column("paid", "money", header="money.paid"),
          Column("withheld", "money", header="money.withheld"),
          Column("sample_items", "text", header="console.sample"),
          Column("batch_text", "text", header="console.batches"),
          Column("late", "bool", header="console.late"))
FINDINGS = (Column("finding", "word", group="finding"), Column("line", "text"),
            Column("direction", "word", group="direction"),
            Column("value_date", "date", header="column.date"), Column("payee", "code"),
            Column("counterparty", "text"),
            Column("statement_amount", "money", header="column.statement"),
            Column("ledger_amount", "money", header="column.ledger"),
            Column("reference", "text", header="console.reference"),
            Column("note", "text", header="console.note"))
APPLICATIONS = (Column("number", "code", header="column.application"),
                Column("status", "word", group="application_status"),
                Column("received_on", "date", header="column.received"),
                Column("accepted_on", "date", header="column.accepted"),
                Column("evaluation_list", "text", header="column.evaluations"))
AGREEMENTS = (Column("agreement", "code"), Column("type", "code", header="column.type"),
              Column("status", "word", group="status"), Column("why", "text"),
              Column("term_start", "date", header="column.from"),
              Column("term_end", "date", header="column.until"))
PEOPLE = (Column("person_id", "code", header="column.person"),
          Column("name", "text", header="console.person_name"),
          Column("role", "word", group="person_role", header="column.role"))
SEARCH = (Column("institution", "code"), Column("name", "text"), Column("agency", "code"))
CHANGES = (Column("notification_id", "int", header="console.position"),
           Column("recorded_at", "instant", header="column.recorded_at"),
           Column("effective_on", "date"), Column("event", "word", group="event"),
           Column("subject", "code"), Column("user", "code", header="column.actor"),
           Column("change_text", "text", header="console.answer_change"))
STATUS_CHANGES = (Column("agreement", "code"), Column("institution", "code"),
                  Column("before", "word", group="status", header="console.before"),
                  Column("after", "word", group="status", header="console.after"),
                  Column("why", "text"))

# --- supervision (SUP; adapters/http/supervision.py answers them) -----------------------------
SUP_CASES = (Column("case", "code"), Column("institution", "code"), Column("agency", "code"),
             Column("opened_on", "date"), Column("leads", "text"),
             Column("assigned_to", "text"), Column("due", "date"), Column("rule", "code"),
             Column("what", "text"), Column("overdue", "bool", header="console.overdue"),
             Column("provisional", "bool", header="cli.provisional"))
SUP_LEADS = (Column("lead", "code"), Column("source", "word", group="lead_source"),
             Column("received_on", "date", header="column.received"),
             Column("status", "word", group="lead_status"), Column("case", "code"),
             Column("agreement", "code"), Column("allegation", "text"),
             Column("reporter", "word", group="reporter"), Column("complainant", "text"),
             Column("origin", "code"))
SUP_INSTITUTION_CASES = (Column("case", "code"), Column("status", "word", group="case_status"),
                         Column("opened_on", "date"), Column("closed_on", "date"),
                         Column("leads", "text"), Column("assigned_to", "text"),
                         Column("summary", "text"), Column("outcomes", "text"))
SUP_ALERT_COUNTS = (Column("rule", "code"), Column("agency", "code"),
                    Column("alerts", "int"), Column("leads", "text"))
SUP_ALERTS = (Column("rule", "code"), Column("institution", "code"), Column("agency", "code"),
              Column("agreement", "code"), Column("what", "text"), Column("rests_on", "text"))
SUP_DRAW = (Column("rank", "int"), Column("institution", "code"),
            Column("inspectors", "text"))


def case_rows(cases: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Open cases, a row per deadline (a case with none has one row without)."""
    rows = []
    for c in cases:
        head = {k: c.get(k) for k in ("case", "institution", "agency", "opened_on", "leads",
                                      "assigned_to")}
        rows += [{**head, **d} for d in c["deadlines"]] or [head]
    return rows


def lead_rows(leads: list[dict[str, Any]], lang: str | None = None) -> list[dict[str, Any]]:
    """An institution's leads, the complainant as one text (redacted as the
    answer was, SUP-03)."""
    return [{**lead, "complainant": "; ".join(f"{word('complainant', k, lang)} {v}"
                                              for k, v in (lead["complainant"] or {}).items())}
            for lead in leads]


def institution_case_rows(cases: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{**c, "closed_on": (c["closed"] or {}).get("on"),
             "outcomes": "; ".join(f"{o['kind']} {o['subject']} {o['ref']}"
                                   for o in (c["closed"] or {}).get("outcomes", []))
             or (c["closed"] or {}).get("reason", "")} for c in cases]


def alert_rows(alerts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Alerts as a re-run raised them, each with the events it rests on."""
    return [{**a, "rests_on": ", ".join(f"#{r['notification_id']} {r['event']}"
                                        for r in a["rests_on"])} for a in alerts]


def draw_rows(proof: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"rank": i, **r} for i, r in enumerate(proof["result"], start=1)]
