"""The control port over real HTTP, and the `smsgate smsc-sim` command (in-process for
`inject`, as a subprocess for the simulator itself)."""

from __future__ import annotations

import asyncio
import json
import signal
import sys

import httpx
import pytest
from click.testing import CliRunner, Result

from smsgate.cli import cli
from smsgate.simulator import SmscSimulator
from smsgate.simulator.control import MAX_BODY_BYTES
from smsgate.smpp import BindType, DeliverSm, SubmitSm, SubmitSmResp, connect, receipt_from_pdu
from tests.simulator.conftest import WAIT_S, Bind, Inbox, StartSimulator

pytestmark = pytest.mark.e2e


async def control_client(simulator: SmscSimulator) -> httpx.AsyncClient:
    port = await simulator.start_control("127.0.0.1", 0)
    return httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=WAIT_S)


async def raw_request(port: int, data: bytes) -> tuple[int, dict[str, object]]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(data)
    await writer.drain()
    async with asyncio.timeout(WAIT_S):
        answer = await reader.read()
    writer.close()
    await writer.wait_closed()
    head, _, body = answer.partition(b"\r\n\r\n")
    return int(head.split(b" ")[1]), json.loads(body)


async def test_post_mo_returns_202_and_delivers_it(
    start_simulator: StartSimulator, bind: Bind
) -> None:
    simulator = await start_simulator()
    inbox = Inbox()
    await bind(simulator, bind=BindType.RECEIVER, inbox=inbox)

    async with await control_client(simulator) as http:
        response = await http.post(
            "/mo", json={"from": "+447700900123", "to": "1234", "text": "hi"}
        )
    [pdu] = await inbox.wait_for(1)

    assert response.status_code == 202
    assert response.json() == {"parts": 1}
    assert isinstance(pdu, DeliverSm)
    assert (pdu.source_addr, pdu.destination_addr, pdu.short_message) == (
        "447700900123",
        "1234",
        b"hi",
    )


async def test_get_stats_returns_the_counters(start_simulator: StartSimulator, bind: Bind) -> None:
    simulator = await start_simulator()
    client = await bind(simulator)
    await client.submit(SubmitSm(destination_addr="1234"))

    async with await control_client(simulator) as http:
        response = await http.get("/stats")

    assert response.status_code == 200
    figures = response.json()
    assert figures["binds"] == 1
    assert figures["submits"] == 1
    assert figures["connections"] == 1


async def test_post_drop_cuts_the_connections(start_simulator: StartSimulator, bind: Bind) -> None:
    simulator = await start_simulator()
    client = await bind(simulator)

    async with await control_client(simulator) as http:
        response = await http.post("/drop")
    await asyncio.wait_for(client.wait_closed(), WAIT_S)

    assert response.status_code == 200
    assert response.json() == {"dropped": 1}


@pytest.mark.parametrize(
    ("body", "status"),
    [
        (b"{not json", 400),
        (b"[1, 2]", 400),
        (b'{"from": "+1", "to": "2"}', 400),
        (b'{"from": "+1", "to": "2", "text": 5}', 400),
        (b'{"from": "+1", "to": "2", "text": "x", "data_coding": "8"}', 400),
        (b'{"from": "+1", "to": "2", "text": "x", "data_coding": 4}', 400),
        (b'{"from": "+1", "to": "2", "text": "hello"}', 409),  # no receiver bound
    ],
)
async def test_post_mo_refuses_bad_bodies(
    start_simulator: StartSimulator, body: bytes, status: int
) -> None:
    simulator = await start_simulator()

    async with await control_client(simulator) as http:
        response = await http.post("/mo", content=body)

    assert response.status_code == status
    assert "error" in response.json()


async def test_unknown_path_404_and_wrong_method_405(start_simulator: StartSimulator) -> None:
    simulator = await start_simulator()

    async with await control_client(simulator) as http:
        missing = await http.get("/nothing")
        wrong = await http.get("/mo")

    assert missing.status_code == 404
    assert wrong.status_code == 405


