"""Wire shapes of the native campaign API (v1): the request model and the renderers."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, StrictStr

from smsgate import errors
from smsgate.api.native.schemas import iso
from smsgate.domain.batches import Message
from smsgate.domain.campaigns import Estimate
from smsgate.domain.messages import MessageKind
from smsgate.domain.money import format_credits
from smsgate.services.campaigns import CampaignDraft, CampaignView, CancelOutcome, LaunchOutcome

MAX_LISTS = 100


class CampaignIn(BaseModel):
    """A draft; `schedule_at` without an offset is a local time in `timezone`."""

    model_config = ConfigDict(extra="forbid")
    name: Annotated[StrictStr, Field(max_length=128)]
    text: StrictStr
    type: Literal["marketing", "transactional"] = "marketing"
    sender: Annotated[StrictStr | None, Field(max_length=32)] = None
    unicode: StrictBool = False
    flash: StrictBool = False
    schedule_at: Annotated[
        StrictStr | None,
        Field(description="ISO 8601; without an offset, a local time in `timezone`", max_length=64),
    ] = None
    timezone: Annotated[
        StrictStr, Field(description='IANA ("Europe/Paris") or "+08:00"', max_length=64)
    ] = "UTC"
    lists: Annotated[list[StrictInt], Field(max_length=MAX_LISTS)] = []
    # How many is the service's rule (CampaignPolicy.max_numbers); the body limit caps it too.
    numbers: list[Annotated[StrictStr, Field(max_length=64)]] = []

    def draft(self) -> CampaignDraft:
        return CampaignDraft(
            name=self.name,
            text=self.text,
            kind=MessageKind(self.type),
            sender=self.sender,
            force_unicode=self.unicode,
            flash=self.flash,
            scheduled_at=read_local_time(self.schedule_at),
            timezone=self.timezone,
            lists=self.lists,
            numbers=self.numbers,
        )


def read_local_time(value: str | None) -> datetime | None:
    """An ISO 8601 time, with or without an offset (the service places a naive one)."""
    if value is None or value == "":
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError as exc:
        raise errors.InvalidSchedule(f"not an ISO 8601 time: {value!r}") from exc


def render_campaign(view: CampaignView, *, progress: bool = True) -> dict[str, Any]:
    """A campaign; list pages leave out what they do not count (`numbers`, `progress`)."""
    campaign = view.campaign
    body: dict[str, Any] = {
        "id": campaign.id,
        "name": campaign.name,
        "type": str(campaign.kind),
        "status": str(view.status),
        "text": campaign.text,
        "sender": campaign.sender,
        "unicode": campaign.force_unicode,
        "flash": campaign.flash,
        "schedule_at": iso(campaign.scheduled_at),
        "timezone": campaign.timezone,
        "lists": list(campaign.list_ids),
        "invalid_numbers": list(campaign.invalid_numbers),
        "batch_id": campaign.batch_id,
        "created_at": iso(campaign.created_at),
        "updated_at": iso(campaign.updated_at),
    }
    if progress:
        body["numbers"] = campaign.numbers
        body["progress"] = dict(sorted(view.status_counts.items()))
    return body


def render_estimate(estimate: Estimate) -> dict[str, Any]:
    return {
        "recipients": estimate.accepted,
        "audience": estimate.audience,
        "duplicates": estimate.duplicates,
        "invalid": estimate.invalid,
        "verdicts": dict(estimate.verdicts),
        "segments": estimate.segments,
        "cost": format_credits(estimate.cost_micros),
        "by_region": dict(sorted(estimate.by_region.items())),
    }


def render_launch(outcome: LaunchOutcome) -> dict[str, Any]:
    return {
        "messages": outcome.messages,
        "cost": format_credits(outcome.cost_micros),
        "balance": format_credits(outcome.balance_micros),
        "verdicts": dict(outcome.estimate.verdicts),
        "campaign": render_campaign(outcome.view),
    }


def render_cancel(outcome: CancelOutcome) -> dict[str, Any]:
    return {
        "cancelled": outcome.cancelled,
        "refund": format_credits(outcome.refund_micros),
        "balance": format_credits(outcome.balance_micros),
        "campaign": render_campaign(outcome.view),
    }


def render_recipient(message: Message) -> dict[str, Any]:
    """One row of the per-recipient report."""
    return {
        "id": message.id,
        "to": message.recipient,
        "country": message.region,
        "status": str(message.status),
        "error_code": message.error_code,
        "segments": message.segments,
        "price": format_credits(message.price_micros),
        "updated_at": iso(message.updated_at),
    }
