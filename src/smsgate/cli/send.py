"""`smsgate send`: send a text as an account, as its API would, and show what happened."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import click

from smsgate.bootstrap import Gateway
from smsgate.cli import output as out
from smsgate.cli.params import TIME
from smsgate.cli.runtime import CliContext
from smsgate.domain.money import format_credits
from smsgate.domain.recipients import Recipient
from smsgate.services.sending import SendOutcome, SendRequest


def outcome_json(outcome: SendOutcome) -> dict[str, Any]:
    return {
        "batch_id": outcome.batch_id,
        "test": outcome.test,
        "status": str(outcome.status),
        "schedule_at": out.iso(outcome.scheduled_at),
        "encoding": str(outcome.plan.encoding),
        "segments": outcome.plan.segments,
        "cost": format_credits(outcome.cost_micros),
        "balance": format_credits(outcome.balance_micros),
        "counts": {"total": len(outcome.verdicts)}
        | {str(verdict): n for verdict, n in outcome.counts.items()},
        "messages": [
            {
                "id": m.id,
                "to": m.recipient,
                "status": str(m.status),
                "segments": m.segments,
                "price": format_credits(m.price_micros),
            }
            for m in outcome.messages
        ],
        "refused": [
            {"input": v.raw, "number": v.number, "verdict": str(v.verdict)}
            for v in outcome.verdicts
            if not v.accepted
        ],
    }


def echo_outcome(outcome: SendOutcome) -> None:
    count = len(outcome.messages)
    what = f"{count} message{'s' if count != 1 else ''}"
    if outcome.test:
        headline = f"test only, nothing sent: {what} would be {outcome.status}"
    else:
        headline = f"batch {outcome.batch_id}: {what} {outcome.status}"
    click.echo(out.heading(headline))
    segments = outcome.plan.segments
    out.echo_fields(
        [
            ("text", f"{segments} segment{'s' if segments != 1 else ''} ({outcome.plan.encoding})"),
            ("scheduled", out.shown_time(outcome.scheduled_at)),
            ("cost", out.credits(outcome.cost_micros)),
            ("balance", out.credits(outcome.balance_micros)),
            ("verdicts", ", ".join(f"{v} {n}" for v, n in outcome.counts.items() if n)),
        ],
        indent=2,
    )
    if outcome.messages:
        click.echo()
        out.echo_table(
            ["ID", "TO", "STATUS", "PRICE"],
            [
                [out.shown(m.id), m.recipient, str(m.status), format_credits(m.price_micros)]
                for m in outcome.messages
            ],
            right=(0, 3),
        )
    refused = [v for v in outcome.verdicts if not v.accepted]
    if refused:
        click.echo()
        out.echo_table(
            ["REFUSED", "VERDICT"],
            [[v.raw, str(v.verdict)] for v in refused],
            colour=lambda column, text: out.bad(text) if column == 1 else text,
        )


@click.command()
@click.argument("username")
@click.option(
    "--to",
    "recipients",
    metavar="NUMBER",
    multiple=True,
    required=True,
    help="A recipient number; repeat for several.",
)
@click.option("--text", required=True, help="The message text.")
@click.option("--sender", help="A sender id or number of the account.")
@click.option("--schedule-at", type=TIME, help="ISO 8601 time with an offset.")
@click.option("--unicode", "force_unicode", is_flag=True, help="Send as UCS-2 even if GSM-7 fits.")
@click.option("--flash", is_flag=True, help="Show on the screen without storing (class 0).")
@click.option("--test", is_flag=True, help="Check and price only: nothing is charged or sent.")
@out.json_option
@click.pass_obj
def send(
    obj: CliContext,
    username: str,
    recipients: tuple[str, ...],
    text: str,
    sender: str | None,
    schedule_at: datetime | None,
    force_unicode: bool,
    flash: bool,
    test: bool,
    as_json: bool,
) -> None:
    """Send a text as USERNAME to the --to numbers, charged to its credit."""
    request = SendRequest(
        recipients=[Recipient(raw) for raw in recipients],
        text=text,
        sender=sender,
        scheduled_at=schedule_at,
        force_unicode=force_unicode,
        flash=flash,
        test=test,
    )

    async def submit(gw: Gateway) -> SendOutcome:
        account = await gw.accounts.get(username)
        return await gw.sending.send(account, request)

    outcome = obj.run(submit)
    if as_json:
        out.echo_json(outcome_json(outcome))
    else:
        echo_outcome(outcome)
