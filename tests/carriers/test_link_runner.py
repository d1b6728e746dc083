"""LinkRunner's submitting, without sockets: a job goes at once into a free window slot, the
parts of a long message one after the other, each answer reports an outcome or sends the next
part and fills the freed slot from the queue; the link's throttle spaces submits."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any, cast

import pytest

from smsgate.carriers.link import LinkRunner, Throttle
from smsgate.carriers.metrics import REGISTRY
from smsgate.domain.links import Link, LinkSettings
from smsgate.domain.messages import MessageStatus
from smsgate.ports import BatchContent, Claimed
from smsgate.services.delivery import Job, Outcome, Refused, Retry, Submitted
from smsgate.smpp import (
    CommandStatus,
    ConnectionClosedError,
    InvalidStateError,
    ResponseTimeoutError,
    SubmitSm,
    SubmitSmResp,
)
from smsgate.smpp.connection import AnswerCallback

NOW = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)
LONG = "x" * 200  # GSM-7: two parts


class FakeTransmitter:
    """A bound transmitter: a window, and the submits sent with their answer callbacks."""

    def __init__(self, window: int) -> None:
        self.window = window
        self.sent: list[tuple[SubmitSm, AnswerCallback]] = []

    @property
    def can_send(self) -> bool:
        return len(self.sent) < self.window

    def send_if_window(self, pdu: SubmitSm, on_answer: AnswerCallback) -> bool:
        if not self.can_send:
            return False
        self.sent.append((pdu, on_answer))
        return True

    def answer_first(self, status: int = 0, carrier_id: str = "") -> SubmitSm:
        """The SMSC answers the oldest submit outstanding."""
        pdu, on_answer = self.sent.pop(0)
        on_answer(SubmitSmResp(command_status=status, message_id=carrier_id))
        return pdu

    def fail_first(self, error: Exception) -> None:
        _, on_answer = self.sent.pop(0)
        on_answer(cast(Any, error))


def runner_with(
    *transmitters: FakeTransmitter, rate: int | None = None, name: str = "sim"
) -> tuple[LinkRunner, list[Outcome]]:
    settings = LinkSettings(
        name=name, host="127.0.0.1", port=2775, system_id="x", password="y", max_per_second=rate
    )
    outcomes: list[Outcome] = []
    runner = LinkRunner(Link(1, settings, NOW), outcomes.append, lambda *_: None)
    runner._transmitters.extend(cast(Any, transmitters))
    return runner, outcomes


def job(message_id: int, text: str = "hello") -> Job:
    message = Claimed(message_id, 1, 1, "+33612345678", "FR", 1, 0, 1, NOW, None)
    return Job(message, BatchContent(1, 1, "sms", text, "smsgate", "gsm7", False))


async def test_jobs_go_into_free_slots_and_each_answer_fills_its_slot_from_the_queue() -> None:
    transmitter = FakeTransmitter(window=2)
    runner, outcomes = runner_with(transmitter)
    for message_id in (1, 2, 3):
        runner.put(job(message_id))
    assert len(transmitter.sent) == 2
    assert (runner.in_flight, runner.queued) == (2, 1)

    transmitter.answer_first(carrier_id="c1")
    assert outcomes == [Submitted(1, 1, (("c1", "c1"),))]
    assert len(transmitter.sent) == 2  # the third took the freed slot
    assert (runner.in_flight, runner.queued) == (2, 0)


async def test_the_parts_of_a_long_message_go_one_after_the_other() -> None:
    transmitter = FakeTransmitter(window=10)
    runner, outcomes = runner_with(transmitter)
    runner.put(job(1, LONG))
    assert len(transmitter.sent) == 1
    first = transmitter.answer_first(carrier_id="p1")
    assert outcomes == []
    assert len(transmitter.sent) == 1
    second = transmitter.answer_first(carrier_id="p2")
    assert first.short_message != second.short_message
    assert outcomes == [Submitted(1, 1, (("p1", "p1"), ("p2", "p2")))]
    assert runner.in_flight == 0


async def test_refusals_and_errors_become_outcomes() -> None:
    transmitter = FakeTransmitter(window=10)
    runner, outcomes = runner_with(transmitter)
    for message_id in (1, 2, 3, 4):
        runner.put(job(message_id))
    transmitter.answer_first(status=CommandStatus.ESME_RTHROTTLED)
    transmitter.answer_first(status=CommandStatus.ESME_RINVDSTADR)
    transmitter.fail_first(ResponseTimeoutError("submit_sm seq=3: timed out"))
    transmitter.fail_first(ConnectionClosedError("connection closed"))
    assert outcomes == [
        Retry(1, "ESME_RTHROTTLED"),
        Refused(2, MessageStatus.REJECTED, "ESME_RINVDSTADR"),
        Retry(3, "ResponseTimeoutError"),
        Retry(4, "ConnectionClosedError"),
    ]
    assert runner.in_flight == 0


async def test_submits_are_counted_by_result_and_timed_in_the_metrics() -> None:
    transmitter = FakeTransmitter(window=10)
    runner, _ = runner_with(transmitter, name="counted")
    for message_id in (1, 2, 3):
        runner.put(job(message_id))
    transmitter.answer_first(carrier_id="c1")
    transmitter.answer_first(status=CommandStatus.ESME_RTHROTTLED)
    transmitter.fail_first(ResponseTimeoutError("submit_sm seq=3: timed out"))

    def sample(name: str, **labels: str) -> float | None:
        return REGISTRY.get_sample_value(name, {"link": "counted", **labels})

    assert sample("smsgate_submits_total", result="ok") == 1
    assert sample("smsgate_submits_total", result="ESME_RTHROTTLED") == 1
    assert sample("smsgate_submits_total", result="error") == 1
    # Answered submits are timed (a time-out is not): cumulative buckets, a sum, a count.
    assert sample("smsgate_submit_seconds_count") == 2
    assert sample("smsgate_submit_seconds_bucket", le="+Inf") == 2
    assert sample("smsgate_submit_seconds_bucket", le="10.0") == 2
    assert 0 <= (sample("smsgate_submit_seconds_sum") or 0) < 10


async def test_a_next_part_left_without_a_transmitter_is_tried_again_later() -> None:
    transmitter = FakeTransmitter(window=1)
    runner, outcomes = runner_with(transmitter)
    runner.put(job(1, LONG))
    runner.put(job(2))
    transmitter.window = 0  # the part's answer comes, but the window is gone
    transmitter.answer_first(carrier_id="p1")
    assert outcomes == []
    runner._transmitters.clear()  # the bind went down
    runner._give_up_next_parts()
    assert outcomes == [Retry(1, "link_down")]
    assert (runner.in_flight, runner.queued) == (0, 1)


async def test_a_throttled_link_sends_the_next_submit_when_its_slot_opens() -> None:
    transmitter = FakeTransmitter(window=10)
    runner, _ = runner_with(transmitter, rate=20)  # one submit every 50 ms
    runner.put(job(1))
    runner.put(job(2))
    assert len(transmitter.sent) == 1
    async with asyncio.timeout(5):
        while len(transmitter.sent) < 2:  # noqa: ASYNC110 -- the runner's own timer sends it
            await asyncio.sleep(0.01)
    assert runner.queued == 0


@pytest.mark.parametrize(
    ("times", "waits"),
    [
        ([0.0, 0.0, 0.05, 0.1, 0.1], [0.0, 0.1, 0.05, 0.0, 0.1]),
        ([0.0, 5.0, 5.0, 5.1], [0.0, 0.0, 0.1, 0.0]),  # after an idle spell: no burst
    ],
)
def test_throttle_spaces_submits(times: list[float], waits: list[float]) -> None:
    throttle = Throttle(10)
    assert [round(throttle.wait_s(now), 6) for now in times] == waits


async def test_a_submit_the_session_refuses_is_tried_again_later() -> None:
    """send_if_window raises when the binding state forbids a submit (the link unbinding):
    the message comes back as a Retry, not stuck in flight."""

    class Unbinding(FakeTransmitter):
        def send_if_window(self, pdu: SubmitSm, on_answer: AnswerCallback) -> bool:
            raise InvalidStateError("submit_sm is not allowed in state unbound")

    runner, outcomes = runner_with(Unbinding(window=10))
    runner.put(job(1))
    assert outcomes == [Retry(1, "InvalidStateError")]
    assert (runner.in_flight, runner.queued) == (0, 0)
