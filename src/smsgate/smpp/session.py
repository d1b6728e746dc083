"""The SMPP session as a sans-IO state machine: bytes in, events out, no sockets, no clock.

The same class plays the ESME (client) or the SMSC (server) role. Time is passed in as ``now``
(seconds on any monotonic scale); nothing here reads a clock, sleeps or awaits.

    session = Session(Role.ESME, window_size=10, now=t0)
    wire = session.send_request(BindTransceiver(system_id=..., password=...), now)
    events = session.receive_data(bytes_from_peer)      # ResponseReceived, RequestReceived, ...
    wire += session.data_to_send()                      # answers the session wrote by itself
    events += session.tick(now)                         # time-outs and enquire_link keep-alive

Invariants:
- Requests we sent and that still wait for an answer live in ``_outstanding`` (sequence number
  -> (request, deadline)), in sending order; matching a response is one dict pop, and expiry
  only looks at the oldest entries because deadlines grow with sending order.
- Sequence numbers run 1..0x7FFFFFFF and wrap to 1.
- enquire_link and unbind from the peer are answered here; every other request goes up as
  RequestReceived, unless the binding state forbids it, in which case the session answers with
  ESME_RINVBNDSTS (ESME_RALYBND for a second bind). Garbage gets a generic_nack.
"""

from __future__ import annotations

from enum import Enum, StrEnum

from smsgate.smpp.codec import PDU_CLASS_BY_ID
from smsgate.smpp.commands import RESPONSE_BIT, CommandId, CommandStatus
from smsgate.smpp.errors import InvalidStateError, PduError, WindowFullError
from smsgate.smpp.events import (
    Event,
    InvalidPduReceived,
    LinkBroken,
    RequestReceived,
    RequestTimedOut,
    ResponseReceived,
    UnbindReceived,
    UnexpectedResponse,
)
from smsgate.smpp.framing import DEFAULT_MAX_PDU_SIZE, PduReader
from smsgate.smpp.pdu import (
    Bind,
    BindReceiver,
    BindTransceiver,
    BindTransmitter,
    EnquireLink,
    EnquireLinkResp,
    GenericNack,
    Request,
    Response,
    Unbind,
    UnbindResp,
)

MAX_SEQUENCE_NUMBER = 0x7FFFFFFF
_C = CommandId


class Role(StrEnum):
    """Which end of the link this session plays."""

    ESME = "esme"  # the application side: binds, submits, receives deliver_sm
    SMSC = "smsc"  # the message centre side: accepts binds, delivers


class SessionState(Enum):
    OPEN = "open"  # connected, not bound
    BOUND_TX = "bound_tx"
    BOUND_RX = "bound_rx"
    BOUND_TRX = "bound_trx"
    UNBOUND = "unbound"  # unbind sent or received: responses, enquire_link, unbind only
    CLOSED = "closed"


class BindType(StrEnum):
    """The three ways to bind, with the PDU class and the state each one leads to."""

    TRANSMITTER = "transmitter"
    RECEIVER = "receiver"
    TRANSCEIVER = "transceiver"

    @property
    def pdu_class(self) -> type[Bind]:
        return _BIND_CLASSES[self]


_BIND_CLASSES: dict[BindType, type[Bind]] = {
    BindType.TRANSMITTER: BindTransmitter,
    BindType.RECEIVER: BindReceiver,
    BindType.TRANSCEIVER: BindTransceiver,
}

