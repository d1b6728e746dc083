"""Cut a TCP byte stream into PDUs.

Invariant: the reader either holds a prefix of the next PDU or is broken. A command_length below
16 or above ``max_pdu_size`` cannot be skipped safely (the next PDU's start is unknown), so the
reader reports it once and ignores everything after; the connection has to be closed.
"""

from __future__ import annotations

from smsgate.smpp.codec import decode_frame
from smsgate.smpp.errors import InvalidCommandLength, PduError
from smsgate.smpp.pdu import Pdu
from smsgate.smpp.wire import HEADER, HEADER_SIZE, U32

DEFAULT_MAX_PDU_SIZE = 65536


class PduReader:
    """Accepts byte chunks of any size and returns the PDUs they complete, in order.

    Malformed PDUs with a sane length come back as PduError values among the PDUs (the stream
    stays usable); a bad command_length comes back as InvalidCommandLength and sets ``broken``.
    """

    __slots__ = ("_max_pdu_size", "_pending", "broken")

    def __init__(self, max_pdu_size: int = DEFAULT_MAX_PDU_SIZE) -> None:
        self._max_pdu_size = max_pdu_size
        self._pending = b""
        self.broken = False

    @property
    def buffered(self) -> int:
        """Octets held while waiting for the rest of a PDU."""
        return len(self._pending)

    def feed(self, data: bytes) -> list[Pdu | PduError]:
        """Add ``data`` and return every PDU (or decoding error) completed by it."""
        if self.broken:
            return []
        buf = self._pending + data if self._pending else bytes(data)
        size = len(buf)
        pos = 0
        items: list[Pdu | PduError] = []
        unpack_length = U32.unpack_from
        unpack_header = HEADER.unpack_from
        max_size = self._max_pdu_size
        while size - pos >= 4:
            (length,) = unpack_length(buf, pos)
            if length < HEADER_SIZE or length > max_size:
                sequence_number = command_id = 0
                if size - pos >= HEADER_SIZE:
                    _, command_id, _, sequence_number = unpack_header(buf, pos)
                items.append(
                    InvalidCommandLength(
                        f"command_length {length} outside {HEADER_SIZE}..{max_size}",
                        sequence_number=sequence_number,
                        command_id=command_id,
                    )
                )
                self.broken = True
                self._pending = b""
                return items
            if size - pos < length:
                break
            _, command_id, command_status, sequence_number = unpack_header(buf, pos)
            try:
                items.append(
                    decode_frame(
                        buf, pos, pos + length, command_id, command_status, sequence_number
                    )
                )
            except PduError as exc:
                items.append(exc)
            pos += length
        self._pending = buf[pos:] if pos < size else b""
        return items
