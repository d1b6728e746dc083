"""`smsgate lists ...`: an account's contact lists, CSV import and export, contacts one by one.

`import` streams the file (memory stays flat whatever its size) with a progress bar on stderr
when it is a terminal; `--report FILE` gets every problem row, the summary the first ones
(printing: cli/list_output.py). `export` writes while it reads, so it prints from inside the
event loop.
"""

from __future__ import annotations

import csv
import os
import sys
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import asdict
from typing import IO, TextIO, TypeVar

import click

from smsgate import errors
from smsgate.bootstrap import Gateway
from smsgate.cli import output as out
from smsgate.cli.list_output import (
    ImportMeter,
    contact_json,
    counts_json,
    echo_contacts,
    echo_report,
    list_json,
    report_json,
)
from smsgate.cli.runtime import CliContext
from smsgate.domain.accounts import Account
from smsgate.domain.contacts import ContactInput, ContactList, ImportReport, RowProblem
from smsgate.services.contacts import AddOutcome, ContactPage

T = TypeVar("T")

account_option = click.option(
    "--account", "-a", "username", required=True, metavar="USERNAME", help="The lists' owner."
)


def run_on_list(
    obj: CliContext,
    username: str,
    name: str,
    work: Callable[[Gateway, Account, ContactList], Awaitable[T]],
) -> T:
    """Run `work` on the account's list of that name (NotFound when it has none)."""

    async def session(gw: Gateway) -> T:
        account = await gw.accounts.get(username)
        return await work(gw, account, await gw.contacts.list_named(account, name))

    return obj.run(session)


@click.group()
def lists() -> None:
    """Contact lists: import CSV files, export them, add and remove contacts."""


@lists.command(name="create")
@click.argument("name")
@account_option
@out.json_option
@click.pass_obj
def create_list(obj: CliContext, name: str, username: str, as_json: bool) -> None:
    """Create an empty list NAME."""

    async def create(gw: Gateway) -> ContactList:
        return await gw.contacts.create_list(await gw.accounts.get(username), name)

    created = obj.run(create)
    if as_json:
        out.echo_json(list_json(created))
    else:
        click.echo(f"created list {out.heading(created.name)} (id {created.id})")


@lists.command(name="list")
@account_option
@out.json_option
@click.pass_obj
def list_lists(obj: CliContext, username: str, as_json: bool) -> None:
    """The account's lists and their sizes."""

    async def read(gw: Gateway) -> list[ContactList]:
        return await gw.contacts.lists(await gw.accounts.get(username))

    found = obj.run(read)
    if as_json:
        out.echo_json([list_json(item) for item in found])
        return
    if not found:
        click.echo(f"{username} has no lists yet; create one with `smsgate lists create`")
        return
    out.echo_table(
        ["ID", "NAME", "CONTACTS", "CREATED"],
        [[str(f.id), f.name, f"{f.size:,}", out.shown_time(f.created_at)] for f in found],
        right=(0, 2),
    )


@lists.command(name="show")
@click.argument("name")
@account_option
@click.option("--limit", type=click.IntRange(1, 1000), default=20, show_default=True)
@out.json_option
@click.pass_obj
def show_list(obj: CliContext, name: str, username: str, limit: int, as_json: bool) -> None:
    """Show list NAME and its first contacts."""

    async def read(
        gw: Gateway, account: Account, found: ContactList
    ) -> tuple[ContactList, ContactPage]:
        return found, await gw.contacts.search(account, found.id, limit=limit)

    found, page = run_on_list(obj, username, name, read)
    if as_json:
        out.echo_json(list_json(found) | {"contacts": [contact_json(c) for c in page.contacts]})
        return
    out.echo_fields(
        [
            ("list", out.heading(found.name)),
            ("id", str(found.id)),
            ("contacts", f"{found.size:,}"),
            ("created", out.shown_time(found.created_at)),
        ]
    )
    if page.contacts:
        click.echo()
        echo_contacts(page.contacts)
    if page.next_after is not None:
        click.echo(f"more: `smsgate lists search {name} -a {username} --after {page.next_after}`")


@lists.command(name="delete")
@click.argument("name")
@account_option
@out.json_option
@click.pass_obj
def delete_list(obj: CliContext, name: str, username: str, as_json: bool) -> None:
    """Delete list NAME (its contacts stay in the account's other lists)."""

    async def delete(gw: Gateway, account: Account, found: ContactList) -> ContactList:
        await gw.contacts.delete_list(account, found.id)
        return found

    found = run_on_list(obj, username, name, delete)
    if as_json:
        out.echo_json(list_json(found) | {"deleted": True})
    else:
        click.echo(f"deleted list {found.name} ({found.size:,} memberships)")


def file_lines(handle: IO[bytes], meter: ImportMeter) -> Iterator[str]:
    """The file's lines as UTF-8 text (a BOM dropped), counting the bytes read."""
    for number, raw in enumerate(handle, start=1):
        meter.bytes_read += len(raw)
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise errors.InvalidRequest(f"line {number} of the file is not UTF-8 text") from exc
        yield line.removeprefix("\ufeff") if number == 1 else line


