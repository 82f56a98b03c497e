"""The console's tables: each view's columns, once, for its page and for its
CSV and xlsx exports (adapters/exports.py: the house conventions), so a
downloaded file holds what the page showed, under the same headers."""
from __future__ import annotations

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
