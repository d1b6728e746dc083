"""`smsgate campaigns ...`: draft, estimate, launch, pause, resume, cancel and report campaigns.

Every command acts as one account (`--account USERNAME`); contact lists are given by name or
id. `--json` prints what the native API answers (api/native/campaign_schemas.py), so scripts
see one shape. A launch shows progress on stderr (cli/campaign_output.py).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from typing import Any, TypeVar

import click

from smsgate.api.native.campaign_schemas import (
    render_campaign,
    render_cancel,
    render_estimate,
    render_launch,
    render_recipient,
)
from smsgate.bootstrap import Gateway
from smsgate.cli import output as out
from smsgate.cli.campaign_output import (
    echo_campaign,
    echo_estimate,
    echo_launch,
    elapsed_line,
    plural,
    watch,
)
from smsgate.cli.errors import CommandFailed, ExitCode
from smsgate.cli.runtime import CliContext
from smsgate.domain.accounts import Account
from smsgate.domain.batches import Message, MessageFilter
from smsgate.domain.messages import MessageKind, MessageStatus
from smsgate.domain.money import format_credits
from smsgate.services.campaigns import CampaignDraft, CampaignView, LaunchOutcome

T = TypeVar("T")

account_option = click.option(
    "--account", "-a", "username", required=True, metavar="USERNAME", help="The account."
)
follow_option = click.option(
    "--follow", is_flag=True, help="Then show messages leaving the queue (Ctrl-C stops watching)."
)


class LocalTimeType(click.ParamType[datetime]):
    """An ISO 8601 time; without an offset it is a local time in --timezone."""

    name = "iso8601"

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> datetime:
        if isinstance(value, datetime):
            return value
        try:
            return datetime.fromisoformat(str(value).strip())
        except ValueError:
            self.fail(f"not an ISO 8601 time: {value!r}", param, ctx)


async def as_account(gw: Gateway, username: str, call: Callable[[Account], Awaitable[T]]) -> T:
    """`call` with the account named `username` (NotFound if there is none)."""
    return await call(await gw.accounts.get(username))


def show_launch(
    obj: CliContext, username: str, outcome: LaunchOutcome, *, follow: bool, as_json: bool
) -> None:
    if as_json:
        out.echo_json(render_launch(outcome))
    else:
        echo_launch(outcome)
    if follow:
        watch(obj, username, outcome.view.campaign.id)


async def resolve_lists(gw: Gateway, account: Account, refs: Sequence[str]) -> list[int]:
    """Each list given by name or, failing that, by id."""
    if not refs:
        return []
    known = await gw.contacts.lists(account)
    by_name = {found.name: found.id for found in known}
    ids = []
    for ref in (ref.strip() for ref in refs):
        if ref in by_name:
            ids.append(by_name[ref])
        elif ref.isdigit():
            ids.append(int(ref))  # the service answers NotFound if it is not the account's
        else:
            raise CommandFailed(f"no contact list named {ref!r}", ExitCode.NOT_FOUND)
    return ids


@click.group()
def campaigns() -> None:
    """Send one text to whole contact lists, now or at a time in a time zone."""


@campaigns.command(name="create")
@account_option
@click.option("--name", required=True, help="Your name for the campaign (1-128 characters).")
@click.option("--text", required=True, help="The text; {name} and {field} are filled per contact.")
@click.option(
    "--type",
    "kind",
    type=click.Choice([str(k) for k in MessageKind]),
    default=str(MessageKind.MARKETING),
    show_default=True,
    help="Marketing waits for the account's marketing hours; transactional goes first.",
)
@click.option("--sender", help="A sender id or number of the account.")
@click.option("--unicode", "force_unicode", is_flag=True, help="Send as UCS-2 even if GSM-7 fits.")
@click.option("--flash", is_flag=True, help="Show on the screen without storing (class 0).")
@click.option("--schedule", type=LocalTimeType(), help="ISO 8601; without offset, in --timezone.")
@click.option("--timezone", default="UTC", show_default=True, help="Europe/Paris, +08:00, ...")
@click.option("--list", "lists", metavar="NAME|ID", multiple=True, help="A contact list; repeat.")
@click.option("--number", "numbers", metavar="NUMBER", multiple=True, help="A number; repeat.")
@click.option("--launch", is_flag=True, help="Launch it at once (it is charged then).")
@follow_option
@out.json_option
@click.pass_obj
def create_campaign(
    obj: CliContext,
    username: str,
    name: str,
    text: str,
    kind: str,
    sender: str | None,
    force_unicode: bool,
    flash: bool,
    schedule: datetime | None,
    timezone: str,
    lists: tuple[str, ...],
    numbers: tuple[str, ...],
    launch: bool,
    follow: bool,
    as_json: bool,
) -> None:
    """Draft a campaign (and launch it with --launch)."""
    if follow and not launch:
        raise click.UsageError("--follow goes with --launch")

    async def work(gw: Gateway) -> CampaignView | LaunchOutcome:
        account = await gw.accounts.get(username)
        draft = CampaignDraft(
            name=name,
            text=text,
            kind=MessageKind(kind),
            sender=sender,
            force_unicode=force_unicode,
            flash=flash,
            scheduled_at=schedule,
            timezone=timezone,
            lists=await resolve_lists(gw, account, lists),
            numbers=numbers,
        )
        view = await gw.campaigns.create(account, draft)
        if not launch:
            return view
        click.echo(f"drafted campaign {view.campaign.id}", err=True)
        async with elapsed_line(f"launching campaign {view.campaign.id}"):
            return await gw.campaigns.launch(account, view.campaign.id)

    done = obj.run(work)
    if isinstance(done, LaunchOutcome):
        show_launch(obj, username, done, follow=follow, as_json=as_json)
    elif as_json:
        out.echo_json(render_campaign(done))
    else:
        echo_campaign(done)
        click.echo(
            f"Estimate it with `smsgate campaigns estimate -a {username} {done.campaign.id}`."
        )


@campaigns.command(name="list")
@account_option
@click.option("--limit", type=click.IntRange(1, 100), default=50, show_default=True)
@click.option("--before", type=int, metavar="ID", help="Campaigns older than this one.")
@out.json_option
@click.pass_obj
def list_campaigns(
    obj: CliContext, username: str, limit: int, before: int | None, as_json: bool
) -> None:
    """List the account's campaigns, newest first."""
    found = obj.run(
        lambda gw: as_account(gw, username, lambda a: gw.campaigns.list(a, limit, before))
    )
    if as_json:
        out.echo_json([render_campaign(view, progress=False) for view in found])
        return
    if not found:
        click.echo(f"no campaigns yet; draft one with `smsgate campaigns create -a {username}`")
        return
    out.echo_table(
        ["ID", "NAME", "TYPE", "STATUS", "SCHEDULED", "BATCH", "CREATED"],
        [
            [
                str(v.campaign.id),
                v.campaign.name,
                str(v.campaign.kind),
                str(v.status),
                out.shown_time(v.campaign.scheduled_at),
                out.shown(v.campaign.batch_id),
                out.shown_time(v.campaign.created_at),
            ]
            for v in found
        ],
        right=(0, 5),
        colour=lambda column, text: out.status_colour(text) if column == 3 else text,
    )
    if len(found) == limit:
        click.echo(f"more: --before {found[-1].campaign.id}", err=True)


