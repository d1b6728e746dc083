"""A pure ASGI guard: request bodies larger than the limit are answered 413 unread.

The answer is the native API's by default; a vendor API mounted under a path prefix registers
its own renderer for that prefix, so its clients get the 413 in the vendor's error format.

Uploads (a CSV import) are `streamed`: paths matching a pattern get their body as it comes,
never buffered, up to their own larger limit. A declared Content-Length over it is refused
unread; a chunked body that passes it is answered 413 there, and the application then sees
the client disconnect (what it read before stays read).
"""

from __future__ import annotations

import re
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
        streamed: Mapping[re.Pattern[str], int] | None = None,
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.render = render
        self.streamed = dict(streamed or {})
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
        path = scope.get("path", "")
        max_bytes = next(
            (limit for pattern, limit in self.streamed.items() if pattern.match(path)), None
        )
        if max_bytes is not None:
            await self._stream(scope, receive, send, max_bytes)
            return
        if self._declared_too_large(scope, self.max_bytes):
            await self._refuse(scope, send)
            return
        # Read the body up to the limit before the app sees any of it (chunked bodies too).
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                await self.app(scope, _replay([message], receive), send)
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
        await self.app(scope, _replay([replayed], receive), send)

    @staticmethod
    def _declared_too_large(scope: Scope, max_bytes: int) -> bool:
        for name, value in scope.get("headers", ()):
            if name == b"content-length":
                try:
                    return int(value) > max_bytes
                except ValueError:
                    return True
        return False

    async def _stream(self, scope: Scope, receive: Receive, send: Send, max_bytes: int) -> None:
        """Pass the body on as it comes, counting; past `max_bytes`, answer 413 and tell the
        application the client left."""
        if self._declared_too_large(scope, max_bytes):
            await self._refuse(scope, send, max_bytes)
            return
        size = 0
        started = refused = False

        async def counted() -> Message:
            nonlocal size, refused
            message = await receive()
            if message["type"] == "http.request" and not refused:
                size += len(message.get("body", b""))
                if size > max_bytes:
                    refused = True
                    if not started:
                        await self._refuse(scope, send, max_bytes)
            if refused:
                return {"type": "http.disconnect"}
            return message

        async def guarded(message: Message) -> None:
            nonlocal started
            if refused:
                return  # the 413 is the answer
            started = True
            await send(message)

        await self.app(scope, counted, guarded)

    def _answer(self, scope: Scope, max_bytes: int) -> tuple[int, Headers, bytes]:
        path = scope.get("path", "")
        for prefix, render in self.renderers:
            if path == prefix or path.startswith(prefix + "/"):
                return render(scope, max_bytes)
        body, content_type = self.render(max_bytes)
        return 413, [(b"content-type", content_type.encode())], body

    async def _refuse(self, scope: Scope, send: Send, max_bytes: int | None = None) -> None:
        status, headers, body = self._answer(
            scope, self.max_bytes if max_bytes is None else max_bytes
        )
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


def _replay(messages: list[Message], receive: Receive) -> Receive:
    """The messages read already, then the server's own: a streamed response listens on it
    for the client's disconnect, which must not come before the client leaves."""
    pending = list(messages)

    async def replayed() -> Message:
        if pending:
            return pending.pop(0)
        return await receive()

    return replayed
