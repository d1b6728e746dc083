"""The native API's one error table: domain error class -> HTTP status and error code.

Bodies are `{"error": {"code", "message", "details"}}`. Vendor dialects keep their own tables.
"""

from __future__ import annotations

from typing import Any

import orjson
from starlette.responses import Response

from smsgate import errors as e

NATIVE_ERRORS: dict[type[e.GatewayError], tuple[int, str]] = {
    e.GatewayError: (500, "internal_error"),
    e.InvalidRequest: (400, "invalid_request"),
    e.NoRecipients: (422, "no_recipients"),
    e.TooManyRecipients: (422, "too_many_recipients"),
    e.EmptyText: (422, "empty_text"),
    e.TextTooLong: (422, "text_too_long"),
    e.InvalidSchedule: (422, "invalid_schedule"),
    e.AuthenticationFailed: (401, "unauthorized"),
    e.AccountRefused: (403, "account_refused"),
    e.AccountBlocked: (403, "account_blocked"),
    e.AccountInactive: (403, "account_inactive"),
    e.AccountExpired: (403, "account_expired"),
    e.ServiceNotEnabled: (403, "service_not_enabled"),
    e.WebServiceDisabled: (403, "web_service_disabled"),
    e.SenderRefused: (403, "sender_refused"),
    e.SenderNotAllowed: (403, "sender_not_allowed"),
    e.SenderLineInactive: (403, "sender_line_inactive"),
    e.FilteredContent: (422, "filtered_content"),
    e.DailyLimitReached: (429, "daily_limit_reached"),
    e.NoDeliverableRecipients: (422, "no_deliverable_recipients"),
    e.InsufficientCredit: (402, "insufficient_credit"),
    e.NotFound: (404, "not_found"),
    e.Conflict: (409, "conflict"),
    e.InvalidTransition: (409, "invalid_transition"),
}


class JsonResponse(Response):
    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)


def error_body(code: str, message: str, details: Any = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "details": details or {}}}


def error_response(status: int, code: str, message: str, details: Any = None) -> JsonResponse:
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JsonResponse(error_body(code, message, details), status_code=status, headers=headers)


def gateway_error_response(exc: e.GatewayError) -> JsonResponse:
    for cls in type(exc).__mro__:
        if cls in NATIVE_ERRORS:
            status, code = NATIVE_ERRORS[cls]
            return error_response(status, code, exc.message, exc.details)
    raise LookupError(type(exc))  # unreachable: GatewayError is in the table
