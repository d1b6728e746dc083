"""Dispatch benchmark: messages per second from queued to delivered, receipts included.

The built-in SMSC simulator runs in its own process (receipt per message, no delay). For each
database, N messages are queued first (through the sending service), then one dispatcher in
this process drains them: the clock runs from its start until every message is final
(`delivered`). Next to it, the raw rate of a minimal client (our SMPP client, window 100,
receipts counted, no database) against the same simulator in the same run: the ceiling
the dispatcher's bookkeeping is measured against. Each drain also prints the CPU per message
of the dispatcher, the simulator and the local PostgreSQL server (where the time goes),
and the share of the machine's CPU time its hypervisor gave to other guests meanwhile.

    .venv/bin/python bench/dispatch.py [--database sqlite|postgresql|both] [--messages 20000]
                                       [--binds 4] [--pending 100000] [--runs 1]

The link opens 4 binds by default (--binds, or SMSGATE_BENCH_BINDS): the simulator, like a
carrier, keeps at most 100 receipts unanswered per bind, and the dispatcher answers a receipt
only once it has committed it, so one bind's receipts run at 100 per commit wait whatever
the cores can do; several binds per carrier is how an operator opens that up.

`--runs N` repeats the whole set, the raw client's run included, and ends with each line's
median and range: the machine's speed drifts within minutes, so one run says little.

PostgreSQL: SMSGATE_BENCH_DATABASE_URL (default: database `bench` on 127.0.0.1, created if
missing; its schema is dropped and rebuilt).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from common import PG_URL, StealGauge, cpu_seconds, free_port, fresh_gateway, wait_for_port
from smsgate.carriers.dispatcher import Dispatcher
from smsgate.carriers.metrics import METRICS
from smsgate.cli.delivery import tune_collector
from smsgate.db import tables as t
from smsgate.domain.links import LinkSettings
from smsgate.domain.recipients import Recipient
from smsgate.services.sending import SendRequest
from smsgate.smpp import DeliverSm, SubmitSm, connect

WINDOW = 100


def start_simulator(port: int, receipt_delay: float = 0.0) -> subprocess.Popen[bytes]:
    command = [
        sys.executable,
        "-m",
        "smsgate.cli",
        "smsc-sim",
        "--port",
        str(port),
        "--no-control",
        "--receipt-delay",
        str(receipt_delay),
        "--log-level",
        "warning",
    ]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL)
    wait_for_port(port, process, "the simulator")
    return process


async def raw_rate(port: int, count: int) -> tuple[float, float, float]:
    """Submit `count` messages at window 100 and wait for every receipt: (msg/s, CPU us/msg,
    the machine's steal share meanwhile)."""
    receipts = 0
    done = asyncio.Event()

    def on_deliver(pdu: DeliverSm | object) -> int:
        nonlocal receipts
        receipts += 1
        if receipts >= count:
            done.set()
        return 0

    client = await connect(
        "127.0.0.1",
        port,
        "raw",
        "pw",
        window_size=WINDOW,
        on_deliver=on_deliver,  # type: ignore[arg-type]
    )
    pdu = SubmitSm(
        source_addr="smsgate",
        destination_addr="33612345678",
        registered_delivery=1,
        short_message=b"hello",
    )
    cpu, started, steal = time.process_time(), time.perf_counter(), StealGauge()

    async def worker(share: int) -> None:
        for _ in range(share):
            await client.submit(pdu)

    await asyncio.gather(*(worker(count // WINDOW) for _ in range(WINDOW)))
    await done.wait()
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    await client.unbind()
    return count / elapsed, cpu / count * 1e6, steal.share()


def postgres_cpu() -> dict[int, float]:
    """CPU so far of every local PostgreSQL server process (backends, WAL writer...)."""
    found = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() == "postgres":
                    found[int(entry.name)] = cpu_seconds(int(entry.name)) or 0.0
            except OSError:
                continue
    return found


def recorded_receipts() -> float:
    """Receipts this process's dispatchers have recorded so far (matched or kept): read off
    that one counter (collecting the whole registry every 20 ms took 2.6% of the
    dispatcher's CPU in a drain)."""
    return sum(
        sample.value
        for metric in METRICS.receipts.collect()
        for sample in metric.samples
        if sample.name == "smsgate_receipts_total"
        and sample.labels.get("result") in ("matched", "kept")
    )


@dataclass
class Drain:
    rate: float  # messages per second, queued -> delivered
    dispatcher_us: float  # CPU per message of this process (the dispatcher)
    simulator_us: float
    database_us: float  # CPU per message of the local PostgreSQL server (0 on SQLite)
    steal: float  # share of the machine's CPU time taken by other guests meanwhile

    def describe(self) -> str:
        """The figures after the rate: where the CPU went, and the machine's steal."""
        return (
            f"CPU us/msg: dispatcher {self.dispatcher_us:5.1f}, simulator "
            f"{self.simulator_us:4.1f}, database {self.database_us:5.1f}   steal {self.steal:.0%}"
        )


async def dispatch_rate(
    url: str, port: int, count: int, simulator: int, pending: int = 0, binds: int = 4
) -> Drain:
    """Queue `count` messages, then time one dispatcher draining them to `delivered`.

    `pending`: receipts for ids never submitted, waiting unmatched before the run starts (a
    receipt store that slows down as it grows shows here). CPU is counted over the drain for
    this process, the simulator (pid `simulator`) and, on PostgreSQL, the local server's
    processes (a connection opened during the drain counts from its start).
    """
    gateway, account, _ = await fresh_gateway(url, max_recipients=1000)
    for start in range(0, count, 1000):
        batch = [Recipient(f"+33{600_000_000 + n}") for n in range(start, min(start + 1000, count))]
        await gateway.sending.send(account, SendRequest(recipients=batch, text="hello"))
    await gateway.links.add(
        LinkSettings(
            name="sim",
            host="127.0.0.1",
            port=port,
            system_id="bench",
            password="pw",
            window=WINDOW,
            binds=binds,
        )
    )
    await gateway.links.add_route("sim")
    if pending:
        await add_pending_receipts(gateway, pending)
    tune_collector()  # as `smsgate serve` and `smsgate dispatch` do
    dispatcher = Dispatcher(gateway.delivery, gateway.inbound, gateway.links)
    on_postgresql = url.startswith("postgresql")
    sim_cpu, db_before = cpu_seconds(simulator) or 0.0, postgres_cpu() if on_postgresql else {}
    cpu, started, steal = time.process_time(), time.perf_counter(), StealGauge()
    recorded_before = recorded_receipts()
    await dispatcher.start()
    # The dispatcher's own count of recorded receipts (one per message here; matched, or kept
    # until their submit is recorded) says when to look: polling the database all along (a
    # GROUP BY over the table every 50 ms) took a quarter of the server's time in the drain.
    while recorded_receipts() - recorded_before < count:  # noqa: ASYNC110 -- a counter
        await asyncio.sleep(0.02)
    while (await gateway.delivery.queue_counts()).get("delivered", 0) < count:  # noqa: ASYNC110
        await asyncio.sleep(0.01)
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    sim_cpu = (cpu_seconds(simulator) or 0.0) - sim_cpu
    db_after = postgres_cpu() if on_postgresql else {}
    db_cpu = sum(cpu - db_before.get(pid, 0.0) for pid, cpu in db_after.items())
    await dispatcher.stop()
    await gateway.close()
    per = 1e6 / count
    return Drain(count / elapsed, cpu * per, sim_cpu * per, db_cpu * per, steal.share())


async def add_pending_receipts(gateway: Any, count: int) -> None:
    link = await gateway.links.get("sim")
    now = datetime.now(UTC)
    rows = [
        {
            "link_id": link.id,
            "carrier_key": f"unmatched-{n}",
            "status": "delivered",
            "error_code": None,
            "received_at": now,
            "expires_at": now + timedelta(days=3),
        }
        for n in range(count)
    ]
    async with gateway.store.engine.begin() as conn:
        for start in range(0, count, 10_000):
            await conn.execute(t.pending_receipts.insert(), rows[start : start + 10_000])


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--messages", type=int, default=20_000)
    parser.add_argument(
        "--pending",
        type=int,
        default=100_000,
        help="also run with this many unmatched receipts waiting (0: skip)",
    )
    parser.add_argument(
        "--binds",
        type=int,
        default=int(os.environ.get("SMSGATE_BENCH_BINDS", "4")),
        help="binds the dispatcher's link opens to the simulator",
    )
    parser.add_argument(
        "--runs",
        type=int,
        default=1,
        help="repeat the whole set this many times, then print each drain's median and range",
    )
    args = parser.parse_args()
    port = free_port()
    simulator = start_simulator(port)
    rates: dict[str, list[float]] = {}
    try:
        with tempfile.TemporaryDirectory() as tmp:
            for run in range(args.runs):
                rate, cpu, stolen = await raw_rate(port, args.messages)
                print(
                    f"raw client -> simulator:      {rate:9,.0f} msg/s   {cpu:6.1f} us CPU/msg"
                    f"   steal {stolen:.0%}"
                )
                rates.setdefault("raw client -> simulator", []).append(rate)
                names = [n for n in ("sqlite", "postgresql") if args.database in (n, "both")]
                for name in names:
                    for pending in sorted({0, args.pending}):
                        url = PG_URL
                        if name == "sqlite":
                            url = f"sqlite:///{Path(tmp) / f'bench-{pending}-{run}.db'}"
                        drain = await dispatch_rate(
                            url, port, args.messages, simulator.pid, pending, args.binds
                        )
                        line = f"dispatch {name:<10} {args.binds} binds"
                        waiting = f"{pending:,} unmatched receipts waiting"
                        rates.setdefault(f"{line}, {waiting}", []).append(drain.rate)
                        print(
                            f"{line}, queued->delivered: {drain.rate:9,.0f} msg/s   "
                            f"{drain.describe()}   {waiting}"
                        )
    finally:
        simulator.terminate()
        simulator.wait()
    print_medians(rates)


def print_medians(rates: dict[str, list[float]]) -> None:
    """Each line's median and range, after repeated runs: this machine's speed drifts
    within minutes, so one run says little, the median more."""
    runs = max((len(found) for found in rates.values()), default=0)
    if runs > 1:
        print(f"over {runs} runs (msg/s):")
        for label, found in rates.items():
            print(
                f"  {label}: median {statistics.median(found):,.0f}, "
                f"{min(found):,.0f} to {max(found):,.0f}"
            )


if __name__ == "__main__":
    asyncio.run(main())
