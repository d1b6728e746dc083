"""Golden conversations: each request file under golden/payamak/{soap,rest} is sent in name
order to a fresh smsgate, and the answer must equal its response file byte for byte.

Requests named *.zeep.* and *.sdk.* were captured from zeep 4.3.3 and niazpardazSms 1.0.2 on
the wire; the others follow the seed's parameter lists in the styles of other stacks (see
golden/payamak/README.md). SMSGATE_UPDATE_GOLDEN=1 rewrites the response files: review the diff.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from smsgate.bootstrap import Gateway
from tests.api.dialects.payamak_setup import (
    REST,
    SVC,
    create_alice,
    receive,
    set_status,
)

GOLDEN = Path(__file__).parent / "golden" / "payamak"
UPDATE = os.environ.get("SMSGATE_UPDATE_GOLDEN") == "1"


def requests_in(kind: str) -> list[Path]:
    found = sorted((GOLDEN / kind).glob("*.request.*"))
    assert found, f"no golden requests in {kind}"
    return found


def check(request_file: Path, response: httpx.Response) -> None:
    expected = request_file.with_name(request_file.name.replace(".request.", ".response."))
    if UPDATE:
        expected.write_bytes(response.content)
    assert response.content == expected.read_bytes(), f"{request_file.name}: {response.text}"


@pytest.fixture
async def key(gateway: Gateway) -> str:
    """alice, and two messages received on her line before the conversation starts."""
    issued = await create_alice(gateway)
    await receive(
        gateway, "+989121112222", "سلام، وقت بخیر", datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
    )
    await receive(gateway, "+989121113333", "STOP", datetime(2026, 11, 22, 9, 5, tzinfo=UTC))
    return issued


async def test_payamak_golden_soap_conversation(
    client: httpx.AsyncClient, gateway: Gateway, key: str
) -> None:
    for request_file in requests_in("soap"):
        response = await client.post(
            SVC,
            content=request_file.read_bytes(),
            headers={"Content-Type": "text/xml; charset=utf-8"},
        )
        fault = b"<s:Fault>" in response.content
        assert response.status_code == (500 if fault else 200), request_file.name
        assert response.headers["content-type"] == "text/xml; charset=utf-8"
        check(request_file, response)
        if request_file.name.startswith("02_"):
            await set_status(gateway, 1, "delivered", "carrier-1")  # the handset got it


async def test_payamak_golden_rest_conversation(
    client: httpx.AsyncClient, gateway: Gateway, key: str
) -> None:
    for request_file in requests_in("rest"):
        operation = request_file.name.split("_", 1)[1].split(".", 1)[0]
        body = request_file.read_bytes()
        headers = {"Content-Type": "application/json"}
        if b'"userName"' not in body:
            headers["X-API-Key"] = key  # as the SDK sends it
        response = await client.post(f"{REST}/{operation}", content=body, headers=headers)
        success = response.json()["success"]
        assert (response.status_code == 200) is success, request_file.name
        check(request_file, response)
        if request_file.name.startswith("02_"):
            await set_status(gateway, 1, "delivered", "carrier-1")
