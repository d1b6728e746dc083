"""SMPP figures: codec cost per submit_sm, and submit_sm/s from our client to our server.

    .venv/bin/python bench/smpp_codec.py                # server in a second process
    .venv/bin/python bench/smpp_codec.py --in-process   # client and server on one loop
    .venv/bin/python bench/smpp_codec.py --uvloop       # both ends on uvloop, if installed

Counts are bounded; the run stops by itself (the server process exits when stdin closes).
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import subprocess
import sys
import time
import timeit
from collections.abc import Callable

from smsgate.smpp import (
    CommandStatus,
    SmppServer,
    SmscConnection,
    SmscHandler,
    SubmitOutcome,
    SubmitSm,
    SubmitSmResp,
    connect,
    decode_pdu,
)

RUNS = ((1, 5_000), (10, 30_000), (100, 100_000))  # (window_size, submits)


def sample_submit() -> SubmitSm:
    return SubmitSm(
        source_addr_ton=5,
        source_addr="smsgate",
        dest_addr_ton=1,
        dest_addr_npi=1,
        destination_addr="447700900123",
        registered_delivery=1,
        short_message=b"Your code is 123456. It expires in 10 minutes.",
    )


def codec_figures() -> None:
    pdu = sample_submit()
    pdu.sequence_number = 42
    wire = pdu.encode()
    response = SubmitSmResp(42, 0, "0123456789abcdef").encode()
    for label, fn in (
        ("submit_sm encode", pdu.encode),
        ("submit_sm decode", lambda: decode_pdu(wire)),
        ("submit_sm_resp decode", lambda: decode_pdu(response)),
    ):
        number = 100_000
        best = min(timeit.repeat(fn, number=number, repeat=5)) / number
        print(f"{label:<24} {best * 1e6:6.2f} µs")


class FastHandler(SmscHandler):
    def __init__(self) -> None:
        self._ids = itertools.count(1)

    def authenticate(self, connection: SmscConnection, bind: object) -> int:
        return CommandStatus.ESME_ROK

    def submit_sm(self, connection: SmscConnection, pdu: SubmitSm) -> SubmitOutcome:
        return SubmitOutcome(CommandStatus.ESME_ROK, f"{next(self._ids):x}")


async def start_server() -> SmppServer:
    server = SmppServer(FastHandler(), window_size=100, enquire_link_interval_s=None)
    await server.start("127.0.0.1", 0)
    return server


async def serve_until_stdin_closes() -> None:
    server = await start_server()
    print(server.port, flush=True)
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, sys.stdin.read)
    await server.close(timeout_s=2.0)


async def submit_rate(port: int, window_size: int, count: int) -> float:
    client = await connect(
        "127.0.0.1", port, "bench", "bench", window_size=window_size, enquire_link_interval_s=None
    )
    per_worker = count // window_size

    async def worker() -> None:
        for _ in range(per_worker):
            response = await client.submit(sample_submit())
            assert response.command_status == 0

    started = time.perf_counter()
    async with asyncio.TaskGroup() as group:
        for index in range(window_size):
            group.create_task(worker(), name=f"bench-worker-{index}")
    elapsed = time.perf_counter() - started
    await client.unbind(timeout_s=2.0)
    return per_worker * window_size / elapsed


async def rates(port: int) -> None:
    for window_size, count in RUNS:
        rate = await submit_rate(port, window_size, count)
        print(f"window {window_size:>3}: {rate:9,.0f} submit_sm/s ({count:,} submits)")


async def rates_in_process() -> None:
    server = await start_server()
    try:
        await rates(server.port)
    finally:
        await server.close(timeout_s=2.0)


def rates_with_server_process(use_uvloop: bool) -> None:
    command = [sys.executable, __file__, "--serve"] + (["--uvloop"] if use_uvloop else [])
    with subprocess.Popen(
        command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    ) as proc:
        assert proc.stdout is not None
        assert proc.stdin is not None
        port = int(proc.stdout.readline())
        try:
            run(rates(port), use_uvloop)
        finally:
            proc.stdin.close()
            proc.wait(timeout=10)


def run(coro: object, use_uvloop: bool) -> None:
    runner: Callable[..., object] = asyncio.run
    if use_uvloop:
        import uvloop

        runner = uvloop.run
    runner(coro)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--in-process", action="store_true")
    parser.add_argument("--uvloop", action="store_true")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        run(serve_until_stdin_closes(), args.uvloop)
        return
    codec_figures()
    loop_name = "uvloop" if args.uvloop else "asyncio"
    where = "one process" if args.in_process else "two processes"
    print(f"loopback, {loop_name}, client and server in {where}:")
    if args.in_process:
        run(rates_in_process(), args.uvloop)
    else:
        rates_with_server_process(args.uvloop)


if __name__ == "__main__":
    main()