campaign_id_argument = click.argument("campaign_id", metavar="ID", type=int)


@campaigns.command(name="show")
@account_option
@campaign_id_argument
@out.json_option
@click.pass_obj
def show_campaign(obj: CliContext, username: str, campaign_id: int, as_json: bool) -> None:
    """Show a campaign, its status and its messages counted by status."""
    view = obj.run(lambda gw: as_account(gw, username, lambda a: gw.campaigns.get(a, campaign_id)))
    if as_json:
        out.echo_json(render_campaign(view))
    else:
        echo_campaign(view)


@campaigns.command(name="estimate")
@account_option
@campaign_id_argument
@out.json_option
@click.pass_obj
def estimate_campaign(obj: CliContext, username: str, campaign_id: int, as_json: bool) -> None:
    """Count the recipients a launch now would send to, and what it would cost."""
    estimate = obj.run(
        lambda gw: as_account(gw, username, lambda a: gw.campaigns.estimate(a, campaign_id))
    )
    if as_json:
        out.echo_json(render_estimate(estimate))
    else:
        echo_estimate(estimate)


def change_state(
    obj: CliContext, username: str, campaign_id: int, as_json: bool, *, pause: bool
) -> None:
    def call(gw: Gateway) -> Awaitable[CampaignView]:
        change = gw.campaigns.pause if pause else gw.campaigns.resume
        return as_account(gw, username, lambda a: change(a, campaign_id))

    view = obj.run(call)
    if as_json:
        out.echo_json(render_campaign(view))
        return
    click.echo(f"campaign {campaign_id} is now {out.status_colour(str(view.status))}")
    click.echo(f"  messages: {out.shown(dict(sorted(view.status_counts.items())))}")


