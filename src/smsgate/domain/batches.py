"""Batches and their messages, as stored: one send request becomes one batch."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

from smsgate.domain.accounts import Service
from smsgate.domain.messages import MessageKind, MessageStatus


@dataclass(frozen=True, slots=True)
class RefusedRecipient:
    raw: str
    reference: str | None
    number: str | None
    verdict: str


@dataclass(frozen=True, slots=True)
class NewBatch:
    account_id: int
    service: Service
    text: str
    sender: str | None
    encoding: str
    segments: int
    flash: bool
    kind: MessageKind
    scheduled_at: datetime | None
    created_at: datetime
    idempotency_key: str | None
    total: int
    verdict_counts: Mapping[str, int]
    refused: Sequence[RefusedRecipient]
    cost_micros: int
    # Every recipient in request order; kept only with an idempotency key, to replay answers.
    replay_recipients: Sequence[RefusedRecipient] | None = None
    request_hash: str | None = None  # with an idempotency key: request_fingerprint(...)


class NewMessage(NamedTuple):  # a tuple: one is made per recipient (decisions/0009)
    recipient: str
    region: str
    reference: str | None
    segments: int
    price_micros: int


@dataclass(frozen=True, slots=True)
class Batch:
    id: int
    account_id: int
    service: Service
    text: str
    sender: str | None
    encoding: str
    segments: int
    flash: bool
    kind: MessageKind
    scheduled_at: datetime | None
    created_at: datetime
    idempotency_key: str | None
    total: int
    verdict_counts: Mapping[str, int]
    refused: Sequence[RefusedRecipient]
    cost_micros: int
    replay_recipients: Sequence[RefusedRecipient] | None = None
    request_hash: str | None = None


@dataclass(frozen=True, slots=True)
class Message:
    id: int
    batch_id: int
    account_id: int
    recipient: str
    region: str
    reference: str | None
    segments: int
    price_micros: int
    status: MessageStatus
    scheduled_at: datetime | None
    created_at: datetime
    updated_at: datetime
    error_code: str | None = None
    carrier_message_id: str | None = None


@dataclass(frozen=True, slots=True)
class MessageFilter:
    batch_id: int | None = None
    status: MessageStatus | None = None
    recipient: str | None = None
    before_id: int | None = None  # cursor: messages with a smaller id
    limit: int = 50


def request_fingerprint(fields: Mapping[str, object]) -> str:
    """A digest of a send request's content, to tell a replay from a different request that
    reuses its idempotency key (answered 409, as Stripe and Twilio do)."""
    canonical = json.dumps(fields, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()
