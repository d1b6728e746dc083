from __future__ import annotations

import pytest

from smsgate import errors
from smsgate.domain.messages import (
    FINAL_STATUSES,
    TRANSITIONS,
    MessageStatus,
    allowed_sources,
    earns_refund,
    transition,
)

S = MessageStatus


def test_transition_allowed_change_returns_new_status() -> None:
    assert transition(S.QUEUED, S.SENDING) is S.SENDING


@pytest.mark.parametrize("final", sorted(FINAL_STATUSES))
def test_transition_from_final_status_raises(final: MessageStatus) -> None:
    with pytest.raises(errors.InvalidTransition):
        transition(final, S.QUEUED)


def test_status_table_covers_every_status() -> None:
    assert set(TRANSITIONS) == set(MessageStatus)
    required = {
        "scheduled",
        "queued",
        "sending",
        "submitted",
        "delivered",
        "undelivered",
        "expired",
        "rejected",
        "failed",
        "cancelled",
    }
    assert required <= {str(s) for s in MessageStatus}


def test_allowed_sources_of_delivered_is_submitted() -> None:
    assert allowed_sources(S.DELIVERED) == {S.SUBMITTED}


@pytest.mark.parametrize(
    ("previous", "final", "refund"),
    [
        (S.SENDING, S.REJECTED, True),
        (S.QUEUED, S.FAILED, True),
        (S.SCHEDULED, S.CANCELLED, True),
        (S.QUEUED, S.EXPIRED, True),
        (S.SUBMITTED, S.EXPIRED, False),
        (S.SUBMITTED, S.UNDELIVERED, False),
        (S.SUBMITTED, S.DELIVERED, False),
    ],
)
def test_earns_refund_follows_the_rule(
    previous: MessageStatus, final: MessageStatus, refund: bool
) -> None:
    assert earns_refund(previous, final) is refund