@campaigns.command(name="pause")
@account_option
@campaign_id_argument
@out.json_option
@click.pass_obj
def pause_campaign(obj: CliContext, username: str, campaign_id: int, as_json: bool) -> None:
    """Hold the messages no dispatcher has taken yet."""
    change_state(obj, username, campaign_id, as_json, pause=True)


@campaigns.command(name="resume")
@account_option
@campaign_id_argument
@out.json_option
@click.pass_obj
def resume_campaign(obj: CliContext, username: str, campaign_id: int, as_json: bool) -> None:
    """Release a paused campaign's messages."""
    change_state(obj, username, campaign_id, as_json, pause=False)


@campaigns.command(name="cancel")
@account_option
@campaign_id_argument
@out.json_option
@click.pass_obj
def cancel_campaign(obj: CliContext, username: str, campaign_id: int, as_json: bool) -> None:
    """Cancel a draft, or a launched campaign's unsent messages (refunded)."""
    outcome = obj.run(
        lambda gw: as_account(gw, username, lambda a: gw.campaigns.cancel(a, campaign_id))
    )
    if as_json:
        out.echo_json(render_cancel(outcome))
    else:
        click.echo(
            f"campaign {campaign_id} {out.status_colour(str(outcome.view.status))}: "
            f"{plural(outcome.cancelled, 'message')} cancelled, "
            f"{out.credits(outcome.refund_micros)} refunded, "
            f"balance {out.credits(outcome.balance_micros)}"
        )


@campaigns.command(name="launch")
@account_option
@campaign_id_argument
@follow_option
@out.json_option
@click.pass_obj
def launch_campaign(
    obj: CliContext, username: str, campaign_id: int, follow: bool, as_json: bool
) -> None:
    """Write and charge every message of a draft; they go out now or at its schedule."""

    async def work(gw: Gateway) -> LaunchOutcome:
        account = await gw.accounts.get(username)
        async with elapsed_line(f"launching campaign {campaign_id}"):
            return await gw.campaigns.launch(account, campaign_id)

    show_launch(obj, username, obj.run(work), follow=follow, as_json=as_json)


@campaigns.command(name="report")
@account_option
@campaign_id_argument
@click.option("--status", type=click.Choice([str(s) for s in MessageStatus]), help="Only these.")
@click.option("--limit", type=click.IntRange(1, 1000), default=100, show_default=True)
@click.option("--before", type=int, metavar="ID", help="Messages older than this one.")
@out.json_option
@click.pass_obj
def report_campaign(
    obj: CliContext,
    username: str,
    campaign_id: int,
    status: str | None,
    limit: int,
    before: int | None,
    as_json: bool,
) -> None:
    """One row per recipient: its message's status, error, segments and price."""

    async def work(gw: Gateway) -> tuple[CampaignView, list[Message]]:
        account = await gw.accounts.get(username)
        view = await gw.campaigns.get(account, campaign_id)
        if view.campaign.batch_id is None:
            return view, []
        query = MessageFilter(
            batch_id=view.campaign.batch_id,
            status=None if status is None else MessageStatus(status),
            before_id=before,
            limit=limit,
        )
        return view, await gw.queries.messages(account, query)

    view, found = obj.run(work)
    next_before = found[-1].id if len(found) == limit else None
    if as_json:
        rows = [render_recipient(m) for m in found]
        out.echo_json(
            {"campaign_id": campaign_id, "status": str(view.status), "data": rows}
            | {"next_before": next_before}
        )
        return
    if not found:
        click.echo(f"campaign {campaign_id} ({view.status}) has no messages to show")
        return
    out.echo_table(
        ["ID", "TO", "STATUS", "ERROR", "SEGMENTS", "PRICE", "UPDATED"],
        [
            [
                str(m.id),
                m.recipient,
                str(m.status),
                out.shown(m.error_code),
                str(m.segments),
                format_credits(m.price_micros),
                out.shown_time(m.updated_at),
            ]
            for m in found
        ],
        right=(0, 4, 5),
    )
    if next_before is not None:
        click.echo(f"more: --before {next_before}", err=True)
