"""Bad input of any kind gets SMSFactor's error form, never a stack trace, and charges and
queues nothing; the native API keeps its own error form."""

from __future__ import annotations

import copy
from collections.abc import AsyncIterator
from typing import Any

import httpx
import orjson
import pytest

from smsgate import errors
from smsgate.api.app import create_api
from smsgate.api.dialects.smsfactor.codes import MESSAGES, SMSFACTOR_ERRORS, Status, status_of
from smsgate.bootstrap import Gateway
from smsgate.domain.accounts import AccountStatus
from smsgate.services.accounts import NewAccount
from tests.api.dialects.conftest import SEED_JSON, table_counts

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<sms><message><text>&lol3;</text></message></sms>"""
EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE sms [<!ENTITY x SYSTEM "file:///etc/passwd">]>
<sms><message><text>&x;</text></message><recipients><gsm>33612345678</gsm></recipients></sms>"""
BARE_DTD = b"""<?xml version="1.0"?><!DOCTYPE sms SYSTEM "http://example.invalid/sms.dtd">
<sms><message><text>hi</text></message><recipients><gsm>33612345678</gsm></recipients></sms>"""


def seed_with(**message: Any) -> bytes:
    body = copy.deepcopy(SEED_JSON)
    body["sms"]["message"].update(message)
    return orjson.dumps(body)


def seed_with_gsm(gsm: Any) -> bytes:
    body = copy.deepcopy(SEED_JSON)
    body["sms"]["recipients"]["gsm"] = gsm
    return orjson.dumps(body)


@pytest.mark.parametrize("error", errors.leaf_errors(), ids=lambda c: c.__name__)
def test_smsfactor_error_table_names_every_leaf_error(error: type[errors.GatewayError]) -> None:
    assert error in SMSFACTOR_ERRORS
    assert status_of(error("boom")) < 0


def test_smsfactor_every_status_has_its_message() -> None:
    assert set(MESSAGES) == set(Status)


@pytest.mark.parametrize(
    ("body", "content_type", "status"),
    [
        (b"", "application/json", -7),
        (b"   ", None, -7),
        (b"{bad", "application/json", -6),
        (b"[1, 2]", "application/json", -7),
        (b'{"sms": []}', "application/json", -7),
        (b'{"sms": {"message": {"text": "hi"}}}', "application/json", -7),
        (b"<sms><message><text>unclosed</message></sms>", "application/xml", -2),
        (b"<sms>", None, -2),
        (BILLION_LAUGHS, "application/xml", -2),
        (EXTERNAL_ENTITY, "application/xml", -2),
        (BARE_DTD, "application/xml", -2),
        (b"<other/>", "application/xml", -7),
        (b"<sms>" + b"<a>" * 50_000 + b"</a>" * 50_000 + b"</sms>", "application/xml", -2),
        (b"<sms><message><text><b>x</b></text></message></sms>", "text/xml", -7),
        (seed_with(text=5), "application/json", -7),
        (seed_with(text=None), "application/json", -7),
        (seed_with(text=""), "application/json", -7),
        (seed_with(text="x" * 1531), "application/json", -7),
        (seed_with(unicode="yes"), "application/json", -7),
        (seed_with(unicode=2), "application/json", -7),
        (seed_with(pushtype="spam"), "application/json", -7),
        (seed_with(sender=["Illidan"]), "application/json", -7),
        (seed_with(sender="Arthas"), "application/json", -7),
        (seed_with(delay="01/12/2026 10:00"), "application/json", -4),
        (seed_with(delay=20261201), "application/json", -4),
        (seed_with(delay="2099-01-01 00:00:00"), "application/json", -4),
        (seed_with(links=["https://example.invalid"]), "application/json", -7),
        (seed_with_gsm([]), "application/json", -7),
        (seed_with_gsm([{"gsmsmsid": "1"}]), "application/json", -7),
        (seed_with_gsm([{"value": ["33612345678"]}]), "application/json", -7),
        (seed_with_gsm([{"value": "33612345678", "gsmsmsid": "x" * 65}]), "application/json", -7),
        (seed_with_gsm([{"value": "12"}, {"value": "abc"}]), "application/json", -7),
        (seed_with_gsm([{"value": "33612345678"}] * 1001), "application/json", -7),
    ],
)
async def test_smsfactor_bad_campaign_vendor_error_nothing_stored(
    client: httpx.AsyncClient,
    gateway: Gateway,
    sf_json: dict[str, str],
    body: bytes,
    content_type: str | None,
    status: int,
) -> None:
    headers = dict(sf_json)
    if content_type is not None:
        headers["Content-Type"] = content_type
    response = await client.post("/smsfactor/send", content=body, headers=headers)
    assert response.status_code == 200
    data = response.json()
    assert data["status"] == status
    assert data["message"] == MESSAGES[Status(status)]
    assert isinstance(data["details"], str)
    assert "Traceback" not in response.text
    assert await table_counts(gateway) == (0, 0, 100_000_000)


