"""Ingest benchmark: recipients accepted per second through POST /api/v1/messages.

Starts `smsgate serve` in a subprocess on a fresh database, creates an account with enough
credit, then 16 concurrent clients each post requests of 100 distinct recipients. Prints
the HTTP figure, and the same work through the sending service in-process (no HTTP), so
the difference shows what the HTTP layer costs. Bounded: it stops by itself.

    .venv/bin/python bench/ingest.py [--database sqlite|postgresql|both] [--requests 400]
        [--workers 2]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import orjson

from common import PG_URL, free_port, fresh_gateway
from smsgate.bootstrap import build_gateway
from smsgate.domain.recipients import Recipient
from smsgate.services.sending import SendRequest
from smsgate.settings import Settings

RECIPIENTS_PER_REQUEST = 100


def numbers(request_index: int) -> list[str]:
    base = 600_000_000 + request_index * RECIPIENTS_PER_REQUEST
    return [f"+33{base + i}" for i in range(RECIPIENTS_PER_REQUEST)]


async def prepare(url: str) -> str:
    """A fresh schema with one account; returns its API key."""
    gateway, _, key = await fresh_gateway(url)
    await gateway.close()
    return key


async def run_clients(base_url: str, key: str, requests: int, concurrency: int) -> float:
    """`concurrency` keep-alive connections, each posting its requests one after another."""
    host, port = base_url.removeprefix("http://").rsplit(":", 1)
    async with httpx.AsyncClient(base_url=base_url, timeout=60) as client:
        await client_loop_warmup(client, {"Authorization": f"Bearer {key}"})
    counter = iter(range(requests))
    accepted = 0

    async def client_loop() -> None:
        nonlocal accepted
        connection = LeanHttp(*await asyncio.open_connection(host, int(port)), host, key)
        try:
            for index in counter:
                body = {"to": numbers(index), "text": "Your code is 123456"}
                status, answer = await connection.post("/api/v1/messages", orjson.dumps(body))
                if status != 202:
                    raise RuntimeError(f"{status}: {answer[:200]!r}")
                accepted += orjson.loads(answer)["counts"]["accepted"]
        finally:
            connection.close()

    started = time.perf_counter()
    await asyncio.gather(*(client_loop() for _ in range(concurrency)))
    elapsed = time.perf_counter() - started
    return accepted / elapsed


class LeanHttp:
    """HTTP/1.1 keep-alive POSTs on one connection and nothing more: a load generator that
    leaves the cores to the server (httpx took a sixth of the machine, 17 us a recipient)."""

    def __init__(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, host: str, key: str
    ) -> None:
        self._reader, self._writer = reader, writer
        self._head = (
            f"Host: {host}\r\nAuthorization: Bearer {key}\r\nContent-Type: application/json\r\n"
        ).encode()

    async def post(self, path: str, body: bytes) -> tuple[int, bytes]:
        self._writer.write(
            b"POST %s HTTP/1.1\r\n%sContent-Length: %d\r\n\r\n%s"
            % (path.encode(), self._head, len(body), body)
        )
        head = await self._reader.readuntil(b"\r\n\r\n")
        lines = head.split(b"\r\n")
        status = int(lines[0].split()[1])
        length = next(
            int(line.split(b":", 1)[1])
            for line in lines
            if line.lower().startswith(b"content-length:")
        )
        return status, await self._reader.readexactly(length)

    def close(self) -> None:
        self._writer.close()


async def client_loop_warmup(client: httpx.AsyncClient, headers: dict[str, str]) -> None:
    body = {"to": ["+33699999999"], "text": "warm up"}
    response = await client.post("/api/v1/messages", json=body, headers=headers)
    response.raise_for_status()


def start_server(url: str, port: int, workers: int = 1) -> subprocess.Popen[bytes]:
    env = os.environ | {"SMSGATE_DATABASE_URL": url, "SMSGATE_LOG_LEVEL": "WARNING"}
    smsgate = Path(sys.executable).parent / "smsgate"
    return subprocess.Popen(
        [str(smsgate), "serve", "--port", str(port), "--migrate", "--workers", str(workers)],
        env=env,
        stdout=subprocess.DEVNULL,
    )


async def wait_ready(base_url: str) -> None:
    async with httpx.AsyncClient(base_url=base_url) as client:
        for _ in range(200):
            try:
                if (await client.get("/health")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.05)
    raise RuntimeError("the server did not start")


async def in_process(url: str, requests: int, concurrency: int) -> float:
    """The same requests through SendingService directly: the cost without HTTP."""
    gateway = build_gateway(Settings(database_url=url))
    account = await gateway.accounts.get("bench")
    counter = iter(range(requests, 2 * requests))
    accepted = 0

    async def loop() -> None:
        nonlocal accepted
        for index in counter:
            outcome = await gateway.sending.send(
                account,
                SendRequest(
                    recipients=[Recipient(n) for n in numbers(index)], text="Your code is 123456"
                ),
            )
            accepted += len(outcome.messages)

    started = time.perf_counter()
    await asyncio.gather(*(loop() for _ in range(concurrency)))
    elapsed = time.perf_counter() - started
    await gateway.close()
    return accepted / elapsed


async def bench(label: str, url: str, requests: int, concurrency: int, workers: int) -> None:
    key = await prepare(url)
    port = free_port()
    server = start_server(url, port, workers)
    try:
        await wait_ready(f"http://127.0.0.1:{port}")
        http_rate = await run_clients(f"http://127.0.0.1:{port}", key, requests, concurrency)
    finally:
        server.terminate()
        server.wait(timeout=30)
    service_rate = await in_process(url, requests, concurrency)
    print(
        f"{label:<11} HTTP: {http_rate:>8,.0f} recipients/s   "
        f"service only: {service_rate:>8,.0f} recipients/s   "
        f"({requests} requests x {RECIPIENTS_PER_REQUEST} recipients, {concurrency} clients, "
        f"{workers} server process{'es' if workers > 1 else ''})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2, help="smsgate serve --workers")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        if args.database in ("sqlite", "both"):
            url = f"sqlite:///{Path(tmp) / 'bench.db'}"
            asyncio.run(bench("SQLite", url, args.requests, args.concurrency, args.workers))
        if args.database in ("postgresql", "both"):
            asyncio.run(bench("PostgreSQL", PG_URL, args.requests, args.concurrency, args.workers))


if __name__ == "__main__":
    main()
