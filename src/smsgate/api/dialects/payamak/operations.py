"""The eight Payamak operations, transport-neutral: typed arguments in, typed results out.

soap.py and rest.py parse their wire format into these arguments, call `answer`, and render
what comes back. Every operation calls the same services as the native API; the vendor's
rules (at most 100 recipients, positions counted from 1, ...) are applied here, before them.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Generic, TypeVar

from smsgate import errors
from smsgate.api.dialects.payamak import codes, records
from smsgate.api.dialects.payamak.codes import Family, Flavour
from smsgate.api.dialects.payamak.records import MessageInfo
from smsgate.bootstrap import Gateway
from smsgate.domain.accounts import Account
from smsgate.domain.recipients import Recipient
from smsgate.services.accounts import check_api_access
from smsgate.services.sending import SendRequest

log = logging.getLogger(__name__)

T = TypeVar("T")

MAX_RECIPIENTS = {Flavour.SOAP: 100, Flavour.REST: 1000}
MAX_DELIVERY_PAGE = 100
MAX_MESSAGES_PAGE = 1000
RECEIVED, SENT = 1, 2


@dataclass(frozen=True, slots=True)
class Credentials:
    """Username and password (SOAP and REST), or an smsgate API key (REST `X-API-Key`)."""

    username: str | None = None
    password: str | None = None
    api_key: str | None = None


@dataclass(frozen=True, slots=True)
class Answer(Generic[T]):
    """A result, or (value None) the result code standing for the error that stopped it."""

    code: int
    value: T | None


async def answer(
    gateway: Gateway,
    credentials: Credentials,
    family: Family,
    flavour: Flavour,
    run: Callable[[Account], Awaitable[T]],
) -> Answer[T]:
    """Authenticate, run, and turn a domain error into the family's result code.

    Errors the family has no code for propagate, to be answered in the transport's error form.
    """
    try:
        account = await authenticate(gateway, credentials)
        return Answer(0, await run(account))
    except errors.GatewayError as exc:
        code = codes.result_code(exc, family, flavour, via_api_key=credentials.api_key is not None)
        if code is None:
            raise
        log.info(
            "payamak call refused with %s: %s",
            code,
            type(exc).__name__,
            extra={"event": "payamak_refused", "family": family.value, "code": code},
        )
        return Answer(code, None)


async def authenticate(gateway: Gateway, credentials: Credentials) -> Account:
    if credentials.api_key is not None:
        account = await gateway.accounts.authenticate_key(credentials.api_key)
    else:
        account = await gateway.accounts.authenticate_password(
            credentials.username or "", credentials.password or ""
        )
    check_api_access(account, gateway.clock.now())
    return account


# --- sending ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SendArgs:
    sender: str | None
    numbers: Sequence[str]
    text: str
    flash: bool
    delay_s: int | None = None  # REST `sendDelay`: send this many seconds from now


@dataclass(frozen=True, slots=True)
class Sent:
    batch_id: int
    rec_ids: list[int]  # per recipient in request order; 0 when not sent
    sent: list[bool]


async def send(gateway: Gateway, account: Account, args: SendArgs, flavour: Flavour) -> Sent:
    limit = MAX_RECIPIENTS[flavour]
    if len(args.numbers) > limit:
        raise errors.TooManyRecipients(f"at most {limit} recipients per call", max_recipients=limit)
    scheduled_at = None
    if args.delay_s:
        if args.delay_s < 0:
            raise errors.InvalidSchedule("sendDelay cannot be negative")
        scheduled_at = gateway.clock.now() + timedelta(seconds=args.delay_s)
    sender = records.line_key(args.sender, account.default_country) if args.sender else None
    outcome = await gateway.sending.send(
        account,
        SendRequest(
            recipients=[Recipient(number) for number in args.numbers],
            text=args.text,
            sender=sender or None,
            scheduled_at=scheduled_at,
            flash=args.flash,
        ),
    )
    ids = iter(m.id or 0 for m in outcome.messages)
    rec_ids = [next(ids) if v.accepted else 0 for v in outcome.verdicts]
    return Sent(outcome.batch_id or 0, rec_ids, [rec_id != 0 for rec_id in rec_ids])


# --- account and inbox ------------------------------------------------------------------


async def credit(gateway: Gateway, account: Account) -> int:
    """The balance in micro-credits (one credit buys one SMS segment at the default price)."""
    return await gateway.queries.balance(account)


async def inbox_count(gateway: Gateway, account: Account, is_read: bool) -> int:
    return await gateway.inbox.count(account, is_read=is_read)


async def sender_numbers(gateway: Gateway, account: Account) -> list[str]:
    """The account's active lines, as Payamak shows numbers."""
    lines = await gateway.accounts.lines(account.username)
    return [records.display_number(line.number) for line in lines if line.active]


@dataclass(frozen=True, slots=True)
class MessagesArgs:
    message_type: int
    from_numbers: Sequence[str]
    index: int | None  # None (not sent): 1
    count: int | None  # None (not sent): the largest page


async def messages(gateway: Gateway, account: Account, args: MessagesArgs) -> list[MessageInfo]:
    """Received (type 1; the page is then marked read) or sent (type 2) messages, newest
    first, on the account's lines / from its senders listed in `from_numbers` (all if none)."""
    if args.message_type not in (RECEIVED, SENT):
        raise errors.InvalidRequest("messageType is 1 (received) or 2 (sent)")
    offset, count = _page(args.index, args.count, MAX_MESSAGES_PAGE)
    numbers = [n for n in args.from_numbers if n.strip()]
    if args.message_type == RECEIVED:
        lines = [records.line_key(n, account.default_country) for n in numbers]
        found = await gateway.inbox.page(
            account, recipients=lines or None, offset=offset, limit=count, mark_read=True
        )
        return [records.received_info(m) for m in found]
    senders = {n.strip() for n in numbers} | {
        records.line_key(n, account.default_country) for n in numbers
    }
    details = await gateway.queries.sent_page(
        account, senders=senders or None, offset=offset, limit=count
    )
    return [records.sent_info(d.message, d.batch) for d in details]


# --- delivery ---------------------------------------------------------------------------


async def batch_delivery(
    gateway: Gateway, account: Account, batch_id: int, index: int | None, count: int | None
) -> list[tuple[str, int]]:
    """(number, delivery status) for recipients `index`.. of a batch: its messages in order,
    then the recipients refused when it was sent."""
    offset, count = _page(index, count, MAX_DELIVERY_PAGE)
    report, found = await gateway.queries.batch_messages(account, batch_id)
    rows = [
        (
            records.display_number(m.recipient),
            codes.delivery_status(m.status, records.reached_carrier(m)),
        )
        for m in found
    ]
    rows += [
        (records.display_number(r.number or r.raw), codes.refused_status(r.verdict))
        for r in report.batch.refused
    ]
    return rows[offset : offset + count]


async def delivery(gateway: Gateway, account: Account, rec_id: int) -> int:
    detail = await gateway.queries.message(account, rec_id)
    return codes.delivery_status(detail.message.status, records.reached_carrier(detail.message))


def _page(index: int | None, count: int | None, max_count: int) -> tuple[int, int]:
    """(offset, count) for a page asked by position; index counts from 1."""
    index = 1 if index is None else index
    count = max_count if count is None else count
    if index < 1:
        raise errors.InvalidRequest("index starts at 1")
    if not 1 <= count <= max_count:
        raise errors.InvalidRequest(f"count must be between 1 and {max_count}")
    return index - 1, count
