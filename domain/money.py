"""Exact money in whole fen (PAY-10): never a float anywhere in money paths.

The bounds come from the fund, not from the machine. Shanxi's work-injury
fund pays out a few billion yuan a year in all; no single claim item,
deduction, recovery or return comes near 100 million yuan, so one amount
given in a command is at most ``AMOUNT_MAX_FEN``. Every sum a read model
keeps (an agreement-year's column, an agency's, the fund's) is at most
``SUM_MAX_FEN``, ten trillion yuan: thousands of years of the whole fund,
and still about 9,000 times below what a signed 64-bit column holds, so no
read model ever overflows into a float or a refused row.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

AMOUNT_MAX_FEN = 100_000_000 * 100          # ¥100,000,000.00 for one amount (PAY-10)
CLAIM_TOTAL_MAX_FEN = 1_000_000_000 * 100   # ¥1,000,000,000.00 for one month's claim
SUM_MAX_FEN = 10_000_000_000_000 * 100      # ¥10,000,000,000,000.00 for any kept sum
INT64_MAX = 2**63 - 1
assert SUM_MAX_FEN * 1000 < INT64_MAX  # margin for a SQL SUM over a thousand kept sums

# ASCII digits only (Python's \d also matches full-width and other scripts'
# digits); thousands separators only in their places; at most 2 decimals.
_YUAN = re.compile(r"(-)?([0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.([0-9]{1,2}))?")


class AmountOutOfBounds(ValueError):
    """An amount or a kept sum beyond what the fund can hold (PAY-10)."""


def check_amount(fen: int, what: str = "an amount") -> int:
    """One amount given in a command: whole fen within ``AMOUNT_MAX_FEN``."""
    if type(fen) is not int:
        raise AmountOutOfBounds(f"{what} must be whole fen, got {type(fen).__name__}")
    if abs(fen) > AMOUNT_MAX_FEN:
        raise AmountOutOfBounds(f"{what} of {Money(fen)} yuan is beyond the limit of "
                                f"{Money(AMOUNT_MAX_FEN)} yuan for one amount")
    return fen


def require_within(fen: int, what: str, limit: int = AMOUNT_MAX_FEN) -> None:
    """PAY-10 inside the domain: an amount beyond what the fund can hold is
    refused before any event is made, whoever calls (CLI, API, a script)."""
    if abs(fen) > limit:
        from domain.errors import InvalidCommand
        raise InvalidCommand("{what} of {fen} yuan is beyond the limit of {limit} yuan",
                             rule="PAY-10",
                             remedy="give at most {limit} yuan; split a larger sum into the "
                                    "claims or recoveries it belongs to",
                             key="refusal.money.yuan_beyond_limit_yuan", values={"what": what,
                             "fen": Money(fen), "limit": Money(limit)})


def check_sum(fen: int, what: str = "a kept sum") -> int:
    """A sum a read model keeps: whole fen within ``SUM_MAX_FEN``; anything
    else is a fault to stop at, never a value to store."""
    if type(fen) is not int or abs(fen) > SUM_MAX_FEN:
        raise AmountOutOfBounds(f"{what} of {fen!r} fen is beyond the ledger's limit of "
                                f"{SUM_MAX_FEN} fen for a kept sum")
    return fen


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
        """Parse a yuan amount such as '1,234.56' or '12' into fen, exactly.

        Only ASCII digits; a thousands separator only between groups of
        three ('1,2,3' and '12,34' are refused, not read as 123 and 1234);
        at most 2 decimals; at most ``AMOUNT_MAX_FEN``."""
        m = _YUAN.fullmatch(text.strip())
        if not m:
            raise ValueError(f"not a yuan amount: {text!r}; write ASCII digits with at most "
                             "2 decimals, e.g. 1234.56 or 1,234.56")
        sign, whole, frac = m.groups()
        whole = whole.replace(",", "")
        if len(whole) > 15:   # refuse before int() of a huge digit string
            raise AmountOutOfBounds(f"{text!r} yuan is beyond the limit of "
                                    f"{Money(AMOUNT_MAX_FEN)} yuan for one amount")
        fen = int(whole) * 100 + int((frac or "0").ljust(2, "0"))
        check_amount(fen, f"{text.strip()!r}")
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
