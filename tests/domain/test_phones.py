from __future__ import annotations

import random

import phonenumbers
import pytest

from smsgate.domain.phones import PhoneNumber, parse_phone


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
        ("+079261234567", None),  # no calling code starts with 0: not +7 926...
        ("+0012025550123", None),
        ("00012025550123", None),
    ],
)
def test_parse_phone_invalid_numbers_give_none(raw: str, region: str | None) -> None:
    assert parse_phone(raw, region) is None


def plain_answer(raw: str) -> PhoneNumber | None:
    """What phonenumbers alone says of `raw`: the reference for the fast path."""
    try:
        parsed = phonenumbers.parse(raw, None)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(parsed):
        return None
    return PhoneNumber(
        phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164),
        phonenumbers.region_code_for_number(parsed) or "001",
    )


def test_the_e164_fast_path_agrees_with_the_general_parser() -> None:
    """`+digits` skips phonenumbers.parse; on any number the answer must be the same."""

    from smsgate.domain.phones import _parse_cached

    rng = random.Random(20261122)
    samples = [f"+{rng.randint(1, 999)}{rng.randint(10**5, 10**11)}" for _ in range(3000)]
    samples += [f"+{rng.randint(1, 999)}0{rng.randint(10**5, 10**10)}" for _ in range(1000)]
    samples += ["+12025550123", "+79261234567", "+78005553535", "+5491123456789", "+390612345678"]
    for raw in samples:
        expected = plain_answer(raw)
        assert _parse_cached(raw, None) == expected, raw


def _numbers_near_every_numbering_plan(seed: int) -> list[str]:
    """+E.164 strings for every country calling code: random national numbers of every length
    E.164 allows, and each region's example numbers of every type cut, extended and with
    digits replaced (the last 1-4, or any one), so that valid, almost valid and shared-code
    (+1, +7, +44...) numbers are all well represented. Distinct, in a fixed order."""

    from phonenumbers.phonemetadata import PhoneMetadata

    rng = random.Random(seed)

    def digits(count: int) -> str:
        return "".join(rng.choices("0123456789", k=count))

    numbers: list[str] = []
    for code, regions in sorted(phonenumbers.COUNTRY_CODE_TO_REGION_CODE.items()):
        prefix = f"+{code}"
        for length in range(1, 16 - len(str(code))):
            numbers += [f"{prefix}{rng.randint(1, 9)}{digits(length - 1)}" for _ in range(12)]
        for region in regions:
            metadata = PhoneMetadata.metadata_for_region_or_calling_code(code, region)
            for kind in _NUMBER_TYPES:
                desc = getattr(metadata, kind, None)
                if desc is None or not desc.example_number:
                    continue
                example = str(desc.example_number)
                numbers += [prefix + example, prefix + example[:-1], prefix + example + digits(1)]
                for _ in range(24):
                    cut = rng.randint(1, min(4, len(example)))
                    numbers.append(prefix + example[:-cut] + digits(cut))
                for _ in range(12):
                    at = rng.randrange(len(example))
                    numbers.append(prefix + example[:at] + digits(1) + example[at + 1 :])
    return sorted(set(numbers))


_NUMBER_TYPES = (
    "fixed_line",
    "mobile",
    "toll_free",
    "premium_rate",
    "shared_cost",
    "voip",
    "personal_number",
    "pager",
    "uan",
    "voicemail",
)


def test_the_e164_fast_path_agrees_with_phonenumbers_on_every_numbering_plan() -> None:
    """The fast path's precompiled regexes must give exactly phonenumbers' answer: validity
    and region for the number as written, and the whole parse_phone answer for the string."""

    from smsgate.domain.phones import _SLOW_PATH, _e164_fast, _region_if_valid

    answered_fast = 0
    # The last one matches a German fixed-line pattern but not Germany's general description.
    numbers = [*_numbers_near_every_numbering_plan(seed=20261123), "+49497991234567"]
    for raw in numbers:
        expected = plain_answer(raw)
        fast = _e164_fast(raw)
        if fast is None or fast is _SLOW_PATH:
            # Left to the general parser: invalid numbers, numbers it rewrites (a trunk prefix
            # dropped), reads with leading zeros (Italy) or finds longer than E.164 allows.
            invalid_or_rewritten = expected is None or expected.e164 != raw
            assert invalid_or_rewritten or fast is _SLOW_PATH or len(raw) > 16, raw
            assert parse_phone(raw) == expected, raw
        else:
            answered_fast += 1
            assert fast == expected, raw
        # The same question asked of phonenumbers directly, on the number exactly as written.
        code, national = _split(raw)
        if national and not national.startswith("0"):
            number = phonenumbers.PhoneNumber(country_code=code, national_number=int(national))
            region = phonenumbers.region_code_for_number(number) or "001"
            valid = phonenumbers.is_valid_number(number)
            assert _region_if_valid(code, national) == (region if valid else None), raw
    assert len(numbers) > 60_000
    assert answered_fast > 30_000


def _split(raw: str) -> tuple[int, str]:
    """Country calling code and national part of +digits (codes are prefix-free)."""

    for size in (1, 2, 3):
        if int(raw[1 : 1 + size]) in phonenumbers.COUNTRY_CODE_TO_REGION_CODE:
            return int(raw[1 : 1 + size]), raw[1 + size :]
    raise AssertionError(raw)
