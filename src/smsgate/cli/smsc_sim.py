"""`smsgate smsc-sim`: the built-in SMSC simulator, until Ctrl-C or SIGTERM; and
`smsgate smsc-sim inject`, an MO sent through a running simulator's control port.

The simulator needs no database and no settings: every knob is an option.
"""

from __future__ import annotations

import asyncio
import http.client
import json
import logging
import signal
from typing import Any

import click

from smsgate.cli import output as out
from smsgate.cli.errors import CommandFailed, ExitCode
from smsgate.cli.serve import configure_logging
from smsgate.simulator import (
    IdFormat,
    OutcomeShares,
    ReceiptIdFormat,
    SimulatorConfig,
    SmscSimulator,
)

log = logging.getLogger(__name__)

DEFAULT_CONTROL_PORT = 2776
INJECT_TIMEOUT_S = 10.0
SHARE = click.FloatRange(0.0, 1.0)
WEIGHT = click.FloatRange(0.0)


def build_config(
    *,
    system_id: str | None,
    password: str | None,
    receipt_delay: float,
    receipt_retry: float,
    shares: OutcomeShares,
    error_code: int,
    throttle_rate: int | None,
    throttle_share: float,
    reject_share: float,
    drop_after: int | None,
    early_receipt_share: float,
    id_format: str,
    receipt_id_format: str,
    seed: int | None,
) -> SimulatorConfig:
    try:
        return SimulatorConfig(
            system_id=system_id,
            password=password,
            receipt_delay_s=receipt_delay,
            receipt_retry_s=receipt_retry,
            outcomes=shares,
            failure_error_code=error_code,
            throttle_per_second=throttle_rate,
            throttle_share=throttle_share,
            reject_share=reject_share,
            drop_after_submits=drop_after,
            receipt_before_response_share=early_receipt_share,
            id_format=IdFormat(id_format),
            receipt_id_format=ReceiptIdFormat(receipt_id_format),
            seed=seed,
        )
    except ValueError as exc:
        raise CommandFailed(str(exc), ExitCode.INVALID) from exc


async def run_simulator(
    config: SimulatorConfig, host: str, port: int, control_port: int | None, as_json: bool
) -> None:
    """Serve until SIGINT or SIGTERM, then unbind everyone and stop."""
    simulator = SmscSimulator(config)
    try:
        smpp_port = await simulator.start(host, port)
        bound_control = (
            await simulator.start_control(host, control_port) if control_port is not None else None
        )
    except OSError as exc:
        await simulator.close()
        raise CommandFailed(f"cannot listen on {host}: {exc.strerror or exc}") from exc
    echo_listening(host, smpp_port, bound_control, as_json)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
        log.info("simulator stopping", extra={"event": "simulator.stopping"})
        await simulator.close(timeout_s=2.0)


def echo_listening(host: str, smpp_port: int, control_port: int | None, as_json: bool) -> None:
    if as_json:
        # One line, so that a script can read it while the simulator runs.
        click.echo(json.dumps({"host": host, "smpp_port": smpp_port, "control_port": control_port}))
        return
    shown_host = f"[{host}]" if ":" in host else host
    click.echo(f"{out.heading('smsc-sim')} listening on smpp://{shown_host}:{smpp_port}")
    if control_port is not None:
        click.echo(f"  control: http://{shown_host}:{control_port} (POST /mo, GET /stats)")
    click.echo("  Ctrl-C to stop")