_S = SessionState
_BOUND = frozenset({_S.BOUND_TX, _S.BOUND_RX, _S.BOUND_TRX})
_BINDS = frozenset({_C.BIND_TRANSMITTER, _C.BIND_RECEIVER, _C.BIND_TRANSCEIVER})
_STATE_AFTER_BIND: dict[int, SessionState] = {
    _C.BIND_TRANSMITTER_RESP: _S.BOUND_TX,
    _C.BIND_RECEIVER_RESP: _S.BOUND_RX,
    _C.BIND_TRANSCEIVER_RESP: _S.BOUND_TRX,
}
# Requests each role may originate from each state (SMPP 3.4 section 2.3 and table 2-1).
_ESME_SUBMITS = frozenset(
    {_C.SUBMIT_SM, _C.SUBMIT_MULTI, _C.DATA_SM, _C.QUERY_SM, _C.CANCEL_SM, _C.REPLACE_SM}
)
_SMSC_DELIVERS = frozenset({_C.DELIVER_SM, _C.DATA_SM, _C.ALERT_NOTIFICATION})
_LINK = frozenset({_C.ENQUIRE_LINK, _C.UNBIND})
_ALLOWED: dict[tuple[Role, SessionState], frozenset[int]] = {
    (Role.ESME, _S.OPEN): _BINDS | {_C.ENQUIRE_LINK},
    (Role.ESME, _S.BOUND_TX): _ESME_SUBMITS | _LINK,
    (Role.ESME, _S.BOUND_RX): _LINK,
    (Role.ESME, _S.BOUND_TRX): _ESME_SUBMITS | _LINK,
    (Role.ESME, _S.UNBOUND): _LINK,
    (Role.ESME, _S.CLOSED): frozenset(),
    (Role.SMSC, _S.OPEN): frozenset({_C.OUTBIND, _C.ENQUIRE_LINK}),
    (Role.SMSC, _S.BOUND_TX): _LINK,
    (Role.SMSC, _S.BOUND_RX): _SMSC_DELIVERS | _LINK,
    (Role.SMSC, _S.BOUND_TRX): _SMSC_DELIVERS | _LINK,
    (Role.SMSC, _S.UNBOUND): _LINK,
    (Role.SMSC, _S.CLOSED): frozenset(),
}
_NACKED_STATUSES = frozenset({CommandStatus.ESME_RINVCMDLEN, CommandStatus.ESME_RINVCMDID})


