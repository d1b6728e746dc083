"""Delivery rules: retries, a long message's status from its parts, and the delivery policy.

The guarantee (docs/delivery.md): at least once. A message is claimed under a lease; a
dispatcher that dies before recording the carrier's answer leaves the lease to run out, and
the message is submitted again, so a carrier may see it twice within one lease.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta

from smsgate.domain.messages import MessageStatus

S = MessageStatus

# When the parts of one message end differently, the message takes the worst of them.
_SEVERITY = {
    S.DELIVERED: 0,
    S.UNKNOWN: 1,
    S.EXPIRED: 2,
    S.UNDELIVERED: 3,
    S.REJECTED: 4,
}
PART_FINAL_STATUSES = frozenset(_SEVERITY)


@dataclass(frozen=True, slots=True)
class DeliveryPolicy:
    lease: timedelta = timedelta(seconds=60)  # a claim not recorded by then is taken again
    validity: timedelta = timedelta(hours=48)  # unsent after this long: expired, refunded
    retry_first: timedelta = timedelta(seconds=1)
    retry_max: timedelta = timedelta(minutes=5)
    receipt_wait: timedelta = timedelta(hours=72)  # how long an unmatched receipt is kept
    claim_batch: int = 500


def retry_delay(policy: DeliveryPolicy, attempts: int) -> timedelta:
    """Back-off before the next try after `attempts` failed ones: doubling, capped."""
    delay: timedelta = policy.retry_first * (1 << min(max(attempts - 1, 0), 20))
    return min(delay, policy.retry_max)


def status_of_parts(statuses: Iterable[MessageStatus]) -> MessageStatus | None:
    """A multi-part message's final status, or None while any part is still pending."""
    worst: MessageStatus | None = None
    for status in statuses:
        if status not in _SEVERITY:
            return None
        if worst is None or _SEVERITY[status] > _SEVERITY[worst]:
            worst = status
    return worst
