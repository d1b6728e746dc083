"""`smsgate campaigns` (and `accounts set --marketing-hours`), run in-process with click's
runner on a real database: a fresh SQLite file per test, or the PostgreSQL database of
SMSGATE_TEST_DATABASE_URL brought to the latest schema and emptied (as in test_cli.py).

The CLI runs on the system clock, so schedules here are relative to now.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, time, timedelta
from typing import TypeVar
from zoneinfo import ZoneInfo

import pytest

from smsgate.bootstrap import Gateway, build_gateway
from smsgate.cli import campaign_output
from smsgate.db import tables as t
from smsgate.db.engine import create_engine
from smsgate.domain.contacts import ContactInput
from smsgate.settings import Settings
from tests.cli.invoking import invoke, invoke_json
from tests.conftest import in_status

T = TypeVar("T")


def with_gateway(database_url: str, work: Callable[[Gateway], Awaitable[T]]) -> T:
    async def session() -> T:
        gateway = build_gateway(Settings(database_url=database_url))
        try:
            return await work(gateway)
        finally:
            await gateway.close()

    return asyncio.run(session())


def numbers(first: int, count: int) -> list[str]:
    return [f"+336123456{n:02d}" for n in range(first, first + count)]


def contact_list(database_url: str, name: str, listed: list[str]) -> int:
    async def work(gw: Gateway) -> int:
        account = await gw.accounts.get("alice")
        created = await gw.contacts.create_list(account, name)
        await gw.contacts.add_contacts(account, created.id, [ContactInput(n) for n in listed])
        return created.id

    return with_gateway(database_url, work)


def set_batch_status(database_url: str, status: str) -> None:
    async def work(gw: Gateway) -> None:
        async with gw.store.engine.begin() as conn:
            await conn.execute(t.messages.update().values(**in_status(status)))

    with_gateway(database_url, work)


@pytest.fixture
def alice() -> str:
    invoke(
        "accounts", "create", "alice", "--password", "secret-pw", "--credit", "100",
        "--country", "FR",
    )  # fmt: skip
    return "alice"


def test_campaigns_create_estimate_launch_pause_resume_cancel_json_follows_states(
    cli_database: str, alice: str
) -> None:
    fans = contact_list(cli_database, "fans", numbers(0, 3))
    draft = invoke_json(
        "campaigns", "create", "-a", alice, "--name", "promo", "--text", "Sale",
        "--list", "fans", "--number", numbers(2, 1)[0], "--number", numbers(3, 1)[0],
        "--number", "12",
    )  # fmt: skip
    assert (draft["status"], draft["type"], draft["lists"]) == ("draft", "marketing", [fans])
    assert (draft["numbers"], draft["invalid_numbers"]) == (2, ["12"])
    campaign_id = str(draft["id"])

    estimate = invoke_json("campaigns", "estimate", "-a", alice, campaign_id)
    assert (estimate["recipients"], estimate["duplicates"], estimate["invalid"]) == (4, 1, 1)
    assert (estimate["cost"], estimate["by_region"]) == ("4", {"FR": 4})

    launched = invoke("campaigns", "launch", "-a", alice, campaign_id, "--json")
    body = json.loads(launched.stdout)
    assert (body["messages"], body["cost"], body["balance"]) == (4, "4", "96")
    assert body["campaign"]["status"] == "sending"
    assert f"launching campaign {campaign_id} took" in launched.stderr

    paused = invoke_json("campaigns", "pause", "-a", alice, campaign_id)
    assert (paused["status"], paused["progress"]) == ("paused", {"paused": 4})
    resumed = invoke_json("campaigns", "resume", "-a", alice, campaign_id)
    assert (resumed["status"], resumed["progress"]) == ("sending", {"queued": 4})
    cancelled = invoke_json("campaigns", "cancel", "-a", alice, campaign_id)
    assert (cancelled["cancelled"], cancelled["refund"]) == (4, "4")
    assert invoke_json("credit", "show", "alice")["balance"] == "100"
    listed = invoke_json("campaigns", "list", "-a", alice)
    assert [(c["id"], c["status"]) for c in listed] == [(draft["id"], "cancelled")]


def test_campaigns_text_output_shows_campaign_estimate_and_report_pages(
    cli_database: str, alice: str
) -> None:
    created = invoke(
        "campaigns", "create", "-a", alice, "--name", "promo", "--text", "Sale",
        *(arg for n in numbers(0, 3) for arg in ("--number", n)), "--launch",
    )  # fmt: skip
    assert "campaign 1 sending: 3 messages, cost 3 credits, balance 97 credits" in created.stdout
    assert "drafted campaign 1" in created.stderr
    shown = invoke("campaigns", "show", "-a", alice, "1").stdout
    assert "promo" in shown
    assert "queued=3" in shown
    estimate = invoke("campaigns", "estimate", "-a", alice, "1").stdout
    assert "3 credits" in estimate
    assert "accepted=3" in estimate
    assert "1  promo  marketing  sending" in invoke("campaigns", "list", "-a", alice).stdout

    page = invoke("campaigns", "report", "-a", alice, "1", "--limit", "2")
    lines = page.stdout.splitlines()
    assert lines[0].split() == ["ID", "TO", "STATUS", "ERROR", "SEGMENTS", "PRICE", "UPDATED"]
    assert [line.split()[:3] for line in lines[1:]] == [
        ["3", numbers(2, 1)[0], "queued"],
        ["2", numbers(1, 1)[0], "queued"],
    ]
    assert page.stderr == "more: --before 2\n"
    last = invoke_json("campaigns", "report", "-a", alice, "1", "--limit", "2", "--before", "2")
    assert ([r["to"] for r in last["data"]], last["next_before"]) == (numbers(0, 1), None)
    set_batch_status(cli_database, "delivered")
    delivered = invoke_json("campaigns", "report", "-a", alice, "1", "--status", "delivered")
    assert len(delivered["data"]) == 3
    assert delivered["status"] == "done"


def test_campaigns_refused_requests_exit_with_their_codes(cli_database: str, alice: str) -> None:
    base = ("campaigns", "create", "-a", alice, "--name", "c", "--text", "hi")
    missing = invoke(*base, "--list", "nobody", expect=3)
    assert missing.stderr == "error: no contact list named 'nobody'\n"
    assert "no contact list 999" in invoke(*base, "--list", "999", expect=3).stderr
    assert "no account" in invoke("campaigns", "list", "-a", "bob", expect=3).stderr
    invoke(*base, "--number", "12", expect=2)  # no valid recipient
    invoke(*base, "--number", numbers(0, 1)[0], "--type", "promo", expect=2)
    invoke(*base, "--number", numbers(0, 1)[0], "--schedule", "soon", expect=2)
    invoke(*base, "--number", numbers(0, 1)[0], "--timezone", "Mars/Olympus", expect=2)
    invoke(*base, "--number", numbers(0, 1)[0], "--schedule", "2030-01-01T09:00",
           "--timezone", "Mars/Olympus", expect=2)  # fmt: skip
    draft = invoke_json(*base, "--number", numbers(0, 1)[0])
    resumed = invoke("campaigns", "resume", "-a", alice, str(draft["id"]), expect=1)
    assert resumed.stderr.startswith("error: a draft campaign cannot be resumed")
    invoke("accounts", "create", "bob", "--password", "secret-pw")
    invoke("campaigns", "show", "-a", "bob", str(draft["id"]), expect=3)
    invoke("campaigns", "launch", "-a", "bob", str(draft["id"]), expect=3)


def test_campaigns_schedule_without_offset_is_local_to_its_timezone(alice: str) -> None:
    paris = ZoneInfo("Europe/Paris")
    day = datetime.now(UTC).astimezone(paris).date() + timedelta(days=2)
    local = datetime.combine(day, time(9, 30))
    draft = invoke_json(
        "campaigns", "create", "-a", alice, "--name", "c", "--text", "hi",
        "--number", numbers(0, 1)[0], "--schedule", local.isoformat(),
        "--timezone", "Europe/Paris", "--type", "marketing", "--launch",
    )  # fmt: skip
    instant = local.replace(tzinfo=paris).astimezone(UTC)
    campaign = draft["campaign"]
    assert campaign["schedule_at"] == instant.isoformat().replace("+00:00", "Z")
    assert (campaign["timezone"], campaign["type"]) == ("Europe/Paris", "marketing")
    assert (campaign["status"], campaign["progress"]) == ("scheduled", {"scheduled": 1})


def test_campaigns_launch_follow_draws_progress_until_done(
    cli_database: str, alice: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    draft = invoke_json(
        "campaigns", "create", "-a", alice, "--name", "c", "--text", "hi",
        *(arg for n in numbers(0, 4) for arg in ("--number", n)),
    )  # fmt: skip
    polls: list[float] = []

    async def dispatched(seconds: float) -> None:  # in place of the pause between polls
        polls.append(seconds)
        engine = create_engine(cli_database)
        try:
            async with engine.begin() as conn:
                await conn.execute(t.messages.update().values(**in_status("delivered")))
        finally:
            await engine.dispose()

    monkeypatch.setattr(campaign_output, "between_polls", dispatched)
    result = invoke("campaigns", "launch", "-a", alice, str(draft["id"]), "--follow")
    lines = result.stderr.splitlines()
    assert lines[0] == f"launching campaign {draft['id']}"
    assert lines[2].startswith("[------------------------------]   0%  0/4 left the queue")
    assert lines[2].endswith("(queued 4)  sending")
    assert lines[3].startswith("[##############################] 100%  4/4 left the queue")
    assert lines[3].endswith("(delivered 4)  done")
    assert polls == [campaign_output.POLL_S]


def test_campaigns_follow_interrupted_stops_watching_and_keeps_sending(
    alice: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def interrupted(_seconds: float) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(campaign_output, "between_polls", interrupted)
    result = invoke(
        "campaigns", "create", "-a", alice, "--name", "c", "--text", "hi",
        "--number", numbers(0, 1)[0], "--launch", "--follow",
    )  # fmt: skip
    assert result.stderr.endswith("stopped watching; campaign 1 goes on\n")
    assert invoke_json("campaigns", "show", "-a", alice, "1")["status"] == "sending"


HOURS = [
    ("08:00-20:00 Europe/Paris mon-sat", ("08:00", "20:00", "Europe/Paris", [0, 1, 2, 3, 4, 5])),
    ("9:30-17:00", ("09:30", "17:00", "UTC", [0, 1, 2, 3, 4, 5, 6])),
    ("08:00-12:00 fri-mon +08:00", ("08:00", "12:00", "+08:00", [0, 4, 5, 6])),
    ("10:00-18:00 mon-fri,sun", ("10:00", "18:00", "UTC", [0, 1, 2, 3, 4, 6])),
]
UNREADABLE_HOURS = [
    "20:00-08:00",
    "08:00-20:00 Mars/Olympus",
    "08h-20h",
    "08:00-20:00 UTC mon-xyz",
    "25:00-26:00",
    "",
]


def test_accounts_set_marketing_hours_reads_hours_zone_and_days_then_none_clears(
    alice: str,
) -> None:
    for given, (start, end, zone, days) in HOURS:
        account = invoke_json("accounts", "set", alice, "--marketing-hours", given)
        assert account["marketing_hours"] == {
            "start": start, "end": end, "timezone": zone, "days": days,
        }, given  # fmt: skip
        assert f"{start}-{end} {zone}" in invoke("accounts", "show", alice).stdout
    cleared = invoke_json("accounts", "set", alice, "--marketing-hours", "none")
    assert cleared["marketing_hours"] is None
    assert "any time" in invoke("accounts", "show", alice).stdout


def test_accounts_set_unreadable_marketing_hours_exits_2_and_changes_nothing(alice: str) -> None:
    for given in UNREADABLE_HOURS:
        result = invoke("accounts", "set", alice, "--marketing-hours", given, expect=2)
        assert "--marketing-hours" in result.stderr, given
    assert invoke_json("accounts", "show", alice)["marketing_hours"] is None
