"""Which connection gets each receipt, and when.

Invariants:
- ``_pending`` holds scheduled receipts in due order: the delay is the same for all, so
  appending keeps the order; so does ``_retries``, receipts an ESME refused or left
  unanswered, each due ``retry_s`` after it came back. One timer at a time (``_timer``, due at
  ``_timer_due``) waits for the earlier of the two oldest; when it fires, every receipt due
  within ``_BATCH_S`` is handed over, then the timer is set for the next one.
- Without delay the timer is a ``call_soon`` made while the submit is handled, before its
  response is written: it runs after that read's responses are queued and before they are
  flushed, so each receipt leaves in the same TCP write as its response, just after it.
- A receipt goes to a connection of the system_id that submitted the message and may receive
  (bound RX or TRX), taking turns among them. With none bound, it is parked for that system_id
  (up to ``max_parked``) and handed over when one binds.
- A connection that closes gives its unsent backlog back to be routed again, and what it
  had sent without an answer comes back through ``retry``.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from dataclasses import replace

from smsgate.simulator.connection import SimulatedConnection
from smsgate.simulator.counters import Counters
from smsgate.simulator.receipts import MinuteStamps, PendingReceipt, build_receipt
from smsgate.smpp import DeliverSm

# Receipts due this soon after the timer fires go in the same batch.
_BATCH_S = 0.001


class ReceiptRouter:
    """Schedules receipts and hands them to receiving connections, round-robin per system_id."""

    def __init__(
        self,
        counters: Counters,
        *,
        delay_s: float,
        retry_s: float,
        error_code: int,
        max_parked: int,
    ) -> None:
        self._loop = asyncio.get_running_loop()
        self._delay_s = delay_s
        self._retry_s = retry_s
        self._counters = counters
        self._error_code = error_code
        self._max_parked = max_parked
        self._stamps = MinuteStamps()
        self._pending: deque[PendingReceipt] = deque()
        self._retries: deque[tuple[float, str, DeliverSm]] = deque()
        self._timer: asyncio.Handle | None = None
        self._timer_due = 0.0
        self._closed = False
        self._receivers: dict[str, list[SimulatedConnection]] = {}
        self._turns: dict[str, int] = {}
        self._parked: dict[str, deque[DeliverSm]] = {}

    # -- receivers -----------------------------------------------------------------------------

    def add_receiver(self, connection: SimulatedConnection) -> None:
        """``connection`` is bound RX or TRX: it takes its share of receipts from now on."""
        system_id = connection.system_id
        self._receivers.setdefault(system_id, []).append(connection)
        parked = self._parked.pop(system_id, None)
        while parked:
            connection.send_receipt(parked.popleft())

    def remove(self, connection: SimulatedConnection) -> None:
        """``connection`` is gone: route what it had not sent yet to the others."""
        receivers = self._receivers.get(connection.system_id)
        if receivers is not None and connection in receivers:
            receivers.remove(connection)
            if not receivers:
                del self._receivers[connection.system_id]
        backlog = connection.backlog
        while backlog:
            self.route(connection.system_id, backlog.popleft())

    def receiver(self, system_id: str | None = None) -> SimulatedConnection | None:
        """The next receiving connection of ``system_id`` (of any system_id when None)."""
        if system_id is None:
            candidates = [c for receivers in self._receivers.values() for c in receivers]
            key = ""
        else:
            candidates = self._receivers.get(system_id, [])
            key = system_id
        if not candidates:
            return None
        if len(candidates) == 1:
            return candidates[0]
        turn = self._turns.get(key, 0)
        self._turns[key] = turn + 1
        return candidates[turn % len(candidates)]

    @property
    def receivers(self) -> list[SimulatedConnection]:
        return [c for receivers in self._receivers.values() for c in receivers]

    # -- receipts ------------------------------------------------------------------------------

    def schedule(self, pending: PendingReceipt) -> None:
        """Send ``pending`` once its due time has come."""
        self._pending.append(pending)
        if self._timer is None or pending.due < self._timer_due:
            self._arm(pending.due, soon=not self._delay_s)

    def retry(self, system_id: str, pdu: DeliverSm) -> None:
        """Send ``pdu`` again after the retry delay: the ESME did not acknowledge it."""
        if self._closed:
            return
        due = self._loop.time() + self._retry_s
        self._retries.append((due, system_id, replace(pdu, sequence_number=0)))
        if self._timer is None or due < self._timer_due:
            self._arm(due, soon=False)

    def send_now(self, pending: PendingReceipt) -> None:
        """Build and route ``pending`` at once, whatever its due time."""
        self.route(pending.system_id, self._build(pending, self._done_date()))

    def route(self, system_id: str, pdu: DeliverSm) -> None:
        """Hand ``pdu`` to a receiver of ``system_id``, or park it until one binds."""
        receivers = self._receivers.get(system_id)
        if receivers is not None and len(receivers) == 1:
            receivers[0].send_receipt(pdu)
            return
        connection = self.receiver(system_id)
        if connection is not None:
            connection.send_receipt(pdu)
            return
        parked = self._parked.setdefault(system_id, deque())
        if len(parked) >= self._max_parked:
            self._counters.receipts_dropped += 1
        else:
            parked.append(pdu)

    @property
    def waiting(self) -> int:
        """Receipts scheduled, parked or in a connection's backlog: not sent yet."""
        parked = sum(len(queue) for queue in self._parked.values())
        backlogs = sum(len(c.backlog) for c in self.receivers)
        return len(self._pending) + len(self._retries) + parked + backlogs

    def close(self) -> None:
        """Forget every receipt not sent yet; take no more."""
        self._closed = True
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._pending.clear()
        self._retries.clear()
        self._parked.clear()

    def _arm(self, due: float, *, soon: bool) -> None:
        if self._closed:
            return
        if self._timer is not None:
            self._timer.cancel()
        self._timer_due = due
        if soon:
            self._timer = self._loop.call_soon(self._release_due)
        else:
            self._timer = self._loop.call_at(due, self._release_due)

    def _release_due(self) -> None:
        self._timer = None
        pending, retries = self._pending, self._retries
        horizon = self._loop.time() + _BATCH_S
        route = self.route
        if pending and pending[0].due <= horizon:
            done_date = self._done_date()
            build = self._build
            while pending and pending[0].due <= horizon:
                item = pending.popleft()
                route(item.system_id, build(item, done_date))
        while retries and retries[0][0] <= horizon:
            _, system_id, pdu = retries.popleft()
            route(system_id, pdu)
        heads = [pending[0].due] if pending else []
        if retries:
            heads.append(retries[0][0])
        if heads:
            self._arm(min(heads), soon=False)

    def _build(self, pending: PendingReceipt, done_date: bytes) -> DeliverSm:
        return build_receipt(pending, done_date, self._stamps, self._error_code)

    def _done_date(self) -> bytes:
        return self._stamps.stamp(time.time())
