"""The simulated SMSC's behaviour: binds, submits with their faults, and receipts to schedule.

Every hook is synchronous, so submit_sm is answered in the loop iteration that read it. A
submit goes through, in order: the drop check, throttling (rate, then share), the reject
share; a message that passes gets the next message id and, when registered_delivery asks for
it, a receipt (sent at once for the receipt-before-response share, else after the delay).
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import random
import time
from collections.abc import Callable

from smsgate.simulator.config import IdFormat, Outcome, ReceiptIdFormat, SimulatorConfig
from smsgate.simulator.connection import SimulatedConnection
from smsgate.simulator.counters import Counters
from smsgate.simulator.receipts import Address, Message, PendingReceipt
from smsgate.simulator.routing import ReceiptRouter
from smsgate.smpp import (
    Bind,
    CommandId,
    CommandStatus,
    DataSm,
    DistributionList,
    Request,
    Response,
    SmscConnection,
    SmscHandler,
    SubmitMulti,
    SubmitMultiResp,
    SubmitOutcome,
    SubmitSm,
    UnsuccessSme,
)

logger = logging.getLogger(__name__)

_OK = CommandStatus.ESME_ROK
_THROTTLED = SubmitOutcome(CommandStatus.ESME_RTHROTTLED)
_DROPPED = SubmitOutcome(CommandStatus.ESME_RSYSERR)  # never seen: the link is gone
# registered_delivery bits 0-1: 1 always, 2 on failure, 3 on success (SMPP 5.0).
_RECEIPT_ON_FAILURE, _RECEIPT_ON_SUCCESS = 2, 3
# Answers to the operations the simulator keeps no message store for.
_UNSUPPORTED: dict[int, int] = {
    CommandId.QUERY_SM: CommandStatus.ESME_RQUERYFAIL,
    CommandId.CANCEL_SM: CommandStatus.ESME_RCANCELFAIL,
    CommandId.REPLACE_SM: CommandStatus.ESME_RREPLACEFAIL,
}


def _id_writer(id_format: IdFormat | ReceiptIdFormat) -> Callable[[int], str]:
    return "{:x}".format if id_format == IdFormat.HEX else str


class SimulatedSmsc(SmscHandler):
    """SmppServer hooks of the simulator; counts everything in ``counters``."""

    def __init__(self, config: SimulatorConfig, counters: Counters, router: ReceiptRouter) -> None:
        self.config = config
        self.counters = counters
        self.router = router
        self._random = random.Random(config.seed)
        self._loop = asyncio.get_running_loop()
        self._ids = itertools.count(config.first_message_id)
        self._write_id = _id_writer(config.id_format)
        receipt_format = config.receipt_id_format
        self._write_receipt_id = (
            None if receipt_format == ReceiptIdFormat.SAME else _id_writer(receipt_format)
        )
        self._has_faults = bool(
            config.drop_after_submits is not None
            or config.throttle_per_second is not None
            or config.throttle_share
            or config.reject_share
        )
        self._rates: dict[str, list[int]] = {}  # system_id -> [second, submits in it]
        weights = [(o, w) for o, w in config.outcomes.weights() if w > 0]
        self._only_outcome = weights[0][0] if len(weights) == 1 else None
        total = sum(weight for _, weight in weights)
        running = 0.0
        self._thresholds: list[tuple[float, Outcome]] = []
        for outcome, weight in weights:
            running += weight / total
            self._thresholds.append((running, outcome))

    # -- binding -------------------------------------------------------------------------------

    def authenticate(self, connection: SmscConnection, bind: Bind) -> int:
        config = self.config
        status: int = _OK
        if config.system_id is not None and bind.system_id != config.system_id:
            status = CommandStatus.ESME_RINVSYSID
        elif config.password is not None and bind.password != config.password:
            status = CommandStatus.ESME_RINVPASWD
        if status == _OK:
            self.counters.binds += 1
        else:
            self.counters.bind_refusals += 1
        return status

    def bound(self, connection: SmscConnection) -> None:
        if isinstance(connection, SimulatedConnection) and connection.can_receive:
            self.router.add_receiver(connection)

    def closed(self, connection: SmscConnection) -> None:
        if isinstance(connection, SimulatedConnection):
            self.router.remove(connection)

    # -- messages ------------------------------------------------------------------------------

    def submit_sm(self, connection: SmscConnection, pdu: SubmitSm) -> SubmitOutcome:
        return self._take(connection, pdu)

    def handle_request(self, connection: SmscConnection, pdu: Request) -> Response:
        if isinstance(pdu, DataSm):
            outcome = self._take(connection, pdu)
            return pdu.make_response(outcome.command_status, outcome.message_id)
        if isinstance(pdu, SubmitMulti):
            return self._submit_multi(connection, pdu)
        return pdu.make_response(_UNSUPPORTED.get(pdu.command_id, CommandStatus.ESME_RINVCMDID))

    def _take(self, connection: SmscConnection, pdu: SubmitSm | DataSm) -> SubmitOutcome:
        """submit_sm or data_sm: faults first, then a message id and maybe a receipt."""
        self.counters.submits += 1
        if self._has_faults:
            refusal = self._refusal(connection)
            if refusal is not None:
                return refusal
        self.counters.accepted += 1
        number = next(self._ids)
        message_id = self._write_id(number)
        if pdu.registered_delivery & 0x03:
            self._receipt(connection.system_id, number, message_id, pdu, None)
        return SubmitOutcome(_OK, message_id)

    def _submit_multi(self, connection: SmscConnection, pdu: SubmitMulti) -> SubmitMultiResp:
        """One message id for all destinations, a receipt for each address; distribution
        lists are unknown here (ESME_RINVDLNAME)."""
        self.counters.submits += 1
        if self._has_faults:
            refusal = self._refusal(connection)
            if refusal is not None:
                return SubmitMultiResp(pdu.sequence_number, refusal.command_status)
        if not pdu.dest_addresses:
            return SubmitMultiResp(pdu.sequence_number, CommandStatus.ESME_RINVNUMDESTS)
        unknown = tuple(
            UnsuccessSme(0, 0, dest.name, CommandStatus.ESME_RINVDLNAME)
            for dest in pdu.dest_addresses
            if isinstance(dest, DistributionList)
        )
        if len(unknown) == len(pdu.dest_addresses):
            return SubmitMultiResp(pdu.sequence_number, CommandStatus.ESME_RINVDLNAME)
        self.counters.accepted += 1
        number = next(self._ids)
        message_id = self._write_id(number)
        if pdu.registered_delivery & 0x03:
            for dest in pdu.dest_addresses:
                if not isinstance(dest, DistributionList):
                    recipient = Address(dest.ton, dest.npi, dest.address)
                    self._receipt(connection.system_id, number, message_id, pdu, recipient)
        return SubmitMultiResp(pdu.sequence_number, _OK, message_id, unknown)

    # -- faults --------------------------------------------------------------------------------

    def _refusal(self, connection: SmscConnection) -> SubmitOutcome | None:
        """The answer that replaces acceptance (throttled, rejected, dropped), or None."""
        config = self.config
        if config.drop_after_submits is not None and isinstance(connection, SimulatedConnection):
            connection.submits += 1
            if connection.submits > config.drop_after_submits:
                self.drop(connection)
                return _DROPPED
        if config.throttle_per_second is not None and self._over_rate(connection.system_id):
            self.counters.throttled += 1
            return _THROTTLED
        if config.throttle_share and self._draw(config.throttle_share):
            self.counters.throttled += 1
            return _THROTTLED
        if config.reject_share and self._draw(config.reject_share):
            self.counters.rejected += 1
            return SubmitOutcome(config.reject_status)
        return None

    def _over_rate(self, system_id: str) -> bool:
        limit = self.config.throttle_per_second
        assert limit is not None
        second = int(self._loop.time())
        window = self._rates.get(system_id)
        if window is None or window[0] != second:
            self._rates[system_id] = [second, 1]
            return limit < 1
        window[1] += 1
        return window[1] > limit

    def drop(self, connection: SmscConnection) -> None:
        """Cut the TCP connection without unbinding, as a crashing SMSC would: responses not
        yet written are lost."""
        if not connection.is_closed:
            self.counters.drops += 1
            logger.info(
                "simulator dropped connection peer=%s system_id=%s",
                connection.peer,
                connection.system_id,
                extra={"event": "simulator.dropped"},
            )
            connection.abort()

    def _draw(self, share: float) -> bool:
        return share >= 1.0 or self._random.random() < share

    # -- receipts ------------------------------------------------------------------------------

    def _receipt(
        self,
        system_id: str,
        number: int,
        message_id: str,
        message: Message,
        recipient: Address | None,
    ) -> None:
        outcome = self._only_outcome or self._draw_outcome()
        wanted = message.registered_delivery & 0x03
        if wanted == _RECEIPT_ON_FAILURE and outcome is Outcome.DELIVERED:
            return
        if wanted == _RECEIPT_ON_SUCCESS and outcome is not Outcome.DELIVERED:
            return
        config = self.config
        receipt_id = (
            message_id if self._write_receipt_id is None else self._write_receipt_id(number)
        )
        early_share = config.receipt_before_response_share
        early = bool(early_share) and self._draw(early_share)
        pending = PendingReceipt(
            self._loop.time() + config.receipt_delay_s,
            system_id,
            receipt_id,
            outcome,
            time.time(),
            message,
            recipient,
        )
        if early:
            self.router.send_now(pending)
        else:
            self.router.schedule(pending)

    def _draw_outcome(self) -> Outcome:
        point = self._random.random()
        for threshold, outcome in self._thresholds:
            if point < threshold:
                return outcome
        return self._thresholds[-1][1]
