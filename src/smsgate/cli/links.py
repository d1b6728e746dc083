"""`smsgate links ...` and `smsgate routes ...`: carrier links (SMPP binds) and routing rules.

A link's password is sent to the carrier on every bind, so it is stored as given; it is never
printed (`***` in its place) and may come from an environment variable or a hidden prompt
rather than the command line, to stay out of the shell history.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import MISSING, asdict, fields
from enum import Enum
from typing import Any, TypeVar

import click

from smsgate.bootstrap import Gateway
from smsgate.cli import output as out
from smsgate.cli.params import COUNTRY
from smsgate.cli.runtime import CliContext
from smsgate.domain.accounts import Service
from smsgate.domain.links import BindMode, Link, LinkSettings, LongMethod, ReceiptIdFormat
from smsgate.domain.routing import Route, RouteTable

F = TypeVar("F", bound=Callable[..., Any])

HIDDEN = "***"
ANY = "any"
BIND_WORDS = {
    "transceiver": BindMode.TRANSCEIVER,
    "transmitter-receiver": BindMode.TRANSMITTER_RECEIVER,
}


def default_of(cls: type[Any], name: str) -> Any:
    """A dataclass field's default, so that help texts show the domain's own defaults."""
    for found in fields(cls):
        if found.name == name and found.default is not MISSING:
            return found.default
    raise LookupError(f"{cls.__name__}.{name} has no default")


def bind_word(mode: BindMode) -> str:
    return next(word for word, known in BIND_WORDS.items() if known is mode)


class BindChoice(click.Choice[str]):
    """`transceiver` or `transmitter-receiver`; the JSON spelling with '_' is accepted too."""

    def __init__(self) -> None:
        super().__init__(list(BIND_WORDS))

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        return super().convert(str(value).replace("_", "-"), param, ctx)


def link_json(link: Link) -> dict[str, Any]:
    values = {
        key: str(value) if isinstance(value, BindMode | LongMethod | ReceiptIdFormat) else value
        for key, value in asdict(link.settings).items()
    }
    return {"id": link.id} | values | {"password": HIDDEN, "created_at": out.iso(link.created_at)}


def seconds(value: float) -> str:
    return f"{value:g} s"


def echo_link(link: Link) -> None:
    s = link.settings
    out.echo_fields(
        [
            ("name", out.heading(s.name)),
            ("id", str(link.id)),
            ("enabled", out.status_colour(out.shown(s.enabled))),
            ("address", f"{s.host}:{s.port}"),
            ("system id", s.system_id),
            ("password", HIDDEN),
            ("system type", out.shown(s.system_type)),
            ("bind", f"{bind_word(s.bind_mode)} x {s.binds}"),
            ("window", str(s.window)),
            ("max per second", "unlimited" if s.max_per_second is None else str(s.max_per_second)),
            ("enquire link", f"every {seconds(s.enquire_link_s)}"),
            ("reconnect", f"{seconds(s.reconnect_min_s)} to {seconds(s.reconnect_max_s)}"),
            ("source TON/NPI", f"{s.source_ton}/{s.source_npi}"),
            ("dest TON/NPI", f"{s.dest_ton}/{s.dest_npi}"),
            ("data coding", str(s.data_coding)),
            ("long messages", str(s.long_method)),
            ("receipt ids", str(s.receipt_id_format)),
            ("created", out.shown_time(link.created_at)),
        ]
    )


def read_password(password: str | None, password_env: str | None) -> str:
    """From --password, from the variable --password-env names, or asked for (hidden)."""
    if password is not None and password_env is not None:
        raise click.UsageError("give --password or --password-env, not both")
    if password_env is not None:
        value = os.environ.get(password_env)
        if value is None:
            raise click.BadParameter(f"{password_env} is not set", param_hint="--password-env")
        return value
    if password is not None:
        return password
    # On stderr, so that `--json` output stays parseable.
    return str(click.prompt("Password", hide_input=True, confirmation_prompt=True, err=True))


@click.group()
def links() -> None:
    """Connect to carriers: SMPP links and how they bind."""


def link_option(name: str, *decls: str, **attrs: Any) -> Callable[[F], F]:
    """An option whose default is LinkSettings' own."""
    default = default_of(LinkSettings, name)
    if isinstance(default, Enum):
        default = default.value
    return click.option(*decls, name, default=default, show_default=True, **attrs)


