from __future__ import annotations

from decimal import Decimal

import pytest

from smsgate.domain.money import format_credits, parse_credits, round_credits


@pytest.mark.parametrize(
    ("text", "micros"),
    [("1", 1_000_000), ("12.5", 12_500_000), ("0.000001", 1), ("-3", -3_000_000)],
)
def test_parse_credits_reads_exact_micros(text: str, micros: int) -> None:
    assert parse_credits(text) == micros


@pytest.mark.parametrize("text", ["abc", "0.0000001", "NaN", "inf", ""])
def test_parse_credits_bad_amount_raises(text: str) -> None:
    with pytest.raises(ValueError, match=r"credits|decimals"):
        parse_credits(text)


@pytest.mark.parametrize(
    ("micros", "text"), [(0, "0"), (100_000_000, "100"), (1_500_000, "1.5"), (1, "0.000001")]
)
def test_format_credits_plain_decimal(micros: int, text: str) -> None:
    assert format_credits(micros) == text


def test_round_credits_two_places() -> None:
    assert round_credits(1_234_567) == Decimal("1.23")
