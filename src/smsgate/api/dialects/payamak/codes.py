"""Payamak's numbers: the result code for each domain error, the delivery status per message.

One table (`ERROR_CODES`) maps every domain error, looked up by class, to the code each
family of operations answers with; a test checks that every leaf error is in it. `None` means
the request itself is at fault and is answered in the transport's error form instead (a SOAP
fault, or a REST envelope with `success: false`), because that family has no code for it.

Families: `send` is SendSMS/SendBatchSms over SOAP (the seed's 0..10), `send_rest` the same
over REST (the REST family's 0..26, a superset), `account` is GetCredit, GetInboxCount,
GetSenderNumbers and GetMessages (-1 credentials, -2 user inactive), `delivery` is
GetBatchDelivery and GetDelivery (-1 credentials, -2 no such batch or message).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from smsgate import errors as e
from smsgate.domain.messages import MessageStatus
from smsgate.domain.recipients import Verdict


class Family(Enum):
    SEND = "send"
    ACCOUNT = "account"
    DELIVERY = "delivery"


class Flavour(Enum):
    SOAP = "soap"
    REST = "rest"


@dataclass(frozen=True, slots=True)
class Codes:
    send: int | None
    send_rest: int
    account: int | None
    delivery: int | None


# SendSMS result codes (the seed): 0 sent, 1 bad credentials, 2 user blocked, 3 bad sender,
# 4 daily limit, 5 recipients (1..100), 6 sender line inactive, 7 filtered words,
# 8 no credit, 9 system being updated, 10 web service disabled.
# REST only: 16 no valid recipient, 17 no text, 19 user expired, 20 user not active,
# 21 invalid parameters, 25 invalid API key.
ERROR_CODES: dict[type[e.GatewayError], Codes] = {
    # Anything not named below is a fault of ours: "the system is being updated, try later".
    e.GatewayError: Codes(9, 9, None, None),
    e.InvalidRequest: Codes(None, 21, None, None),
    e.NoRecipients: Codes(5, 16, None, None),
    e.TooManyRecipients: Codes(5, 5, None, None),
    e.EmptyText: Codes(None, 17, None, None),
    e.TextTooLong: Codes(None, 21, None, None),
    e.InvalidSchedule: Codes(None, 21, None, None),
    e.AuthenticationFailed: Codes(1, 1, -1, -1),
    e.AccountRefused: Codes(2, 2, -2, -1),
    e.AccountBlocked: Codes(2, 2, -2, -1),
    e.AccountInactive: Codes(2, 20, -2, -1),
    e.AccountExpired: Codes(2, 19, -2, -1),
    e.ServiceNotEnabled: Codes(10, 10, -2, -1),
    e.WebServiceDisabled: Codes(10, 10, -2, -1),
    e.SenderRefused: Codes(3, 3, None, None),
    e.SenderNotAllowed: Codes(3, 3, None, None),
    e.SenderLineInactive: Codes(6, 6, None, None),
    e.FilteredContent: Codes(7, 7, None, None),
    e.DailyLimitReached: Codes(4, 4, None, None),
    # Every recipient refused (invalid, blacklisted, ...): nothing was sent or charged.
    e.NoDeliverableRecipients: Codes(5, 16, None, None),
    e.InsufficientCredit: Codes(8, 8, None, None),
    e.NotFound: Codes(9, 9, None, -2),
    e.Conflict: Codes(9, 9, None, None),
    e.InvalidTransition: Codes(9, 9, None, None),
}

# The REST twin tells a bad API key apart from a bad username/password.
API_KEY_REFUSED = {Family.SEND: 25, Family.ACCOUNT: -7, Family.DELIVERY: -7}


def codes_for(exc: e.GatewayError) -> Codes:
    for cls in type(exc).__mro__:
        if cls in ERROR_CODES:
            return ERROR_CODES[cls]
    raise LookupError(type(exc))  # unreachable: GatewayError is in the table


def result_code(
    exc: e.GatewayError, family: Family, flavour: Flavour, *, via_api_key: bool = False
) -> int | None:
    """The code answering `exc` in `family`; None when the request must get the error form."""
    if via_api_key and flavour is Flavour.REST and isinstance(exc, e.AuthenticationFailed):
        return API_KEY_REFUSED[family]
    codes = codes_for(exc)
    if family is Family.SEND:
        return codes.send_rest if flavour is Flavour.REST else codes.send
    if family is Family.ACCOUNT:
        return codes.account
    return codes.delivery


# --- delivery statuses ------------------------------------------------------------------
# The seed's codes: -5 ask again a minute after sending, -4 in the send queue (no report
# yet), -3 the week for reports is over, -2 no such message, -1 provider error; 0 sent to the
# operator, 1 delivered, 2 not delivered, 3 operator error, 4 unknown error, 5 reached the
# operator, 6 did not reach the operator, 7 blocked by the recipient, 8 unknown, 9 rejected by
# the operator, 10 cancelled, 11 not sent.

IN_QUEUE = -4
NO_SUCH_MESSAGE = -2
REST_IN_QUEUE = 13  # the REST family's per-number "in the send queue" (its -4 is not one)
EXPIRED_UNSENT = 11  # validity ran out before any carrier took it

DELIVERY_STATUS: dict[MessageStatus, int] = {
    MessageStatus.SCHEDULED: IN_QUEUE,
    MessageStatus.QUEUED: IN_QUEUE,
    MessageStatus.PAUSED: IN_QUEUE,
    MessageStatus.SENDING: 0,
    MessageStatus.SUBMITTED: 5,
    MessageStatus.DELIVERED: 1,
    MessageStatus.UNDELIVERED: 2,
    MessageStatus.EXPIRED: 2,  # after a carrier took it; see EXPIRED_UNSENT
    MessageStatus.REJECTED: 9,
    MessageStatus.FAILED: 6,
    MessageStatus.CANCELLED: 10,
    MessageStatus.UNKNOWN: 8,
}

# Recipients refused when the batch was sent never became messages; GetBatchDelivery still
# lists them: blacklisted ones as "blocked by the recipient", the others as "not sent".
REFUSED_STATUS: dict[str, int] = {str(Verdict.BLACKLISTED): 7}
REFUSED_OTHER = 11


def delivery_status(status: MessageStatus, reached_carrier: bool) -> int:
    if status is MessageStatus.EXPIRED and not reached_carrier:
        return EXPIRED_UNSENT
    return DELIVERY_STATUS[status]


def refused_status(verdict: str) -> int:
    return REFUSED_STATUS.get(verdict, REFUSED_OTHER)


def for_flavour(status_code: int, flavour: Flavour) -> int:
    """A per-message status as the flavour writes it (REST has no negative per-number code)."""
    if flavour is Flavour.REST and status_code == IN_QUEUE:
        return REST_IN_QUEUE
    return status_code