class Session:
    """One SMPP session, either role; see the module docstring for the flow."""

    def __init__(
        self,
        role: Role,
        *,
        window_size: int = 10,
        response_timeout_s: float = 30.0,
        enquire_link_interval_s: float | None = 30.0,
        bind_timeout_s: float | None = None,
        max_pdu_size: int = DEFAULT_MAX_PDU_SIZE,
        now: float = 0.0,
        first_sequence_number: int = 1,
    ) -> None:
        if window_size < 1:
            raise ValueError("window_size must be at least 1")
        if not 1 <= first_sequence_number <= MAX_SEQUENCE_NUMBER:
            raise ValueError("first_sequence_number must be in 1..0x7FFFFFFF")
        self.role = role
        self.window_size = window_size
        self.response_timeout_s = response_timeout_s
        self.enquire_link_interval_s = enquire_link_interval_s
        self.bind_timeout_s = bind_timeout_s
        self.state = SessionState.OPEN
        self.bind_type: BindType | None = None
        self._peer_role = Role.SMSC if role is Role.ESME else Role.ESME
        self._may_send = _ALLOWED[(role, self.state)]
        self._may_receive = _ALLOWED[(self._peer_role, self.state)]
        self._reader = PduReader(max_pdu_size)
        self._outstanding: dict[int, tuple[Request, float]] = {}
        self._outbox: list[bytes] = []
        self._next_sequence = first_sequence_number
        self._opened_at = now
        self._last_received_at = now
        self._received_since_tick = False
        self._keepalive_sequence = 0
        self._keepalive_deadline = 0.0

    # -- state ---------------------------------------------------------------------------------

    @property
    def is_bound(self) -> bool:
        return self.state in _BOUND

    @property
    def outstanding_count(self) -> int:
        """Requests sent and not yet answered (the keep-alive enquire_link excluded)."""
        return len(self._outstanding)

    @property
    def has_window(self) -> bool:
        """True when one more request fits in the window."""
        return len(self._outstanding) < self.window_size

    def _set_state(self, state: SessionState) -> None:
        self.state = state
        self._may_send = _ALLOWED[(self.role, state)]
        self._may_receive = _ALLOWED[(self._peer_role, state)]

    def can_send(self, command_id: int) -> bool:
        """Whether the binding state lets this side send a request with ``command_id``."""
        return command_id in self._may_send

    # -- sending -------------------------------------------------------------------------------

    def send_request(self, request: Request, now: float) -> bytes:
        """Number ``request`` (its sequence_number is set), remember it until answered, and
        return its bytes. The object then belongs to the session: send a new one each time.

        Raises InvalidStateError when the state forbids it and WindowFullError when the window
        is full (enquire_link and unbind bypass the window).
        """
        command_id = request.command_id
        if command_id not in self._may_send:
            raise InvalidStateError(
                f"{type(request).__name__} not allowed for {self.role} in {self.state.name}"
            )
        if len(self._outstanding) >= self.window_size and command_id not in _LINK:
            raise WindowFullError(f"{self.window_size} requests already outstanding")
        sequence_number = self._next_sequence
        self._next_sequence = 1 if sequence_number == MAX_SEQUENCE_NUMBER else sequence_number + 1
        request.sequence_number = sequence_number
        data = request.encode()
        if request.response_class is not None:
            self._outstanding[sequence_number] = (request, now + self.response_timeout_s)
        if command_id == _C.UNBIND:
            self._set_state(_S.UNBOUND)
        return data

    def send_response(self, response: Response) -> bytes:
        """Return the bytes of ``response`` (its sequence_number must be the request's).

        A successful bind response sent by the SMSC role binds the session.
        """
        command_id = response.command_id
        if command_id in _STATE_AFTER_BIND and self.role is Role.SMSC and self.state is _S.OPEN:
            if response.command_status == 0:
                self.bind_type = _BIND_TYPE_BY_COMMAND[command_id & ~RESPONSE_BIT]
                self._set_state(_STATE_AFTER_BIND[command_id])
        elif self.state is _S.CLOSED:
            raise InvalidStateError("the session is closed")
        return response.encode()

    def data_to_send(self) -> bytes:
        """Bytes the session produced by itself (automatic answers, keep-alive); drains them."""
        if not self._outbox:
            return b""
        data = b"".join(self._outbox)
        self._outbox.clear()
        return data

    # -- receiving -----------------------------------------------------------------------------

    def receive_data(self, data: bytes) -> list[Event]:
        """Feed bytes from the peer; return what happened, in order."""
        if self.state is _S.CLOSED:
            return []
        self._received_since_tick = True
        events: list[Event] = []
        for item in self._reader.feed(data):
            if isinstance(item, Response):
                self._on_response(item, events)
            elif isinstance(item, Request):
                self._on_request(item, events)
            elif isinstance(item, PduError):
                self._on_invalid(item, events)
        return events

    def _on_response(self, response: Response, events: list[Event]) -> None:
        sequence_number = response.sequence_number
        entry = self._outstanding.pop(sequence_number, None)
        if entry is None:
            if sequence_number == self._keepalive_sequence and sequence_number:
                self._keepalive_sequence = 0  # our keep-alive came back: nothing to report
                return
            events.append(UnexpectedResponse(response))
            return
        request = entry[0]
        command_id = response.command_id
        if command_id != request.command_id | RESPONSE_BIT and command_id != _C.GENERIC_NACK:
            events.append(UnexpectedResponse(response, request))
            return
        if (
            command_id in _STATE_AFTER_BIND
            and response.command_status == 0
            and self.state is _S.OPEN
        ):
            self.bind_type = _BIND_TYPE_BY_COMMAND[command_id & ~RESPONSE_BIT]
            self._set_state(_STATE_AFTER_BIND[command_id])
        events.append(ResponseReceived(request, response))

    def _on_request(self, request: Request, events: list[Event]) -> None:
        command_id = request.command_id
        if command_id not in self._may_receive:
            self._refuse(request)
            return
        if command_id == _C.ENQUIRE_LINK:
            self._outbox.append(EnquireLinkResp(request.sequence_number).encode())
            return
        if command_id == _C.UNBIND:
            self._outbox.append(UnbindResp(request.sequence_number).encode())
            self._set_state(_S.UNBOUND)
            assert isinstance(request, Unbind)
            events.append(UnbindReceived(request))
            return
        events.append(RequestReceived(request))

    def _refuse(self, request: Request) -> None:
        """Answer a request the state forbids: RALYBND for a second bind, else RINVBNDSTS."""
        if request.command_id in _BINDS and self.state in _BOUND:
            status: int = CommandStatus.ESME_RALYBND
        else:
            status = CommandStatus.ESME_RINVBNDSTS
        if request.response_class is None:
            answer: Response = GenericNack(request.sequence_number, status)
        else:
            answer = request.make_response(status)
        self._outbox.append(answer.encode())

    def _on_invalid(self, error: PduError, events: list[Event]) -> None:
        if self._reader.broken:
            self._outbox.append(GenericNack(error.sequence_number, error.command_status).encode())
            events.append(InvalidPduReceived(error))
            events.append(LinkBroken(f"framing lost: {error}"))
            return
        command_id = error.command_id
        if command_id & RESPONSE_BIT and command_id in _KNOWN_RESPONSES:
            # A malformed answer: finish the request it names, answer nothing.
            entry = self._outstanding.pop(error.sequence_number, None)
            events.append(InvalidPduReceived(error, entry[0] if entry else None))
            return
        request_class = _REQUEST_CLASSES.get(command_id)
        if (
            error.command_status in _NACKED_STATUSES
            or request_class is None
            or request_class.response_class is None
        ):
            answer: Response = GenericNack(error.sequence_number, error.command_status)
        else:
            answer = request_class.response_class(error.sequence_number, error.command_status)
        self._outbox.append(answer.encode())
        events.append(InvalidPduReceived(error))

    # -- time ----------------------------------------------------------------------------------

    def tick(self, now: float) -> list[Event]:
        """Advance time: expire requests, keep the link alive, enforce the bind timer.

        Call it periodically (every second or so); its resolution is the resolution of every
        timer. The keep-alive enquire_link goes to ``data_to_send()``.
        """
        events: list[Event] = []
        if self.state is _S.CLOSED:
            return events
        if self._received_since_tick:
            self._received_since_tick = False
            self._last_received_at = now
        outstanding = self._outstanding
        while outstanding:
            sequence_number = next(iter(outstanding))
            request, deadline = outstanding[sequence_number]
            if deadline > now:
                break
            del outstanding[sequence_number]
            events.append(RequestTimedOut(request))
        if self._keepalive_sequence:
            if now >= self._keepalive_deadline:
                self._keepalive_sequence = 0
                events.append(LinkBroken("enquire_link got no response"))
        elif (
            self.enquire_link_interval_s is not None
            and self.state in _BOUND
            and now - self._last_received_at >= self.enquire_link_interval_s
        ):
            self._send_keepalive(now)
        if (
            self.bind_timeout_s is not None
            and self.state is _S.OPEN
            and now - self._opened_at >= self.bind_timeout_s
        ):
            self.bind_timeout_s = None  # report once
            events.append(LinkBroken(f"not bound within {now - self._opened_at:.1f}s"))
        return events

    def _send_keepalive(self, now: float) -> None:
        sequence_number = self._next_sequence
        self._next_sequence = 1 if sequence_number == MAX_SEQUENCE_NUMBER else sequence_number + 1
        self._keepalive_sequence = sequence_number
        self._keepalive_deadline = now + self.response_timeout_s
        self._outbox.append(EnquireLink(sequence_number).encode())
        self._last_received_at = now  # the next probe waits a full interval

    def connection_lost(self) -> list[Request]:
        """Mark the session closed; return the requests that will never be answered."""
        self._set_state(_S.CLOSED)
        pending = [request for request, _ in self._outstanding.values()]
        self._outstanding.clear()
        self._outbox.clear()
        self._keepalive_sequence = 0
        return pending


_REQUEST_CLASSES: dict[int, type[Request]] = {
    cid: cls for cid, cls in PDU_CLASS_BY_ID.items() if issubclass(cls, Request)
}
_KNOWN_RESPONSES = frozenset(
    cid | RESPONSE_BIT for cid, cls in _REQUEST_CLASSES.items() if cls.response_class is not None
) | {_C.GENERIC_NACK}
_BIND_TYPE_BY_COMMAND: dict[int, BindType] = {
    _C.BIND_TRANSMITTER: BindType.TRANSMITTER,
    _C.BIND_RECEIVER: BindType.RECEIVER,
    _C.BIND_TRANSCEIVER: BindType.TRANSCEIVER,
}
