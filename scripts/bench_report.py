"""The bench's final table: every figure of one run per store, its target
and whether it is met (issue #14's targets and the replay issue's). A
figure a run did not measure (its section not selected) shows as "-"."""
from __future__ import annotations

from typing import Any, Callable

Row = tuple[str, Callable[[dict], Any], str, str, Callable[[Any], bool] | None]


def _get(*path: str) -> Callable[[dict], Any]:
    def get(r: dict) -> Any:
        for key in path:
            if not isinstance(r, dict) or r.get(key) is None:
                return None
            r = r[key]
        return r
    return get


def _ratio(top: Callable[[dict], Any], bottom: Callable[[dict], Any]) -> Callable[[dict], Any]:
    def ratio(r: dict) -> Any:
        a, b = top(r), bottom(r)
        return a / b if a is not None and b else None
    return ratio


NAIVE = _get("anchors", "naive", "commands_per_second")
REPLAY = _get("anchors", "replay", "events_per_second")
RUN = _get("run", "commands_per_second")
HOT = _get("run", "hot_commands_per_second")
QUIET_SMALL = _get("tick", "small", "quiet_ms")
QUIET_BIG = _get("tick", "province", "quiet_ms")

ROWS: list[Row] = [
    ("events in the province", _get("events"), "{:,.0f}", "", None),
    ("load, events/s", _get("load"), "{:,.0f}", ">= 20,000", lambda v: v >= 20000),
    ("rebuild, events/s (median, partitioned)", _get("rebuild"), "{:,.0f}", ">= 100,000",
     lambda v: v >= 100000),
    ("rebuild, events/s (1 process)", _get("rebuild_single"), "{:,.0f}", "", None),
    ("as-of status p99, ms", _get("status_p99_ms"), "{:.2f}", "<= 20", lambda v: v <= 20),
    ("as-of fund position p99, ms", _get("fund_p99_ms"), "{:.2f}", "<= 20", lambda v: v <= 20),
    ("rebuild equals live", _get("equal"), "{}", "True", lambda v: v is True),
    ("anchor: naive baseline, commands/s", NAIVE, "{:,.0f}", "", None),
    ("anchor: library replay, events/s", REPLAY, "{:,.0f}", "", None),
    ("anchor: raw select + JSON, rows/s", _get("anchors", "raw", "rows_per_second"), "{:,.0f}",
     "", None),
    ("ledger run hot path (commands + their seal, own clock), commands/s", HOT, "{:,.1f}",
     "", None),
    ("ledger run hot path (commands + their seal, own clock), events/s",
     _get("run", "hot_events_per_second"), "{:,.0f}", "", None),
    ("ledger run whole process (start-up + commands + seal), commands/s", RUN, "{:,.1f}", "",
     None),
    ("ledger run whole process (start-up + commands + seal), events/s",
     _get("run", "events_per_second"), "{:,.0f}", "", None),
    ("ledger run, commands rejected", _get("run", "rejected"), "{:,}", "0", lambda v: v == 0),
    ("ledger run hot path / naive baseline", _ratio(HOT, NAIVE), "{:.2f}x", ">= 4x",
     lambda v: v >= 4),
    ("ledger run whole process / naive baseline (start-up in it)", _ratio(RUN, NAIVE),
     "{:.2f}x", "", None),
    ("rebuild / library replay", _ratio(_get("rebuild"), REPLAY), "{:.2f}x", ">= 4.5x",
     lambda v: v >= 4.5),
    ("live agreements, small / province",
     lambda r: (f"{r['tick']['small']['live']:,} / {r['tick']['province']['live']:,}"
                if r.get("tick") else None), "{}", "", None),
    ("tick, nothing due, small store, ms", QUIET_SMALL, "{:,.1f}", "", None),
    ("tick, nothing due, province, ms", QUIET_BIG, "{:,.1f}", "", None),
    ("tick, nothing due, province / small", _ratio(QUIET_BIG, QUIET_SMALL), "{:.2f}x",
     "<= 1.5x", lambda v: v <= 1.5),
    ("tick to a month's last day, province, ms", _get("tick", "province", "month_end_ms"),
     "{:,.1f}", "", None),
    ("tick to the next month's 1st, province, ms", _get("tick", "province", "month_first_ms"),
     "{:,.1f}", "", None),
]
for kind in ("institution", "application", "institution timeline", "agreement timeline",
             "person timeline", "institution timeline, whole", "agreement timeline, whole",
             "person timeline, whole"):
    ROWS += [
        (f"{kind}: questions asked", _get("subjects", kind, "asked"), "{:,}", "1,000", None),
        (f"{kind}: p50, ms", _get("subjects", kind, "p50_ms"), "{:,.1f}", "", None),
        (f"{kind}: p99, ms", _get("subjects", kind, "p99_ms"), "{:,.1f}", "<= 50",
         lambda v: v <= 50),
        (f"{kind}: CPU p50 / p99, ms", lambda r, k=kind: (
            f"{r['subjects'][k]['cpu_p50_ms']:,.1f} / {r['subjects'][k]['cpu_p99_ms']:,.1f}"
            if _get("subjects", k, "cpu_p99_ms")(r) is not None else None), "{}", "", None),
        (f"{kind}: peak memory, MB", _get("subjects", kind, "peak_mb"), "{:,.0f}", "<= 200",
         lambda v: v <= 200),
    ]

STARTUP: list[Row] = [
    ("bare interpreter importing the CLI's libraries, ms", _get("bare_ms"), "{:,.0f}", "", None),
    ("ledger --help, ms", _get("help_ms"), "{:,.0f}", "", None),
    ("ledger status on the demo store, ms", _get("query_ms"), "{:,.0f}", "", None),
    ("ledger --help / bare", _get("help_ratio"), "{:.2f}x", "<= 2x", lambda v: v <= 2),
    ("ledger status / bare", _get("query_ratio"), "{:.2f}x", "<= 2x", lambda v: v <= 2),
]


def _cell(value: Any, fmt: str, check: Callable[[Any], bool] | None) -> tuple[str, str]:
    if value is None:
        return "-", ""
    return fmt.format(value), ("" if check is None else ("met" if check(value) else "MISSED"))


def report(results: dict[str, dict], startup: dict | None) -> str:
    stores = list(results)
    width = max(len(row[0]) for row in ROWS + STARTUP) + 2
    head = f"{'figure':{width}}" + "".join(f"{s:>14} {'':6}" for s in stores) + "  target"
    lines = [head, "-" * len(head)]
    for label, get, fmt, target, check in ROWS:
        cells = [_cell(get(results[s]), fmt, check) for s in stores]
        if all(c[0] == "-" for c in cells):
            continue
        lines.append(f"{label:{width}}" + "".join(f"{v:>14} {m:6}" for v, m in cells)
                     + f"  {target}")
    if startup:
        for label, get, fmt, target, check in STARTUP:
            value, met = _cell(get(startup), fmt, check)
            lines.append(f"{label:{width}}{value:>14} {met:6}" + " " * (21 * (len(stores) - 1))
                         + f"  {target}")
    return "\n".join(lines)