@pytest.mark.parametrize(
    "params",
    [
        {"text": "hi"},
        {"to": "33612345678"},
        {"to": "33612345678", "text": "hi", "delay": "soon"},
        {"to": "33612345678", "text": "hi", "unicode": "2"},
    ],
)
async def test_smsfactor_bad_single_message_vendor_error_nothing_stored(
    client: httpx.AsyncClient, gateway: Gateway, sf_json: dict[str, str], params: dict[str, str]
) -> None:
    response = await client.get("/smsfactor/send", params=params, headers=sf_json)
    assert response.status_code == 200
    assert response.json()["status"] in (-4, -7)
    assert await table_counts(gateway) == (0, 0, 100_000_000)


async def test_smsfactor_not_enough_credits_is_minus_3_and_charges_nothing(
    client: httpx.AsyncClient, gateway: Gateway, sf_json: dict[str, str]
) -> None:
    await gateway.accounts.add_credit("factor", -99_000_000, "almost all")
    response = await client.post("/smsfactor/send", json=SEED_JSON, headers=sf_json)
    assert response.json()["status"] == -3
    assert await table_counts(gateway) == (0, 0, 1_000_000)


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer"},
        {"Authorization": "Basic Zm9vOmJhcg=="},
        {"Authorization": "Bearer sgk_000000000000_" + "a" * 43},
        {"Authorization": "Bearer eyJ0eXAiOiJKV1QiLCJhbGciOiJIUzI1NiJ9.e30.x"},
    ],
)
async def test_smsfactor_missing_or_wrong_token_is_minus_1(
    client: httpx.AsyncClient, gateway: Gateway, sf_token: str, headers: dict[str, str]
) -> None:
    headers = headers | {"Accept": "application/json"}
    response = await client.post("/smsfactor/send", json=SEED_JSON, headers=headers)
    assert response.status_code == 200
    assert response.json()["status"] == -1
    assert await table_counts(gateway) == (0, 0, 100_000_000)


async def test_smsfactor_blocked_account_is_minus_1(
    client: httpx.AsyncClient, gateway: Gateway, sf_json: dict[str, str]
) -> None:
    await gateway.accounts.set_status("factor", AccountStatus.BLOCKED)
    response = await client.get("/smsfactor/credits", headers=sf_json)
    assert response.json() == {
        "status": -1,
        "message": "Authentication error",
        "details": "the account is blocked",
    }


@pytest.mark.parametrize(
    ("accept", "content_type", "marker"),
    [
        ("application/json", "application/json", b'"status":-7'),
        ("application/xml", "application/xml", b"<status>-7</status>"),
    ],
)
async def test_smsfactor_body_over_the_limit_is_413_in_vendor_form(
    client: httpx.AsyncClient,
    gateway: Gateway,
    sf_token: str,
    accept: str,
    content_type: str,
    marker: bytes,
) -> None:
    huge = b"<sms>" + b" " * (gateway.settings.max_body_bytes + 1) + b"</sms>"
    headers = {"Authorization": f"Bearer {sf_token}", "Accept": accept}
    response = await client.post("/smsfactor/send", content=huge, headers=headers)
    assert response.status_code == 413
    assert response.headers["content-type"] == content_type
    assert marker in response.content
    assert await table_counts(gateway) == (0, 0, 100_000_000)


