"""Message text: GSM 03.38 (3GPP TS 23.038) alphabet, UCS-2, and how a body splits into segments.

Invariants:
- A text is sent as GSM-7 only if every character is in the default alphabet or its extension
  table (and the caller did not force Unicode); otherwise as UCS-2 (UTF-16-BE on the wire).
- Extension-table characters cost 2 septets (escape + code); characters outside the Basic
  Multilingual Plane cost 2 UTF-16 code units (a surrogate pair).
- A single segment carries 160 septets or 70 code units; each part of a concatenated message
  carries 153 septets or 67 code units (the user data header takes the rest).
- A part never ends inside an escape sequence or a surrogate pair, so it may hold one unit less.
- ``"".join(plan.parts) == text`` and ``plan.segments == len(plan.parts)``; the empty text is one
  empty segment.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

SINGLE_PART_SEPTETS = 160
MULTIPART_SEPTETS = 153
SINGLE_PART_UCS2_UNITS = 70
MULTIPART_UCS2_UNITS = 67

_ESCAPE = 0x1B

# The default alphabet in septet order, 16 per row. Position 0x1B is the escape to the extension
# table, not a character; the placeholder there is skipped when the lookup tables are built.
# The Greek capitals are escapes so that Latin look-alikes (A, B, E, ...) cannot slip in.
_DEFAULT_ALPHABET = (
    "@£$¥èéùìòÇ\nØø\rÅå"
    "\u0394_\u03a6\u0393\u039b\u03a9\u03a0\u03a8\u03a3\u0398\u039e\x1bÆæßÉ"
    " !\"#¤%&'()*+,-./"
    "0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNO"
    "PQRSTUVWXYZÄÖÑÜ§"
    "¿abcdefghijklmno"
    "pqrstuvwxyzäöñüà"
)

# Characters reached through the escape: septet after 0x1B -> character.
_EXTENSION_TABLE: dict[int, str] = {
    0x0A: "\f",
    0x14: "^",
    0x28: "{",
    0x29: "}",
    0x2F: "\\",
    0x3C: "[",
    0x3D: "~",
    0x3E: "]",
    0x40: "|",
    0x65: "€",
}

_DEFAULT_CHARS = frozenset(
    char for septet, char in enumerate(_DEFAULT_ALPHABET) if septet != _ESCAPE
)
EXTENSION_CHARS = frozenset(_EXTENSION_TABLE.values())  # escaped: two septets each
_GSM7_CHARS = _DEFAULT_CHARS | EXTENSION_CHARS

# One regex scan is about twice as fast as a frozenset check on typical (GSM-7) bodies.
_NOT_GSM7_CHAR = re.compile(f"[^{re.escape(''.join(sorted(_GSM7_CHARS)))}]")
_EXTENSION_CHAR = re.compile(f"[{re.escape(''.join(sorted(EXTENSION_CHARS)))}]")

# str.translate tables: character -> its septet(s) as latin-1 code points, ready for .encode().
_ENCODE_TABLE: dict[int, str] = {
    ord(char): chr(septet) for septet, char in enumerate(_DEFAULT_ALPHABET) if septet != _ESCAPE
} | {ord(char): chr(_ESCAPE) + chr(septet) for septet, char in _EXTENSION_TABLE.items()}

# Indexed by byte value; bytes above 0x7F are not septets and decode as U+FFFD.
_DECODE_TABLE = _DEFAULT_ALPHABET.replace("\x1b", " ") + "\ufffd" * 128

_HIGH_SURROGATES = frozenset(map(chr, range(0xD800, 0xDC00)))
_LOW_SURROGATES = frozenset(map(chr, range(0xDC00, 0xE000)))


class Encoding(StrEnum):
    """How a message body is encoded on the wire."""

    GSM7 = "gsm7"
    UCS2 = "ucs2"


@dataclass(frozen=True, slots=True)
class SegmentPlan:
    """How a text is sent: its encoding, size, and the parts each carried by one segment."""

    encoding: Encoding
    units: int  # GSM-7 septets (extension characters count 2) or UTF-16 code units
    segments: int  # 1 for the empty text
    parts: tuple[str, ...]  # concatenated, the parts give back the text


def is_gsm7(text: str) -> bool:
    """Whether every character of the text is in the GSM-7 alphabet or its extension table."""
    return _NOT_GSM7_CHAR.search(text) is None


def gsm7_septets(text: str) -> int:
    """Septets the text takes in GSM-7; raises ValueError if a character is not encodable."""
    _require_gsm7(text)
    return _count_septets(text)


def plan_segments(text: str, *, force_unicode: bool = False) -> SegmentPlan:
    """Choose the encoding and split the text into the parts sent as separate segments."""
    if not force_unicode and is_gsm7(text):
        septets = _count_septets(text)
        parts = _split(
            text,
            total_units=septets,
            single_part_units=SINGLE_PART_SEPTETS,
            multipart_units=MULTIPART_SEPTETS,
            count_units=_count_septets,
        )
        return SegmentPlan(Encoding.GSM7, septets, len(parts), parts)
    code_units = _count_utf16_units(text)
    parts = _split(
        text,
        total_units=code_units,
        single_part_units=SINGLE_PART_UCS2_UNITS,
        multipart_units=MULTIPART_UCS2_UNITS,
        count_units=_count_utf16_units,
    )
    return SegmentPlan(Encoding.UCS2, code_units, len(parts), parts)


def encode_gsm7(text: str) -> bytes:
    """Unpacked GSM-7: one septet per byte, extension characters as 0x1B + code (SMPP DCS 0)."""
    _require_gsm7(text)
    return text.translate(_ENCODE_TABLE).encode("latin-1")


def decode_gsm7(data: bytes) -> str:
    """Inverse of encode_gsm7; never raises.

    An escape followed by a code the extension table lacks decodes as the default-alphabet
    character for that code (3GPP TS 23.038 6.2.1.1); an escape followed by another escape, or
    a trailing escape, decodes as a space.
    """
    latin = data.decode("latin-1")
    if "\x1b" not in latin:
        return latin.translate(_DECODE_TABLE)
    decoded: list[str] = []
    start = 0
    while (escape_at := latin.find("\x1b", start)) != -1:
        decoded.append(latin[start:escape_at].translate(_DECODE_TABLE))
        if escape_at + 1 == len(latin):
            decoded.append(" ")
            start = len(latin)
            break
        code = ord(latin[escape_at + 1])
        decoded.append(_EXTENSION_TABLE.get(code) or _DECODE_TABLE[code])
        start = escape_at + 2
    decoded.append(latin[start:].translate(_DECODE_TABLE))
    return "".join(decoded)


def encode_ucs2(text: str) -> bytes:
    """UTF-16-BE, characters outside the BMP as surrogate pairs; lone surrogates pass through."""
    return text.encode("utf-16-be", "surrogatepass")


def decode_ucs2(data: bytes) -> str:
    """UTF-16-BE to text; malformed input becomes U+FFFD rather than an error."""
    return data.decode("utf-16-be", errors="replace")


def _require_gsm7(text: str) -> None:
    if (found := _NOT_GSM7_CHAR.search(text)) is None:
        return
    char = found.group()
    raise ValueError(f"character {char!r} (U+{ord(char):04X}) at {found.start()} is not GSM-7")


def _count_septets(gsm7_text: str) -> int:
    """Septets of a text already known to be GSM-7: one each, plus one per escape."""
    return len(gsm7_text) + len(_EXTENSION_CHAR.findall(gsm7_text))


def _count_utf16_units(text: str) -> int:
    return len(text.encode("utf-16-le", "surrogatepass")) >> 1


def _split(
    text: str,
    *,
    total_units: int,
    single_part_units: int,
    multipart_units: int,
    count_units: Callable[[str], int],
) -> tuple[str, ...]:
    """Cut the text greedily into the longest parts that fit, never inside a two-unit character.

    Every character costs 1 or 2 units, so a part never holds more characters than units: each
    part starts as the next ``multipart_units`` characters and sheds characters from its end
    until it fits.
    """
    if total_units <= single_part_units:
        return (text,)
    parts: list[str] = []
    start = 0
    while start < len(text):
        end = min(start + multipart_units, len(text))
        excess = count_units(text[start:end]) - multipart_units
        while excess > 0:
            end -= 1
            excess -= count_units(text[end])
        if end < len(text) and text[end - 1] in _HIGH_SURROGATES and text[end] in _LOW_SURROGATES:
            # A pair held as two code points (text decoded with surrogatepass): keep it whole.
            end -= 1
        parts.append(text[start:end])
        start = end
    return tuple(parts)
