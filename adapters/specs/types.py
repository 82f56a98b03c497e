"""The value types the command specs share: strict models, points, yuan
amounts, service months, and the plain values handed to the domain."""
from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from adapters.boundary import Spoken, Text
from domain.application import MATERIALS
from domain.money import AMOUNT_MAX_FEN, AmountOutOfBounds, Money


class Strict(BaseModel):
    # strict: "12" is not 12, 1 is not true, and a date is only YYYY-MM-DD
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True,
                              populate_by_name=True, strict=True)


def _points(value: Any) -> Decimal:
    """Scores are exact decimals with at most 2 places; floats are refused
    because they cannot say 0.1 exactly."""
    if isinstance(value, bool) or isinstance(value, float):
        raise ValueError(Spoken("boundary.types.points_float"))
    try:
        d = Decimal(str(value))
    except InvalidOperation:
        raise ValueError(Spoken("boundary.types.points_not_number", {"value": repr(value)})) from None
    if not d.is_finite() or abs(d) > 1000:   # no form item is worth more than 100
        raise ValueError(Spoken("boundary.types.points_not_number", {"value": repr(value)}))
    if d != d.quantize(Decimal("0.01")):
        raise ValueError(Spoken("boundary.types.points_places"))
    return d


def _yuan_to_fen(value: Any) -> int:
    """PAY-10: amounts arrive as yuan with at most 2 decimals ("1,234.50" or
    1234); a float is refused, it cannot say every fen exactly."""
    if isinstance(value, bool) or isinstance(value, float):
        raise ValueError(Spoken("boundary.types.money_float"))
    try:
        return Money.parse(str(value)).fen
    except AmountOutOfBounds as e:
        # the domain's English as it was (two wordings of one limit); the words for the rest
        raise ValueError(Spoken("boundary.types.money_beyond",
                                {"text": repr(str(value).strip()), "limit": Money(AMOUNT_MAX_FEN)},
                                english=str(e))) from None
    except ValueError:
        raise ValueError(Spoken("boundary.types.money_not_yuan", {"text": repr(str(value))})) from None


Points = Annotated[Decimal, BeforeValidator(_points)]
# a deduction is a JSON pair [points, reason]; strict mode reads a pair only as a tuple
Deduction = Annotated[tuple[Points, Text],
                      BeforeValidator(lambda v: tuple(v) if isinstance(v, list) else v)]
COUNT_MAX = 1_000_000   # staff, beds, patients: no institution counts more
MaterialItem = Literal[tuple(MATERIALS)]  # type: ignore[valid-type]
Fen = Annotated[int, BeforeValidator(_yuan_to_fen)]
Month = Annotated[str, Field(pattern=r"^[0-9]{4}-(0[1-9]|1[0-2])$")]
Party = Literal["agency", "institution"]


def _to_domain(value: Any) -> Any:
    """Plain values for the domain: nested models become dicts and lists."""
    if isinstance(value, BaseModel):
        return {k: _to_domain(v) for k, v in value}
    if isinstance(value, dict):
        return {k: _to_domain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_to_domain(v) for v in value]
    return value
