"""The exceptions of the SMPP library, all under one root.

    SmppError
    ├── PduError                  bytes that are not a valid PDU; carries the answer to send
    │   ├── InvalidCommandLength  command_length out of range or disagreeing with the body
    │   │   └── TruncatedPdu      the body ends inside a mandatory field
    │   ├── UnknownCommandId      command_id outside the SMPP 3.4 table
    │   └── InvalidField          a mandatory field or TLV breaks its rule (status per field)
    ├── PduEncodeError            a PDU object that cannot be written (also a ValueError)
    ├── SessionError              the local side misused the session
    │   ├── InvalidStateError     request not allowed in the current binding state
    │   └── WindowFullError       no free slot in the window of outstanding requests
    └── LinkError                 the asyncio layer: the peer or the network failed us
        ├── ConnectionClosedError the connection ended with the request unanswered
        ├── ResponseTimeoutError  no response within response_timeout_s
        ├── PeerProtocolError     the peer answered with a malformed or mismatched response
        └── BindError             the SMSC refused the bind (carries its command_status)

A refusal carried in a response (a submit_sm_resp with ESME_RTHROTTLED, say) is a value, not an
exception: it arrives as the response PDU and the caller reads its ``command_status``.
"""

from __future__ import annotations


class SmppError(Exception):
    """Root of every error raised by ``smsgate.smpp``."""


class PduError(SmppError):
    """Bytes that do not decode to a valid PDU.

    ``command_status`` is the status the receiver should answer with; ``sequence_number`` and
    ``command_id`` come from the header when it could be read, so a server can answer with a
    generic_nack (or the request's own response) carrying the right sequence number.
    """

    default_status: int = 0x000000FF  # ESME_RUNKNOWNERR

    def __init__(
        self,
        message: str,
        *,
        command_status: int | None = None,
        sequence_number: int = 0,
        command_id: int = 0,
        field: str = "",
    ) -> None:
        super().__init__(message)
        self.command_status = self.default_status if command_status is None else command_status
        self.sequence_number = sequence_number
        self.command_id = command_id
        self.field = field


class InvalidCommandLength(PduError):
    """command_length is below 16, above the limit, or does not match the body."""

    default_status = 0x00000002  # ESME_RINVCMDLEN


class TruncatedPdu(InvalidCommandLength):
    """The body ends inside a mandatory field (a C-octet string without its NUL, say)."""


class UnknownCommandId(PduError):
    """The command_id is not one of SMPP 3.4."""

    default_status = 0x00000003  # ESME_RINVCMDID


class InvalidField(PduError):
    """A field or TLV is malformed; ``command_status`` names the field (ESME_RINVSRCADR...)."""


class PduEncodeError(SmppError, ValueError):
    """A PDU object holds a value that cannot be written on the wire."""


class SessionError(SmppError):
    """The local application used the session against the protocol."""


class InvalidStateError(SessionError):
    """The PDU may not be sent in the session's current binding state."""


class WindowFullError(SessionError):
    """Every slot of the request window is taken; wait for a response first."""


class LinkError(SmppError):
    """Failures of the asyncio client or server: peer gone, silent or refusing."""


class ConnectionClosedError(LinkError):
    """The connection closed while a request was waiting for its response."""


class ResponseTimeoutError(LinkError):
    """No response arrived within the session's response_timeout_s."""


class PeerProtocolError(LinkError):
    """The peer answered a request with a malformed response or one of the wrong kind."""


class BindError(LinkError):
    """The SMSC answered the bind with a non-zero command_status."""

    def __init__(self, message: str, command_status: int) -> None:
        super().__init__(message)
        self.command_status = command_status
