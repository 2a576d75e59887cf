"""Flow variables: filling {name} placeholders and comparing values in conditions."""

from __future__ import annotations

import decimal
import re
from collections.abc import Callable, Mapping

from firmware.store.models import Operator

_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
VALUE_MAX = 500  # longer values (from a lookup) are cut, so a variable stays a short text


def fill(template: str, variables: Mapping[str, str], quote: Callable[[str], str] = str) -> str:
    """``template`` with each {name} replaced by ``quote(value)``; unset variables are empty."""
    return _PLACEHOLDER.sub(lambda m: quote(variables.get(m.group(1), "")), template)


def _as_number(text: str) -> decimal.Decimal | None:
    try:
        value = decimal.Decimal(text.strip().replace(",", "."))
    except decimal.InvalidOperation:
        return None
    return value if value.is_finite() else None


def compare(left: str, operator: Operator, right: str) -> bool:
    """A variable condition: numbers compare as numbers when both sides are, else as text."""
    if operator is Operator.EMPTY:
        return left.strip() == ""
    if operator is Operator.MATCHES:
        return re.fullmatch(right, left) is not None
    a, b = _as_number(left), _as_number(right)
    if a is None or b is None:
        return _ORDER[operator](left, right)
    return _ORDER[operator](a, b)


_ORDER: dict[Operator, Callable[[object, object], bool]] = {
    Operator.EQ: lambda a, b: a == b,
    Operator.NE: lambda a, b: a != b,
    Operator.LT: lambda a, b: a < b,  # type: ignore[operator]
    Operator.LE: lambda a, b: a <= b,  # type: ignore[operator]
    Operator.GT: lambda a, b: a > b,  # type: ignore[operator]
    Operator.GE: lambda a, b: a >= b,  # type: ignore[operator]
}
