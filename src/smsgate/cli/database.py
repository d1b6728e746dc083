"""`smsgate db ...`: the database schema."""

from __future__ import annotations

import click

from smsgate.bootstrap import Gateway
from smsgate.cli import output as out
from smsgate.cli.runtime import CliContext
from smsgate.db.migrate import pending


@click.group()
def db() -> None:
    """Manage the database schema."""


@db.command()
@out.json_option
@click.pass_obj
def upgrade(obj: CliContext, as_json: bool) -> None:
    """Apply the migrations the database lacks (safe to run again)."""

    async def migrate(gw: Gateway) -> bool:
        behind = await pending(gw.store.engine)
        if behind:
            await gw.migrate()
        return behind

    applied = obj.run(migrate, migrate=False)
    if as_json:
        out.echo_json({"applied": applied})
    elif applied:
        click.echo(out.good("database schema upgraded to the latest version"))
    else:
        click.echo("database schema already up to date; nothing to do")
