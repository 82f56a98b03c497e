"""Column conventions every read-model table shares."""
from __future__ import annotations

from datetime import date

import sqlalchemy as sa

FAR = date(9999, 12, 31)   # valid_to of a row still valid: no end in business time


def _key_text(length: int) -> sa.types.TypeEngine[str]:
    """Text that is looked up or sorted by its bytes: PostgreSQL's "C"
    collation (SQLite's own order; a locale's costs more to index, and could
    order rows differently from SQLite)."""
    return sa.String(length).with_variant(sa.String(length, collation="C"), "postgresql")

