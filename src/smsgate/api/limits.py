"""A pure ASGI guard: request bodies larger than the limit are answered 413 unread.

The answer is the native API's by default; a vendor API mounted under a path prefix registers
its own renderer for that prefix, so its clients get the 413 in the vendor's error format.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

Scope = dict[str, Any]
Message = dict[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]
Render = Callable[[int], tuple[bytes, str]]  # max bytes -> body, content type
Headers = list[tuple[bytes, bytes]]
# (request scope, max bytes) -> HTTP status, headers (content-type at least), body
PrefixRender = Callable[[Scope, int], tuple[int, Headers, bytes]]


class BodySizeLimit:
    def __init__(
        self,
        app: ASGIApp,
        max_bytes: int,
        render: Render,
        renderers: Mapping[str, PrefixRender] | None = None,
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.render = render
        # Longest prefix first, so "/a/b" wins over "/a" for "/a/b/c".
        self.renderers = sorted(
            ((prefix.rstrip("/"), fn) for prefix, fn in (renderers or {}).items()),
            key=lambda item: len(item[0]),
            reverse=True,
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope.get("headers", ()):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = self.max_bytes + 1
                if declared > self.max_bytes:
                    await self._refuse(scope, send)
                    return
        # Read the body up to the limit before the app sees any of it (chunked bodies too).
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                await self.app(scope, _replay([message]), send)
                return
            body = message.get("body", b"")
            size += len(body)
            if size > self.max_bytes:
                await self._refuse(scope, send)
                return
            chunks.append(body)
            if not message.get("more_body", False):
                break
        replayed = {"type": "http.request", "body": b"".join(chunks), "more_body": False}
        await self.app(scope, _replay([replayed]), send)

    def _answer(self, scope: Scope) -> tuple[int, Headers, bytes]:
        path = scope.get("path", "")
        for prefix, render in self.renderers:
            if path == prefix or path.startswith(prefix + "/"):
                return render(scope, self.max_bytes)
        body, content_type = self.render(self.max_bytes)
        return 413, [(b"content-type", content_type.encode())], body

    async def _refuse(self, scope: Scope, send: Send) -> None:
        status, headers, body = self._answer(scope)
        kept = [(k, v) for k, v in headers if k.lower() not in (b"content-length", b"connection")]
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    *kept,
                    (b"content-length", str(len(body)).encode()),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


def _replay(messages: list[Message]) -> Receive:
    pending = list(messages)

    async def receive() -> Message:
        if pending:
            return pending.pop(0)
        return {"type": "http.disconnect"}

    return receive
