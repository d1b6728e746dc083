"""The CLI's one error table: domain error class -> exit code, and the boundary that uses it.

Every command runs inside `ErrorBoundaryGroup.invoke`, which prints `error: <message>` to
stderr and exits with the code the table gives; no command catches domain errors itself.
"""

from __future__ import annotations

from enum import IntEnum
from typing import Any

import click

from smsgate import errors as e
from smsgate.domain.money import format_credits


class ExitCode(IntEnum):
    OK = 0
    FAILURE = 1
    INVALID = 2  # also what click answers to a usage error
    NOT_FOUND = 3
    CONFLICT = 4
    INSUFFICIENT_CREDIT = 5


EXIT_CODES: dict[type[e.GatewayError], ExitCode] = {
    e.GatewayError: ExitCode.FAILURE,
    e.InvalidRequest: ExitCode.INVALID,
    e.NoRecipients: ExitCode.INVALID,
    e.TooManyRecipients: ExitCode.INVALID,
    e.EmptyText: ExitCode.INVALID,
    e.TextTooLong: ExitCode.INVALID,
    e.InvalidSchedule: ExitCode.INVALID,
    e.AuthenticationFailed: ExitCode.FAILURE,
    e.AccountRefused: ExitCode.FAILURE,
    e.AccountBlocked: ExitCode.FAILURE,
    e.AccountInactive: ExitCode.FAILURE,
    e.AccountExpired: ExitCode.FAILURE,
    e.ServiceNotEnabled: ExitCode.FAILURE,
    e.WebServiceDisabled: ExitCode.FAILURE,
    e.SenderRefused: ExitCode.FAILURE,
    e.SenderNotAllowed: ExitCode.FAILURE,
    e.SenderLineInactive: ExitCode.FAILURE,
    e.FilteredContent: ExitCode.FAILURE,
    e.DailyLimitReached: ExitCode.FAILURE,
    e.NoDeliverableRecipients: ExitCode.FAILURE,
    e.InsufficientCredit: ExitCode.INSUFFICIENT_CREDIT,
    e.NotFound: ExitCode.NOT_FOUND,
    e.Conflict: ExitCode.CONFLICT,
    e.InvalidTransition: ExitCode.FAILURE,
}


class CommandFailed(Exception):
    """A failure the CLI itself detects (no domain rule involved), with its exit code."""

    def __init__(self, message: str, exit_code: ExitCode = ExitCode.FAILURE) -> None:
        super().__init__(message)
        self.message = message
        self.exit_code = exit_code


def exit_code_for(exc: e.GatewayError) -> ExitCode:
    """The code of the nearest class of `exc` in the table (GatewayError is always there)."""
    for cls in type(exc).__mro__:
        if issubclass(cls, e.GatewayError) and cls in EXIT_CODES:
            return EXIT_CODES[cls]
    raise LookupError(type(exc))  # unreachable: GatewayError is in the table


# Detail keys that hold micro-credits although their names do not say so.
MONEY_DETAILS = frozenset({"needed", "balance"})


def echo_error(message: str, details: dict[str, Any] | None = None) -> None:
    click.echo(f"{click.style('error:', fg='red', bold=True)} {message}", err=True)
    for key, value in (details or {}).items():
        if isinstance(value, str | int) and str(value) in message:
            continue  # the message says it already
        if isinstance(value, dict):
            value = ", ".join(f"{k} {v}" for k, v in value.items())
        elif isinstance(value, int) and (key in MONEY_DETAILS or key.endswith("_micros")):
            value = f"{format_credits(value)} credits"
        click.echo(f"  {key.removesuffix('_micros')}: {value}", err=True)


class ErrorBoundaryGroup(click.Group):
    """The root group: turns domain and CLI failures into a message and an exit code."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except e.GatewayError as exc:
            echo_error(exc.message, exc.details)
            ctx.exit(exit_code_for(exc))
        except CommandFailed as exc:
            echo_error(exc.message)
            ctx.exit(exc.exit_code)
