"""One ESME connection to the simulator: an SmscConnection that also keeps a backlog of
receipts and sends them as fast as its deliver_sm window allows.

Nothing here awaits a response: a receipt goes out when a window slot is free, and whenever
responses free slots (``data_received``) or the transport drains (``resume_writing``), the
backlog is pushed again. One deque per connection, no task or timer per receipt. A receipt
the ESME refuses, or leaves unanswered (time-out, link lost), goes back to ``retry``, as a
carrier keeps a receipt until it is acknowledged.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable

from smsgate.simulator.counters import Counters
from smsgate.smpp import (
    CommandId,
    DeliverSm,
    Request,
    Response,
    Session,
    SmppServer,
    SmscConnection,
)

# Takes back a receipt that was not acknowledged: (system_id, the deliver_sm).
Retry = Callable[[str, DeliverSm], None]


class SimulatedConnection(SmscConnection):
    """An SMSC-side connection with a receipt backlog and a count of its submits."""

    def __init__(
        self,
        server: SmppServer,
        session: Session,
        tick_interval_s: float,
        counters: Counters,
        retry: Retry,
    ) -> None:
        super().__init__(server, session, tick_interval_s)
        self.counters = counters
        self._retry = retry
        self.backlog: deque[DeliverSm] = deque()
        self.submits = 0

    @property
    def can_receive(self) -> bool:
        """Whether deliver_sm may go out on this connection now (bound RX or TRX)."""
        return self.session.can_send(CommandId.DELIVER_SM)

    def send_receipt(self, pdu: DeliverSm) -> None:
        """Send ``pdu`` now if the window allows, else after the receipts already waiting."""
        if self.backlog or not self.can_receive or not self.send_if_window(pdu):
            self.backlog.append(pdu)
        else:
            self.counters.receipts_sent += 1

    def push_backlog(self) -> None:
        """Send waiting receipts until the window is full again."""
        backlog = self.backlog
        if not self.can_receive:
            return
        sent = 0
        while backlog and self.send_if_window(backlog[0]):
            backlog.popleft()
            sent += 1
        self.counters.receipts_sent += sent

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self.backlog:
            self.push_backlog()

    def resume_writing(self) -> None:
        super().resume_writing()
        if self.backlog:
            self.push_backlog()

    def on_response(self, request: Request, response: Response | None) -> None:
        if response is not None and response.command_status == 0:
            return
        if not isinstance(request, DeliverSm):
            return
        if response is None:
            self.counters.receipts_unanswered += 1
        else:
            self.counters.receipts_refused += 1
        self._retry(self.system_id, request)
