"""How `smsgate campaigns` prints for people: campaigns, estimates, launches, and progress.

Progress goes to stderr and is drawn from inside the event loop (it cannot wait for the end of
the command): a spinner with the elapsed time while a launch's one transaction runs, then,
with `--follow`, a bar of messages leaving the queue. On a terminal both redraw one line; on
anything else they print plain lines, a new one only when something changed.
"""

from __future__ import annotations

import asyncio
import itertools
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import click

from smsgate.bootstrap import Gateway
from smsgate.cli import output as out
from smsgate.cli.runtime import CliContext
from smsgate.domain.accounts import Account
from smsgate.domain.campaigns import CampaignStatus, Estimate
from smsgate.services.campaigns import CampaignView, LaunchOutcome

C = CampaignStatus
WAITING = frozenset({"scheduled", "queued", "paused"})  # message statuses still in the queue
STOPPED = frozenset({C.DONE, C.PAUSED, C.CANCELLED})
POLL_S = 1.0
BAR_WIDTH = 30
SPINNER = "|/-\\"
CLEAR_LINE = "\r\x1b[K"


def plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def echo_campaign(view: CampaignView) -> None:
    c = view.campaign
    schedule = out.shown_time(c.scheduled_at)
    out.echo_fields(
        [
            ("campaign", out.heading(f"{c.id} {c.name}")),
            ("status", out.status_colour(str(view.status))),
            ("type", str(c.kind)),
            ("text", c.text),
            ("sender", out.shown(c.sender)),
            ("unicode / flash", f"{out.shown(c.force_unicode)} / {out.shown(c.flash)}"),
            ("scheduled", schedule if c.scheduled_at is None else f"{schedule} ({c.timezone})"),
            ("lists", out.shown(list(c.list_ids))),
            ("numbers", f"{c.numbers} ({len(c.invalid_numbers)} invalid)"),
            ("batch", out.shown(c.batch_id)),
            ("messages", out.shown(dict(sorted(view.status_counts.items())))),
            ("created", out.shown_time(c.created_at)),
        ]
    )


def echo_estimate(estimate: Estimate) -> None:
    verdicts = {k: n for k, n in estimate.verdicts.items() if n}
    out.echo_fields(
        [
            ("recipients", out.heading(str(estimate.accepted))),
            ("audience", f"{estimate.audience} distinct numbers"),
            ("duplicates", str(estimate.duplicates)),
            ("invalid", str(estimate.invalid)),
            ("verdicts", out.shown(verdicts)),
            ("segments", str(estimate.segments)),
            ("cost", out.credits(estimate.cost_micros)),
            ("by country", out.shown(dict(sorted(estimate.by_region.items())))),
        ]
    )


def echo_launch(outcome: LaunchOutcome) -> None:
    view = outcome.view
    click.echo(
        f"campaign {view.campaign.id} {out.status_colour(str(view.status))}: "
        f"{plural(outcome.messages, 'message')}, cost {out.credits(outcome.cost_micros)}, "
        f"balance {out.credits(outcome.balance_micros)}"
    )


# --- Progress ---------------------------------------------------------------------------------


def stderr_is_terminal() -> bool:
    return sys.stderr.isatty()


@asynccontextmanager
async def elapsed_line(label: str) -> AsyncIterator[None]:
    """`label` with a spinner and the seconds spent while the block runs (stderr)."""
    started = time.monotonic()
    ticker: asyncio.Task[None] | None = None
    if stderr_is_terminal():

        async def tick() -> None:
            for turn in itertools.count():
                spent = time.monotonic() - started
                click.echo(f"\r{SPINNER[turn % 4]} {label} {spent:.1f} s", nl=False, err=True)
                await asyncio.sleep(0.1)

        ticker = asyncio.create_task(tick(), name="cli-launch-spinner")
    else:
        click.echo(label, err=True)
    try:
        yield
    finally:
        if ticker is not None:
            ticker.cancel()
            await asyncio.gather(ticker, return_exceptions=True)
            click.echo(CLEAR_LINE, nl=False, err=True)
        click.echo(f"{label} took {time.monotonic() - started:.1f} s", err=True)


def progress_line(view: CampaignView) -> str:
    """`[####------]  40%  2/5 left the queue  (delivered 2, queued 3)  sending`."""
    counts = view.status_counts
    total = sum(counts.values())
    left = total - sum(n for status, n in counts.items() if status in WAITING)
    filled = BAR_WIDTH * left // total if total else 0
    percent = 100 * left // total if total else 0
    detail = ", ".join(f"{status} {n}" for status, n in sorted(counts.items()))
    return (
        f"[{'#' * filled}{'-' * (BAR_WIDTH - filled)}] {percent:3d}%  "
        f"{left}/{total} left the queue  ({detail})  {view.status}"
    )


async def between_polls(seconds: float) -> None:
    """The pause between two polls (the tests put their own in its place)."""
    await asyncio.sleep(seconds)


async def follow_campaign(
    gw: Gateway, account: Account, campaign_id: int, *, poll_s: float = POLL_S
) -> CampaignView:
    """Redraw the progress line until the campaign is done, paused or cancelled."""
    terminal = stderr_is_terminal()
    shown = ""
    while True:
        view = await gw.campaigns.get(account, campaign_id)
        line = progress_line(view)
        if line != shown:
            click.echo(CLEAR_LINE + line if terminal else line, nl=not terminal, err=True)
            shown = line
        if view.status in STOPPED:
            if terminal:
                click.echo(err=True)
            return view
        await between_polls(poll_s)


def watch(obj: CliContext, username: str, campaign_id: int) -> None:
    """Watch a launched campaign; Ctrl-C stops watching, never the campaign."""

    async def work(gw: Gateway) -> CampaignView:
        account = await gw.accounts.get(username)
        return await follow_campaign(gw, account, campaign_id)

    try:
        obj.run(work, migrate=False)
    except KeyboardInterrupt:
        click.echo(f"\nstopped watching; campaign {campaign_id} goes on", err=True)
