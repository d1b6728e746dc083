"""SMSFactor's marketing hours: Monday to Saturday 08:00-20:00 Europe/Paris, no public holiday."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from smsgate.api.dialects.smsfactor.marketing import (
    PARIS,
    easter_sunday,
    french_public_holidays,
    next_marketing_instant,
    with_opt_out,
)


@pytest.mark.parametrize(
    ("year", "easter"),
    [
        (2024, date(2024, 3, 31)),
        (2025, date(2025, 4, 20)),
        (2026, date(2026, 4, 5)),
        (2027, date(2027, 3, 28)),
        (2038, date(2038, 4, 25)),
        (2285, date(2285, 3, 22)),
    ],
)
def test_easter_sunday_known_years(year: int, easter: date) -> None:
    assert easter_sunday(year) == easter


def test_french_public_holidays_2026_are_the_eleven() -> None:
    assert sorted(french_public_holidays(2026)) == [
        date(2026, 1, 1),
        date(2026, 4, 6),  # Easter Monday
        date(2026, 5, 1),
        date(2026, 5, 8),
        date(2026, 5, 14),  # Ascension
        date(2026, 5, 25),  # Whit Monday
        date(2026, 7, 14),
        date(2026, 8, 15),
        date(2026, 11, 1),
        date(2026, 11, 11),
        date(2026, 12, 25),
    ]


def paris(*args: int) -> datetime:
    return datetime(*args, tzinfo=PARIS)  # type: ignore[misc]


@pytest.mark.parametrize(
    ("at", "allowed"),
    [
        (paris(2026, 11, 24, 10, 0), paris(2026, 11, 24, 10, 0)),  # Tuesday morning
        (paris(2026, 11, 24, 8, 0), paris(2026, 11, 24, 8, 0)),  # opening time itself
        (paris(2026, 11, 24, 7, 59), paris(2026, 11, 24, 8, 0)),  # before opening
        (paris(2026, 11, 24, 20, 0), paris(2026, 11, 25, 8, 0)),  # closing time: next day
        (paris(2026, 11, 28, 19, 59), paris(2026, 11, 28, 19, 59)),  # Saturday evening
        (paris(2026, 11, 28, 21, 0), paris(2026, 11, 30, 8, 0)),  # Saturday night: Monday
        (paris(2026, 11, 29, 12, 0), paris(2026, 11, 30, 8, 0)),  # Sunday
        (paris(2026, 12, 25, 9, 0), paris(2026, 12, 26, 8, 0)),  # Christmas (a Friday)
        (paris(2026, 4, 4, 22, 0), paris(2026, 4, 7, 8, 0)),  # Easter Saturday night
        (paris(2026, 5, 8, 10, 0), paris(2026, 5, 9, 8, 0)),  # 8 May
        (paris(2026, 10, 24, 23, 0), paris(2026, 10, 26, 8, 0)),  # over the autumn DST change
    ],
)
def test_next_marketing_instant(at: datetime, allowed: datetime) -> None:
    found = next_marketing_instant(at.astimezone(UTC))
    assert found == allowed
    assert found.utcoffset() is not None


def test_next_marketing_instant_opening_is_eight_paris_in_summer_and_winter() -> None:
    summer = next_marketing_instant(datetime(2026, 7, 1, 3, 0, tzinfo=UTC))
    winter = next_marketing_instant(datetime(2026, 12, 1, 3, 0, tzinfo=UTC))
    assert summer == datetime(2026, 7, 1, 6, 0, tzinfo=UTC)
    assert winter == datetime(2026, 12, 1, 7, 0, tzinfo=UTC)


def test_opt_out_mention_is_appended_after_the_text() -> None:
    assert with_opt_out("Sale!") == "Sale!\nSTOP au 36180"
