"""The dispatcher's flush: outcomes, then the receipts waiting once they are written, in one
transaction; receipts acknowledged only once recorded; a failed joint flush falls back to the
separate paths."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from typing import Any, cast

import pytest

import smsgate.carriers.pending as pending_module
from smsgate.carriers.dispatcher import Dispatcher
from smsgate.carriers.metrics import REGISTRY
from smsgate.domain.messages import MessageStatus
from smsgate.domain.routing import RouteTable
from smsgate.ports import PartReceipt
from smsgate.services.delivery import DeliveryService, Outcome, Refused, Retry, Submitted
from smsgate.smpp import CommandStatus, DeliverSm


class FakeDelivery:
    def __init__(self, fail_joint: bool = False, matches: bool = True) -> None:
        self.fail_joint = fail_joint
        self.matches = matches  # False: every receipt is kept unmatched
        self.calls: list[tuple[str, int, int]] = []
        self.rematched: list[list[tuple[int, str]]] = []

    async def record_and_apply(
        self, outcomes: Sequence[Outcome], receipts: Callable[[], Sequence[PartReceipt]]
    ) -> int:
        taken = receipts()  # as the service does, once the outcomes are written
        self.calls.append(("joint", len(outcomes), len(taken)))
        if self.fail_joint:
            raise RuntimeError("database gone for a moment")
        return len(taken) if self.matches else 0

    async def record(self, outcomes: Sequence[Outcome]) -> None:
        self.calls.append(("record", len(outcomes), 0))

    async def apply_receipts(self, receipts: Sequence[PartReceipt]) -> int:
        self.calls.append(("apply", 0, len(receipts)))
        return len(receipts)

    async def rematch_kept(self, keys: Sequence[tuple[int, str]]) -> int:
        self.rematched.append(list(keys))
        return 0


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


async def test_outcomes_alone_go_in_a_joint_flush_that_takes_the_receipts_come_meanwhile() -> None:
    """The receipts are taken once the outcomes are written: with a carrier that answers at
    once, those for the submits being recorded come in during the write, and go in the same
    transaction (not a receipt-only transaction after it: each costs BEGIN, COMMIT and a
    statement, round trips on a busy event loop; and the carrier's window of unanswered
    receipts waits for all of them)."""

    class Arriving(FakeDelivery):
        async def record_and_apply(
            self, outcomes: Sequence[Outcome], receipts: Callable[[], Sequence[PartReceipt]]
        ) -> int:
            dispatcher._pending.receipts.append(
                (PartReceipt(1, "id2", MessageStatus.DELIVERED, None), client, DeliverSm())
            )
            return await super().record_and_apply(outcomes, receipts)

    delivery = Arriving()
    dispatcher, client = dispatcher_with(delivery)
    dispatcher._pending.receipts.clear()
    await dispatcher.flush()
    assert delivery.calls == [("joint", 3, 1)]
    assert client.answers == [CommandStatus.ESME_ROK]


async def test_a_receipt_whose_outcome_waits_unrecorded_waits_for_it() -> None:
    """A receipt for a submit whose outcome came in after this flush took its outcomes is
    left for the next flush (recorded before its part, it would be kept unmatched, then taken
    back when the part is written)."""

    class Arriving(FakeDelivery):
        async def record_and_apply(
            self, outcomes: Sequence[Outcome], receipts: Callable[[], Sequence[PartReceipt]]
        ) -> int:
            if not self.calls:  # a submit_sm_resp and its receipt come in meanwhile
                dispatcher._pending.outcomes.append(Submitted(9, 1, (("id9", "id9"),)))
                dispatcher._pending.receipts.append(
                    (PartReceipt(1, "id9", MessageStatus.DELIVERED, None), client, DeliverSm())
                )
            return await super().record_and_apply(outcomes, receipts)

    delivery = Arriving()
    dispatcher, client = dispatcher_with(delivery)
    await dispatcher.flush()
    assert delivery.calls == [("joint", 3, 2), ("joint", 1, 1)]
    assert client.answers == [CommandStatus.ESME_ROK] * 3


async def test_a_failed_joint_flush_goes_again_on_the_separate_paths() -> None:
    delivery = FakeDelivery(fail_joint=True)
    dispatcher, client = dispatcher_with(delivery)
    await dispatcher.flush()
    assert delivery.calls == [("joint", 3, 2), ("record", 3, 0), ("apply", 0, 2)]
    assert client.answers == [CommandStatus.ESME_ROK] * 2
    assert not dispatcher._pending.outcomes
    assert not dispatcher._pending.receipts


def outcomes_counted() -> dict[str, float]:
    return {
        kind: REGISTRY.get_sample_value("smsgate_submit_outcomes_total", {"outcome": kind}) or 0
        for kind in ("submitted", "retry", "refused")
    }


async def test_each_outcome_is_counted_once_whatever_path_records_it() -> None:
    """Counted per batch once written (a per-outcome counter update cost 2.4 us): a joint
    flush that failed and went again on the separate path counts its outcomes once."""
    before = outcomes_counted()
    for delivery in (FakeDelivery(), FakeDelivery(fail_joint=True)):
        dispatcher, _ = dispatcher_with(delivery)
        dispatcher._pending.outcomes += [
            Retry(7, "link_down"),
            Refused(8, MessageStatus.FAILED, "x"),
        ]
        await dispatcher.flush()
    after = outcomes_counted()
    assert {kind: after[kind] - before[kind] for kind in after} == {
        "submitted": 6,
        "retry": 2,
        "refused": 2,
    }


async def test_receipts_kept_unmatched_are_tried_again_a_few_times(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(pending_module, "REMATCH_AFTER_S", (0.0, 0.0, 0.0))
    delivery = FakeDelivery(matches=False)
    dispatcher, client = dispatcher_with(delivery)
    await dispatcher.flush()
    assert client.answers == [CommandStatus.ESME_ROK] * 2  # kept is recorded too
    for _ in range(4):
        await dispatcher.rematch_due()
    assert delivery.rematched == [[(1, "id0"), (1, "id1")]] * 3


class SlowDelivery(FakeDelivery):
    """A flush that takes a while: stop() must let it finish, not cancel it mid-statement."""

    def __init__(self) -> None:
        super().__init__()
        self.started = asyncio.Event()
        self.finished = 0

    async def record_and_apply(
        self, outcomes: Sequence[Outcome], receipts: Callable[[], Sequence[PartReceipt]]
    ) -> int:
        self.started.set()
        await asyncio.sleep(0.2)
        self.finished += 1
        return await super().record_and_apply(outcomes, receipts)


class NoLinks:
    async def snapshot(self) -> tuple[list[Any], RouteTable]:
        return [], RouteTable([], [])


async def test_stop_lets_a_running_flush_finish_and_answers_its_receipts() -> None:
    delivery = SlowDelivery()
    dispatcher = Dispatcher(cast(DeliveryService, delivery), cast(Any, None), cast(Any, NoLinks()))
    await dispatcher.start()
    client = FakeClient()
    dispatcher._pending.outcomes.append(Submitted(1, 1, (("id1", "id1"),)))
    dispatcher._pending.receipts.append(
        (PartReceipt(1, "id1", MessageStatus.DELIVERED, None), cast(Any, client), DeliverSm())
    )
    dispatcher._flush_wakeup.set()
    await asyncio.wait_for(delivery.started.wait(), 5)
    await dispatcher.stop(drain_s=5)
    assert delivery.finished == 1
    assert client.answers == [CommandStatus.ESME_ROK]
    assert not dispatcher._tasks


class FailingRematch(FakeDelivery):
    def __init__(self) -> None:
        super().__init__(matches=False)
        self.failures = 1

    async def rematch_kept(self, keys: Sequence[tuple[int, str]]) -> int:
        if self.failures:
            self.failures -= 1
            raise RuntimeError("database gone for a moment")
        return await super().rematch_kept(keys)


async def test_a_failed_rematch_keeps_its_receipts_for_the_next_try(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(pending_module, "REMATCH_AFTER_S", (0.0, 0.0, 0.0))
    delivery = FailingRematch()
    dispatcher, _ = dispatcher_with(delivery)
    await dispatcher.flush()
    with pytest.raises(RuntimeError):
        await dispatcher.rematch_due()
    for _ in range(4):
        await dispatcher.rematch_due()
    assert delivery.rematched == [[(1, "id0"), (1, "id1")]] * 3
