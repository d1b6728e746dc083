"""Credits as integers: one credit is 1,000,000 micro-units; no float ever holds money."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import lru_cache

MICROS_PER_CREDIT = 1_000_000


def parse_credits(value: str | int | Decimal) -> int:
    """Read an amount of credits ("12.5", 3, Decimal) as micro-units; at most 6 decimals."""
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation as exc:
        raise ValueError(f"not an amount of credits: {value!r}") from exc
    if not amount.is_finite():
        raise ValueError(f"not an amount of credits: {value!r}")
    micros = amount * MICROS_PER_CREDIT
    if micros != micros.to_integral_value():
        raise ValueError(f"at most 6 decimals: {value!r}")
    return int(micros)


def credits_decimal(micros: int) -> Decimal:
    """Micro-units as an exact Decimal of credits, without trailing zeros."""
    value = (Decimal(micros) / MICROS_PER_CREDIT).normalize()
    # normalize() turns 100 into 1E+2; keep a plain exponent.
    return value.quantize(Decimal(1)) if value == value.to_integral() else value


@lru_cache(maxsize=4096)  # prices repeat: every message of a batch renders its price
def format_credits(micros: int) -> str:
    """Micro-units as a plain decimal string of credits: 1500000 -> "1.5"."""
    return format(credits_decimal(micros), "f")


def round_credits(micros: int, places: int = 2) -> Decimal:
    """Credits rounded for display in APIs that carry few decimals."""
    return credits_decimal(micros).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