async def test_smsfactor_chunked_body_over_the_limit_is_413_in_vendor_form(
    client: httpx.AsyncClient, gateway: Gateway, sf_json: dict[str, str]
) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(gateway.settings.max_body_bytes // 65536 + 2):
            yield b" " * 65536

    response = await client.post("/smsfactor/send", content=chunks(), headers=sf_json)
    assert response.status_code == 413
    assert response.json()["status"] == -7


async def test_native_api_keeps_its_own_413_and_404(
    client: httpx.AsyncClient, gateway: Gateway, auth: dict[str, str]
) -> None:
    huge = b"x" * (gateway.settings.max_body_bytes + 1)
    too_large = await client.post("/api/v1/messages", content=huge, headers=auth)
    missing = await client.get("/api/v1/nowhere", headers=auth)
    assert too_large.status_code == 413
    assert too_large.json()["error"]["code"] == "body_too_large"
    assert missing.json()["error"]["code"] == "not_found"


@pytest.mark.parametrize(
    ("method", "path", "http_status"),
    [
        ("GET", "/smsfactor/lists", 404),
        ("POST", "/smsfactor/send/lists", 405),  # /send/{ticket} exists for DELETE
        ("GET", "/smsfactor/", 404),
        ("PUT", "/smsfactor/send", 405),
        ("POST", "/smsfactor/credits", 405),
        ("DELETE", "/smsfactor/campaign/1", 405),
    ],
)
async def test_smsfactor_unknown_operation_vendor_form(
    client: httpx.AsyncClient, sf_json: dict[str, str], method: str, path: str, http_status: int
) -> None:
    response = await client.request(method, path, headers=sf_json)
    assert response.status_code == http_status
    assert response.json()["status"] == -99


@pytest.mark.parametrize("ticket", ["abc", "1.5", "9" * 30, "-1"])
async def test_smsfactor_unreadable_ticket_is_a_data_error(
    client: httpx.AsyncClient, sf_json: dict[str, str], ticket: str
) -> None:
    response = await client.get(f"/smsfactor/campaign/{ticket}", headers=sf_json)
    assert response.json()["status"] == -7


async def test_smsfactor_unexpected_failure_is_500_in_vendor_form(
    gateway: Gateway, sf_json: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(*_args: object) -> int:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(gateway.queries, "balance", broken)
    transport = httpx.ASGITransport(app=create_api(gateway), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://gateway.test") as c:
        response = await c.get("/smsfactor/credits", headers=sf_json)
    assert response.status_code == 500
    assert response.json() == {
        "status": -99,
        "message": "Unknown error",
        "details": "an unexpected error occurred",
    }


async def test_smsfactor_other_accounts_campaign_is_not_found(
    client: httpx.AsyncClient, gateway: Gateway, sf_json: dict[str, str]
) -> None:
    ticket = (await client.post("/smsfactor/send", json=SEED_JSON, headers=sf_json)).json()[
        "ticket"
    ]
    _, other = await gateway.accounts.create(
        NewAccount(username="mallory", password="secret-pw", credit_micros=0, country="FR")
    )
    headers = {"Authorization": f"Bearer {other.key}", "Accept": "application/json"}
    seen = await client.get(f"/smsfactor/campaign/{ticket}", headers=headers)
    cancelled = await client.delete(f"/smsfactor/send/{ticket}", headers=headers)
    assert seen.json()["status"] == -7
    assert cancelled.json()["status"] == -7
    assert await table_counts(gateway) == (1, 2, 98_000_000)
