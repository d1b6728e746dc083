"""Carrier links: how one SMPP connection to a carrier is set up, and how its ids are read.

A carrier answers submit_sm with a message id and later quotes an id in its delivery
receipts; some quote it in another base (hex in one, decimal in the other). `submit_key` and
`receipt_key` turn both into one canonical key so that matching is an equality lookup.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from smsgate import errors


class BindMode(StrEnum):
    TRANSCEIVER = "transceiver"
    TRANSMITTER_RECEIVER = "transmitter_receiver"  # one transmitter + one receiver per bind


class LongMethod(StrEnum):
    UDH = "udh"  # 8-bit reference concatenation header in the short message
    SAR = "sar"  # sar_msg_ref_num / sar_total_segments / sar_segment_seqnum TLVs
    PAYLOAD = "payload"  # the whole text in one submit_sm's message_payload TLV


class ReceiptIdFormat(StrEnum):
    SAME = "same"  # receipts quote the id as submit_sm_resp gave it
    HEX = "hex"  # submit_sm_resp gives decimal, receipts quote it in hex
    DECIMAL = "decimal"  # submit_sm_resp gives hex, receipts quote it in decimal


@dataclass(frozen=True, slots=True)
class LinkSettings:
    """What `smsgate links add` takes; defaults suit most carriers."""

    name: str
    host: str
    port: int
    system_id: str
    password: str
    system_type: str = ""
    bind_mode: BindMode = BindMode.TRANSCEIVER
    binds: int = 1
    window: int = 10
    max_per_second: int | None = None
    enquire_link_s: float = 30.0
    reconnect_min_s: float = 1.0
    reconnect_max_s: float = 60.0
    source_ton: int = 1
    source_npi: int = 1
    dest_ton: int = 1
    dest_npi: int = 1
    data_coding: int = 0
    long_method: LongMethod = LongMethod.UDH
    receipt_id_format: ReceiptIdFormat = ReceiptIdFormat.SAME
    enabled: bool = True


@dataclass(frozen=True, slots=True)
class Link:
    id: int
    settings: LinkSettings
    created_at: datetime = field(compare=False)

    @property
    def name(self) -> str:
        return self.settings.name


def check_link_settings(settings: LinkSettings) -> None:
    """Raise InvalidRequest for settings no SMPP link can use (SMPP 3.4 field sizes)."""
    problems: list[str] = []
    if not settings.name or len(settings.name) > 64:
        problems.append("name must be 1 to 64 characters")
    if not 0 < len(settings.host) <= 255:
        problems.append("host must be 1 to 255 characters")
    if not 0 < settings.port < 65536:
        problems.append("port must be between 1 and 65535")
    if not 0 < len(settings.system_id) <= 15:
        problems.append("system_id must be 1 to 15 characters")
    if len(settings.password) > 8:
        problems.append("password must be at most 8 characters (SMPP 3.4)")
    if len(settings.system_type) > 12:
        problems.append("system_type must be at most 12 characters")
    for name in ("system_id", "password", "system_type"):
        value = getattr(settings, name)
        if not (value.isascii() and value.isprintable()):
            problems.append(f"{name} must be printable ASCII")
    if not 1 <= settings.binds <= 32:
        problems.append("binds must be between 1 and 32")
    if not 1 <= settings.window <= 1000:
        problems.append("window must be between 1 and 1000")
    if settings.max_per_second is not None and not 1 <= settings.max_per_second <= 1_000_000:
        problems.append("max_per_second must be between 1 and 1000000")
    if not 0 < settings.enquire_link_s < math.inf:  # also refuses NaN
        problems.append("enquire_link_s must be positive and finite")
    if not 0 < settings.reconnect_min_s <= settings.reconnect_max_s < math.inf:
        problems.append("reconnect back-off needs 0 < min <= max, finite")
    for name in ("source_ton", "source_npi", "dest_ton", "dest_npi", "data_coding"):
        if not 0 <= getattr(settings, name) <= 255:
            problems.append(f"{name} must be a byte (0-255)")
    if problems:
        raise errors.InvalidRequest("; ".join(problems))


def _canonical(message_id: str) -> str:
    return message_id.strip().lower().lstrip("0") or "0"


def _as_decimal(message_id: str, base: int) -> str:
    try:
        return str(int(message_id.strip(), base))
    except ValueError:
        return _canonical(message_id)


def submit_key(message_id: str, fmt: ReceiptIdFormat) -> str:
    """The canonical key of an id from submit_sm_resp."""
    if fmt is ReceiptIdFormat.HEX:
        return _as_decimal(message_id, 10)
    if fmt is ReceiptIdFormat.DECIMAL:
        return _as_decimal(message_id, 16)
    return _canonical(message_id)


def receipt_key(message_id: str, fmt: ReceiptIdFormat) -> str:
    """The canonical key of an id quoted in a delivery receipt."""
    if fmt is ReceiptIdFormat.HEX:
        return _as_decimal(message_id, 16)
    if fmt is ReceiptIdFormat.DECIMAL:
        return _as_decimal(message_id, 10)
    return _canonical(message_id)
