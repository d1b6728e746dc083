"""`smsgate serve --workers N`: extra HTTP processes on the one port, stopped with the parent."""

from __future__ import annotations

import asyncio
import signal
import socket
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from smsgate.cli.serve import listening_socket
from tests.cli.serving import SERVE_TIMEOUT_S, serving

pytestmark = [pytest.mark.e2e, pytest.mark.skipif(sys.platform != "linux", reason="Linux /proc")]


def children_of(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        text = (task / "children").read_text().split()
        found.extend(int(child) for child in text)
    return found


def running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


def wait_until(condition: Any, what: str) -> None:
    deadline = time.monotonic() + SERVE_TIMEOUT_S
    while not condition():
        assert time.monotonic() < deadline, what
        time.sleep(0.05)


def send_on_fresh_connections(url: str, key: str, count: int) -> None:
    """Each request on its own connection, so that the kernel hands them to any process."""
    for n in range(count):
        deadline = time.monotonic() + SERVE_TIMEOUT_S
        while True:
            try:
                with httpx.Client(base_url=url) as client:
                    sent = client.post(
                        "/api/v1/messages",
                        json={"to": [f"+3361234{n:04d}"], "text": "Hello"},
                        headers={"Authorization": f"Bearer {key}"},
                    )
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline
                time.sleep(0.05)
        assert sent.status_code == 202, sent.text


def test_workers_serve_the_same_port_and_stop_with_the_parent(tmp_path: Path) -> None:
    with serving(tmp_path, workers=3) as (server, url, key):
        wait_until(lambda: len(children_of(server.pid)) >= 2, "two workers forked")
        workers = children_of(server.pid)
        send_on_fresh_connections(url, key, 30)
        with httpx.Client(base_url=url) as client:
            balance = client.get("/api/v1/balance", headers={"Authorization": f"Bearer {key}"})
        assert balance.json()["balance"] == "970"  # 30 messages at the default price of 1
        server.terminate()
        assert server.wait(timeout=SERVE_TIMEOUT_S) == 0
        wait_until(lambda: not any(running(pid) for pid in workers), "workers stopped")


def test_workers_stop_when_the_parent_is_killed(tmp_path: Path) -> None:
    with serving(tmp_path, workers=2) as (server, url, key):
        wait_until(lambda: len(children_of(server.pid)) >= 1, "a worker forked")
        (worker,) = children_of(server.pid)
        send_on_fresh_connections(url, key, 3)
        server.send_signal(signal.SIGKILL)
        server.wait(timeout=SERVE_TIMEOUT_S)
        wait_until(lambda: not running(worker), "the worker stopped with its parent")


async def test_connections_accepted_by_serve_have_nagle_off() -> None:
    """Without TCP_NODELAY every keep-alive response after the first waited for the client's
    delayed ACK (~40 ms a request); asyncio sets it only on sockets made as IPPROTO_TCP."""
    sock = listening_socket("127.0.0.1", 0)
    accepted: asyncio.Future[int] = asyncio.get_running_loop().create_future()

    class Probe(asyncio.Protocol):
        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            conn = transport.get_extra_info("socket")
            accepted.set_result(conn.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
            transport.close()

    server = await asyncio.get_running_loop().create_server(Probe, sock=sock)
    async with server:
        _, writer = await asyncio.open_connection(*sock.getsockname()[:2])
        assert await asyncio.wait_for(accepted, 10) != 0
        writer.close()
