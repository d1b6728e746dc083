"""Inbound (MO) messages: stored for the owner of the destination line, concatenated parts
reassembled durably, opt-out keywords honoured, reported to the account's webhook."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass

from smsgate.domain.inbound import DEFAULT_OPT_OUT_KEYWORDS, is_opt_out, opt_out_matcher
from smsgate.ports import Clock, InboundPart, NewInbound, Store
from smsgate.services.webhooks import enqueue_events

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class IncomingMessage:
    """An inbound SMS as the carrier adapter read it (numbers already E.164 where possible)."""

    link_id: int
    sender: str
    recipient: str
    text: str
    reference: int | None = None  # concatenation reference, for a part of a longer message
    total: int = 1
    seq: int = 1


class InboundService:
    def __init__(
        self,
        store: Store,
        clock: Clock,
        *,
        opt_out_keywords: Iterable[str] = DEFAULT_OPT_OUT_KEYWORDS,
    ) -> None:
        self._store = store
        self._clock = clock
        self._opt_out = opt_out_matcher(opt_out_keywords)

    async def receive(self, message: IncomingMessage) -> int | None:
        """Store an inbound message for the owner of its destination line.

        Returns the inbox id, or None while a concatenated message waits for its other parts or
        when no account owns the number (logged and dropped: the carrier must not resend it).
        """
        now = self._clock.now()
        async with self._store.transaction(write=True) as tx:
            text = message.text
            parts = 1
            if message.total > 1 and message.reference is not None:
                complete = await tx.inbox.add_part(
                    InboundPart(
                        message.link_id,
                        message.sender,
                        message.recipient,
                        message.reference,
                        message.total,
                        message.seq,
                        message.text,
                        now,
                    )
                )
                if complete is None:
                    return None
                text = "".join(part.text for part in sorted(complete, key=lambda p: p.seq))
                parts = len(complete)
            owner = await tx.inbox.line_owner(message.recipient)
            if owner is None:
                log.warning(
                    "inbound message for a number no account owns to=%s",
                    message.recipient,
                    extra={"event": "delivery.mo_unowned"},
                )
                return None
            opt_out = is_opt_out(text, self._opt_out)
            if opt_out:
                await tx.blacklist.add(owner, [message.sender], now)
                log.info(
                    "opt-out account=%s number=%s",
                    owner,
                    message.sender,
                    extra={"event": "delivery.opt_out"},
                )
            inbound_id = await tx.inbox.add(
                NewInbound(
                    owner,
                    message.link_id,
                    message.sender,
                    message.recipient,
                    text,
                    parts,
                    opt_out,
                    now,
                )
            )
            await enqueue_events(
                tx,
                [
                    (
                        owner,
                        "message.inbound",
                        {
                            "id": inbound_id,
                            "from": message.sender,
                            "to": message.recipient,
                            "text": text,
                            "parts": parts,
                            "opt_out": opt_out,
                            "received_at": now.isoformat(),
                        },
                    )
                ],
                now,
            )
            return inbound_id
