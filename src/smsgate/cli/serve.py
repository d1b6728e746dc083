"""`smsgate serve`: the HTTP APIs under uvicorn, on the same event loop as the gateway.

The schema is changed only on request (--migrate, --demo); a database behind the code is
refused with a hint instead of being served half-working.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import secrets
import signal
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass

import click
import uvicorn

from smsgate import errors
from smsgate.bootstrap import Gateway
from smsgate.cli import output as out
from smsgate.cli.delivery import delivery_running, demo_carrier, echo_demo_carrier
from smsgate.cli.errors import CommandFailed
from smsgate.cli.runtime import CliContext
from smsgate.cli.workers import fork_workers, workers_stopped_after
from smsgate.db.migrate import pending
from smsgate.domain.accounts import Service
from smsgate.domain.money import MICROS_PER_CREDIT
from smsgate.services.accounts import NewAccount

log = logging.getLogger(__name__)

DEMO_USERNAME = "demo"
DEMO_CREDIT_MICROS = 1000 * MICROS_PER_CREDIT
LOG_FORMAT = "%(asctime)s %(levelname)-7s %(name)s [%(event)s] %(message)s"
EXAMPLE_BODY = '{"to": ["+33612345678"], "text": "Hello"}'


@dataclass(frozen=True, slots=True)
class DemoAccess:
    username: str
    password: str | None  # only when the account was created just now
    api_key: str


async def ensure_demo_account(gateway: Gateway) -> DemoAccess:
    """Create the demo account on first use; later, issue it a fresh API key."""
    try:
        await gateway.accounts.get(DEMO_USERNAME)
    except errors.NotFound:
        password = secrets.token_urlsafe(12)
        new = NewAccount(
            DEMO_USERNAME,
            password,
            credit_micros=DEMO_CREDIT_MICROS,
            services=frozenset({Service.SMS, Service.MMS}),
        )
        _, issued = await gateway.accounts.create(new)
        return DemoAccess(DEMO_USERNAME, password, issued.key)
    issued = await gateway.accounts.create_key(DEMO_USERNAME, label="demo")
    return DemoAccess(DEMO_USERNAME, None, issued.key)


def base_url(public_url: str | None, host: str, port: int) -> str:
    """The URL clients use: the configured public one, else the bound address."""
    if public_url:
        return public_url.rstrip("/")
    if host in ("", "0.0.0.0", "::"):  # noqa: S104 -- compared, not bound
        host = "127.0.0.1"
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}"


def curl_example(url: str, api_key: str) -> str:
    return (
        f"curl -X POST {url}/api/v1/messages \\\n"
        f'  -H "Authorization: Bearer {api_key}" \\\n'
        '  -H "Content-Type: application/json" \\\n'
        f"  -d '{EXAMPLE_BODY}'"
    )


def echo_banner(url: str, demo: DemoAccess | None, as_json: bool) -> None:
    if as_json:
        # One line, so that a script can read it while the server runs.
        demo_json = None
        if demo is not None:
            demo_json = {
                "username": demo.username,
                "password": demo.password,
                "api_key": demo.api_key,
            }
        click.echo(json.dumps({"base_url": url, "demo": demo_json}))
        return
    click.echo(
        f"{out.heading('smsgate')} serving at {url}  (health: {url}/health, docs: {url}/docs)"
    )
    if demo is None:
        return
    password = (
        out.secret(demo.password) if demo.password else "(shown when the account was created)"
    )
    click.echo()
    click.echo(out.heading("Demo account"))
    out.echo_fields(
        [
            ("username", demo.username),
            ("password", password),
            ("API key", out.secret(demo.api_key)),
        ],
        indent=2,
    )
    click.echo()
    click.echo(out.heading("Send a first message:"))
    click.echo(curl_example(url, demo.api_key))
    click.echo()


def configure_logging(level: str) -> None:
    """One handler on the root logger; uvicorn's loggers propagate to it."""

    def default_event(record: logging.LogRecord) -> bool:
        record.__dict__.setdefault("event", "-")
        return True

    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter(LOG_FORMAT))
    handler.addFilter(default_event)
    logging.basicConfig(level=level, handlers=[handler])


class GatewayServer(uvicorn.Server):
    """uvicorn's server, except that a signal only asks it to stop.

    uvicorn re-raises SIGINT/SIGTERM once it has stopped, which would end the process before
    the gateway is closed; here the signal just stops the server and `serve` returns.
    """

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        loop = asyncio.get_running_loop()
        stops = (signal.SIGINT, signal.SIGTERM)
        for sig in stops:
            loop.add_signal_handler(sig, self.handle_exit, sig, None)
        try:
            yield
        finally:
            for sig in stops:
                loop.remove_signal_handler(sig)


