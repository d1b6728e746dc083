"""What the benchmarks share: a free port, a process's CPU, and a fresh database with one
funded account.

PostgreSQL: SMSGATE_BENCH_DATABASE_URL, by default database `bench` on 127.0.0.1 (created if
missing; not the tests' `test`, since its schema is dropped and rebuilt on every run).
"""

from __future__ import annotations

import os
import socket
import subprocess
import time
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine

from smsgate.bootstrap import Gateway, build_gateway
from smsgate.db.migrate import upgrade
from smsgate.domain.accounts import Account
from smsgate.services.accounts import NewAccount
from smsgate.settings import Settings

PG_URL = os.environ.get("SMSGATE_BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/bench")
CREDIT_MICROS = 10**15


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU of a process so far, from /proc (None where there is none)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime


class StealGauge:
    """The share of the machine's CPU time the hypervisor gave to other guests (`steal` in
    /proc/stat) since this gauge was made. This kind of machine has slow spells that show as
    15-30% steal, and others that show none, the same work simply taking ~1.5x the CPU time
    (the simulator's CPU per message tells those): print it beside a rate all the same."""

    def __init__(self) -> None:
        self._start = self._read()

    @staticmethod
    def _read() -> tuple[int, int]:
        with open("/proc/stat") as stat:
            ticks = [int(field) for field in stat.readline().split()[1:]]
        return sum(ticks[:8]), ticks[7]  # user..steal (guest time is within user already)

    def share(self) -> float:
        total, steal = self._read()
        return (steal - self._start[1]) / max(1, total - self._start[0])


def wait_for_port(port: int, process: subprocess.Popen[bytes], what: str) -> None:
    """Return once something listens on 127.0.0.1:`port`; after 20 s, kill `process` (the
    server that should have) and raise."""
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    process.kill()
    raise RuntimeError(f"{what} did not start")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def create_database(url: str) -> None:
    """Create the PostgreSQL database of `url` if it does not exist (SQLite: nothing to do)."""
    if not url.startswith("postgresql"):
        return
    base, _, name = url.rpartition("/")
    admin = create_async_engine(
        base.replace("postgresql://", "postgresql+asyncpg://") + "/postgres",
        isolation_level="AUTOCOMMIT",
    )
    async with admin.connect() as conn:
        exists = await conn.scalar(
            sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}
        )
        if not exists:
            await conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    await admin.dispose()


async def fresh_gateway(url: str, **settings: Any) -> tuple[Gateway, Account, str]:
    """A gateway on an empty, migrated database with one account 'bench' that cannot run out
    of credit; returns the gateway, the account and its API key."""
    await create_database(url)
    gateway = build_gateway(Settings(database_url=url, **settings))
    if url.startswith("postgresql"):
        async with gateway.store.engine.begin() as conn:
            await conn.execute(sa.text("DROP SCHEMA public CASCADE"))
            await conn.execute(sa.text("CREATE SCHEMA public"))
    await upgrade(gateway.store.engine)
    account, issued = await gateway.accounts.create(
        NewAccount(username="bench", password="bench-password", credit_micros=CREDIT_MICROS)
    )
    return gateway, account, issued.key
