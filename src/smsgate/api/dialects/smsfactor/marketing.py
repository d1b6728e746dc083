"""SMSFactor's rules for marketing SMS, as pure functions: the opt-out mention and the hours.

SMSFactor sends marketing ("promotional") SMS only Monday to Saturday between 08:00 and 20:00,
never on Sundays or French public holidays, and appends an opt-out ("STOP") mention that counts
towards the message's length. A marketing campaign asked for outside those hours is held until
the next allowed instant; alert (transactional) SMS go at once. Times are Europe/Paris.

Accounts have no allowed-hours setting of their own yet; this is the vendor's default rule.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

PARIS = ZoneInfo("Europe/Paris")
OPENS = time(8, 0)
CLOSES = time(20, 0)
SUNDAY = 6
# The opt-out mention SMSFactor appends to marketing SMS (France's short code for STOP).
OPT_OUT_MENTION = "\nSTOP au 36180"


def with_opt_out(text: str) -> str:
    """The text a marketing SMS is sent with: the caller's, then the opt-out mention."""
    return text + OPT_OUT_MENTION


def easter_sunday(year: int) -> date:
    """Easter Sunday in the Gregorian calendar (the anonymous Gregorian computus)."""
    a = year % 19
    b, c = divmod(year, 100)
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    l_ = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * l_) // 451
    month, day = divmod(h + l_ - 7 * m + 114, 31)
    return date(year, month, day + 1)


@lru_cache(maxsize=64)
def french_public_holidays(year: int) -> frozenset[date]:
    """France's eleven public holidays (metropolitan list; Alsace-Moselle adds two)."""
    easter = easter_sunday(year)
    fixed = [(1, 1), (5, 1), (5, 8), (7, 14), (8, 15), (11, 1), (11, 11), (12, 25)]
    moving = [easter + timedelta(days=n) for n in (1, 39, 50)]  # Monday, Ascension, Whit Monday
    return frozenset([date(year, month, day) for month, day in fixed] + moving)


def is_marketing_day(day: date) -> bool:
    return day.weekday() != SUNDAY and day not in french_public_holidays(day.year)


def _opening(day: date) -> datetime:
    return datetime.combine(day, OPENS, tzinfo=PARIS).astimezone(UTC)


def next_marketing_instant(at: datetime) -> datetime:
    """`at` itself if a marketing SMS may be sent then, else the next instant one may (UTC)."""
    local = at.astimezone(PARIS)
    day = local.date()
    if is_marketing_day(day):
        if OPENS <= local.time() < CLOSES:
            return at
        if local.time() < OPENS:
            return _opening(day)
    day += timedelta(days=1)
    while not is_marketing_day(day):
        day += timedelta(days=1)
    return _opening(day)
