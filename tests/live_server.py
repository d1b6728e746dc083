"""smsgate served over a real socket for tests that need one (SDKs, SOAP stacks, e2e)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import uvicorn

from smsgate.api.app import create_api
from smsgate.bootstrap import Gateway
from smsgate.cli.serve import listening_socket


@asynccontextmanager
async def live_server(gateway: Gateway) -> AsyncIterator[str]:
    """smsgate served by uvicorn on 127.0.0.1, in this event loop; yields its base URL.

    The socket listens before the server starts, so clients may connect at once.
    """
    sock = listening_socket("127.0.0.1", 0)  # as `smsgate serve` makes it (TCP_NODELAY)
    sock.listen(128)
    port = sock.getsockname()[1]
    config = uvicorn.Config(
        create_api(gateway), lifespan="off", log_config=None, access_log=False, ws="none"
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[sock]), name="smsgate-live-server")
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task
        sock.close()