@lists.command(name="import")
@click.argument("file", type=click.File("rb"))
@click.option("--list", "name", required=True, help="The list to import into.")
@account_option
@click.option("--create", is_flag=True, help="Create the list if there is none of that name.")
@click.option(
    "--report",
    "report",
    type=click.File("w", encoding="utf-8", lazy=False),
    help="Write every problem row (row,value,reason) to this CSV file.",
)
@out.json_option
@click.pass_obj
def import_file(
    obj: CliContext,
    file: IO[bytes],
    name: str,
    username: str,
    create: bool,
    report: TextIO | None,
    as_json: bool,
) -> None:
    """Import a CSV FILE into a list: a header with a number column (number, phone, mobile or
    msisdn), optionally name, and any other columns as custom fields."""
    try:
        size = os.fstat(file.fileno()).st_size
    except (OSError, ValueError):  # stdin or a pipe: no size to show progress against
        size = 0
    meter = ImportMeter(size, show=not as_json and sys.stderr.isatty())
    writer = None if report is None else csv.writer(report, lineterminator="\n")
    if writer is not None:
        writer.writerow(["row", "value", "reason"])

    def sink(problem: RowProblem) -> None:
        if writer is not None:
            writer.writerow([problem.row, problem.value, str(problem.reason)])

    async def work(gw: Gateway) -> ImportReport:
        account = await gw.accounts.get(username)
        if create:
            found, _ = await gw.contacts.ensure_list(account, name)
        else:
            found = await gw.contacts.list_named(account, name)
        lines = file_lines(file, meter)
        return await gw.contacts.import_csv(
            account, found.id, lines, progress=meter.update, problems=sink
        )

    try:
        done = obj.run(work)
    finally:
        meter.finish()
    if as_json:
        out.echo_json(report_json(done))
    else:
        echo_report(name, done, meter.elapsed_s(), None if report is None else report.name)


@lists.command(name="export")
@click.argument("name")
@account_option
@click.option(
    "--output",
    "-o",
    type=click.File("w", encoding="utf-8", lazy=False),
    default="-",
    help="Write here rather than to stdout.",
)
@click.pass_obj
def export_list(obj: CliContext, name: str, username: str, output: TextIO) -> None:
    """Write list NAME as CSV: number,name,<fields...>,opted_out."""

    async def export(gw: Gateway, account: Account, found: ContactList) -> None:
        async for line in await gw.contacts.export_csv(account, found.id):
            output.write(line)

    run_on_list(obj, username, name, export)


def field_pair(value: str) -> tuple[str, str]:
    key, sep, text = value.partition("=")
    if not sep or not key.strip():
        raise click.BadParameter(f"expected KEY=VALUE, got {value!r}", param_hint="--field")
    return key.strip(), text


@lists.command(name="add")
@click.argument("name")
@click.argument("numbers", metavar="NUMBER...", nargs=-1, required=True)
@account_option
@click.option("--name", "contact_name", help="The contact's name (one NUMBER only).")
@click.option(
    "--field",
    "field_values",
    metavar="KEY=VALUE",
    multiple=True,
    help="A custom field (one NUMBER only); repeat for several.",
)
@out.json_option
@click.pass_obj
def add_contacts(
    obj: CliContext,
    name: str,
    numbers: tuple[str, ...],
    username: str,
    contact_name: str | None,
    field_values: tuple[str, ...],
    as_json: bool,
) -> None:
    """Add numbers to list NAME."""
    if (contact_name is not None or field_values) and len(numbers) > 1:
        raise click.UsageError("--name and --field describe one contact: give one NUMBER")
    fields = dict(field_pair(value) for value in field_values)
    entries = [ContactInput(number, contact_name, fields) for number in numbers]

    async def add(gw: Gateway, account: Account, found: ContactList) -> AddOutcome:
        return await gw.contacts.add_contacts(account, found.id, entries)

    outcome = run_on_list(obj, username, name, add)
    if as_json:  # verdicts and reasons are StrEnums: JSON strings as they are
        verdicts = [asdict(v) for v in outcome.verdicts]
        out.echo_json({"counts": counts_json(outcome.report), "contacts": verdicts})
        return
    click.echo(f"{outcome.report.added} of {len(numbers)} added to {name}")
    out.echo_table(
        ["INPUT", "NUMBER", "VERDICT"],
        [[v.input, out.shown(v.number), str(v.reason or v.verdict)] for v in outcome.verdicts],
    )


@lists.command(name="remove")
@click.argument("name")
@click.argument("numbers", metavar="NUMBER...", nargs=-1, required=True)
@account_option
@out.json_option
@click.pass_obj
def remove_contacts(
    obj: CliContext, name: str, numbers: tuple[str, ...], username: str, as_json: bool
) -> None:
    """Take numbers out of list NAME (the contacts stay in their other lists)."""

    async def remove(gw: Gateway, account: Account, found: ContactList) -> int:
        return await gw.contacts.remove_contacts(account, found.id, numbers)

    removed = run_on_list(obj, username, name, remove)
    if as_json:
        out.echo_json({"name": name, "removed": removed})
    else:
        click.echo(f"{removed} of {len(numbers)} removed from {name}")


@lists.command(name="search")
@click.argument("name")
@click.argument("term", required=False)
@account_option
@click.option("--limit", type=click.IntRange(1, 1000), default=50, show_default=True)
@click.option("--after", type=int, help="Contact id: the page after it (as printed).")
@out.json_option
@click.pass_obj
def search_list(
    obj: CliContext,
    name: str,
    term: str | None,
    username: str,
    limit: int,
    after: int | None,
    as_json: bool,
) -> None:
    """Contacts of list NAME; TERM is a number (or its start) or part of a name."""

    async def search(gw: Gateway, account: Account, found: ContactList) -> ContactPage:
        return await gw.contacts.search(account, found.id, term, after=after, limit=limit)

    page = run_on_list(obj, username, name, search)
    if as_json:
        out.echo_json(
            {"data": [contact_json(c) for c in page.contacts], "next_after": page.next_after}
        )
        return
    if not page.contacts:
        click.echo("no contacts found")
        return
    echo_contacts(page.contacts)
    if page.next_after is not None:
        click.echo(f"next page: --after {page.next_after}")
