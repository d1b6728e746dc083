"""The SMSFactor-compatible API: a sub-application with SMSFactor's routes and error form.

Each route reads SMSFactor's wire format, makes one call to the services the native API uses
(sending, cancelling, queries, accounts) and renders SMSFactor's answer. Every error is
answered in SMSFactor's form: domain errors and unreadable bodies on HTTP 200 with a negative
`status` (codes.SMSFACTOR_ERRORS), unknown operations with 404/405, an unexpected failure with
500, bodies over the size limit with 413 (`too_large`, hooked into api/limits.BodySizeLimit).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from smsgate import errors
from smsgate.api.dialects.smsfactor.codes import Status, WireError, error_payload, status_of
from smsgate.api.dialects.smsfactor.orders import read_campaign, read_single, send_request
from smsgate.api.dialects.smsfactor.reports import (
    render_campaign,
    render_cancel,
    render_credits,
    render_sent,
)
from smsgate.api.dialects.smsfactor.wire import (
    JSON_TYPE,
    XML_TYPE,
    decode_body,
    read_query,
    render_json,
    render_xml,
    wants_xml,
)
from smsgate.bootstrap import Gateway
from smsgate.domain.accounts import Account
from smsgate.services.accounts import check_api_access

log = logging.getLogger(__name__)

MOUNT = "/smsfactor"
_TICKET = re.compile(r"[0-9]{1,18}")


def create_smsfactor_app(gateway: Gateway) -> Starlette:
    """The ASGI application to mount at `MOUNT`."""
    app = Starlette(
        routes=[
            Route("/send", send_campaign, methods=["POST"]),
            Route("/send/simulate", simulate_campaign, methods=["POST"]),
            Route("/send", send_single, methods=["GET"]),
            Route("/send/simulate", simulate_single, methods=["GET"]),
            Route("/send/{ticket}", cancel_campaign, methods=["DELETE"]),
            Route("/campaign/{ticket}", get_campaign, methods=["GET"]),
            Route("/credits", get_credits, methods=["GET"]),
        ],
        exception_handlers={
            errors.GatewayError: _gateway_error,
            WireError: _wire_error,
            HTTPException: _http_error,
            Exception: _unexpected,
        },
    )
    app.state.gateway = gateway
    return app


# --- routes -------------------------------------------------------------------------------


async def send_campaign(request: Request) -> Response:
    return await _campaign(request, simulate=False)


async def simulate_campaign(request: Request) -> Response:
    return await _campaign(request, simulate=True)


async def send_single(request: Request) -> Response:
    return await _single(request, simulate=False)


async def simulate_single(request: Request) -> Response:
    return await _single(request, simulate=True)


async def cancel_campaign(request: Request) -> Response:
    gateway = _gateway(request)
    account = await _account(request)
    ticket = _ticket(request)
    outcome = await gateway.cancelling.cancel_batch(account, ticket)
    if not outcome.cancelled:
        raise errors.InvalidRequest(f"campaign {ticket} has no scheduled message to cancel")
    return reply(request, render_cancel(outcome))


async def get_campaign(request: Request) -> Response:
    gateway = _gateway(request)
    account = await _account(request)
    report, messages = await gateway.queries.batch_messages(account, _ticket(request))
    return reply(request, render_campaign(report, messages))


async def get_credits(request: Request) -> Response:
    gateway = _gateway(request)
    account = await _account(request)
    return reply(request, render_credits(await gateway.queries.balance(account)))


async def _campaign(request: Request, simulate: bool) -> Response:
    gateway = _gateway(request)
    account = await _account(request)
    document = decode_body(await request.body(), request.headers.get("content-type", ""))
    order = read_campaign(document)
    outcome = await gateway.sending.send(
        account, send_request(order, gateway.clock.now(), simulate)
    )
    return reply(request, render_sent(outcome, simulate))


async def _single(request: Request, simulate: bool) -> Response:
    gateway = _gateway(request)
    account = await _account(request)
    order = read_single(_query(request))
    outcome = await gateway.sending.send(
        account, send_request(order, gateway.clock.now(), simulate)
    )
    return reply(request, render_sent(outcome, simulate))


# --- request and answer -------------------------------------------------------------------


def _gateway(request: Request) -> Gateway:
    gateway: Gateway = request.app.state.gateway
    return gateway


def _query(request: Request) -> dict[str, Any]:
    return read_query(request.scope.get("query_string", b""))


async def _account(request: Request) -> Account:
    """The token's account: `Authorization: Bearer <token>`, or `token` in the query."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    token = token.strip() if scheme.lower() == "bearer" else ""
    if not token:
        found = _query(request).get("token", "")
        token = found.strip() if isinstance(found, str) else ""
    if not token:
        raise errors.AuthenticationFailed("no token: send 'Authorization: Bearer <token>'")
    gateway = _gateway(request)
    account = await gateway.accounts.authenticate_key(token)
    check_api_access(account, gateway.clock.now())
    return account


def _ticket(request: Request) -> int:
    raw = str(request.path_params["ticket"])
    if not _TICKET.fullmatch(raw):
        raise errors.NotFound(f"no campaign {raw!r}")
    return int(raw)


def encode(payload: Mapping[str, Any], accept: str) -> tuple[bytes, str]:
    """The payload in the format `Accept` asks for: body and content type."""
    if wants_xml(accept):
        return render_xml(payload), XML_TYPE
    return render_json(payload), JSON_TYPE


def reply(request: Request, payload: Mapping[str, Any], status_code: int = 200) -> Response:
    body, media_type = encode(payload, request.headers.get("accept", ""))
    return Response(body, status_code=status_code, media_type=media_type)


def too_large(
    scope: Mapping[str, Any], max_bytes: int
) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
    """BodySizeLimit's 413, in SMSFactor's form (a data error) and the format asked for."""
    accept = next(
        (v.decode("latin-1") for k, v in scope.get("headers", ()) if k.lower() == b"accept"), ""
    )
    payload = error_payload(Status.DATA, f"the body is larger than {max_bytes} bytes")
    body, media_type = encode(payload, accept)
    return 413, [(b"content-type", media_type.encode())], body


# --- errors -------------------------------------------------------------------------------


async def _gateway_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, errors.GatewayError)
    return reply(request, error_payload(status_of(exc), exc.message))


async def _wire_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, WireError)
    return reply(request, error_payload(exc.status, exc.details))


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    details = str(exc.detail)
    if exc.status_code == 404:
        details = f"unknown operation {request.method} {request.url.path}"
    elif exc.status_code == 405:
        details = f"{request.method} is not allowed on {request.url.path}"
    return reply(request, error_payload(Status.UNKNOWN, details), exc.status_code)


async def _unexpected(request: Request, exc: Exception) -> Response:
    log.error(
        "unexpected error in the SMSFactor API",
        exc_info=exc,
        extra={"event": "smsfactor_unexpected_error"},
    )
    return reply(request, error_payload(Status.UNKNOWN, "an unexpected error occurred"), 500)
