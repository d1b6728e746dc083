"""Wire shapes of the native REST API (v1): request models and response renderers."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictStr

from smsgate.domain.batches import Batch, Message
from smsgate.domain.inbound import InboundMessage
from smsgate.domain.money import format_credits
from smsgate.services.cancelling import CancelOutcome
from smsgate.services.queries import BatchReport
from smsgate.services.sending import SendOutcome


class RecipientIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    number: Annotated[StrictStr, Field(max_length=64)]
    reference: Annotated[StrictStr | None, Field(max_length=64)] = None


class SendMessagesIn(BaseModel):
    """`to` holds 1..1000 numbers, each a string or {"number", "reference"}."""

    model_config = ConfigDict(extra="forbid")
    to: list[Annotated[StrictStr, Field(max_length=64)] | RecipientIn]
    text: StrictStr
    sender: Annotated[StrictStr | None, Field(max_length=32)] = None
    schedule_at: Annotated[
        StrictStr | None, Field(description="ISO 8601 with an offset", max_length=64)
    ] = None
    type: Literal["transactional", "marketing"] = "transactional"
    unicode: StrictBool = False
    flash: StrictBool = False
    test: StrictBool = False


def iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat().replace("+00:00", "Z")


def render_send(outcome: SendOutcome) -> dict[str, Any]:
    ids = {m.recipient: m.id for m in outcome.messages}
    return {
        "batch_id": outcome.batch_id,
        "test": outcome.test,
        "status": str(outcome.status),
        "type": str(outcome.kind),
        "schedule_at": iso(outcome.scheduled_at),
        "encoding": str(outcome.plan.encoding),
        "segments": outcome.plan.segments,
        "cost": format_credits(outcome.cost_micros),
        "balance": format_credits(outcome.balance_micros),
        "counts": {"total": len(outcome.verdicts)} | {str(k): n for k, n in outcome.counts.items()},
        "messages": [
            {
                "id": m.id,
                "to": m.recipient,
                "reference": m.reference,
                "status": str(m.status),
                "segments": m.segments,
                "price": format_credits(m.price_micros),
            }
            for m in outcome.messages
        ],
        "recipients": [
            {
                "input": v.raw,
                "number": v.number,
                "reference": v.reference,
                "verdict": str(v.verdict),
                "message_id": ids.get(v.number or "") if v.accepted else None,
            }
            for v in outcome.verdicts
        ],
    }


def render_message(message: Message, batch: Batch | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": message.id,
        "batch_id": message.batch_id,
        "to": message.recipient,
        "country": message.region,
        "reference": message.reference,
        "status": str(message.status),
        "segments": message.segments,
        "price": format_credits(message.price_micros),
        "schedule_at": iso(message.scheduled_at),
        "created_at": iso(message.created_at),
        "updated_at": iso(message.updated_at),
        "error_code": message.error_code,
    }
    if batch is not None:
        body |= {
            "text": batch.text,
            "sender": batch.sender,
            "encoding": batch.encoding,
            "flash": batch.flash,
            "type": str(batch.kind),
        }
    return body


def render_inbound(message: InboundMessage) -> dict[str, Any]:
    return {
        "id": message.id,
        "from": message.sender,
        "to": message.recipient,
        "text": message.text,
        "parts": message.parts,
        "read": message.is_read,
        "opt_out": message.opt_out,
        "received_at": iso(message.received_at),
    }


def render_batch(report: BatchReport) -> dict[str, Any]:
    batch = report.batch
    return {
        "id": batch.id,
        "type": str(batch.kind),
        "text": batch.text,
        "sender": batch.sender,
        "encoding": batch.encoding,
        "segments": batch.segments,
        "flash": batch.flash,
        "schedule_at": iso(batch.scheduled_at),
        "created_at": iso(batch.created_at),
        "cost": format_credits(batch.cost_micros),
        "recipients": {"total": batch.total} | dict(batch.verdict_counts),
        "statuses": dict(sorted(report.status_counts.items())),
        "refused": [
            {"input": r.raw, "number": r.number, "reference": r.reference, "verdict": r.verdict}
            for r in batch.refused
        ],
    }


def render_cancel(outcome: CancelOutcome) -> dict[str, Any]:
    """The batch after a cancel, with what this call cancelled and refunded."""
    return render_batch(outcome.report) | {
        "cancelled": outcome.cancelled,
        "refund": format_credits(outcome.refund_micros),
        "balance": format_credits(outcome.balance_micros),
    }
