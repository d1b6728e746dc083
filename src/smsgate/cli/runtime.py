"""What every command shares: the settings, read once, and one gateway per command.

A command gathers its input, calls `CliContext.run` with one coroutine (one event loop, one
gateway, closed afterwards), then prints the result. Only `serve` prints from inside the loop,
its banner, before it starts serving.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from typing import TypeVar

import click
from pydantic import ValidationError
from sqlalchemy import exc as sa_exc

from smsgate.bootstrap import Gateway, build_gateway
from smsgate.cli.errors import CommandFailed, ExitCode, echo_error
from smsgate.settings import Settings, load_settings

T = TypeVar("T")

# Failures to reach or open the database; anything else from SQLAlchemy is a bug to report.
DATABASE_UNAVAILABLE = (sa_exc.OperationalError, sa_exc.InterfaceError, OSError)


class CliContext:
    """The root group's object: holds `--config` and loads the settings on first use."""

    def __init__(self, config_file: str | None) -> None:
        self.config_file = config_file
        self._settings: Settings | None = None

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            try:
                self._settings = load_settings(env_file=self.config_file)
            except ValidationError as exc:
                for problem in settings_problems(exc):
                    echo_error(problem)
                raise click.exceptions.Exit(ExitCode.INVALID) from None
        return self._settings

    def run(self, work: Callable[[Gateway], Awaitable[T]], *, migrate: bool = True) -> T:
        """Build the gateway, bring the schema up to date (unless told not to), do `work`.

        Migrating first is idempotent and cheap, and lets a fresh install start with
        `smsgate accounts create`.
        """
        settings = self.settings

        async def session() -> T:
            gateway = build_gateway(settings)
            try:
                if migrate:
                    await gateway.migrate()
                return await work(gateway)
            finally:
                await gateway.close()

        try:
            return asyncio.run(session())
        except DATABASE_UNAVAILABLE as exc:
            raise CommandFailed(f"cannot use the database: {database_reason(exc)}") from exc


def settings_problems(exc: ValidationError) -> Iterator[str]:
    """One line per bad setting, named as the variable that holds it."""
    prefix = str(Settings.model_config.get("env_prefix", ""))
    for problem in exc.errors():
        name = prefix + "_".join(str(part) for part in problem["loc"]).upper()
        yield f"invalid setting {name}: {problem['msg']}"


def database_reason(exc: BaseException) -> str:
    reason = exc.orig if isinstance(exc, sa_exc.DBAPIError) and exc.orig else exc
    return (str(reason).strip().splitlines() or [type(reason).__name__])[0]
