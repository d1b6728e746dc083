"""Campaign benchmark: a CSV of contacts imported into a list, then a campaign over it.

Writes a CSV of N distinct French mobile numbers (number,name,city), imports it through the
contacts service (streaming), creates a marketing campaign over the list and launches it.
Prints rows imported per second, the time from the launch request to every message queued,
and memory: the process's peak RSS growth during the import and during the launch (flat
when nothing is held per contact). Bounded: it stops by itself.

    .venv/bin/python bench/campaign.py [--database sqlite|postgresql|both] [--rows 1000000]
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from pathlib import Path

import sqlalchemy as sa

from common import PG_URL, fresh_gateway
from smsgate.db import tables as t
from smsgate.services.campaigns import CampaignDraft


def write_csv(path: Path, rows: int) -> None:
    with path.open("w") as out:
        out.write("number,name,city\n")
        for i in range(rows):
            out.write(f"+336{10_000_000 + i},Name {i},Paris\n")


def rss_mib() -> float:
    """The process's current resident set (Linux /proc), in MiB."""
    with open("/proc/self/statm") as statm:
        pages = int(statm.read().split()[1])
    return pages * resource.getpagesize() / 2**20


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def lines_of(path: Path) -> AsyncIterator[str]:
    with path.open() as source:
        for line in source:
            yield line


async def run(url: str, csv_path: Path, rows: int) -> None:
    name = "PostgreSQL" if url.startswith("postgresql") else "SQLite"
    gateway, account, _ = await fresh_gateway(url)
    try:
        contacts = gateway.contacts
        target = await contacts.create_list(account, "everyone")
        shown = [0.0]

        def progress(report: object) -> None:
            now = time.perf_counter()
            if now - shown[0] >= 5:
                shown[0] = now
                print(f"  {name}: {getattr(report, 'rows', 0):,} rows", file=sys.stderr)

        before = rss_mib()
        start = time.perf_counter()
        report = await contacts.import_csv(
            account, target.id, lines_of(csv_path), progress=progress
        )
        imported_s = time.perf_counter() - start
        import_peak = peak_mib() - before
        assert report.added == rows, report

        draft = await gateway.campaigns.create(
            account, CampaignDraft(name="bench", text="Big sale this weekend", lists=[target.id])
        )
        baseline = rss_mib()
        peak_before = peak_mib()
        start = time.perf_counter()
        outcome = await gateway.campaigns.launch(account, draft.campaign.id)
        launch_s = time.perf_counter() - start
        async with gateway.store.engine.connect() as conn:
            queued = await conn.scalar(
                sa.select(sa.func.count()).where(
                    t.messages.c.batch_id == outcome.view.campaign.batch_id,
                    t.messages.c.status == "queued",
                )
            )
        assert queued == rows == outcome.messages, (queued, outcome.messages)
        growth = max(0.0, peak_mib() - max(peak_before, baseline))
        print(
            f"{name}: import {rows:,} rows in {imported_s:.1f} s = {rows / imported_s:,.0f} rows/s "
            f"(RSS +{import_peak:.0f} MiB); launch to {queued:,} queued in {launch_s:.1f} s = "
            f"{rows / launch_s:,.0f} messages/s (peak RSS +{growth:.0f} MiB over "
            f"{baseline:.0f} MiB)"
        )
    finally:
        await gateway.close()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        csv_path = Path(tmp) / "contacts.csv"
        write_csv(csv_path, args.rows)
        if args.database in ("sqlite", "both"):
            await run(f"sqlite:///{Path(tmp) / 'bench.db'}", csv_path, args.rows)
        if args.database in ("postgresql", "both"):
            await run(PG_URL, csv_path, args.rows)


if __name__ == "__main__":
    asyncio.run(main())
