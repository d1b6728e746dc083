"""Message status: one table says what may follow what, and `transition` is its only reader.

Final states never change again. Refunds: a message that ends rejected, failed, cancelled or
expired before it reached a carrier is refunded in full (docs/credit.md).
"""

from __future__ import annotations

from enum import StrEnum

from smsgate import errors


class MessageStatus(StrEnum):
    SCHEDULED = "scheduled"  # waiting for its send time
    QUEUED = "queued"  # due, waiting for a dispatcher
    PAUSED = "paused"  # held by its paused campaign; never claimed until resumed
    SENDING = "sending"  # claimed by a dispatcher under a lease
    SUBMITTED = "submitted"  # the carrier accepted it; waiting for a delivery report
    DELIVERED = "delivered"
    UNDELIVERED = "undelivered"
    EXPIRED = "expired"
    REJECTED = "rejected"
    FAILED = "failed"
    CANCELLED = "cancelled"
    UNKNOWN = "unknown"  # the carrier reported an unknown final state


class MessageKind(StrEnum):
    TRANSACTIONAL = "transactional"
    MARKETING = "marketing"


def message_priority(kind: MessageKind) -> int:
    """The queue order of a kind: every due transactional message goes before marketing."""
    return 0 if kind is MessageKind.TRANSACTIONAL else 1


S = MessageStatus

# The statuses of a message in the queue: a dispatcher may take it (now or at its time), or
# holds it under a lease. Only these have a due time (db: messages.due_at).
IN_QUEUE: tuple[MessageStatus, ...] = (S.SCHEDULED, S.QUEUED, S.SENDING)

TRANSITIONS: dict[MessageStatus, frozenset[MessageStatus]] = {
    S.SCHEDULED: frozenset({S.QUEUED, S.PAUSED, S.CANCELLED, S.EXPIRED, S.FAILED}),
    S.QUEUED: frozenset({S.SENDING, S.PAUSED, S.CANCELLED, S.EXPIRED, S.FAILED, S.REJECTED}),
    S.PAUSED: frozenset({S.SCHEDULED, S.QUEUED, S.CANCELLED}),
    S.SENDING: frozenset({S.QUEUED, S.SUBMITTED, S.REJECTED, S.FAILED, S.EXPIRED}),
    S.SUBMITTED: frozenset({S.DELIVERED, S.UNDELIVERED, S.EXPIRED, S.REJECTED, S.UNKNOWN}),
    S.DELIVERED: frozenset(),
    S.UNDELIVERED: frozenset(),
    S.EXPIRED: frozenset(),
    S.REJECTED: frozenset(),
    S.FAILED: frozenset(),
    S.CANCELLED: frozenset(),
    S.UNKNOWN: frozenset(),
}

FINAL_STATUSES = frozenset(status for status, nexts in TRANSITIONS.items() if not nexts)
PENDING_STATUSES = frozenset(MessageStatus) - FINAL_STATUSES
# Statuses that never reached a carrier: their final state earns a refund.
UNSENT_STATUSES = frozenset({S.SCHEDULED, S.QUEUED, S.PAUSED, S.SENDING})
REFUNDED_STATUSES = frozenset({S.REJECTED, S.FAILED, S.CANCELLED})


def transition(current: MessageStatus, new: MessageStatus) -> MessageStatus:
    """Return `new` if the status table allows current -> new, else raise InvalidTransition."""
    if new not in TRANSITIONS[current]:
        raise errors.InvalidTransition(
            f"a {current} message cannot become {new}", current=str(current), new=str(new)
        )
    return new


def allowed_sources(new: MessageStatus) -> frozenset[MessageStatus]:
    """Every status from which `new` may be reached (for set-based status updates)."""
    return frozenset(status for status, nexts in TRANSITIONS.items() if new in nexts)


def earns_refund(previous: MessageStatus, final: MessageStatus) -> bool:
    """Whether ending in `final` after `previous` refunds the message's price."""
    if final in REFUNDED_STATUSES:
        return True
    return final is S.EXPIRED and previous in UNSENT_STATUSES