@pytest.mark.parametrize(
    ("request_bytes", "status"),
    [
        (b"GARBAGE\r\n\r\n", 400),
        (b"GET /stats HTTP/1.1\r\nno colon here\r\n\r\n", 400),
        (b"POST /mo HTTP/1.1\r\nContent-Length: abc\r\n\r\n", 400),
        (b"POST /mo HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n", 411),
        (f"POST /mo HTTP/1.1\r\nContent-Length: {MAX_BODY_BYTES + 1}\r\n\r\n".encode(), 413),
        (b"GET /stats HTTP/1.1\r\n" + b"X-A: b\r\n" * 100 + b"\r\n", 431),
        (b"GET /" + b"a" * 10_000 + b" HTTP/1.1\r\n\r\n", 400),
    ],
    ids=["request-line", "header", "length", "chunked", "too-large", "headers", "long-line"],
)
async def test_malformed_http_answered_with_an_error(
    start_simulator: StartSimulator, request_bytes: bytes, status: int
) -> None:
    simulator = await start_simulator()
    port = await simulator.start_control("127.0.0.1", 0)

    answered, body = await raw_request(port, request_bytes)

    assert answered == status
    assert "error" in body


# -- the command line ----------------------------------------------------------------------


def invoke(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


async def test_cli_inject_posts_the_mo(start_simulator: StartSimulator, bind: Bind) -> None:
    simulator = await start_simulator()
    inbox = Inbox()
    await bind(simulator, bind=BindType.RECEIVER, inbox=inbox)
    port = await simulator.start_control("127.0.0.1", 0)

    result = await asyncio.to_thread(
        invoke,
        *("smsc-sim", "inject", "--control-port", str(port)),
        *("--from", "+447700900123", "--to", "1234", "--text", "Привет"),
    )
    [pdu] = await inbox.wait_for(1)

    assert result.exit_code == 0, result.output
    assert "MO accepted, 1 part" in result.output
    assert isinstance(pdu, DeliverSm)
    assert pdu.short_message.decode("utf-16-be") == "Привет"


async def test_cli_inject_without_receiver_fails_with_the_reason(
    start_simulator: StartSimulator,
) -> None:
    simulator = await start_simulator()
    port = await simulator.start_control("127.0.0.1", 0)

    result = await asyncio.to_thread(
        invoke,
        *("smsc-sim", "inject", "--control-port", str(port)),
        *("--from", "1", "--to", "2", "--text", "x"),
    )

    assert result.exit_code == 1
    assert "no receiver" in result.output


def test_cli_inject_to_a_closed_port_fails() -> None:
    result = invoke(
        "smsc-sim", "inject", "--control-port", "1", "--from", "1", "--to", "2", "--text", "x"
    )

    assert result.exit_code == 1
    assert "cannot reach" in result.output


def test_cli_refuses_outcome_shares_that_are_all_zero() -> None:
    result = invoke("smsc-sim", "--delivered", "0")

    assert result.exit_code == 2
    assert "outcome share" in result.output


async def test_cli_runs_the_simulator_until_sigterm() -> None:
    process = await asyncio.create_subprocess_exec(
        *(sys.executable, "-m", "smsgate.cli", "smsc-sim", "--json", "--log-level", "WARNING"),
        *("--port", "0", "--control-port", "0", "--receipt-delay", "0", "--id-format", "decimal"),
        stdout=asyncio.subprocess.PIPE,
    )
    assert process.stdout is not None
    try:
        async with asyncio.timeout(20.0):
            banner = json.loads(await process.stdout.readline())
        inbox = Inbox()
        client = await connect("127.0.0.1", banner["smpp_port"], "esme", "pw", on_deliver=inbox)
        response = await client.submit(SubmitSm(destination_addr="1234", registered_delivery=1))
        [pdu] = await inbox.wait_for(1)
        async with httpx.AsyncClient(timeout=WAIT_S) as http:
            stats = await http.get(f"http://127.0.0.1:{banner['control_port']}/stats")
        await client.unbind(timeout_s=2.0)
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
        async with asyncio.timeout(10.0):
            returncode = await process.wait()

    assert isinstance(response, SubmitSmResp)
    assert response.message_id == "2684354560"
    receipt = receipt_from_pdu(pdu)
    assert receipt is not None
    assert receipt.message_id == "2684354560"
    assert stats.json()["submits"] == 1
    assert returncode == 0
