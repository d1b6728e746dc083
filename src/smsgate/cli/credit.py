"""`smsgate credit ...` and `smsgate prices ...`: money in (top-ups), and what sending costs."""

from __future__ import annotations

import click

from smsgate.bootstrap import Gateway
from smsgate.cli import output as out
from smsgate.cli.params import CREDITS
from smsgate.cli.runtime import CliContext
from smsgate.domain.accounts import Service
from smsgate.domain.money import format_credits
from smsgate.ports import LedgerEntry


def entry_json(entry: LedgerEntry) -> dict[str, object]:
    return {
        "id": entry.id,
        "amount": format_credits(entry.amount_micros),
        "kind": entry.kind,
        "batch_id": entry.batch_id,
        "note": entry.note,
        "created_at": out.iso(entry.created_at),
    }


@click.group()
def credit() -> None:
    """Top up, take back and inspect credit."""


# Unknown options are taken as arguments so that a negative AMOUNT (-5) needs no `--`.
@credit.command(context_settings={"ignore_unknown_options": True})
@click.argument("username")
@click.argument("amount_micros", metavar="AMOUNT", type=CREDITS)
@click.option("--note", help="Why, for the ledger (invoice number, refund reason...).")
@out.json_option
@click.pass_obj
def add(
    obj: CliContext, username: str, amount_micros: int, note: str | None, as_json: bool
) -> None:
    """Add AMOUNT credits (e.g. 12.5); a negative AMOUNT takes credit back."""
    account = obj.run(lambda gw: gw.accounts.add_credit(username, amount_micros, note))
    if as_json:
        out.echo_json(
            {
                "username": account.username,
                "amount": format_credits(amount_micros),
                "balance": format_credits(account.balance_micros),
            }
        )
        return
    sign = "+" if amount_micros > 0 else ""
    click.echo(
        f"{account.username}: {sign}{out.credits(amount_micros)}, "
        f"balance {out.heading(out.credits(account.balance_micros))}"
    )


@credit.command(name="show")
@click.argument("username")
@out.json_option
@click.pass_obj
def show_credit(obj: CliContext, username: str, as_json: bool) -> None:
    """Show the balance and every ledger line behind it."""

    async def read(gw: Gateway) -> tuple[int, list[LedgerEntry]]:
        account = await gw.accounts.get(username)
        return account.balance_micros, await gw.accounts.ledger(username)

    balance, entries = obj.run(read)
    ledger_total = sum(e.amount_micros for e in entries)
    if as_json:
        out.echo_json(
            {
                "username": username,
                "balance": format_credits(balance),
                "ledger_total": format_credits(ledger_total),
                "ledger": [entry_json(e) for e in entries],
            }
        )
        return
    out.echo_fields([("balance", out.heading(out.credits(balance)))])
    if ledger_total != balance:
        click.echo(out.bad(f"the ledger adds up to {out.credits(ledger_total)}, not the balance"))
    if not entries:
        click.echo("no ledger lines yet")
        return
    click.echo()
    out.echo_table(
        ["ID", "TIME", "KIND", "AMOUNT", "BATCH", "NOTE"],
        [
            [
                str(e.id),
                out.shown_time(e.created_at),
                e.kind,
                format_credits(e.amount_micros),
                out.shown(e.batch_id),
                out.shown(e.note),
            ]
            for e in entries
        ],
        right=(0, 3, 4),
    )


@click.group()
def prices() -> None:
    """Set what a message costs per destination country."""


@prices.command(name="set")
@click.argument("service", metavar="SERVICE", type=click.Choice([str(s) for s in Service]))
@click.argument("region", metavar="REGION")
@click.argument("price_micros", metavar="PRICE", type=CREDITS)
@out.json_option
@click.pass_obj
def set_price(obj: CliContext, service: str, region: str, price_micros: int, as_json: bool) -> None:
    """Set the PRICE in credits of one SMS segment or one MMS to REGION (ISO code, or * for
    every other country)."""
    chosen = Service(service)
    obj.run(lambda gw: gw.accounts.set_price(chosen, region, price_micros))
    if as_json:
        out.echo_json(
            {"service": service, "region": region.upper(), "price": format_credits(price_micros)}
        )
        return
    unit = "segment" if chosen is Service.SMS else "message"
    where = "any other country" if region == "*" else region.upper()
    click.echo(f"{service} to {where}: {out.credits(price_micros)} per {unit}")


@prices.command(name="list")
@out.json_option
@click.pass_obj
def list_prices(obj: CliContext, as_json: bool) -> None:
    """Show every price set; other countries cost the service's `*` price or the default."""
    table = obj.run(lambda gw: gw.accounts.price_table())
    listed = [
        {"service": str(service), "region": region, "price": format_credits(price)}
        for service, region, price in table.listed()
    ]
    defaults = {str(s): format_credits(table.default_price(s)) for s in Service}
    if as_json:
        out.echo_json({"prices": listed, "default": defaults})
        return
    for item in listed:
        where = "any other country" if item["region"] == "*" else item["region"]
        click.echo(f"{item['service']:<4} {where:<18} {item['price']}")
    for service, price in defaults.items():
        click.echo(f"{service:<4} {'(default)':<18} {price}")
