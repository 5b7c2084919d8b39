"""What a relation between printed figures allows, written once for both sides of the quality
engine: the set-based detection writes it out as SQL (quality.py), the suggestion search
evaluates it on numbers (suggest.py). The same function does both: given Sql expressions it
returns the SQL of the formula, given numbers its value."""

from __future__ import annotations


def _operator(symbol: str, swap: bool = False):
    def written_out(self: Sql, other: object) -> Sql:
        left, right = (other, self) if swap else (self, other)
        return Sql(f"({left} {symbol} {right})")
    return written_out


class Sql:
    """An SQL expression that Python's arithmetic writes out (each operation in parentheses)."""

    def __init__(self, text: str) -> None:
        self.text = text

    def __str__(self) -> str:
        return self.text

    __add__, __radd__ = _operator("+"), _operator("+", swap=True)
    __sub__, __rsub__ = _operator("-"), _operator("-", swap=True)
    __mul__, __rmul__ = _operator("*"), _operator("*", swap=True)
    __truediv__, __rtruediv__ = _operator("/"), _operator("/", swap=True)

    def __abs__(self) -> Sql:
        return Sql(f"abs({self})")


def as_sql(*columns: str) -> list[Sql]:
    """Column names (or any SQL) as expressions the formulas below can take."""
    return [Sql(c) for c in columns]


def percent_tolerance(printed, part, part_tol, whole, whole_tol):
    """How far a printed percentage of `part` in `whole` (a rate, a share, a growth) may be from the
    one its printed figures give: its own rounding (`printed`) and the two figures' roundings
    carried into the ratio, to first order."""
    return printed + 100 * (part_tol / abs(whole) + abs(part) * whole_tol / (whole * whole))
