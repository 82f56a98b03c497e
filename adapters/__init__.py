"""The ledger's edges: persistence settings, command line, importers."""
