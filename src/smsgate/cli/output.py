"""How commands print: JSON for machines, aligned tables and fields for people.

Colours come from `click.style`; `click.echo` drops them when the stream is not a terminal.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

import click

from smsgate.domain.money import format_credits

json_option = click.option(
    "--json", "as_json", is_flag=True, help="Print machine-readable JSON instead of text."
)
NOTHING = "-"


def echo_json(value: Any) -> None:
    """Credits are already decimal strings and times ISO strings: no float, no guessing."""
    click.echo(json.dumps(value, indent=2, ensure_ascii=False))


def iso(value: datetime | None) -> str | None:
    """ISO 8601 in UTC, with a Z; None stays None."""
    if value is None:
        return None
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def shown_time(value: datetime | None) -> str:
    if value is None:
        return NOTHING
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def credits(micros: int) -> str:
    amount = format_credits(micros)
    return f"{amount} credit" if amount in ("1", "-1") else f"{amount} credits"


def shown(value: object) -> str:
    """A value for a person: nothing as '-', lists as comma-separated, booleans as yes/no."""
    if value is None or value == "":
        return NOTHING
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list | tuple | frozenset | set):
        return ", ".join(str(v) for v in value) or NOTHING
    if isinstance(value, dict):
        return ", ".join(f"{k}={v}" for k, v in value.items()) or NOTHING
    return str(value)


def heading(text: str) -> str:
    return click.style(text, bold=True)


def good(text: str) -> str:
    return click.style(text, fg="green")


def bad(text: str) -> str:
    return click.style(text, fg="red")


def secret(text: str) -> str:
    """Something shown once (a password, an API key): make it stand out."""
    return click.style(text, fg="yellow", bold=True)


def echo_fields(fields: Sequence[tuple[str, str]], indent: int = 0) -> None:
    """Label/value lines with the values aligned."""
    width = max((len(label) for label, _ in fields), default=0)
    for label, value in fields:
        click.echo(f"{' ' * indent}{label.ljust(width)}  {value}")


def echo_table(
    headers: Sequence[str],
    rows: Sequence[Sequence[str]],
    *,
    right: Sequence[int] = (),
    colour: Callable[[int, str], str] | None = None,
) -> None:
    """An aligned table; `right` lists the columns of numbers, `colour(column, text)` may
    style a cell after padding (styles must not count in the widths)."""
    widths = [len(h) for h in headers]
    for row in rows:
        widths = [max(w, len(cell)) for w, cell in zip(widths, row, strict=True)]

    def line(cells: Sequence[str], style: Callable[[int, str], str] | None) -> str:
        padded = []
        for i, (cell, width) in enumerate(zip(cells, widths, strict=True)):
            last = i == len(widths) - 1
            text = cell.rjust(width) if i in right else cell if last else cell.ljust(width)
            padded.append(style(i, text) if style else text)
        return "  ".join(padded)

    click.echo(line(headers, lambda _i, text: heading(text)))
    for row in rows:
        click.echo(line(row, colour))


def status_colour(value: str) -> str:
    """Green for the good states, red for the ones that stop traffic."""
    word = value.strip()
    if word in ("active", "queued", "accepted", "yes"):
        return good(value)
    if word in ("blocked", "inactive", "revoked", "expired", "no"):
        return bad(value)
    return value
