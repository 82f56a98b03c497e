"""Read models built only from events: pure functions over the log, so they
can be rebuilt at any time and asked about any point in history (AUD-02, AUD-03)."""
