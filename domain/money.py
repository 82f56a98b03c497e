"""Exact money in whole fen (PAY-10): never a float anywhere in money paths."""
from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

_YUAN = re.compile(r"^(-)?(\d+)(?:\.(\d{1,2}))?$")


@dataclass(frozen=True, order=True)
class Money:
    fen: int

    def __post_init__(self) -> None:
        # PAY-10: a float or Decimal fraction here would lose a fen somewhere.
        if type(self.fen) is not int:
            raise TypeError(f"Money holds whole fen as int, got {type(self.fen).__name__}")

    @classmethod
    def zero(cls) -> "Money":
        return cls(0)

    @classmethod
    def parse(cls, text: str) -> "Money":
        """Parse a yuan amount such as '1,234.56' or '12' into fen, exactly."""
        cleaned = text.strip().replace(",", "").replace("，", "")
        m = _YUAN.match(cleaned)
        if not m:
            raise ValueError(f"not a yuan amount with at most 2 decimals: {text!r}")
        sign, whole, frac = m.groups()
        fen = int(whole) * 100 + int((frac or "0").ljust(2, "0"))
        return cls(-fen if sign else fen)

    def __add__(self, other: "Money") -> "Money":
        return Money(self.fen + other.fen)

    def __sub__(self, other: "Money") -> "Money":
        return Money(self.fen - other.fen)

    def __neg__(self) -> "Money":
        return Money(-self.fen)

    def times(self, factor: int) -> "Money":
        return Money(self.fen * factor)

    def percent_half_up(self, percent: int) -> "Money":
        """percent% of this amount, rounded half-up to the fen (PAY-06)."""
        exact = Decimal(self.fen) * Decimal(percent) / Decimal(100)
        return Money(int(exact.quantize(Decimal(1), rounding=ROUND_HALF_UP)))

    def yuan(self) -> str:
        """Plain yuan with two decimals and no separators, e.g. '-1234.50'."""
        sign = "-" if self.fen < 0 else ""
        whole, frac = divmod(abs(self.fen), 100)
        return f"{sign}{whole}.{frac:02d}"

    def __str__(self) -> str:
        sign = "-" if self.fen < 0 else ""
        whole, frac = divmod(abs(self.fen), 100)
        return f"{sign}{whole:,}.{frac:02d}"
