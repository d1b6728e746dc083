"""What SMSFactor answers: campaign results, credits, cancels and campaign reports.

`DELIVERY_STATUSES` is the one table from our message statuses to SMSFactor's delivery report
statuses (those its DLR webhook sends); the campaign counters are derived from it.
Money is in credits, integers where whole (SMSFactor's credits always are).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from enum import IntEnum
from typing import Any

from smsgate.api.dialects.smsfactor.codes import MESSAGES, Status
from smsgate.api.dialects.smsfactor.marketing import PARIS
from smsgate.domain.batches import Message
from smsgate.domain.messages import MessageStatus
from smsgate.domain.money import credits_decimal
from smsgate.domain.recipients import Verdict
from smsgate.services.cancelling import CancelOutcome
from smsgate.services.queries import BatchReport
from smsgate.services.sending import SendOutcome


class Dlr(IntEnum):
    """SMSFactor's delivery report statuses."""

    NOT_SENT = 0
    SENT = 1  # handed to the operator, no report yet
    NOT_DELIVERED = 2
    DELIVERED = 3
    NOT_ALLOWED = 4
    INVALID_DESTINATION = 5
    INVALID_SENDER = 6
    ROUTE_NOT_AVAILABLE = 7
    REJECTED = 9
    NETWORK_ERROR = 11
    EXPIRED = 12


S = MessageStatus
DELIVERY_STATUSES: dict[MessageStatus, Dlr] = {
    S.SCHEDULED: Dlr.NOT_SENT,
    S.QUEUED: Dlr.NOT_SENT,
    S.PAUSED: Dlr.NOT_SENT,  # its campaign is paused
    S.SENDING: Dlr.NOT_SENT,  # claimed by a dispatcher, not yet accepted by a carrier
    S.SUBMITTED: Dlr.SENT,
    S.DELIVERED: Dlr.DELIVERED,
    S.UNDELIVERED: Dlr.NOT_DELIVERED,
    S.EXPIRED: Dlr.EXPIRED,
    S.REJECTED: Dlr.REJECTED,
    S.FAILED: Dlr.ROUTE_NOT_AVAILABLE,  # could not be sent: no route, permanent error
    S.CANCELLED: Dlr.NOT_SENT,  # SMSFactor has no "cancelled" report; it never went out
    S.UNKNOWN: Dlr.SENT,  # the carrier's final report was unreadable: sent, outcome unknown
}
ERROR_REPORTS = frozenset(
    {
        Dlr.NOT_DELIVERED,
        Dlr.NOT_ALLOWED,
        Dlr.INVALID_DESTINATION,
        Dlr.INVALID_SENDER,
        Dlr.ROUTE_NOT_AVAILABLE,
        Dlr.REJECTED,
    }
)
COUNTERS = (
    ("blacklisted", Verdict.BLACKLISTED),
    ("duplicated", Verdict.DUPLICATED),
    ("npai", Verdict.NPAI),
    ("invalid", Verdict.INVALID),
    ("not_allowed", Verdict.NOT_ALLOWED),
    ("flood", Verdict.FLOOD),
    ("country_limit", Verdict.COUNTRY_LIMIT),
)
PARIS_FORMAT = "%Y-%m-%d %H:%M:%S"


def credits(micros: int) -> Decimal:
    return credits_decimal(micros)


def ok(**fields: Any) -> dict[str, Any]:
    return {"status": int(Status.OK), "message": MESSAGES[Status.OK], **fields}


def render_sent(outcome: SendOutcome, simulate: bool) -> dict[str, Any]:
    """`POST /send` (and `GET /send`): the seed's fields, in its order; no ticket if simulated."""
    counts = outcome.counts
    # A simulation charges nothing: its credits are what the balance would be after it.
    left = outcome.balance_micros - (outcome.cost_micros if outcome.test else 0)
    fields: dict[str, Any] = {} if simulate else {"ticket": str(outcome.batch_id)}
    fields |= {
        "cost": credits(outcome.cost_micros),
        "credits": credits(left),
        "total": len(outcome.verdicts),
        "sent": counts.get(Verdict.ACCEPTED, 0),
    }
    fields |= {name: counts.get(verdict, 0) for name, verdict in COUNTERS}
    return ok(**fields)


def render_credits(balance_micros: int) -> dict[str, Any]:
    """`GET /credits`, as SMSFactor writes it (credits as a string)."""
    return ok(
        credits=format(credits(balance_micros), "f"),
        postpaid="0",
        postpaid_limit=False,
        unlimited=False,
    )


def render_cancel(outcome: CancelOutcome) -> dict[str, Any]:
    """`DELETE /send/{ticket}`: the credits given back for the cancelled messages."""
    return ok(credits=credits(outcome.refund_micros))


def paris_time(value: datetime) -> str:
    return value.astimezone(PARIS).strftime(PARIS_FORMAT)


def delivery_report(message: Message) -> dict[str, Any]:
    """One recipient, with the fields of SMSFactor's DLR webhook."""
    return {
        "date": message.updated_at.astimezone(PARIS).isoformat(timespec="seconds"),
        "status": int(DELIVERY_STATUSES[message.status]),
        "destination": message.recipient.lstrip("+"),
        "message_id": message.reference or "",
        "campaign_id": str(message.batch_id),
        "country_code": message.region,
    }


def campaign_status(status_counts: Mapping[str, int]) -> str:
    present = {MessageStatus(s) for s, n in status_counts.items() if n}
    if present and present <= {S.CANCELLED}:
        return "Cancelled"
    if S.SCHEDULED in present:
        return "Scheduled"
    if present & {S.QUEUED, S.SENDING}:
        return "Sending"
    return "Sent"


def render_campaign(report: BatchReport, messages: Sequence[Message]) -> dict[str, Any]:
    """`GET /campaign/{ticket}`: SMSFactor's campaign fields (strings, as it writes them),
    plus `recipients`, each recipient's delivery report with its gsmsmsid (smsgate's own)."""
    batch = report.batch
    reports = Counter(DELIVERY_STATUSES[m.status] for m in messages)
    sent = sum(1 for m in messages if m.status is not S.CANCELLED)
    rate = round(100 * reports[Dlr.DELIVERED] / sent) if sent else 0
    campaign = {
        "id": str(batch.id),
        "sender": batch.sender or "",
        "text": batch.text,
        "creation_date": paris_time(batch.created_at),
        "date": paris_time(batch.scheduled_at or batch.created_at),
        "cost": format(credits(batch.cost_micros), "f"),
        "lists": [],
        "status": campaign_status(report.status_counts),
        "delivery_rate": str(rate),
        "delivered": str(reports[Dlr.DELIVERED]),
        "error": str(sum(reports[code] for code in ERROR_REPORTS)),
        "expired": str(reports[Dlr.EXPIRED]),
        "network_error": str(reports[Dlr.NETWORK_ERROR]),
        "stop": "0",
        "npai": str(batch.verdict_counts.get(str(Verdict.NPAI), 0)),
        "total": str(batch.total),
        "recipients": [delivery_report(m) for m in messages],
    }
    return ok(campaign=[campaign])
