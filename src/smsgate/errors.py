"""The gateway's error tree: broken rules raise one of these, expected outcomes are values.

Every boundary (native API, each vendor dialect, CLI exit codes) maps these classes in one
table looked up by class; a test checks that every leaf appears in every table.

    GatewayError
    ├── InvalidRequest              the request itself is malformed or out of range
    │   ├── NoRecipients            no recipient given
    │   ├── TooManyRecipients       more recipients than the API allows
    │   ├── EmptyText               no text to send
    │   ├── TextTooLong             more segments than the configured cap
    │   └── InvalidSchedule         schedule time unreadable, naive or too far ahead
    ├── AuthenticationFailed        unknown user, wrong password, unknown or revoked key
    ├── AccountRefused              the account may not do this now
    │   ├── AccountBlocked
    │   ├── AccountInactive
    │   ├── AccountExpired
    │   ├── ServiceNotEnabled       sms or mms not enabled for the account
    │   └── WebServiceDisabled      the account's API access is switched off
    ├── SenderRefused
    │   ├── SenderNotAllowed        sender id not allowed for the account
    │   └── SenderLineInactive      sender is the account's own line, but inactive
    ├── FilteredContent             the text contains one of the account's filtered words
    ├── DailyLimitReached           nothing left of the account's daily sending limit
    ├── NoDeliverableRecipients     every recipient was refused (carries the verdicts)
    ├── InsufficientCredit          the balance does not cover the price
    ├── NotFound                    no such object for this account
    ├── Conflict                    the object exists already, or a key is reused
    └── InvalidTransition           a message status change the status table forbids
"""

from __future__ import annotations

from typing import Any


class GatewayError(Exception):
    """Root of every error smsgate raises on purpose."""

    def __init__(self, message: str = "", **details: Any) -> None:
        super().__init__(message or self.__class__.__doc__ or self.__class__.__name__)
        self.message = message or (self.__class__.__doc__ or self.__class__.__name__).strip()
        self.details: dict[str, Any] = details


class InvalidRequest(GatewayError):
    """The request is malformed or a value is out of range."""


class NoRecipients(InvalidRequest):
    """At least one recipient is required."""


class TooManyRecipients(InvalidRequest):
    """Too many recipients in one request."""


class EmptyText(InvalidRequest):
    """The message text is empty."""


class TextTooLong(InvalidRequest):
    """The text needs more segments than allowed."""


class InvalidSchedule(InvalidRequest):
    """The schedule time is invalid."""


class AuthenticationFailed(GatewayError):
    """Invalid credentials."""


class AccountRefused(GatewayError):
    """The account may not do this now."""


class AccountBlocked(AccountRefused):
    """The account is blocked."""


class AccountInactive(AccountRefused):
    """The account is inactive."""


class AccountExpired(AccountRefused):
    """The account has expired."""


class ServiceNotEnabled(AccountRefused):
    """The service is not enabled for this account."""


class WebServiceDisabled(AccountRefused):
    """Web service access is disabled for this account."""


class SenderRefused(GatewayError):
    """The sender is refused."""


class SenderNotAllowed(SenderRefused):
    """The sender id is not allowed for this account."""


class SenderLineInactive(SenderRefused):
    """The sender line is inactive."""


class FilteredContent(GatewayError):
    """The text contains a filtered word."""


class DailyLimitReached(GatewayError):
    """The daily sending limit is reached."""


class NoDeliverableRecipients(GatewayError):
    """No recipient can be sent to."""


class InsufficientCredit(GatewayError):
    """Not enough credit."""


class NotFound(GatewayError):
    """Not found."""


class Conflict(GatewayError):
    """Conflict with the current state."""


class InvalidTransition(GatewayError):
    """The status change is not allowed."""


def leaf_errors() -> list[type[GatewayError]]:
    """Every concrete error class, for the tests that check each boundary's table."""
    found: list[type[GatewayError]] = []
    pending: list[type[GatewayError]] = [GatewayError]
    while pending:
        cls = pending.pop()
        subclasses = cls.__subclasses__()
        if subclasses:
            pending.extend(subclasses)
        else:
            found.append(cls)
    return sorted(found, key=lambda c: c.__name__)