@links.command(name="add")
@click.argument("name")
@click.option("--host", required=True, help="The carrier's SMPP server.")
@click.option("--port", type=int, required=True)
@click.option("--system-id", required=True, help="The account name the carrier gave you.")
@click.option("--password", help="Up to 8 characters; prefer --password-env or the prompt.")
@click.option("--password-env", metavar="VAR", help="Read the password from this variable.")
@link_option("system_type", "--system-type", help="Sent in the bind, if the carrier wants one.")
@click.option(
    "--bind",
    "bind",
    type=BindChoice(),
    default=bind_word(default_of(LinkSettings, "bind_mode")),
    show_default=True,
    help="One transceiver session per bind, or a transmitter and a receiver.",
)
@link_option("binds", "--binds", type=int, help="Sessions to open (1-32).")
@link_option("window", "--window", type=int, help="Requests in flight per session.")
@click.option("--max-per-second", type=int, help="Submits per second over all binds [unlimited].")
@link_option("enquire_link_s", "--enquire-link", type=float, help="Keep-alive, in seconds.")
@link_option("reconnect_min_s", "--reconnect-min", type=float, help="First retry, in seconds.")
@link_option("reconnect_max_s", "--reconnect-max", type=float, help="Longest retry, in seconds.")
@link_option("source_ton", "--source-ton", type=int)
@link_option("source_npi", "--source-npi", type=int)
@link_option("dest_ton", "--dest-ton", type=int)
@link_option("dest_npi", "--dest-npi", type=int)
@link_option("data_coding", "--data-coding", type=int, help="For GSM-7 texts (0: SMSC default).")
@link_option(
    "long_method",
    "--long-method",
    type=click.Choice([str(m) for m in LongMethod]),
    help="How long texts are split: UDH, SAR TLVs, or one message_payload.",
)
@link_option(
    "receipt_id_format",
    "--receipt-id-format",
    type=click.Choice([str(f) for f in ReceiptIdFormat]),
    help="hex: receipts quote the decimal submit id in hex; decimal: the other way round.",
)
@click.option("--disabled", is_flag=True, help="Add the link switched off.")
@out.json_option
@click.pass_obj
def add_link(
    obj: CliContext,
    /,
    name: str,
    password: str | None,
    password_env: str | None,
    bind: str,
    long_method: str,
    receipt_id_format: str,
    disabled: bool,
    as_json: bool,
    **settings: Any,
) -> None:
    """Add a link to a carrier's SMPP server (the dispatcher binds the enabled ones)."""
    # `settings` holds the options named after LinkSettings fields (host, port, window, ...).
    new = LinkSettings(
        name=name,
        password=read_password(password, password_env),
        bind_mode=BIND_WORDS[bind],
        long_method=LongMethod(long_method),
        receipt_id_format=ReceiptIdFormat(receipt_id_format),
        enabled=not disabled,
        **settings,
    )
    link = obj.run(lambda gw: gw.links.add(new))
    if as_json:
        out.echo_json(link_json(link))
        return
    state = "enabled" if link.settings.enabled else out.bad("disabled")
    click.echo(f"added link {out.heading(link.name)} (id {link.id}, {state})")
    click.echo("Route traffic to it with `smsgate routes add`.")


def link_cells(link: Link) -> list[str]:
    s = link.settings
    return [
        s.name,
        f"{s.host}:{s.port}",
        s.system_id,
        bind_word(s.bind_mode),
        str(s.binds),
        str(s.window),
        out.shown(s.max_per_second),
        out.shown(s.enabled),
    ]


@links.command(name="list")
@out.json_option
@click.pass_obj
def list_links(obj: CliContext, as_json: bool) -> None:
    """List every link (passwords are never shown)."""
    found = obj.run(lambda gw: gw.links.list())
    if as_json:
        out.echo_json([link_json(link) for link in found])
        return
    if not found:
        click.echo("no links yet; add one with `smsgate links add`")
        return
    out.echo_table(
        ["NAME", "HOST:PORT", "SYSTEM_ID", "BIND", "BINDS", "WINDOW", "TPS", "ENABLED"],
        [link_cells(link) for link in found],
        right=(4, 5, 6),
        colour=lambda column, text: out.status_colour(text) if column == 7 else text,
    )


@links.command(name="show")
@click.argument("name")
@out.json_option
@click.pass_obj
def show_link(obj: CliContext, name: str, as_json: bool) -> None:
    """Show one link's settings."""
    link = obj.run(lambda gw: gw.links.get(name))
    if as_json:
        out.echo_json(link_json(link))
    else:
        echo_link(link)


@links.command(name="remove")
@click.argument("name")
@out.json_option
@click.pass_obj
def remove_link(obj: CliContext, name: str, as_json: bool) -> None:
    """Remove a link and every route to it."""
    obj.run(lambda gw: gw.links.remove(name))
    if as_json:
        out.echo_json({"name": name, "removed": True})
    else:
        click.echo(f"removed link {name} and its routes")


