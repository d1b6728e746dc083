"""Kannel beside smsgate's dispatcher: the same drain through the same SMSC, alternated.

The issue's yardstick for `bench/dispatch.py` is Kannel (about 4,000 msg/s while it tracks
delivery receipts, measured once on this kind of machine). This kind of machine has run
1.5-2x faster or slower from one session to the next and within one, so a figure measured
elsewhere says little: this script measures both here, in turns.

- Kannel (Debian's `kannel`: bearerbox + smsbox; C, in-memory queue, internal DLR store, no
  billing), with as many binds and the same window as the dispatcher's link. N messages are
  queued through smsbox's sendsms (`dlr-mask=3`: delivered and undelivered reports, each to
  a `dlr-url` served by this process) while its SMSC is still down; then a fresh simulator
  starts, and the clock runs from bearerbox's first sent message to the moment it has
  matched every receipt (`matched`) and smsbox has reported every one to the URL
  (`reported`, printed beside it). The rate is N over the first: Kannel's best case.
- smsgate's dispatcher on PostgreSQL, queued -> delivered: `bench/dispatch.py`'s drain (every
  outcome and receipt committed), against a fresh simulator as well.

    apt-get install kannel      # bearerbox and smsbox on PATH; without them this stops
    .venv/bin/python bench/kannel.py [--messages 20000] [--binds 4] [--runs 1]
                                     [--receipt-delay 0.2] [--smsc simulator|npm]

`--smsc npm`: both drain through the npm `smpp` SMSC instead (peers/npm-smsc, `make peers`),
the SMSC the issue measured Kannel against (it spends ~50 us of CPU a message, the simulator
~20, on the same two cores).

The simulator sends each receipt 0.2 s after its submit (bench/dispatch.py: at once): with
no delay, bearerbox logged "got DLR but could not find message" for 819 of 5,000 receipts
and never matched them, though the simulator sent them again (its record of a submit can
come after the receipt; smsgate keeps such a receipt and matches it later).

Kannel's process CPU per message (bearerbox + smsbox) is printed as the dispatcher's is.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from common import PG_URL, StealGauge, cpu_seconds, free_port, wait_for_port
from dispatch import WINDOW, dispatch_rate, print_medians, start_simulator

PASSWORD = "bench"
NPM_SMSC = Path(__file__).resolve().parent.parent / "peers" / "npm-smsc"
STATUS = {
    "sent": re.compile(rb"^SMS: received \d+ \(\d+ queued\), sent (\d+)", re.M),
    "receipts": re.compile(rb"^DLR: received (\d+)", re.M),
    "stored": re.compile(rb"^DLR: (\d+) queued", re.M),
}


def kannel_config(folder: Path, ports: dict[str, int], binds: int) -> Path:
    """bearerbox + smsbox: `binds` identical SMPP transceivers to the simulator (one smsc-id,
    bearerbox spreads the queue over them), window WINDOW, internal DLR store, no store file."""
    smsc = f"""
group = smsc
smsc = smpp
smsc-id = sim
host = 127.0.0.1
port = {ports["smsc"]}
transceiver-mode = true
smsc-username = kannel
smsc-password = pw
system-type = ""
max-pending-submits = {WINDOW}
reconnect-delay = 1
"""
    text = f"""
group = core
admin-port = {ports["admin"]}
admin-password = {PASSWORD}
status-password = {PASSWORD}
admin-allow-ip = "127.0.0.1"
smsbox-port = {ports["smsbox"]}
log-level = 2
log-file = "{folder / "bearerbox.log"}"
dlr-storage = internal
{smsc * binds}
group = smsbox
bearerbox-host = 127.0.0.1
sendsms-port = {ports["sendsms"]}
log-level = 2
log-file = "{folder / "smsbox.log"}"

group = sendsms-user
username = {PASSWORD}
password = {PASSWORD}

