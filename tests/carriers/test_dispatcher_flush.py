"""The dispatcher's flush: outcomes and receipts in one transaction when both wait; receipts
acknowledged only once recorded; a failed joint flush falls back to the separate paths."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from smsgate.carriers.dispatcher import Dispatcher
from smsgate.domain.messages import MessageStatus
from smsgate.ports import PartReceipt
from smsgate.services.delivery import DeliveryService, Outcome, Submitted
from smsgate.smpp import CommandStatus, DeliverSm


class FakeDelivery:
    def __init__(self, fail_joint: bool = False) -> None:
        self.fail_joint = fail_joint
        self.calls: list[tuple[str, int, int]] = []

    async def record_and_apply(
        self, outcomes: Sequence[Outcome], receipts: Sequence[PartReceipt]
    ) -> int:
        self.calls.append(("joint", len(outcomes), len(receipts)))
        if self.fail_joint:
            raise RuntimeError("database gone for a moment")
        return len(receipts)

    async def record(self, outcomes: Sequence[Outcome]) -> None:
        self.calls.append(("record", len(outcomes), 0))

    async def apply_receipts(self, receipts: Sequence[PartReceipt]) -> int:
        self.calls.append(("apply", 0, len(receipts)))
        return len(receipts)


class FakeClient:
    def __init__(self) -> None:
        self.answers: list[int] = []

    def answer(self, pdu: Any, status: int) -> None:
        self.answers.append(status)


def dispatcher_with(delivery: FakeDelivery) -> tuple[Dispatcher, FakeClient]:
    dispatcher = Dispatcher(cast(DeliveryService, delivery), cast(Any, None), cast(Any, None))
    client = FakeClient()
    dispatcher._pending.outcomes.extend(Submitted(n, 1, ((f"id{n}", f"id{n}"),)) for n in range(3))
    dispatcher._pending.receipts.extend(
        (PartReceipt(1, f"id{n}", MessageStatus.DELIVERED, None), cast(Any, client), DeliverSm())
        for n in range(2)
    )
    return dispatcher, client


async def test_outcomes_and_receipts_waiting_together_go_in_one_transaction() -> None:
    delivery = FakeDelivery()
    dispatcher, client = dispatcher_with(delivery)
    await dispatcher.flush()
    assert delivery.calls == [("joint", 3, 2)]
    assert client.answers == [CommandStatus.ESME_ROK] * 2


async def test_a_failed_joint_flush_goes_again_on_the_separate_paths() -> None:
    delivery = FakeDelivery(fail_joint=True)
    dispatcher, client = dispatcher_with(delivery)
    await dispatcher.flush()
    assert delivery.calls == [("joint", 3, 2), ("record", 3, 0), ("apply", 0, 2)]
    assert client.answers == [CommandStatus.ESME_ROK] * 2
    assert not dispatcher._pending.outcomes
    assert not dispatcher._pending.receipts