@click.group("smsc-sim", invoke_without_command=True)
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port", type=click.IntRange(0, 65535), default=2775, show_default=True, help="SMPP port."
)
@click.option(
    "--control-port",
    type=click.IntRange(0, 65535),
    default=DEFAULT_CONTROL_PORT,
    show_default=True,
    help="HTTP control port (0: any free port).",
)
@click.option("--no-control", is_flag=True, help="Do not open the control port.")
@click.option("--system-id", help="Accept only this system_id (default: any).")
@click.option("--password", help="Accept only this password (default: any).")
@click.option(
    "--receipt-delay",
    type=click.FloatRange(0.0),
    default=1.0,
    show_default=True,
    help="Seconds between submit_sm and its receipt.",
)
@click.option(
    "--receipt-retry",
    type=click.FloatRange(0.0),
    default=1.0,
    show_default=True,
    help="Seconds before a receipt the ESME refused or left unanswered is sent again.",
)
@click.option("--delivered", type=WEIGHT, default=1.0, show_default=True, help="Share DELIVRD.")
@click.option("--undelivered", type=WEIGHT, default=0.0, show_default=True, help="Share UNDELIV.")
@click.option("--expired", type=WEIGHT, default=0.0, show_default=True, help="Share EXPIRED.")
@click.option("--rejected", type=WEIGHT, default=0.0, show_default=True, help="Share REJECTD.")
@click.option(
    "--error-code",
    type=click.IntRange(0, 999),
    default=1,
    show_default=True,
    help="The err: field of failed receipts.",
)
@click.option(
    "--throttle-rate",
    type=click.IntRange(0),
    help="Answer ESME_RTHROTTLED beyond this many submits per second and system_id.",
)
@click.option(
    "--throttle-share", type=SHARE, default=0.0, help="Share of submits answered RTHROTTLED."
)
@click.option(
    "--reject-share", type=SHARE, default=0.0, help="Share of submits refused (RINVDSTADR)."
)
@click.option("--drop-after", type=click.IntRange(0), help="Drop each connection after N submits.")
@click.option(
    "--early-receipt-share",
    type=SHARE,
    default=0.0,
    help="Share of receipts sent before the submit_sm_resp.",
)
@click.option(
    "--id-format",
    type=click.Choice([f.value for f in IdFormat]),
    default=IdFormat.HEX.value,
    show_default=True,
    help="Message ids in submit_sm_resp.",
)
@click.option(
    "--receipt-id-format",
    type=click.Choice([f.value for f in ReceiptIdFormat]),
    default=ReceiptIdFormat.SAME.value,
    show_default=True,
    help="Message ids in receipts.",
)
@click.option("--seed", type=int, help="Seed of the random draws (shares), for repeatable runs.")
@click.option(
    "--log-level",
    type=click.Choice(["DEBUG", "INFO", "WARNING", "ERROR"], case_sensitive=False),
    default="INFO",
    show_default=True,
)
@out.json_option
@click.pass_context
def smsc_sim(
    ctx: click.Context,
    host: str,
    port: int,
    control_port: int,
    no_control: bool,
    system_id: str | None,
    password: str | None,
    receipt_delay: float,
    receipt_retry: float,
    delivered: float,
    undelivered: float,
    expired: float,
    rejected: float,
    error_code: int,
    throttle_rate: int | None,
    throttle_share: float,
    reject_share: float,
    drop_after: int | None,
    early_receipt_share: float,
    id_format: str,
    receipt_id_format: str,
    seed: int | None,
    log_level: str,
    as_json: bool,
) -> None:
    """Run an SMSC simulator (SMPP 3.4) until interrupted (Ctrl-C or SIGTERM).

    It accepts binds, answers submit_sm with message ids, sends delivery receipts after
    --receipt-delay with the outcome shares given, and can throttle, reject and drop. MOs are
    injected through the control port: `smsgate smsc-sim inject`.
    """
    if ctx.invoked_subcommand is not None:
        return
    try:
        shares = OutcomeShares(delivered, undelivered, expired, rejected)
    except ValueError as exc:
        raise CommandFailed(str(exc), ExitCode.INVALID) from exc
    config = build_config(
        system_id=system_id,
        password=password,
        receipt_delay=receipt_delay,
        receipt_retry=receipt_retry,
        shares=shares,
        error_code=error_code,
        throttle_rate=throttle_rate,
        throttle_share=throttle_share,
        reject_share=reject_share,
        drop_after=drop_after,
        early_receipt_share=early_receipt_share,
        id_format=id_format,
        receipt_id_format=receipt_id_format,
        seed=seed,
    )
    configure_logging(log_level.upper())
    asyncio.run(run_simulator(config, host, port, None if no_control else control_port, as_json))


def post_mo(host: str, port: int, mo: dict[str, Any]) -> dict[str, Any]:
    """POST the MO to the control port; return the JSON answer or raise CommandFailed."""
    connection = http.client.HTTPConnection(host, port, timeout=INJECT_TIMEOUT_S)
    try:
        connection.request(
            "POST", "/mo", body=json.dumps(mo), headers={"Content-Type": "application/json"}
        )
        response = connection.getresponse()
        raw = response.read()
    except OSError as exc:
        raise CommandFailed(
            f"cannot reach the simulator's control port {host}:{port}: {exc}"
        ) from exc
    finally:
        connection.close()
    try:
        answer = json.loads(raw)
    except ValueError:
        answer = {"error": raw.decode("latin-1", "replace")[:200]}
    if response.status != 202:
        reason = answer.get("error") if isinstance(answer, dict) else None
        raise CommandFailed(f"the simulator refused the MO ({response.status}): {reason}")
    return answer if isinstance(answer, dict) else {}


@smsc_sim.command("inject")
@click.option("--host", default="127.0.0.1", show_default=True, help="The simulator's host.")
@click.option(
    "--control-port",
    type=click.IntRange(1, 65535),
    default=DEFAULT_CONTROL_PORT,
    show_default=True,
)
@click.option("--from", "source", required=True, help="The MO's sender (the handset).")
@click.option("--to", "destination", required=True, help="The number it was sent to.")
@click.option("--text", required=True, help="The message; long texts go in several parts.")
@click.option(
    "--data-coding",
    type=click.Choice(["0", "3", "8"]),
    help="0 GSM-7, 3 Latin-1, 8 UCS-2 (default: GSM-7 when the text fits, else UCS-2).",
)
@click.option("--system-id", help="Deliver to a receiver of this system_id only.")
@out.json_option
def inject(
    host: str,
    control_port: int,
    source: str,
    destination: str,
    text: str,
    data_coding: str | None,
    system_id: str | None,
    as_json: bool,
) -> None:
    """Inject an MO: the simulator sends it to a bound receiver as deliver_sm."""
    mo: dict[str, Any] = {"from": source, "to": destination, "text": text}
    if data_coding is not None:
        mo["data_coding"] = int(data_coding)
    if system_id is not None:
        mo["system_id"] = system_id
    answer = post_mo(host, control_port, mo)
    if as_json:
        out.echo_json(answer)
        return
    parts = answer.get("parts", 1)
    click.echo(f"MO accepted, {parts} part{'s' if parts != 1 else ''}")
