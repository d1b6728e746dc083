from __future__ import annotations

import pytest

from smsgate.domain.phones import parse_phone


@pytest.mark.parametrize(
    ("raw", "region", "e164", "found_region"),
    [
        ("09121234567", "IR", "+989121234567", "IR"),
        ("989121234567", None, "+989121234567", "IR"),
        ("+98 912 123 4567", "FR", "+989121234567", "IR"),
        ("500600700", "PL", "+48500600700", "PL"),
        ("+48 500 600 700", None, "+48500600700", "PL"),
        ("0612345678", "FR", "+33612345678", "FR"),
        ("33612345678", "FR", "+33612345678", "FR"),
        ("0033612345678", None, "+33612345678", "FR"),
        ("91234567", "HK", "+85291234567", "HK"),
        ("+852 9123 4567", None, "+85291234567", "HK"),
        ("07400123456", "GB", "+447400123456", "GB"),
        ("+44 7400 123456", None, "+447400123456", "GB"),
        ("66123456", "MO", "+85366123456", "MO"),
        ("+853 6612 3456", None, "+85366123456", "MO"),
    ],
)
def test_parse_phone_known_formats_give_e164_and_region(
    raw: str, region: str | None, e164: str, found_region: str
) -> None:
    phone = parse_phone(raw, region)
    assert phone is not None
    assert (phone.e164, phone.region) == (e164, found_region)


@pytest.mark.parametrize(
    ("raw", "region"),
    [
        ("12", "IR"),
        ("", "FR"),
        ("not a number", None),
        ("0912123456", "IR"),  # one digit short
        ("+852 1234", None),
        ("1" * 40, None),
        ("500600700", None),  # national Polish number without a default country
    ],
)
def test_parse_phone_invalid_numbers_give_none(raw: str, region: str | None) -> None:
    assert parse_phone(raw, region) is None


def test_the_e164_fast_path_agrees_with_the_general_parser() -> None:
    """`+digits` skips phonenumbers.parse; on any number the answer must be the same."""
    import random

    import phonenumbers

    from smsgate.domain.phones import PhoneNumber, _parse_cached

    rng = random.Random(20261122)
    samples = [f"+{rng.randint(1, 999)}{rng.randint(10**5, 10**11)}" for _ in range(3000)]
    samples += [f"+{rng.randint(1, 999)}0{rng.randint(10**5, 10**10)}" for _ in range(1000)]
    samples += ["+12025550123", "+79261234567", "+78005553535", "+5491123456789", "+390612345678"]
    for raw in samples:
        try:
            parsed = phonenumbers.parse(raw, None)
        except phonenumbers.NumberParseException:
            expected = None
        else:
            expected = (
                PhoneNumber(
                    phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164),
                    phonenumbers.region_code_for_number(parsed) or "001",
                )
                if phonenumbers.is_valid_number(parsed)
                else None
            )
        assert _parse_cached(raw, None) == expected, raw