async def check_schema(gateway: Gateway, *, migrated: bool) -> None:
    """Refuse a database behind the code, with a hint, instead of serving it half-working."""
    if not migrated and await pending(gateway.store.engine):
        raise CommandFailed(
            "the database schema is not up to date: run `smsgate db upgrade` first "
            "(or start with `smsgate serve --migrate`)"
        )


async def serve_gateway(
    gateway: Gateway, sock: socket.socket, *, demo: bool, migrated: bool, as_json: bool
) -> None:
    """The parent process: banner, demo account and carrier, dispatcher, HTTP on `sock`."""
    settings = gateway.settings
    await check_schema(gateway, migrated=migrated)
    access = await ensure_demo_account(gateway) if demo else None
    host, port = sock.getsockname()[:2]  # the real port: --port 0 takes a free one
    echo_banner(base_url(settings.public_url, host, port), access, as_json)
    async with contextlib.AsyncExitStack() as stack:
        if access is not None:
            carrier = await stack.enter_async_context(demo_carrier(gateway, access.username))
            if not as_json:
                echo_demo_carrier(carrier)
        if settings.dispatch:
            await stack.enter_async_context(delivery_running(gateway))
        await _serve_http(gateway, sock)


def listening_socket(host: str, port: int, *, shared: bool = False) -> socket.socket:
    """A TCP socket bound to host:port (0: any free port), handed to uvicorn.

    `shared`: SO_REUSEPORT, so that each worker process binds its own socket to the same port
    and the kernel spreads new connections over them. (One socket inherited by every
    worker is not enough: the first process to wake accepts every waiting connection.)
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP spelled out: asyncio sets TCP_NODELAY on accepted connections only when the
    # socket says so, and without it every response after the first on a keep-alive
    # connection waited ~40 ms for the client's delayed ACK (Nagle on the body's write).
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if shared:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise CommandFailed(f"cannot listen on {host}:{port}: {exc.strerror}") from exc
    return sock


async def _serve_http(gateway: Gateway, sock: socket.socket) -> None:
    from smsgate.api.app import create_api  # the web stack, only for this command

    settings = gateway.settings
    host, port = sock.getsockname()[:2]
    config = uvicorn.Config(
        create_api(gateway),
        host=host,
        port=port,
        log_level=settings.log_level.lower(),
        log_config=None,  # configure_logging did it, once
        server_header=False,
    )
    log.info("serving on %s:%d", host, port, extra={"event": "server_starting"})
    with sock:
        await GatewayServer(config).serve(sockets=[sock])
    log.info("server stopped", extra={"event": "server_stopped"})


@click.command()
@click.option("--host", help="Address to listen on (default: SMSGATE_HOST).")
@click.option("--port", type=click.IntRange(0, 65535), help="Port (default: SMSGATE_PORT).")
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    help="HTTP processes sharing the port (default: SMSGATE_WORKERS, 1).",
)
@click.option(
    "--demo",
    is_flag=True,
    help="Migrate, create a 'demo' account (or a fresh key for it) and print it.",
)
@click.option(
    "--migrate", "apply_migrations", is_flag=True, help="Apply pending migrations before serving."
)
@out.json_option
@click.pass_obj
def serve(
    obj: CliContext,
    host: str | None,
    port: int | None,
    workers: int | None,
    demo: bool,
    apply_migrations: bool,
    as_json: bool,
) -> None:
    """Serve the HTTP APIs until interrupted (Ctrl-C or SIGTERM)."""
    settings = obj.settings
    configure_logging(settings.log_level)
    migrate = demo or apply_migrations
    processes = settings.workers if workers is None else workers
    if processes > 1:
        # The schema first, in a session of its own: no worker may start on an old one.
        obj.run(lambda gw: check_schema(gw, migrated=migrate), migrate=migrate)
    # Bound before the banner, so that it names the real port, and before the workers fork,
    # so that they bind theirs to the same one.
    sock = listening_socket(
        host or settings.host, settings.port if port is None else port, shared=processes > 1
    )

    def worker() -> None:
        address = sock.getsockname()[:2]
        sock.close()  # the parent's: this process accepts on its own
        own = listening_socket(address[0], address[1], shared=True)
        obj.run(lambda gw: _serve_http(gw, own), migrate=False)

    pids = fork_workers(processes - 1, worker)
    with workers_stopped_after(pids):
        obj.run(
            lambda gw: serve_gateway(
                gw, sock, demo=demo, migrated=migrate or processes > 1, as_json=as_json
            ),
            migrate=migrate and processes == 1,
        )
