"""The Payamak sub-application, mounted at /payamak, and its one place for errors.

Everything that goes wrong under the mount is answered in the vendor's form: a SOAP fault
for SendService.svc (and any other path), a `success: false` envelope under /api/. That
covers unreadable requests, unknown paths and methods, bodies over the size limit (the
renderer below, registered with api/limits.BodySizeLimit) and unexpected exceptions.
"""

from __future__ import annotations

import logging

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from smsgate import errors
from smsgate.api.dialects.payamak import envelope, rest, soap
from smsgate.api.dialects.payamak.contract import ENDPOINT_PATH, MOUNT_PATH, REST_PATH
from smsgate.api.dialects.payamak.envelope import SoapFault
from smsgate.api.dialects.payamak.rest import RestError
from smsgate.bootstrap import Gateway

log = logging.getLogger(__name__)

Scope = dict[str, object]
Headers = list[tuple[bytes, bytes]]


def create_payamak_app(gateway: Gateway) -> Starlette:
    app = Starlette(
        routes=[
            Route(ENDPOINT_PATH, soap.post, methods=["POST"]),
            Route(ENDPOINT_PATH, soap.get, methods=["GET"]),
            Route(REST_PATH + "/{operation}", rest.post, methods=["POST"]),
        ],
        exception_handlers={
            SoapFault: _soap_fault,
            RestError: _rest_error,
            errors.GatewayError: _gateway_error,
            HTTPException: _http_error,
            Exception: _unexpected,
        },
    )
    app.state.gateway = gateway
    return app


def is_rest(path: str) -> bool:
    """Whether a path (with or without the mount point) belongs to the REST twin."""
    path = path.removeprefix(MOUNT_PATH)
    return path == "/api" or path.startswith("/api/")


def _fault_response(code: str, message: str, status: int) -> Response:
    return Response(envelope.fault(code, message), status, media_type=envelope.CONTENT_TYPE)


def _rest_response(message: str, status: int) -> Response:
    return Response(rest.envelope(None, message), status, media_type=rest.JSON_TYPE)


def _answer(request: Request, status: int, message: str, fault_code: str) -> Response:
    log.info(
        "payamak request refused (%s): %s",
        status,
        message,
        extra={"event": "payamak_error", "status": status},
    )
    if is_rest(request.url.path):
        return _rest_response(message, status)
    return _fault_response(fault_code, message, status)


async def _soap_fault(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, SoapFault)
    return _answer(request, exc.status, exc.message, exc.code)


async def _rest_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RestError)
    return _answer(request, exc.status, exc.message, envelope.CLIENT)


async def _gateway_error(request: Request, exc: Exception) -> Response:
    """A domain error the operation's family has no result code for."""
    assert isinstance(exc, errors.GatewayError)
    if isinstance(exc, errors.InvalidRequest):
        status = 400 if is_rest(request.url.path) else 500
        return _answer(request, status, exc.message, envelope.CLIENT)
    return _answer(request, 500, exc.message, envelope.SERVER)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    return _answer(request, exc.status_code, str(exc.detail), envelope.CLIENT)


async def _unexpected(request: Request, exc: Exception) -> Response:
    log.error("unexpected error", exc_info=exc, extra={"event": "payamak_unexpected_error"})
    message = "an unexpected error occurred"
    if is_rest(request.url.path):
        return _rest_response(message, 500)
    return _fault_response(envelope.INTERNAL_FAULT, message, 500)


def render_too_large(scope: Scope, max_bytes: int) -> tuple[int, Headers, bytes]:
    """The 413 for bodies over the limit, in the vendor's form (for BodySizeLimit)."""
    message = f"the body is larger than {max_bytes} bytes"
    if is_rest(str(scope.get("path", ""))):
        return 413, [(b"content-type", rest.JSON_TYPE.encode())], rest.envelope(None, message)
    return (
        413,
        [(b"content-type", envelope.CONTENT_TYPE.encode())],
        envelope.fault(envelope.CLIENT, message),
    )
