"""The `smsgate` command: global options, and every command group attached to it."""

from __future__ import annotations

import click

from smsgate import __version__
from smsgate.cli.accounts import accounts
from smsgate.cli.blacklist import blacklist
from smsgate.cli.campaigns import campaigns
from smsgate.cli.credit import credit, prices
from smsgate.cli.database import db
from smsgate.cli.delivery import dispatch
from smsgate.cli.errors import ErrorBoundaryGroup
from smsgate.cli.keys import keys
from smsgate.cli.links import links, routes
from smsgate.cli.lists import lists
from smsgate.cli.runtime import CliContext
from smsgate.cli.send import send
from smsgate.cli.senders import numbers, senders
from smsgate.cli.serve import serve
from smsgate.cli.smsc_sim import smsc_sim


@click.group(cls=ErrorBoundaryGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--config",
    "config_file",
    type=click.Path(exists=True, dir_okay=False),
    envvar="SMSGATE_CONFIG",
    help="A file of SMSGATE_* settings (environment variables still win).",
)
@click.version_option(__version__, prog_name="smsgate")
@click.pass_context
def cli(ctx: click.Context, config_file: str | None) -> None:
    """smsgate: a self-hosted SMS and MMS gateway.

    Settings come from SMSGATE_* environment variables (and --config); see `smsgate serve
    --help` to start, `smsgate serve --demo` to try it out.
    """
    ctx.obj = CliContext(config_file)


accounts.add_command(keys)
for command in (serve, db, accounts, credit, prices, senders, numbers, blacklist, send):
    cli.add_command(command)
cli.add_command(dispatch)
cli.add_command(smsc_sim)
cli.add_command(links)
cli.add_command(routes)
cli.add_command(lists)
cli.add_command(campaigns)


def main() -> None:
    """The console script."""
    cli(prog_name="smsgate")
