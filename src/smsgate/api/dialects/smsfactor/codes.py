"""SMSFactor's request statuses and this dialect's one error table.

SMSFactor answers every request with a `status`: 1 for OK, a negative code for an error, with
`message` (the code's name) and `details` (what went wrong), on HTTP 200. The codes are those
SMSFactor documents; the SDKs map them to exceptions (-1 authentication, -2/-6/-7 invalid
request, -3 insufficient credits, -8 moderation, -99 unknown).
"""

from __future__ import annotations

from enum import IntEnum
from typing import Any

from smsgate import errors as e


class Status(IntEnum):
    OK = 1
    AUTHENTICATION = -1
    XML = -2
    CREDITS = -3
    DELAY = -4
    CONTACT_LIST = -5
    JSON = -6
    DATA = -7
    MODERATION = -8  # SMSFactor holds the campaign for review; smsgate never answers it
    UNKNOWN = -99


MESSAGES: dict[Status, str] = {
    Status.OK: "OK",
    Status.AUTHENTICATION: "Authentication error",
    Status.XML: "XML error",
    Status.CREDITS: "Not enough credits",
    Status.DELAY: "Incorrect delay",
    Status.CONTACT_LIST: "Contact list error",
    Status.JSON: "JSON error",
    Status.DATA: "Data error",
    Status.MODERATION: "Campaign under moderation",
    Status.UNKNOWN: "Unknown error",
}

SMSFACTOR_ERRORS: dict[type[e.GatewayError], Status] = {
    e.GatewayError: Status.UNKNOWN,
    e.InvalidRequest: Status.DATA,
    e.NoRecipients: Status.DATA,
    e.TooManyRecipients: Status.DATA,
    e.EmptyText: Status.DATA,
    e.TextTooLong: Status.DATA,
    e.InvalidSchedule: Status.DELAY,
    e.AuthenticationFailed: Status.AUTHENTICATION,
    e.AccountRefused: Status.AUTHENTICATION,
    e.AccountBlocked: Status.AUTHENTICATION,
    e.AccountInactive: Status.AUTHENTICATION,
    e.AccountExpired: Status.AUTHENTICATION,
    e.ServiceNotEnabled: Status.AUTHENTICATION,
    e.WebServiceDisabled: Status.AUTHENTICATION,
    e.SenderRefused: Status.DATA,
    e.SenderNotAllowed: Status.DATA,
    e.SenderLineInactive: Status.DATA,
    e.FilteredContent: Status.DATA,
    e.DailyLimitReached: Status.DATA,
    e.NoDeliverableRecipients: Status.DATA,
    e.InsufficientCredit: Status.CREDITS,
    e.NotFound: Status.DATA,
    e.Conflict: Status.DATA,
    e.InvalidTransition: Status.UNKNOWN,
}


class WireError(Exception):
    """The request could not be read as SMSFactor's wire format (bad XML or JSON, a DTD)."""

    def __init__(self, status: Status, details: str) -> None:
        super().__init__(details)
        self.status = status
        self.details = details


def status_of(exc: e.GatewayError) -> Status:
    """The status a domain error is answered with: the nearest class in the table."""
    for cls in type(exc).__mro__:
        if cls in SMSFACTOR_ERRORS:
            return SMSFACTOR_ERRORS[cls]
    raise LookupError(type(exc))  # unreachable: GatewayError is in the table


def error_payload(status: Status, details: str) -> dict[str, Any]:
    return {"status": int(status), "message": MESSAGES[status], "details": details}
