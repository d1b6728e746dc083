"""/api/v1/lists: lists, contacts, CSV import (streamed, size-limited) and export, tenants."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace

import httpx
import pytest

from smsgate.api.app import create_api
from smsgate.bootstrap import Gateway
from smsgate.services.accounts import NewAccount

CSV = {"Content-Type": "text/csv"}


async def create_list(client: httpx.AsyncClient, auth: dict[str, str], name: str = "vip") -> int:
    response = await client.post("/api/v1/lists", json={"name": name}, headers=auth)
    assert response.status_code == 201, response.text
    list_id: int = response.json()["id"]
    return list_id


@pytest.fixture
async def bob_auth(gateway: Gateway) -> dict[str, str]:
    _, issued = await gateway.accounts.create(
        NewAccount(username="bob", password="secret-pw", country="FR")
    )
    return {"Authorization": f"Bearer {issued.key}"}


async def test_create_list_answers_201_then_get_and_list_show_it(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    response = await client.post("/api/v1/lists", json={"name": "vip"}, headers=auth)
    assert response.status_code == 201
    created = response.json()
    assert created["name"] == "vip"
    assert created["size"] == 0
    assert created["created_at"].endswith("Z")
    got = await client.get(f"/api/v1/lists/{created['id']}", headers=auth)
    assert got.json() == created
    listed = await client.get("/api/v1/lists", headers=auth)
    assert listed.json() == {"data": [created]}


async def test_create_list_duplicate_name_answers_409_bad_body_422(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    await create_list(client, auth)
    again = await client.post("/api/v1/lists", json={"name": "vip"}, headers=auth)
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "conflict"
    for body in ({}, {"name": ""}, {"name": 5}, {"name": "x" * 65}, {"name": "a", "x": 1}):
        response = await client.post("/api/v1/lists", json=body, headers=auth)
        assert response.status_code == 422, body
        assert response.json()["error"]["code"] == "invalid_request"
    blank = await client.post("/api/v1/lists", json={"name": "   "}, headers=auth)
    assert blank.status_code == 400


async def test_lists_without_key_answer_401(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/lists")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthorized"


async def test_other_tenant_list_answers_404_on_every_route(
    client: httpx.AsyncClient, auth: dict[str, str], bob_auth: dict[str, str]
) -> None:
    list_id = await create_list(client, auth)
    base = f"/api/v1/lists/{list_id}"
    contacts = {"contacts": [{"number": "+33612345678"}]}
    attempts = [
        client.get(base, headers=bob_auth),
        client.delete(base, headers=bob_auth),
        client.post(f"{base}/contacts", json=contacts, headers=bob_auth),
        client.get(f"{base}/contacts", headers=bob_auth),
        client.delete(f"{base}/contacts/+33612345678", headers=bob_auth),
        client.post(f"{base}/import", content=b"number\n+33612345678\n", headers=CSV | bob_auth),
        client.get(f"{base}/export", headers=bob_auth),
    ]
    for attempt in attempts:
        response = await attempt
        assert response.status_code == 404, response.request.url
        assert response.json()["error"]["code"] == "not_found"
    assert (await client.get("/api/v1/lists", headers=bob_auth)).json() == {"data": []}
    assert (await client.get(base, headers=auth)).status_code == 200


async def test_add_contacts_answers_verdicts_and_counts(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    list_id = await create_list(client, auth)
    body = {
        "contacts": [
            {"number": "09121234567", "name": "Sara", "fields": {"city": "Tehran"}},
            {"number": "12"},
            {"number": "+989121234567"},
        ]
    }
    response = await client.post(f"/api/v1/lists/{list_id}/contacts", json=body, headers=auth)
    assert response.status_code == 200, response.text
    data = response.json()
    assert data["counts"] == {
        "rows": 3,
        "imported": 1,
        "updated": 1,
        "added": 1,
        "invalid": 1,
        "duplicate": 1,
    }
    assert [(c["number"], c["verdict"], c["reason"]) for c in data["contacts"]] == [
        ("+989121234567", "created", None),
        (None, "invalid", "invalid_number"),
        ("+989121234567", "duplicate", None),
    ]
    bad = await client.post(
        f"/api/v1/lists/{list_id}/contacts", json={"contacts": [{"number": 1}]}, headers=auth
    )
    assert bad.status_code == 422


async def test_list_contacts_search_and_pages_then_remove_one(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    list_id = await create_list(client, auth)
    numbers = [f"+98912123456{i}" for i in range(5)]
    body = {"contacts": [{"number": n, "name": f"n{i}"} for i, n in enumerate(numbers)]}
    await client.post(f"/api/v1/lists/{list_id}/contacts", json=body, headers=auth)
    url = f"/api/v1/lists/{list_id}/contacts"
    first = (await client.get(url, params={"limit": 3}, headers=auth)).json()
    assert [c["number"] for c in first["data"]] == numbers[:3]
    assert first["data"][0]["opted_out"] is False
    rest = await client.get(url, params={"limit": 3, "after": first["next_after"]}, headers=auth)
    assert [c["number"] for c in rest.json()["data"]] == numbers[3:]
    assert rest.json()["next_after"] is None
    found = await client.get(url, params={"search": "N4"}, headers=auth)
    assert [c["number"] for c in found.json()["data"]] == [numbers[4]]
    removed = await client.delete(f"{url}/09121234564", headers=auth)
    assert removed.status_code == 204
    again = await client.delete(f"{url}/09121234564", headers=auth)
    assert again.status_code == 404
    invalid = await client.delete(f"{url}/12", headers=auth)
    assert invalid.status_code == 400
    assert (await client.get(url, params={"limit": 0}, headers=auth)).status_code == 422


async def test_import_then_export_round_trip_into_another_list(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    first = await create_list(client, auth, "first")
    second = await create_list(client, auth, "second")
    body = (
        "\ufeffMobile,Name,city,plan\r\n"
        "09121234567,Sara,Tehran,gold\r\n"
        '+989121234568,"Ali, Jr","Shiraz\nold town",\r\n'
        "nope,Bad,,\r\n"
        "0912 123 4567,,,silver\r\n"
    ).encode()
    response = await client.post(f"/api/v1/lists/{first}/import", content=body, headers=CSV | auth)
    assert response.status_code == 200, response.text
    report = response.json()
    assert report["counts"] == {
        "rows": 4,
        "imported": 2,
        "updated": 1,
        "added": 2,
        "invalid": 1,
        "duplicate": 1,
    }
    assert report["problems"] == [
        {"row": 4, "value": "nope", "reason": "invalid_number"},
        {"row": 5, "value": "0912 123 4567", "reason": "duplicate"},
    ]
    exported = await client.get(f"/api/v1/lists/{first}/export", headers=auth)
    assert exported.status_code == 200
    assert exported.headers["content-type"].startswith("text/csv")
    assert exported.text == (
        "number,name,city,plan,opted_out\n"
        "+989121234567,Sara,Tehran,silver,false\n"
        '+989121234568,"Ali, Jr","Shiraz\nold town",,false\n'
    )
    again = await client.post(
        f"/api/v1/lists/{second}/import", content=exported.content, headers=CSV | auth
    )
    assert again.json()["counts"]["added"] == 2
    assert again.json()["counts"]["invalid"] == 0
    copy = await client.get(f"/api/v1/lists/{second}/export", headers=auth)
    assert copy.text == exported.text


async def test_import_wrong_type_answers_415_bad_bytes_400(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    list_id = await create_list(client, auth)
    url = f"/api/v1/lists/{list_id}/import"
    as_json = await client.post(url, json={"number": "1"}, headers=auth)
    assert as_json.status_code == 415
    assert as_json.json()["error"]["code"] == "unsupported_media_type"
    latin1 = {"Content-Type": "text/csv; charset=iso-8859-1"} | auth
    assert (await client.post(url, content=b"number\n", headers=latin1)).status_code == 415
    not_utf8 = await client.post(
        url, content=b"number,name\n+33612345678,Z\xe9\n", headers=CSV | auth
    )
    assert not_utf8.status_code == 400
    assert "UTF-8" in not_utf8.json()["error"]["message"]
    no_header = await client.post(url, content=b"", headers=CSV | auth)
    assert no_header.status_code == 400


async def test_import_over_the_import_limit_answers_413_declared_or_streamed(
    gateway: Gateway, auth: dict[str, str]
) -> None:
    settings = gateway.settings.model_copy(update={"max_import_bytes": 2048})
    app = create_api(replace(gateway, settings=settings))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://gateway.test") as client:
        list_id = await create_list(client, auth)
        url = f"/api/v1/lists/{list_id}/import"
        rows = b"number\n" + b"".join(b"+9891212%05d\n" % i for i in range(300))
        declared = await client.post(url, content=rows, headers=CSV | auth)
        assert declared.status_code == 413
        assert declared.json()["error"]["code"] == "body_too_large"

        async def chunked() -> AsyncIterator[bytes]:
            for start in range(0, len(rows), 700):
                yield rows[start : start + 700]

        streamed = await client.post(url, content=chunked(), headers=CSV | auth)
        assert streamed.status_code == 413
        assert streamed.json()["error"]["code"] == "body_too_large"
        # Bodies under the import limit but over the JSON limit are fine there.
        small = await client.post(url, content=rows[:2000], headers=CSV | auth)
        assert small.status_code == 200


async def test_delete_list_answers_204_then_404(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    list_id = await create_list(client, auth)
    assert (await client.delete(f"/api/v1/lists/{list_id}", headers=auth)).status_code == 204
    assert (await client.get(f"/api/v1/lists/{list_id}", headers=auth)).status_code == 404
    assert (await client.delete(f"/api/v1/lists/{list_id}", headers=auth)).status_code == 404
