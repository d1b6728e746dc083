"""MO text as an SMSC puts it in deliver_sm: GSM 03.38 when the text fits it, else UCS-2.

A text longer than one segment is cut into concatenated parts, each starting with a user data
header (IEI 0x00: 8-bit reference, total, index) and esm_class UDHI set. GSM-7 goes unpacked,
one septet per octet, as usual on SMPP. A GSM-7 escape pair or a UTF-16 surrogate pair is
never split across two parts.

A small encoder of its own: the simulator imports nothing of smsgate but smpp.
"""

from __future__ import annotations

from dataclasses import dataclass

from smsgate.smpp import DataCoding

GSM7_BASIC = (
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_ESCAPE = 0x1B
_GSM7_EXTENSION = {
    "\f": 0x0A,
    "^": 0x14,
    "{": 0x28,
    "}": 0x29,
    "\\": 0x2F,
    "[": 0x3C,
    "~": 0x3D,
    "]": 0x3E,
    "|": 0x40,
    "€": 0x65,
}
_GSM7: dict[str, bytes] = {
    char: bytes((code,)) for code, char in enumerate(GSM7_BASIC) if code != _ESCAPE
}
_GSM7.update({char: bytes((_ESCAPE, code)) for char, code in _GSM7_EXTENSION.items()})

# Octets of user data in one segment: alone, and in a part of a concatenated message (the
# 6-octet UDH takes 7 septets of GSM-7's 160, 6 octets of the others' 140).
_SINGLE_OCTETS = {DataCoding.SMSC_DEFAULT: 160, DataCoding.LATIN_1: 140, DataCoding.UCS2: 140}
_PART_OCTETS = {DataCoding.SMSC_DEFAULT: 153, DataCoding.LATIN_1: 134, DataCoding.UCS2: 134}
MAX_PARTS = 255


@dataclass(frozen=True, slots=True)
class EncodedText:
    """The short_message of each deliver_sm, the data_coding they share, and whether each
    starts with a UDH (esm_class UDHI)."""

    data_coding: int
    parts: tuple[bytes, ...]
    has_udh: bool


def fits_gsm7(text: str) -> bool:
    """Whether every character of ``text`` is in GSM 03.38 (basic or extension table)."""
    return all(char in _GSM7 for char in text)


def encode_text(text: str, data_coding: int | None = None, reference: int = 0) -> EncodedText:
    """Encode ``text`` in ``data_coding`` (GSM-7 when it fits and None is given, else UCS-2),
    in as many parts as it needs; ``reference`` (0..255) ties the parts together.

    Raises ValueError for a data_coding other than 0, 3 and 8, a character the chosen coding
    lacks, or a text of more than 255 parts.
    """
    if data_coding is None:
        data_coding = DataCoding.SMSC_DEFAULT if fits_gsm7(text) else DataCoding.UCS2
    units = _units(text, data_coding)
    single = _SINGLE_OCTETS[DataCoding(data_coding)]
    if sum(len(unit) for unit in units) <= single:
        return EncodedText(data_coding, (b"".join(units),), has_udh=False)
    bodies = _pack(units, _PART_OCTETS[DataCoding(data_coding)])
    if len(bodies) > MAX_PARTS:
        raise ValueError(f"the text needs {len(bodies)} parts, more than {MAX_PARTS}")
    total = len(bodies)
    parts = tuple(
        bytes((5, 0, 3, reference & 0xFF, total, index)) + body
        for index, body in enumerate(bodies, start=1)
    )
    return EncodedText(data_coding, parts, has_udh=True)


def _units(text: str, data_coding: int) -> list[bytes]:
    """The encoded characters of ``text``, one item per character (1 to 4 octets each)."""
    if data_coding == DataCoding.SMSC_DEFAULT:
        try:
            return [_GSM7[char] for char in text]
        except KeyError as exc:
            raise ValueError(f"{exc.args[0]!r} is not in the GSM 03.38 alphabet") from exc
    if data_coding == DataCoding.LATIN_1:
        try:
            return [char.encode("latin-1") for char in text]
        except UnicodeEncodeError as exc:
            raise ValueError(f"the text does not fit Latin-1: {exc.reason}") from exc
    if data_coding == DataCoding.UCS2:
        return [char.encode("utf-16-be") for char in text]
    raise ValueError(f"data_coding {data_coding} is not supported for MO text (0, 3 or 8)")


def _pack(units: list[bytes], limit: int) -> list[bytes]:
    """Greedy parts of at most ``limit`` octets, cutting only between characters."""
    bodies: list[bytes] = []
    current: list[bytes] = []
    size = 0
    for unit in units:
        if size + len(unit) > limit:
            bodies.append(b"".join(current))
            current, size = [], 0
        current.append(unit)
        size += len(unit)
    if current:
        bodies.append(b"".join(current))
    return bodies
