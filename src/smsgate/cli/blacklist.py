"""`smsgate blacklist ...`: numbers never sent to, for one account or for everyone (--global)."""

from __future__ import annotations

from collections.abc import Sequence

import click

from smsgate.cli import output as out
from smsgate.cli.runtime import CliContext

global_option = click.option(
    "--global", "everyone", is_flag=True, help="The global blacklist, for every account."
)


def split_owner(args: Sequence[str], everyone: bool) -> tuple[str | None, list[str]]:
    """`[USERNAME] NUMBER...`: the username comes first unless --global is given."""
    if everyone:
        return None, list(args)
    if len(args) < 2:
        raise click.UsageError("give USERNAME and at least one NUMBER, or --global NUMBER...")
    return args[0], list(args[1:])


def owner_name(username: str | None) -> str:
    return "the global blacklist" if username is None else f"{username}'s blacklist"


@click.group()
def blacklist() -> None:
    """Keep numbers from ever being sent to."""


@blacklist.command(name="add")
@click.argument("args", metavar="[USERNAME] NUMBER...", nargs=-1, required=True)
@global_option
@out.json_option
@click.pass_obj
def add_numbers(obj: CliContext, args: tuple[str, ...], everyone: bool, as_json: bool) -> None:
    """Add numbers to an account's blacklist, or to the global one."""
    username, found = split_owner(args, everyone)
    added = obj.run(lambda gw: gw.accounts.blacklist_add(username, found))
    if as_json:
        out.echo_json({"username": username, "global": username is None, "added": added})
    else:
        click.echo(f"{added} of {len(found)} added to {owner_name(username)}")


@blacklist.command(name="remove")
@click.argument("args", metavar="[USERNAME] NUMBER...", nargs=-1, required=True)
@global_option
@out.json_option
@click.pass_obj
def remove_numbers(obj: CliContext, args: tuple[str, ...], everyone: bool, as_json: bool) -> None:
    """Remove numbers from an account's blacklist, or from the global one."""
    username, found = split_owner(args, everyone)
    removed = obj.run(lambda gw: gw.accounts.blacklist_remove(username, found))
    if as_json:
        out.echo_json({"username": username, "global": username is None, "removed": removed})
    else:
        click.echo(f"{removed} of {len(found)} removed from {owner_name(username)}")


@blacklist.command(name="list")
@click.argument("username", required=False)
@global_option
@out.json_option
@click.pass_obj
def list_numbers(obj: CliContext, username: str | None, everyone: bool, as_json: bool) -> None:
    """List an account's blacklist (USERNAME) or the global one (--global)."""
    if everyone == (username is not None):
        raise click.UsageError("give either USERNAME or --global")
    listed = obj.run(lambda gw: gw.accounts.blacklist(username))
    if as_json:
        out.echo_json({"username": username, "global": username is None, "numbers": listed})
        return
    click.echo(out.heading(f"{owner_name(username)}: {len(listed)} numbers"))
    for number in listed:
        click.echo(f"  {number}")
