"""The fund positions as a chart (``ledger positions --chart FILE``).

Drawn with matplotlib, headless (the Agg backend), as PNG or SVG by the
file's suffix. One group of bars per year, summed over the agreements
asked: what was claimed, approved, paid, withheld as the deposit, still
held, to recover and recovered, in ten-thousands of yuan (万元, how the
agencies' own reports count). The labels come from the catalogue; Chinese
needs a CJK font (Debian's fonts-wqy-zenhei), and without one the chart is
drawn in English rather than with empty boxes.
"""
from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any, Iterable

from adapters.labels import current, label

SHOWN = ("claimed", "approved", "paid", "withheld", "still_held", "to_recover", "recovered")
SUFFIXES = (".png", ".svg")
CJK_FONTS = ("WenQuanYi Zen Hei", "Noto Sans CJK SC", "Source Han Sans SC", "SimHei")


class ChartUnusable(ValueError):
    """A chart file the ledger cannot write (its suffix)."""


def _cjk_font() -> str | None:
    from matplotlib import font_manager
    names = {f.name for f in font_manager.fontManager.ttflist}
    return next((n for n in CJK_FONTS if n in names), None)


def yearly(rows: Iterable[dict[str, Any]]) -> dict[int, dict[str, Decimal]]:
    """Yuan per year and column, from ``projections.fund.as_dict`` rows."""
    out: dict[int, dict[str, Decimal]] = {}
    for r in rows:
        year = out.setdefault(int(r["year"]), {c: Decimal(0) for c in SHOWN})
        for c in SHOWN:
            year[c] += Decimal(str(r[c]))
    return dict(sorted(out.items()))


def positions_chart(rows: Iterable[dict[str, Any]], path: Path | str, *,
                    title: str = "", lang: str | None = None) -> Path:
    path = Path(path)
    if path.suffix.lower() not in SUFFIXES:
        raise ChartUnusable(f"a chart is written as {' or '.join(SUFFIXES)}, not "
                            f"{path.suffix or 'a file without a suffix'}")
    import logging

    import matplotlib
    matplotlib.use("Agg")
    # the font's one weight is found as 500 for "normal": said once a glyph, not useful
    logging.getLogger("matplotlib.font_manager").setLevel(logging.ERROR)
    from matplotlib import pyplot as plt

    lang = lang or current()
    font = _cjk_font()
    if lang == "zh" and font is None:
        lang = "en"
    data = yearly(rows)
    years = list(data)
    fig, ax = plt.subplots(figsize=(max(8.0, 1.2 * len(years) + 3), 4.8), dpi=120)
    try:
        if font:
            plt.rcParams["font.sans-serif"] = [font, "DejaVu Sans"]
            plt.rcParams["axes.unicode_minus"] = False
        width = 0.8 / len(SHOWN)
        for i, column in enumerate(SHOWN):
            xs = [n + (i - (len(SHOWN) - 1) / 2) * width for n in range(len(years))]
            ys = [float(data[y][column] / 10000) for y in years]
            ax.bar(xs, ys, width, label=label(f"money.{column}", lang))
        ax.set_xticks(range(len(years)), [str(y) for y in years])
        ax.set_ylabel("万元" if lang == "zh" else "10,000 yuan")
        ax.set_title(title or ("基金收支情况" if lang == "zh" else "fund positions"))
        ax.legend(fontsize=8, ncol=len(SHOWN), loc="upper center",
                  bbox_to_anchor=(0.5, -0.1), frameon=False)
        ax.grid(axis="y", alpha=0.3)
        fig.tight_layout()
        fig.savefig(path)
    finally:
        plt.close(fig)
    return path
