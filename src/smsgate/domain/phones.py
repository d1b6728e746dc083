"""Phone numbers: raw recipient strings read into E.164 with the `phonenumbers` library.

A number without a leading + is read first as a national number of the account's default
country (Iranian 0912..., Polish 500600700), then as an international number without its +
(SMSFactor and Payamak clients send 33612345678 or 98912...).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import phonenumbers

MAX_RAW_LENGTH = 32


@dataclass(frozen=True, slots=True)
class PhoneNumber:
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


def region_of(e164: str) -> str:
    """The region of a number already in E.164 (as stored)."""
    found = parse_phone(e164)
    return found.region if found else "001"
