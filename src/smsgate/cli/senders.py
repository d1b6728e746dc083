"""`smsgate senders ...` and `smsgate numbers ...`: who an account may send as.

A sender id (alphanumeric, e.g. "ACME") is allowed per account; a number (line) belongs to one
account, is a sender for its messages and the destination of its inbound ones.
"""

from __future__ import annotations

import click

from smsgate.cli import output as out
from smsgate.cli.runtime import CliContext


@click.group()
def senders() -> None:
    """Allow sender ids for an account."""


@senders.command(name="add")
@click.argument("username")
@click.argument("sender")
@out.json_option
@click.pass_obj
def add_sender(obj: CliContext, username: str, sender: str, as_json: bool) -> None:
    """Allow SENDER (1 to 20 characters) as a sender id of the account."""
    account = obj.run(lambda gw: gw.accounts.add_sender(username, sender))
    allowed = sorted(account.allowed_senders)
    if as_json:
        out.echo_json({"username": account.username, "allowed_senders": allowed})
    else:
        click.echo(f"{account.username} may now send as: {out.shown(allowed)}")


@click.group()
def numbers() -> None:
    """Give numbers (lines) to an account."""


@numbers.command(name="add")
@click.argument("username")
@click.argument("number")
@click.option("--inactive", is_flag=True, help="Add the line switched off.")
@out.json_option
@click.pass_obj
def add_number(obj: CliContext, username: str, number: str, inactive: bool, as_json: bool) -> None:
    """Give NUMBER (a phone number or short code) to the account, or switch it on or off."""
    line = obj.run(lambda gw: gw.accounts.add_line(username, number, active=not inactive))
    if as_json:
        out.echo_json({"username": username, "number": line.number, "active": line.active})
    else:
        state = out.good("active") if line.active else out.bad("inactive")
        click.echo(f"{line.number} belongs to {username} ({state})")


@numbers.command(name="list")
@click.argument("username")
@out.json_option
@click.pass_obj
def list_numbers(obj: CliContext, username: str, as_json: bool) -> None:
    """List the account's numbers."""
    lines = obj.run(lambda gw: gw.accounts.lines(username))
    if as_json:
        out.echo_json([{"number": line.number, "active": line.active} for line in lines])
        return
    if not lines:
        click.echo(f"{username} has no numbers")
        return
    out.echo_table(
        ["NUMBER", "ACTIVE"],
        [[line.number, out.shown(line.active)] for line in lines],
        colour=lambda column, text: out.status_colour(text) if column == 1 else text,
    )
