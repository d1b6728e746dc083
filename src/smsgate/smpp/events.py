"""What a Session reports after reading bytes or advancing time (h11-style events)."""

from __future__ import annotations

from dataclasses import dataclass

from smsgate.smpp.errors import PduError
from smsgate.smpp.pdu import Request, Response, Unbind


@dataclass(slots=True, frozen=True)
class RequestReceived:
    """The peer sent a request the application must answer (``Session.send_response``).

    outbind and alert_notification take no answer. enquire_link and unbind never show up here:
    the session answers them itself.
    """

    request: Request


@dataclass(slots=True, frozen=True)
class ResponseReceived:
    """The response to one of our requests; ``response`` may be a GenericNack."""

    request: Request
    response: Response


@dataclass(slots=True, frozen=True)
class RequestTimedOut:
    """No response to ``request`` within the session's response_timeout_s."""

    request: Request


@dataclass(slots=True, frozen=True)
class UnexpectedResponse:
    """A response matching no request, or of the wrong kind for the request it names.

    When ``request`` is set, that request is finished (it will never get another response).
    """

    response: Response
    request: Request | None = None


@dataclass(slots=True, frozen=True)
class InvalidPduReceived:
    """The peer sent bytes that do not decode; the session queued the answer if one is due.

    ``request`` is set when a malformed response named one of our outstanding requests, which is
    then finished.
    """

    error: PduError
    request: Request | None = None


@dataclass(slots=True, frozen=True)
class UnbindReceived:
    """The peer unbound; the session queued unbind_resp. Flush, then close the connection."""

    request: Unbind


@dataclass(slots=True, frozen=True)
class LinkBroken:
    """The link cannot go on (framing lost, enquire_link unanswered, no bind in time).

    Flush ``data_to_send()`` (it may hold a generic_nack) and close the connection.
    """

    reason: str


Event = (
    RequestReceived
    | ResponseReceived
    | RequestTimedOut
    | UnexpectedResponse
    | InvalidPduReceived
    | UnbindReceived
    | LinkBroken
)
