"""The simulator's HTTP control port, on asyncio streams (stdlib only, one request per
connection):

    POST /mo     {"from": "+447700900123", "to": "12345", "text": "hi"}   -> 202 {"parts": 1}
                 optional "data_coding" (0, 3, 8) and "system_id" (which ESME gets it)
    GET  /stats  -> 200 {"binds": 1, "submits": 10, ...}
    POST /drop   -> 200 {"dropped": 2}   cut every bound connection without unbind

Errors answer {"error": "..."}: 400 bad request or JSON, 404, 405, 409 when no receiver is
bound for an MO, 411 without Content-Length, 413 over 64 KiB, 431 too many headers.
"""

from __future__ import annotations

import asyncio
import json
import logging
from http import HTTPStatus
from typing import TYPE_CHECKING, Any, NamedTuple

from smsgate.simulator.errors import NoReceiverBound

if TYPE_CHECKING:
    from smsgate.simulator.simulator import SmscSimulator

logger = logging.getLogger(__name__)

MAX_LINE_BYTES = 8192
MAX_HEADERS = 64
MAX_BODY_BYTES = 64 * 1024
READ_TIMEOUT_S = 5.0
WRITE_TIMEOUT_S = 5.0
ROUTES: dict[str, str] = {"/mo": "POST", "/stats": "GET", "/drop": "POST"}


class HttpRequest(NamedTuple):
    method: str
    path: str
    body: bytes


class HttpError(Exception):
    """A request answered with an error status."""

    def __init__(self, status: HTTPStatus, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class ControlServer:
    """Answers control requests for one SmscSimulator."""

    def __init__(self, simulator: SmscSimulator) -> None:
        self._simulator = simulator
        self._server: asyncio.Server | None = None

    @property
    def port(self) -> int:
        if self._server is None or not self._server.sockets:
            raise RuntimeError("the control port is not started")
        port: int = self._server.sockets[0].getsockname()[1]
        return port

    async def start(self, host: str, port: int) -> int:
        self._server = await asyncio.start_server(self._serve, host, port, limit=MAX_LINE_BYTES)
        logger.info(
            "simulator control listening host=%s port=%s",
            host,
            self.port,
            extra={"event": "simulator.control_listening"},
        )
        return self.port

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            try:
                async with asyncio.timeout(READ_TIMEOUT_S):
                    request = await read_request(reader)
                status, payload = self.answer(request)
            except HttpError as exc:
                status, payload = exc.status, {"error": exc.message}
            except TimeoutError:
                status, payload = HTTPStatus.REQUEST_TIMEOUT, {"error": "request too slow"}
            except (asyncio.IncompleteReadError, ConnectionError):
                return
            writer.write(render_response(status, payload))
            async with asyncio.timeout(WRITE_TIMEOUT_S):
                await writer.drain()
        except (TimeoutError, ConnectionError):
            pass  # the client went away: nothing to tell it
        finally:
            writer.close()

    def answer(self, request: HttpRequest) -> tuple[HTTPStatus, dict[str, Any]]:
        """Route one request to the simulator."""
        allowed = ROUTES.get(request.path)
        if allowed is None:
            raise HttpError(HTTPStatus.NOT_FOUND, f"no such path: {request.path}")
        if request.method != allowed:
            raise HttpError(HTTPStatus.METHOD_NOT_ALLOWED, f"{request.path} takes {allowed}")
        simulator = self._simulator
        if request.path == "/stats":
            return HTTPStatus.OK, dict(simulator.snapshot())
        if request.path == "/drop":
            return HTTPStatus.OK, {"dropped": simulator.drop_connections()}
        mo = parse_mo(request.body)
        try:
            parts = simulator.start_mo(
                mo["from"],
                mo["to"],
                mo["text"],
                mo.get("data_coding"),
                system_id=mo.get("system_id"),
            )
        except NoReceiverBound as exc:
            raise HttpError(HTTPStatus.CONFLICT, str(exc)) from exc
        except ValueError as exc:
            raise HttpError(HTTPStatus.BAD_REQUEST, str(exc)) from exc
        return HTTPStatus.ACCEPTED, {"parts": parts}


def parse_mo(body: bytes) -> dict[str, Any]:
    """The JSON object of POST /mo, its fields checked."""
    try:
        mo = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise HttpError(HTTPStatus.BAD_REQUEST, f"body is not JSON: {exc}") from exc
    if not isinstance(mo, dict):
        raise HttpError(HTTPStatus.BAD_REQUEST, "body must be a JSON object")
    for key in ("from", "to", "text"):
        if not isinstance(mo.get(key), str):
            raise HttpError(HTTPStatus.BAD_REQUEST, f'"{key}" must be a string')
    coding = mo.get("data_coding")
    if coding is not None and (isinstance(coding, bool) or not isinstance(coding, int)):
        raise HttpError(HTTPStatus.BAD_REQUEST, '"data_coding" must be an integer')
    system_id = mo.get("system_id")
    if system_id is not None and not isinstance(system_id, str):
        raise HttpError(HTTPStatus.BAD_REQUEST, '"system_id" must be a string')
    return mo


async def read_request(reader: asyncio.StreamReader) -> HttpRequest:
    """Read one HTTP/1.x request: request line, headers, and a Content-Length body."""
    request_line = await _read_line(reader)
    parts = request_line.split(" ")
    if len(parts) != 3 or not parts[2].startswith("HTTP/1."):
        raise HttpError(HTTPStatus.BAD_REQUEST, "malformed request line")
    method, target, _ = parts
    headers: dict[str, str] = {}
    for _ in range(MAX_HEADERS + 1):
        line = await _read_line(reader)
        if not line:
            break
        name, colon, value = line.partition(":")
        if not colon or not name or name != name.strip():
            raise HttpError(HTTPStatus.BAD_REQUEST, "malformed header line")
        headers[name.lower()] = value.strip()
    else:
        raise HttpError(HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE, "too many headers")
    if "transfer-encoding" in headers:
        raise HttpError(HTTPStatus.LENGTH_REQUIRED, "send a Content-Length, not chunks")
    length_text = headers.get("content-length", "0")
    if not length_text.isdigit():
        raise HttpError(HTTPStatus.BAD_REQUEST, "bad Content-Length")
    length = int(length_text)
    if length > MAX_BODY_BYTES:
        raise HttpError(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, f"body over {MAX_BODY_BYTES} bytes")
    body = await reader.readexactly(length) if length else b""
    return HttpRequest(method, target.split("?", 1)[0], body)


async def _read_line(reader: asyncio.StreamReader) -> str:
    try:
        line = await reader.readuntil(b"\n")
    except asyncio.LimitOverrunError as exc:
        raise HttpError(HTTPStatus.BAD_REQUEST, "line too long") from exc
    return line.decode("latin-1").rstrip("\r\n")


def render_response(status: HTTPStatus, payload: dict[str, Any]) -> bytes:
    body = json.dumps(payload).encode()
    head = (
        f"HTTP/1.1 {status.value} {status.phrase}\r\n"
        "Content-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n"
        "Connection: close\r\n\r\n"
    )
    return head.encode("latin-1") + body
