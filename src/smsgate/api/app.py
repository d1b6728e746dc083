"""create_api(gateway): the HTTP application, with one place that turns errors into answers."""

from __future__ import annotations

import logging
from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect
from starlette.responses import Response

from smsgate import __version__, errors
from smsgate.api.dialects import payamak, smsfactor
from smsgate.api.errors import JsonResponse, error_body, error_response, gateway_error_response
from smsgate.api.limits import BodySizeLimit, PrefixRender
from smsgate.api.native.campaigns import router as campaigns_router
from smsgate.api.native.lists import IMPORT_PATH
from smsgate.api.native.lists import router as lists_router
from smsgate.api.native.routes import router as native_router
from smsgate.bootstrap import Gateway
from smsgate.carriers.metrics import CONTENT_TYPE as METRICS_CONTENT_TYPE
from smsgate.carriers.metrics import render as render_metrics
from smsgate.carriers.metrics import set_queue_depth

log = logging.getLogger(__name__)

HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    404: "not_found",
    405: "method_not_allowed",
    413: "body_too_large",
    415: "unsupported_media_type",
}


def create_api(gateway: Gateway) -> Any:
    """The ASGI application serving every API of this gateway."""
    app = FastAPI(
        title="smsgate",
        version=__version__,
        description="Self-hosted SMS and MMS gateway. Authenticate with "
        "`Authorization: Bearer <api key>`.",
        default_response_class=JsonResponse,
    )
    app.state.gateway = gateway
    app.include_router(native_router)
    app.include_router(lists_router)
    app.include_router(campaigns_router)

    @app.exception_handler(errors.GatewayError)
    async def _gateway_error(_request: Request, exc: errors.GatewayError) -> Response:
        return gateway_error_response(exc)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(_request: Request, exc: RequestValidationError) -> Response:
        problems = [
            {"field": ".".join(str(p) for p in err.get("loc", ())[1:]), "message": err.get("msg")}
            for err in exc.errors()
        ]
        if any(err.get("type") == "json_invalid" for err in exc.errors()):
            return error_response(400, "malformed_json", "the body is not valid JSON")
        return error_response(
            422, "invalid_request", "the request has invalid fields", {"fields": problems}
        )

    @app.exception_handler(ClientDisconnect)
    async def _client_left(_request: Request, _exc: ClientDisconnect) -> Response:
        # Nobody to answer: the client went away, or BodySizeLimit cut a streamed upload.
        return error_response(400, "client_disconnected", "the request body did not arrive")

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(_request: Request, exc: StarletteHTTPException) -> Response:
        code = HTTP_CODES.get(exc.status_code, "http_error")
        return error_response(exc.status_code, code, str(exc.detail))

    @app.exception_handler(Exception)
    async def _unexpected(_request: Request, exc: Exception) -> Response:
        log.error("unexpected error", exc_info=exc, extra={"event": "api_unexpected_error"})
        return error_response(500, "internal_error", "an unexpected error occurred")

    @app.get("/health", include_in_schema=False)
    async def _health() -> JsonResponse:
        return JsonResponse({"status": "ok", "version": __version__})

    @app.get("/metrics", include_in_schema=False)
    async def _metrics() -> Response:
        """Prometheus metrics: messages by status, submits, latency, windows, links."""
        set_queue_depth(await gateway.delivery.queue_counts())
        return Response(render_metrics(), media_type=METRICS_CONTENT_TYPE)

    def too_large(max_bytes: int) -> tuple[bytes, str]:
        body = error_body("body_too_large", f"the body is larger than {max_bytes} bytes")
        return orjson.dumps(body), "application/json"

    # Vendor APIs are sub-applications with their own error handlers, so that every error
    # they answer (404/405 and 413 included) is in the vendor's form, never in ours.
    app.mount(smsfactor.MOUNT, smsfactor.create_smsfactor_app(gateway))
    app.mount(payamak.MOUNT_PATH, payamak.create_payamak_app(gateway))
    renderers: dict[str, PrefixRender] = {
        smsfactor.MOUNT: smsfactor.too_large,
        payamak.MOUNT_PATH: payamak.render_too_large,
    }
    return BodySizeLimit(
        app,  # type: ignore[arg-type]
        gateway.settings.max_body_bytes,
        too_large,
        renderers=renderers,
        streamed={IMPORT_PATH: gateway.settings.max_import_bytes},
    )