group = sms-service
keyword = default
text = "ok"
catch-all = true
"""
    path = folder / "kannel.conf"
    path.write_text(text)
    return path


class KeepAliveGet:
    """HTTP/1.1 GETs on one keep-alive connection, reopened when the server closes it."""

    def __init__(self, port: int) -> None:
        self._port = port
        self._streams: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None

    async def get(self, target: str) -> tuple[int, bytes]:
        if self._streams is None:
            self._streams = await asyncio.open_connection("127.0.0.1", self._port)
        reader, writer = self._streams
        writer.write(f"GET {target} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
        head = await reader.readuntil(b"\r\n\r\n")
        lines = head.split(b"\r\n")
        headers = dict(
            (name.strip().lower(), value.strip())
            for name, _, value in (line.partition(b":") for line in lines[1:] if line)
        )
        body = await reader.readexactly(int(headers.get(b"content-length", b"0")))
        if headers.get(b"connection", b"").lower() == b"close" or lines[0].startswith(b"HTTP/1.0"):
            self.close()
        return int(lines[0].split()[1]), body

    def close(self) -> None:
        if self._streams is not None:
            self._streams[1].close()
            self._streams = None


class ReportSink:
    """The dlr-url: counts the reports smsbox delivers, answers 200."""

    def __init__(self) -> None:
        self.count = 0
        self.last_at = 0.0  # when the latest report came in

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while await reader.readuntil(b"\r\n\r\n"):
                self.count += 1
                self.last_at = time.perf_counter()
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        writer.close()


@dataclass
class KannelDrain:
    rate: float  # messages per second, first submit -> every receipt in (matched or not)
    lost: int  # receipts bearerbox could not match (left in its DLR store)
    reported_rate: float  # the same, up to every report delivered to the dlr-url
    kannel_us: float  # CPU per message of bearerbox + smsbox over the drain
    simulator_us: float
    steal: float  # share of the machine's CPU time taken by other guests meanwhile


def start_npm_smsc(port: int, receipt_delay: float) -> subprocess.Popen[bytes]:
    """The npm `smpp` package as the SMSC (peers/npm-smsc, `make peers`): the SMSC the issue
    measured Kannel against. Its ids are decimal, in the receipts too."""
    node = shutil.which("node")
    if node is None or not (NPM_SMSC / "node_modules" / "smpp").is_dir():
        sys.exit("the npm SMSC needs node and `make peers`")
    command = [node, str(NPM_SMSC / "smsc.js"), "--port", str(port), "--receipts"]
    command += ["--receipt-delay-ms", str(round(receipt_delay * 1000))]
    # It runs until its stdin closes (or SIGTERM): keep a pipe open.
    process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL)
    wait_for_port(port, process, "the npm SMSC")
    return process


SMSCS = {"simulator": start_simulator, "npm": start_npm_smsc}


def start_kannel(config: Path, ports: dict[str, int]) -> list[subprocess.Popen[bytes]]:
    """bearerbox, then smsbox, each once it listens."""
    started = []
    for box, port in (("bearerbox", ports["admin"]), ("smsbox", ports["sendsms"])):
        process = subprocess.Popen(
            [box, str(config)], stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT
        )
        started.append(process)
        wait_for_port(port, process, box)
    return started


async def kannel_drain(count: int, binds: int, receipt_delay: float, smsc: str) -> KannelDrain:
    """Queue `count` messages in a fresh Kannel whose SMSC is down, then start the simulator
    and time the drain (see the module's docstring)."""
    ports = {name: free_port() for name in ("smsc", "admin", "smsbox", "sendsms")}
    sink = ReportSink()
    server = await asyncio.start_server(sink.handle, "127.0.0.1", 0)
    sink_port = server.sockets[0].getsockname()[1]
    dlr_url = f"http://127.0.0.1:{sink_port}/dlr?type=%d"
    processes: list[subprocess.Popen[bytes]] = []
    with tempfile.TemporaryDirectory() as tmp:
        config = kannel_config(Path(tmp), ports, binds)
        try:
            processes.extend(start_kannel(config, ports))
            await queue_through_sendsms(ports["sendsms"], count, dlr_url)
            status = KeepAliveGet(ports["admin"])
            bearerbox, smsbox = processes[0].pid, processes[1].pid
            kannel_cpu = sum(cpu_seconds(pid) or 0.0 for pid in (bearerbox, smsbox))
            simulator = SMSCS[smsc](ports["smsc"], receipt_delay)
            processes.append(simulator)
            sim_cpu, steal = cpu_seconds(simulator.pid) or 0.0, StealGauge()
            # Done once every message is sent and bearerbox's DLR store is empty; or, if
            # receipts stop coming with entries left (receipts it failed to match, which the
            # simulator sends again in vain), 3 s after the last one it matched.
            started = matched = 0.0
            # From the SMSC's start, not 0: else "3 s after the last one" held at once when
            # every message was sent before the first receipt came, and counted them lost.
            last_receipt_at = progress_at = time.perf_counter()
            progress = (0, 0)
            lost = receipts = 0
            while not matched:
                _, text = await status.get(f"/status.txt?password={PASSWORD}")
                found = {name: int(pattern.search(text)[1]) for name, pattern in STATUS.items()}  # type: ignore[index]
                now = time.perf_counter()
                if (found["sent"], found["receipts"]) != progress:
                    progress_at, progress = now, (found["sent"], found["receipts"])
                elif now - progress_at > 60:
                    raise RuntimeError(f"Kannel made no progress for 60 s: {found}")
                if not started and found["sent"]:
                    started = now
                if found["receipts"] > receipts:
                    receipts, last_receipt_at = found["receipts"], now
                if found["sent"] >= count and not found["stored"]:
                    matched = now
                elif found["sent"] >= count and now - last_receipt_at > 3:
                    matched, lost = last_receipt_at, found["stored"]
                await asyncio.sleep(0.01)
            deadline = time.monotonic() + 30
            while sink.count < count - lost and time.monotonic() < deadline:  # noqa: ASYNC110
                await asyncio.sleep(0.01)
            kannel_cpu = sum(cpu_seconds(pid) or 0.0 for pid in (bearerbox, smsbox)) - kannel_cpu
            sim_cpu = (cpu_seconds(simulator.pid) or 0.0) - sim_cpu
            status.close()
        finally:
            # Kannel first, the SMSC once it is gone: an SMSC told to stop unbinds its ESMEs,
            # and bearerbox stopping at the same moment dropped those connections under it
            # (the simulator's "smpp unbind unanswered" warnings).
            for process in processes:
                process.terminate()
                try:
                    process.wait(10)
                except subprocess.TimeoutExpired:
                    process.kill()
            server.close()
    per = 1e6 / count
    return KannelDrain(
        count / (matched - started),
        lost,
        count / (sink.last_at - started),
        kannel_cpu * per,
        sim_cpu * per,
        steal.share(),
    )


async def queue_through_sendsms(port: int, count: int, dlr_url: str, clients: int = 16) -> None:
    """`count` sendsms requests from `clients` keep-alive connections; each must be queued."""
    numbers = iter(range(count))
    target = (
        f"/cgi-bin/sendsms?username={PASSWORD}&password={PASSWORD}&from=smsgate&text=hello"
        f"&dlr-mask=3&dlr-url={quote(dlr_url, safe='')}"
    )

    async def client() -> None:
        http = KeepAliveGet(port)
        for n in numbers:
            status, body = await http.get(f"{target}&to=33{600_000_000 + n}")
            if status not in (200, 202):
                raise RuntimeError(f"sendsms answered {status}: {body!r}")
        http.close()

    await asyncio.gather(*(client() for _ in range(clients)))


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=20_000)
    parser.add_argument("--binds", type=int, default=4)
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument(
        "--smsc",
        choices=sorted(SMSCS),
        default="simulator",
        help="the SMSC both drain through: the built-in simulator, or the npm `smpp` one",
    )
    parser.add_argument(
        "--receipt-delay",
        type=float,
        default=0.2,
        help="the simulator's seconds between a submit and its receipt, for both (at 0, "
        "bearerbox fails to match some receipts: they can overtake its record of the submit)",
    )
    args = parser.parse_args()
    missing = [box for box in ("bearerbox", "smsbox") if shutil.which(box) is None]
    if missing:
        sys.exit(f"{' and '.join(missing)} not found: apt-get install kannel")
    rates: dict[str, list[float]] = {}
    for _ in range(args.runs):
        kannel = await kannel_drain(args.messages, args.binds, args.receipt_delay, args.smsc)
        print(
            f"Kannel {args.binds} binds ({args.smsc}), first submit -> receipts matched: "
            f"{kannel.rate:9,.0f} msg/s (reported to the dlr-url: {kannel.reported_rate:,.0f}; "
            f"{kannel.lost:,} receipts unmatched)   CPU us/msg: "
            f"bearerbox + smsbox {kannel.kannel_us:5.1f}, simulator {kannel.simulator_us:4.1f}"
            f"   steal {kannel.steal:.0%}",
            flush=True,
        )
        rates.setdefault("Kannel", []).append(kannel.rate)
        port = free_port()
        simulator = SMSCS[args.smsc](port, args.receipt_delay)
        try:
            drain = await dispatch_rate(PG_URL, port, args.messages, simulator.pid, 0, args.binds)
        finally:
            simulator.terminate()
            simulator.wait()
        print(
            f"smsgate {args.binds} binds ({args.smsc}), PostgreSQL, queued -> delivered: "
            f"{drain.rate:9,.0f} msg/s   {drain.describe()}   "
            f"x{drain.rate / kannel.rate:.2f} Kannel's"
        )
        rates.setdefault("smsgate", []).append(drain.rate)
    print_medians(rates)


if __name__ == "__main__":
    asyncio.run(main())
