"""How `smsgate lists` prints: lists, contacts and import reports as tables or JSON, and the
import's progress bar (stderr, redrawn on one line, only when stderr is a terminal)."""

from __future__ import annotations

import time
from dataclasses import asdict
from typing import Any

import click

from smsgate.cli import output as out
from smsgate.domain.contacts import Contact, ContactList, ImportReport

SHOWN_PROBLEMS = 10
BAR_WIDTH = 24


def list_json(found: ContactList) -> dict[str, Any]:
    return asdict(found) | {"created_at": out.iso(found.created_at)}


def contact_json(contact: Contact) -> dict[str, Any]:
    return asdict(contact) | {"created_at": out.iso(contact.created_at)}


def counts_json(report: ImportReport) -> dict[str, int]:
    names = ("rows", "imported", "updated", "added", "invalid", "duplicate")
    return {name: getattr(report, name) for name in names}


def report_json(report: ImportReport) -> dict[str, Any]:
    problems = [asdict(p) for p in report.problems]
    return {
        "counts": counts_json(report),
        "problems": problems,
        "left_out": report.problems_left_out,
    }


def echo_contacts(contacts: list[Contact]) -> None:
    out.echo_table(
        ["ID", "NUMBER", "NAME", "FIELDS", "OPTED OUT"],
        [
            [
                str(c.id),
                c.number,
                out.shown(c.name),
                out.shown(dict(c.fields)),
                out.shown(c.opted_out),
            ]
            for c in contacts
        ],
        right=(0,),
        colour=lambda column, text: (
            out.bad(text) if column == 4 and text.strip() == "yes" else text
        ),
    )


class ImportMeter:
    """The progress bar: rows done, rows per second, and how far into the file."""

    def __init__(self, total_bytes: int, show: bool) -> None:
        self.total_bytes = max(total_bytes, 1)
        self.bytes_read = 0
        self.show = show
        self.started = time.monotonic()

    def elapsed_s(self) -> float:
        return max(time.monotonic() - self.started, 1e-6)

    def line(self, rows: int) -> str:
        share = min(self.bytes_read / self.total_bytes, 1.0)
        filled = round(share * BAR_WIDTH)
        bar = "#" * filled + "." * (BAR_WIDTH - filled)
        rate = rows / self.elapsed_s()
        return f"[{bar}] {share:4.0%}  {rows:,} rows  {rate:,.0f} rows/s"

    def update(self, report: ImportReport) -> None:
        if self.show:
            click.echo("\r" + self.line(report.rows), nl=False, err=True)

    def finish(self) -> None:
        if self.show:
            click.echo(err=True)


def echo_report(name: str, report: ImportReport, elapsed_s: float, report_file: str | None) -> None:
    rate = report.rows / max(elapsed_s, 1e-6)
    click.echo(
        out.heading(
            f"imported into {name}: {report.rows:,} rows in {elapsed_s:.1f} s ({rate:,.0f} rows/s)"
        )
    )
    out.echo_fields(
        [
            ("new contacts", f"{report.imported:,}"),
            ("known contacts", f"{report.updated:,} (details updated)"),
            ("added to list", f"{report.added:,}"),
            ("duplicate", f"{report.duplicate:,} (in the list already)"),
            ("invalid", out.bad(f"{report.invalid:,}") if report.invalid else "0"),
        ],
        indent=2,
    )
    if report.problems:
        shown = report.problems[:SHOWN_PROBLEMS]
        total = report.invalid + report.duplicate
        click.echo()
        click.echo(f"problems ({len(shown)} of {total:,} shown):")
        out.echo_table(
            ["ROW", "VALUE", "REASON"],
            [[str(p.row), p.value, str(p.reason)] for p in shown],
            right=(0,),
        )
    if report_file is not None:
        click.echo(f"every problem row is in {report_file}")
