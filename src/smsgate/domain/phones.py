"""Phone numbers: raw recipient strings read into E.164 with the `phonenumbers` library.

A number without a leading + is read first as a national number of the account's default
country (Iranian 0912..., Polish 500600700), then as an international number without its +
(SMSFactor and Payamak clients send 33612345678 or 98912...).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import NamedTuple

import phonenumbers
from phonenumbers.phonemetadata import PhoneMetadata, PhoneNumberDesc

MAX_RAW_LENGTH = 32


class PhoneNumber(NamedTuple):  # a tuple: one is made per recipient (decisions/0009)
    e164: str
    region: str  # ISO 3166-1 alpha-2, upper case ("001" for non-geographic)


def parse_phone(raw: str, default_region: str | None = None) -> PhoneNumber | None:
    """The valid number `raw` stands for, or None when it is not a valid phone number."""
    if not isinstance(raw, str) or len(raw) > MAX_RAW_LENGTH:
        return None
    return _parse_cached(raw.strip(), (default_region or "").upper() or None)


@lru_cache(maxsize=65536)
def _parse_cached(raw: str, default_region: str | None) -> PhoneNumber | None:
    if not raw:
        return None
    if raw.startswith("00"):
        raw = "+" + raw[2:]
    if raw.startswith("+") and raw[1:].isdigit() and raw[1:].isascii():
        # The common case (E.164 already): skip the general parser and check the number
        # against one precompiled regex (bench/phones.py: about 3 us a number against 12).
        fast = _e164_fast(raw)
        if fast is not None and fast is not _SLOW_PATH:
            return fast
        # Not valid as written: the general parser may still drop a trunk prefix (+7 8...).
    candidates = [raw] if raw.startswith("+") else [raw, "+" + raw]
    for candidate in candidates:
        region = default_region if not candidate.startswith("+") else None
        if region is None and not candidate.startswith("+"):
            continue
        try:
            parsed = phonenumbers.parse(candidate, region)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_valid_number(parsed):
            found = phonenumbers.region_code_for_number(parsed) or "001"
            e164 = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
            return PhoneNumber(e164=e164, region=found)
    return None


_SLOW_PATH = PhoneNumber("", "")  # _e164_fast cannot tell: use the general parser

# Every 1-3 digit string that is a country calling code: one dict lookup per prefix. No
# calling code starts with 0: "+07..." is not +7 (the int() test this replaced said it was).
_CODE_BY_PREFIX = {str(code): code for code in phonenumbers.COUNTRY_CODE_TO_REGION_CODE}


def _e164_fast(raw: str) -> PhoneNumber | None:
    """The number if valid as written; else None or _SLOW_PATH (a national part starting
    with 0), and the caller asks the general parser, which knows trunk prefixes."""
    digits = raw[1:]
    # Country calling codes are prefix-free: at most one of the 1-3 digit prefixes is one.
    for size in (1, 2, 3):
        code = _CODE_BY_PREFIX.get(digits[:size])
        if code is not None:
            national = digits[size:]
            break
    else:
        return None
    if national.startswith("0"):
        return _SLOW_PATH
    if not national or len(digits) > 15:
        return None
    region = _region_if_valid(code, national)
    if region is None:
        return None
    return PhoneNumber("+" + str(code) + national, region)


def _region_if_valid(code: int, national: str) -> str | None:
    """The region of +`code` `national` if valid, else None: the answer of
    phonenumbers.is_valid_number then region_code_for_number ("001" for non-geographic
    codes), from one precompiled fullmatch instead of a dozen calls and regex matches."""
    matcher = _validity_matcher(code, len(national))
    if matcher is None:
        return None
    found = matcher.pattern.fullmatch(national)
    if found is None or found.lastgroup is None:
        return None
    return matcher.region_by_group[found.lastgroup]


@dataclass(frozen=True, slots=True)
class _ValidityMatcher:
    """One regex for the national numbers of one length under one country calling code.

    It has a branch per region, in the order of COUNTRY_CODE_TO_REGION_CODE, and each branch
    ends in an empty named group: the group that matched last names the region (or None: the
    region was chosen by its leading digits but the number is not valid there).
    """

    pattern: re.Pattern[str]
    region_by_group: dict[str, str | None]


# The number types _number_type_helper tries after the general description; mobile only when
# its pattern differs from the fixed-line one (same_mobile_and_fixed_line_pattern).
_TYPE_DESCS = (
    "premium_rate",
    "toll_free",
    "shared_cost",
    "voip",
    "personal_number",
    "pager",
    "uan",
    "voicemail",
    "fixed_line",
)


@cache  # at most ~215 calling codes x 14 lengths, built on first use
def _validity_matcher(code: int, length: int) -> _ValidityMatcher | None:
    """The matcher for numbers +`code` then `length` national digits; None if none is valid.

    Mirrors region_code_for_number: a code with one region takes it outright; a shared code
    (+1, +7, +44...) takes the first region whose leading digits match the number's start
    or, for a region without leading digits, for which the number is valid. The number is
    then valid if it is valid for that region (is_valid_number_for_region).
    """
    regions = phonenumbers.COUNTRY_CODE_TO_REGION_CODE[code]
    shared = len(regions) > 1
    branches: list[str] = []
    region_by_group: dict[str, str | None] = {}
    for index, region in enumerate(regions):
        if shared:  # as _region_code_for_number_from_list, which skips regions without data
            metadata = PhoneMetadata.metadata_for_region(region, None)
        else:
            metadata = PhoneMetadata.metadata_for_region_or_calling_code(code, region)
        if metadata is None:
            continue
        valid = _valid_number_pattern(metadata, length)
        same_code = region == phonenumbers.REGION_CODE_FOR_NON_GEO_ENTITY or (
            metadata.country_code == code
        )
        valid_group, invalid_group = f"r{index}", f"x{index}"
        region_by_group[valid_group] = region if same_code else None
        region_by_group[invalid_group] = None
        if shared and metadata.leading_digits is not None:
            # The region is chosen by a prefix match, valid or not: the `.*` alternative
            # stops later regions from being tried.
            rest = f"{valid}(?P<{valid_group}>)|" if valid is not None else ""
            branches.append(f"(?=(?:{metadata.leading_digits}))(?:{rest}.*(?P<{invalid_group}>))")
        elif valid is not None:
            branches.append(f"{valid}(?P<{valid_group}>)")
    if not branches:
        return None
    return _ValidityMatcher(re.compile("|".join(branches)), region_by_group)


def _valid_number_pattern(metadata: PhoneMetadata, length: int) -> str | None:
    """A regex fullmatching the national numbers of `length` digits to which
    _number_type_helper gives a type (not UNKNOWN); None when there are none."""
    general = _desc_pattern(metadata.general_desc, length)
    if general is None:
        return None
    names = _TYPE_DESCS if metadata.same_mobile_and_fixed_line_pattern else (*_TYPE_DESCS, "mobile")
    # dict: identical patterns once, in a fixed order
    types = dict.fromkeys(
        found for name in names if (found := _desc_pattern(getattr(metadata, name), length))
    )
    if not types:
        return None
    alternatives = "|".join(f"(?:{pattern})" for pattern in types)
    return f"(?=(?:{general})\\Z)(?:{alternatives})"


def _desc_pattern(desc: PhoneNumberDesc | None, length: int) -> str | None:
    """The pattern of `desc` if a number of `length` digits can match it, as
    _is_number_matching_desc decides: a listed possible length is required (so (-1,), "no
    numbers", matches none), an empty list means any, and no pattern never matches."""
    if desc is None or not desc.national_number_pattern:
        return None
    if desc.possible_length and length not in desc.possible_length:
        return None
    return str(desc.national_number_pattern)


def region_of(e164: str) -> str:
    """The region of a number already in E.164 (as stored)."""
    found = parse_phone(e164)
    return found.region if found else "001"
