"""The inbox over Payamak: GetInboxCount and GetMessages (received ones are then read), and
GetMessages for sent messages, paged by index/count and filtered by fromNumbers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest
from defusedxml.ElementTree import fromstring

from smsgate.bootstrap import Gateway
from tests.api.dialects.payamak_setup import (
    LINE,
    MODELS,
    USERNAME,
    create_alice,
    post_soap,
    receive,
    result_of,
    send_fields,
    soap_call,
    strings,
)

T0 = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)


@pytest.fixture
async def alice(gateway: Gateway) -> str:
    return await create_alice(gateway)


def infos(response: httpx.Response) -> list[dict[str, str | None]]:
    """Each MessageInfo as {field: text}, None for nil fields, in document order."""
    assert response.status_code == 200, response.text
    root = fromstring(response.content)
    found = []
    for info in root.iter(f"{{{MODELS}}}MessageInfo"):
        fields: dict[str, str | None] = {}
        for child in info:
            name = child.tag.split("}")[1]
            nil = child.get("{http://www.w3.org/2001/XMLSchema-instance}nil") == "true"
            fields[name] = None if nil else child.text or ""
        found.append(fields)
    return found


async def inbox_count(client: httpx.AsyncClient, is_read: bool) -> str:
    flag = "true" if is_read else "false"
    response = await post_soap(client, soap_call("GetInboxCount", f"<isRead>{flag}</isRead>"))
    return result_of(response, "GetInboxCountResult")


def get_messages(message_type: int, index: int, count: int, numbers: list[str]) -> bytes:
    return soap_call(
        "GetMessages",
        f"<messageType>{message_type}</messageType>{strings('fromNumbers', numbers)}"
        f"<index>{index}</index><count>{count}</count>",
    )


async def test_received_messages_are_listed_newest_first_and_then_read(
    client: httpx.AsyncClient, gateway: Gateway, alice: str
) -> None:
    await receive(gateway, "+989121234567", "first", T0)
    await receive(gateway, "+989121234568", "سلام", T0 + timedelta(minutes=1))
    assert (await inbox_count(client, False), await inbox_count(client, True)) == ("2", "0")

    found = infos(await post_soap(client, get_messages(1, 1, 10, [LINE])))
    assert [(m["MessageId"], m["Content"], m["IsRead"]) for m in found] == [
        ("2", "سلام", "false"),
        ("1", "first", "false"),
    ]
    newest = found[0]
    assert newest["Sender"] == "09121234568"
    assert newest["Receiver"] == LINE
    assert newest["MessageType"] == "In"
    assert newest["Lang"] == "Fa"
    assert newest["ActionDateTime"] == "2026-11-22T09:01:00Z"
    assert list(newest) == sorted(newest, key=lambda name: name.encode())  # ordinal order

    assert (await inbox_count(client, False), await inbox_count(client, True)) == ("0", "2")
    again = infos(await post_soap(client, get_messages(1, 1, 10, [])))
    assert [m["IsRead"] for m in again] == ["true", "true"]


async def test_received_messages_page_by_index_and_only_that_page_is_read(
    client: httpx.AsyncClient, gateway: Gateway, alice: str
) -> None:
    for n in range(5):
        await receive(gateway, "+989121234567", f"m{n}", T0 + timedelta(minutes=n))
    found = infos(await post_soap(client, get_messages(1, 2, 2, [LINE])))
    assert [m["Content"] for m in found] == ["m3", "m2"]
    assert await inbox_count(client, False) == "3"


async def test_received_messages_filter_by_line_and_merge_lines(
    client: httpx.AsyncClient, gateway: Gateway, alice: str
) -> None:
    await gateway.accounts.add_line(USERNAME, "09120000000")
    await receive(gateway, "+989121234567", "to-line", T0)
    await receive(gateway, "+989121234567", "to-mobile", T0, recipient="+989120000000")
    await receive(gateway, "+989121234567", "to-line-2", T0)
    only_mobile = infos(await post_soap(client, get_messages(1, 1, 10, ["09120000000"])))
    assert [m["Content"] for m in only_mobile] == ["to-mobile"]
    both = infos(await post_soap(client, get_messages(1, 1, 2, [LINE, "09120000000"])))
    assert [m["Content"] for m in both] == ["to-line-2", "to-mobile"]


async def test_received_text_with_control_characters_stays_valid_xml(
    client: httpx.AsyncClient, gateway: Gateway, alice: str
) -> None:
    await receive(gateway, "+989121234567", "a\x01b<&>\r\nc", T0)
    found = infos(await post_soap(client, get_messages(1, 1, 10, [])))
    assert found[0]["Content"] == "a\ufffdb<&>\r\nc"


async def test_sent_messages_are_listed_with_their_batch(
    client: httpx.AsyncClient, gateway: Gateway, alice: str
) -> None:
    await gateway.accounts.add_line(USERNAME, "30001234")
    await post_soap(client, soap_call("SendSMS", send_fields(["09121234567"], text="one")))
    fields = send_fields(["09121234568"], text="two", sender="30001234")
    await post_soap(client, soap_call("SendSMS", fields.replace(">false<", ">true<")))

    every = infos(await post_soap(client, get_messages(2, 1, 10, [])))
    assert [(m["MessageId"], m["Content"], m["Sender"]) for m in every] == [
        ("2", "two", "30001234"),
        ("1", "one", LINE),
    ]
    first = every[1]
    assert first["MessageType"] == "Out"
    assert first["Receiver"] == "09121234567"
    assert first["Status"] == "InQueue"
    assert first["Cost"] == "1"
    assert first["Desc"] is None
    assert every[0]["Flash"] == "true"

    from_line = infos(await post_soap(client, get_messages(2, 1, 10, [LINE])))
    assert [m["Content"] for m in from_line] == ["one"]


async def test_get_messages_wrong_password_is_an_empty_list(
    client: httpx.AsyncClient, gateway: Gateway, alice: str
) -> None:
    await receive(gateway, "+989121234567", "secret", T0)
    body = get_messages(1, 1, 10, []).replace(b"secret-pw", b"bad-pw")
    response = await post_soap(client, body)
    assert infos(response) == []
    assert b"<GetMessagesResult" in response.content
    assert await inbox_count(client, False) == "1"
