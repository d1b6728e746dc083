"""SMPP client figures: submit_sm/s and client CPU per message, against two SMSCs.

Our smsgate.smpp client, and a minimal asyncio.Protocol + struct client written below (the
"raw rate": what a client that does nothing but pack headers can reach), each against

- our SMSC simulator (`python -m smsgate.cli smsc-sim`), and
- the npm `smpp` package as an SMSC (peers/npm-smsc, `make peers`),

at windows 1, 10 and 100, with and without a delivery receipt per message (with receipts, a
run ends when the last receipt is in). Each SMSC runs in its own process; the clients run
here, so time.process_time() is the clients' CPU; the SMSC's comes from /proc (Linux; at
clock-tick resolution, indicative only). Bounded: the whole run takes a minute or two.

    .venv/bin/python bench/smpp.py [--scale 0.2] [--smsc simulator|npm|both] [--best-of 3]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import socket
import struct
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

from common import cpu_seconds
from smsgate.smpp import CommandStatus, DataSm, DeliverSm, SubmitSm, connect

ROOT = Path(__file__).resolve().parent.parent
NPM_SMSC = ROOT / "peers" / "npm-smsc"
WINDOWS = ((1, 5_000), (10, 30_000), (100, 100_000))  # (window_size, messages)
GOALS = {False: 40_000, True: 12_000}  # submit_sm/s at window 100, by receipts
START_TIMEOUT_S = 30.0
RUN_TIMEOUT_S = 60.0

HEADER = struct.Struct(">IIII")
BIND_TRANSCEIVER, BIND_TRANSCEIVER_RESP = 0x00000009, 0x80000009
SUBMIT_SM, SUBMIT_SM_RESP = 0x00000004, 0x80000004
DELIVER_SM, DELIVER_SM_RESP = 0x00000005, 0x80000005
ENQUIRE_LINK, ENQUIRE_LINK_RESP = 0x00000015, 0x80000015
GENERIC_NACK = 0x80000000


def sample_submit(receipt: bool) -> SubmitSm:
    return SubmitSm(
        source_addr_ton=5,
        source_addr="smsgate",
        dest_addr_ton=1,
        dest_addr_npi=1,
        destination_addr="447700900123",
        registered_delivery=1 if receipt else 0,
        short_message=b"Your code is 123456. It expires in 10 minutes.",
    )


@dataclass(frozen=True)
class Figures:
    rate: float  # messages per second, submit to last response (or last receipt)
    cpu_us: float  # client CPU per message
    smsc_cpu_us: float | None = None  # the SMSC process's CPU per message (Linux /proc)


class SmscCpu:
    """CPU seconds used so far by the SMSC process, from /proc (None where there is none)."""

    pid = 0

    @classmethod
    def seconds(cls) -> float | None:
        return cpu_seconds(cls.pid)


def figures(count: int, elapsed: float, cpu: float, smsc_before: float | None) -> Figures:
    smsc_after = SmscCpu.seconds()
    smsc_us = None
    if smsc_before is not None and smsc_after is not None:
        smsc_us = (smsc_after - smsc_before) / count * 1e6
    return Figures(count / elapsed, cpu / count * 1e6, smsc_us)


# -- our client ------------------------------------------------------------------------------


async def ours(port: int, window: int, count: int, receipt: bool) -> Figures:
    receipts = 0
    all_receipts = asyncio.Event()

    def on_deliver(pdu: DeliverSm | DataSm) -> int:
        nonlocal receipts
        receipts += 1
        if receipts == count:
            all_receipts.set()
        return CommandStatus.ESME_ROK

    client = await connect(
        "127.0.0.1",
        port,
        "bench",
        "bench",
        window_size=window,
        enquire_link_interval_s=None,
        on_deliver=on_deliver,
    )
    per_worker = count // window

    async def worker() -> None:
        for _ in range(per_worker):
            response = await client.submit(sample_submit(receipt))
            if response.command_status != 0:
                raise RuntimeError(f"submit_sm refused: {response.command_status:#x}")

    smsc, cpu, started = SmscCpu.seconds(), time.process_time(), time.perf_counter()
    async with asyncio.timeout(RUN_TIMEOUT_S):
        async with asyncio.TaskGroup() as group:
            for index in range(window):
                group.create_task(worker(), name=f"bench-worker-{index}")
        if receipt:
            await all_receipts.wait()
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    result = figures(count, elapsed, cpu, smsc)
    await client.unbind(timeout_s=2.0)
    return result


# -- the raw baseline ------------------------------------------------------------------------


class RawClient(asyncio.Protocol):
    """Binds, then keeps ``window`` submit_sm in flight until ``count`` are answered (and as
    many receipts received, when asked); answers deliver_sm. Nothing else."""

    def __init__(self, window: int, count: int, receipt: bool) -> None:
        self.window, self.count, self.receipt = window, count, receipt
        body = sample_submit(receipt).encode()[HEADER.size :]
        self.submit_body = body
        self.submit_length = HEADER.size + len(body)
        self.sequence = 1
        self.sent = self.answered = self.receipts = 0
        self.buffer = bytearray()
        self.transport: asyncio.Transport | None = None
        loop = asyncio.get_running_loop()
        self.bound: asyncio.Future[None] = loop.create_future()
        self.done: asyncio.Future[None] = loop.create_future()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        transport.get_extra_info("socket").setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        body = b"bench\0bench\0\0\x34\0\0\0"
        transport.write(HEADER.pack(16 + len(body), BIND_TRANSCEIVER, 0, 1) + body)

    def start(self) -> None:
        out: list[bytes] = []
        self.fill(out)
        assert self.transport is not None
        self.transport.write(b"".join(out))

    def fill(self, out: list[bytes]) -> None:
        pack, body, length = HEADER.pack, self.submit_body, self.submit_length
        while self.sent - self.answered < self.window and self.sent < self.count:
            self.sequence += 1
            self.sent += 1
            out.append(pack(length, SUBMIT_SM, 0, self.sequence))
            out.append(body)

    def data_received(self, data: bytes) -> None:
        buffer = self.buffer
        buffer += data
        size, position, out = len(buffer), 0, []
        unpack = HEADER.unpack_from
        while size - position >= 16:
            length, command_id, status, sequence = unpack(buffer, position)
            if size - position < length:
                break
            position += length
            if command_id == SUBMIT_SM_RESP:
                if status:
                    raise RuntimeError(f"submit_sm refused: {status:#x}")
                self.answered += 1
            elif command_id == DELIVER_SM:
                self.receipts += 1
                out.append(HEADER.pack(17, DELIVER_SM_RESP, 0, sequence) + b"\0")
            elif command_id == ENQUIRE_LINK:
                out.append(HEADER.pack(16, ENQUIRE_LINK_RESP, 0, sequence))
            elif command_id == BIND_TRANSCEIVER_RESP and not self.bound.done():
                self.bound.set_result(None)
            elif command_id == GENERIC_NACK:
                raise RuntimeError(f"generic_nack {status:#x}")
        del buffer[:position]
        if self.bound.done() and self.sent:
            self.fill(out)
        if out and self.transport is not None:
            self.transport.write(b"".join(out))
        finished = self.answered == self.count and (not self.receipt or self.receipts >= self.count)
        if finished and not self.done.done():
            self.done.set_result(None)


async def raw(port: int, window: int, count: int, receipt: bool) -> Figures:
    loop = asyncio.get_running_loop()
    transport, client = await loop.create_connection(
        lambda: RawClient(window, count, receipt), "127.0.0.1", port
    )
    async with asyncio.timeout(RUN_TIMEOUT_S):
        await client.bound
        smsc, cpu, started = SmscCpu.seconds(), time.process_time(), time.perf_counter()
        client.start()
        await client.done
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    transport.close()
    return figures(count, elapsed, cpu, smsc)


# -- SMSC processes --------------------------------------------------------------------------


def start_simulator() -> tuple[subprocess.Popen[str], int]:
    command = [sys.executable, "-m", "smsgate.cli", "smsc-sim", "--json", "--port", "0"]
    command += ["--no-control", "--receipt-delay", "0", "--log-level", "WARNING"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    return process, int(json.loads(process.stdout.readline())["smpp_port"])


def start_npm_smsc() -> tuple[subprocess.Popen[str], int]:
    node = shutil.which("node")
    if node is None or not (NPM_SMSC / "node_modules" / "smpp").is_dir():
        raise RuntimeError("the npm SMSC needs node and `make peers`")
    command = [node, str(NPM_SMSC / "smsc.js"), "--port", "0", "--receipts"]
    process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    word, port = process.stdout.readline().split()
    assert word == "listening"
    return process, int(port)


def stop(process: subprocess.Popen[str]) -> None:
    if process.stdin is not None:
        process.stdin.close()
    process.terminate()
    process.wait(timeout=10)


# -- the run ---------------------------------------------------------------------------------

Client = Callable[[int, int, int, bool], Awaitable[Figures]]
CLIENTS: dict[str, Client] = {"ours": ours, "raw": raw}


async def measure(port: int, scale: float, best_of: int, smsc: str) -> list[tuple[str, ...]]:
    rows = []
    for receipt in (False, True):
        for window, messages in WINDOWS:
            count = max(window, int(messages * scale) // window * window)
            for name, client in CLIENTS.items():
                await client(port, window, min(count, 1000), receipt)  # warm-up
                runs = [await client(port, window, count, receipt) for _ in range(best_of)]
                best = max(runs, key=lambda figures: figures.rate)
                rows.append(
                    (
                        smsc,
                        name,
                        str(window),
                        "yes" if receipt else "no",
                        f"{count:,}",
                        f"{best.rate:,.0f}",
                        f"{best.cpu_us:.1f}",
                        "-" if best.smsc_cpu_us is None else f"{best.smsc_cpu_us:.1f}",
                    )
                )
                print("  ".join(rows[-1]), file=sys.stderr, flush=True)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smsc", choices=["simulator", "npm", "both"], default="both")
    parser.add_argument("--scale", type=float, default=1.0, help="Multiply message counts.")
    parser.add_argument("--best-of", type=int, default=3, help="Runs per figure; best kept.")
    args = parser.parse_args()
    starters = {"simulator": start_simulator, "npm": start_npm_smsc}
    chosen = list(starters) if args.smsc == "both" else [args.smsc]
    rows: list[tuple[str, ...]] = []
    started = time.perf_counter()
    for smsc in chosen:
        process, port = starters[smsc]()
        SmscCpu.pid = process.pid
        try:
            rows += asyncio.run(measure(port, args.scale, args.best_of, smsc))
        finally:
            stop(process)
    headers = (
        *("smsc", "client", "window", "receipts", "messages"),
        *("submit_sm/s", "client µs/msg", "smsc µs/msg"),
    )
    widths = [max(len(h), *(len(row[i]) for row in rows)) for i, h in enumerate(headers)]
    print("loopback, asyncio; each SMSC in its own process, the client in this one")
    print("  ".join(h.rjust(w) for h, w in zip(headers, widths, strict=True)))
    for row in rows:
        print("  ".join(cell.rjust(w) for cell, w in zip(row, widths, strict=True)))
    for row in rows:
        smsc, client, window, receipts = row[:4]
        if client == "ours" and window == "100":
            goal = GOALS[receipts == "yes"]
            rate = float(row[5].replace(",", ""))
            verdict = "met" if rate >= goal else "MISSED"
            print(
                f"goal vs {smsc}, window 100, receipts {receipts}: {goal:,}/s -> {verdict}"
                f" ({rate:,.0f}/s)"
            )
    print(f"({time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    main()