def _set_enabled(obj: CliContext, name: str, enabled: bool, as_json: bool) -> None:
    link = obj.run(lambda gw: gw.links.set_enabled(name, enabled))
    if as_json:
        out.echo_json(link_json(link))
    else:
        state = out.good("enabled") if link.settings.enabled else out.bad("disabled")
        click.echo(f"link {link.name} is now {state}")


@links.command(name="enable")
@click.argument("name")
@out.json_option
@click.pass_obj
def enable_link(obj: CliContext, name: str, as_json: bool) -> None:
    """Switch a link on: routes to it are used again."""
    _set_enabled(obj, name, True, as_json)


@links.command(name="disable")
@click.argument("name")
@out.json_option
@click.pass_obj
def disable_link(obj: CliContext, name: str, as_json: bool) -> None:
    """Switch a link off: routes to it are skipped, its settings and routes are kept."""
    _set_enabled(obj, name, False, as_json)


def route_json(route: Route, link: Link | None) -> dict[str, Any]:
    return {
        "id": route.id,
        "link_id": route.link_id,
        "link": None if link is None else link.name,
        "link_enabled": None if link is None else link.settings.enabled,
        "prefix": route.prefix,
        "region": route.region,
        "service": route.service,
        "priority": route.priority,
    }


def route_cells(route: Route, link: Link | None) -> list[str]:
    if link is None:  # removed since the routes were read
        name = f"#{route.link_id}"
    else:
        name = link.name if link.settings.enabled else f"{link.name} (disabled)"
    return [
        str(route.id),
        name,
        route.prefix or ANY,
        route.region or ANY,
        route.service or ANY,
        str(route.priority),
    ]


def in_dispatch_order(routes: Sequence[Route]) -> tuple[Route, ...]:
    """Every route, disabled links' included, in the order the dispatcher tries them."""
    return RouteTable(routes, {route.link_id for route in routes}).routes


@click.group()
def routes() -> None:
    """Choose which links carry which numbers."""


@routes.command(name="add")
@click.argument("link_name", metavar="LINK")
@click.option("--prefix", default="", help="Numbers starting with it, e.g. +33 [any number].")
@click.option("--country", type=COUNTRY, help="Numbers of this country, e.g. FR [any].")
@click.option("--service", type=click.Choice([str(s) for s in Service]), help="[any]")
@click.option(
    "--priority",
    type=int,
    default=default_of(Route, "priority"),
    show_default=True,
    help="Lower is tried first; at equal priority, the longer prefix.",
)
@out.json_option
@click.pass_obj
def add_route(
    obj: CliContext,
    link_name: str,
    prefix: str,
    country: str | None,
    service: str | None,
    priority: int,
    as_json: bool,
) -> None:
    """Send the numbers matching a prefix, a country and a service over LINK."""

    async def work(gw: Gateway) -> tuple[Route, Link]:
        route = await gw.links.add_route(
            link_name, prefix=prefix, region=country, service=service, priority=priority
        )
        return route, await gw.links.get(link_name)

    route, link = obj.run(work)
    if as_json:
        out.echo_json(route_json(route, link))
        return
    cells = route_cells(route, link)
    click.echo(
        f"route {cells[0]}: prefix {cells[2]}, country {cells[3]}, service {cells[4]}"
        f" -> link {cells[1]} (priority {cells[5]})"
    )


@routes.command(name="list")
@out.json_option
@click.pass_obj
def list_routes(obj: CliContext, as_json: bool) -> None:
    """List the routes in the order the dispatcher tries them."""

    async def work(gw: Gateway) -> tuple[list[Link], list[Route]]:
        return await gw.links.list(), await gw.links.routes()

    found_links, found_routes = obj.run(work)
    by_id = {link.id: link for link in found_links}
    ordered = in_dispatch_order(found_routes)
    if as_json:
        out.echo_json([route_json(r, by_id.get(r.link_id)) for r in ordered])
        return
    if not ordered:
        click.echo("no routes yet; add one with `smsgate routes add`")
        return
    out.echo_table(
        ["ID", "LINK", "PREFIX", "COUNTRY", "SERVICE", "PRIORITY"],
        [route_cells(r, by_id.get(r.link_id)) for r in ordered],
        right=(0, 5),
    )


@routes.command(name="remove")
@click.argument("route_id", metavar="ID", type=int)
@out.json_option
@click.pass_obj
def remove_route(obj: CliContext, route_id: int, as_json: bool) -> None:
    """Remove a route, by the id `smsgate routes list` shows."""
    obj.run(lambda gw: gw.links.remove_route(route_id))
    if as_json:
        out.echo_json({"id": route_id, "removed": True})
    else:
        click.echo(f"removed route {route_id}")
