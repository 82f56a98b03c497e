"""The agreement ledger's domain: events, aggregates, rules, forms, money,
calendar and the application service. Imports no database, CLI or web code."""
