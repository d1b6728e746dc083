"""SendService.svc in-process: the operations, what the parser tolerates, and every fault."""

from __future__ import annotations

import base64

import httpx
import pytest
import sqlalchemy as sa

from smsgate.api.app import create_api
from smsgate.api.dialects.payamak.wsdl import render_wsdl
from smsgate.bootstrap import Gateway
from smsgate.db import tables as t
from smsgate.domain.accounts import AccountStatus
from tests.api.dialects.payamak_setup import (
    ARRAYS,
    LINE,
    PASSWORD,
    SOAP_NS,
    SVC,
    TEMPURI,
    USERNAME,
    create_alice,
    fault_of,
    items_of,
    post_soap,
    result_of,
    send_fields,
    soap_call,
    strings,
    table_counts,
)


@pytest.fixture
async def alice(gateway: Gateway) -> str:
    return await create_alice(gateway)


async def test_soap_get_credit_returns_the_balance_in_credits(
    client: httpx.AsyncClient, alice: str
) -> None:
    response = await post_soap(client, soap_call("GetCredit"))
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/xml; charset=utf-8"
    assert result_of(response, "GetCreditResult") == "100"


async def test_soap_get_credit_wrong_password_answers_minus_one(
    client: httpx.AsyncClient, alice: str
) -> None:
    body = soap_call("GetCredit", credentials=False).replace(
        b"</GetCredit>", b"<userName>alice</userName><password>nope-nope</password></GetCredit>"
    )
    response = await post_soap(client, body)
    assert response.status_code == 200
    assert result_of(response, "GetCreditResult") == "-1"


async def test_soap_get_credit_blocked_account_answers_minus_two(
    client: httpx.AsyncClient, gateway: Gateway, alice: str
) -> None:
    await gateway.accounts.set_status(USERNAME, AccountStatus.INACTIVE)
    response = await post_soap(client, soap_call("GetCredit"))
    assert result_of(response, "GetCreditResult") == "-2"


async def test_soap_send_sms_answers_rec_ids_and_status_bytes_in_request_order(
    client: httpx.AsyncClient, gateway: Gateway, alice: str
) -> None:
    numbers = ["09121234567", "12", "+989121234568", "0912 123 4567"]
    response = await post_soap(client, soap_call("SendSMS", send_fields(numbers)))
    assert result_of(response, "SendSMSResult") == "0"
    assert items_of(response, "recId", "long") == ["1", "0", "2", "0"]
    assert base64.b64decode(result_of(response, "status")) == bytes([1, 0, 1, 0])
    assert await table_counts(gateway) == (1, 2, 98_000_000)


async def test_soap_send_sms_ignores_inbound_rec_id_and_status(
    client: httpx.AsyncClient, alice: str
) -> None:
    fields = (
        send_fields(["09121234567"])
        + f'<recId xmlns:a="{ARRAYS}"><a:long>77</a:long><a:long>78</a:long></recId>'
        + "<status>AQEB</status>"
    )
    response = await post_soap(client, soap_call("SendSMS", fields))
    assert result_of(response, "SendSMSResult") == "0"
    assert items_of(response, "recId", "long") == ["1"]
    assert result_of(response, "status") == "AQ=="


async def test_soap_send_sms_flash_is_kept_on_the_batch(
    client: httpx.AsyncClient, gateway: Gateway, alice: str
) -> None:
    fields = send_fields(["09121234567"]).replace(
        "<isFlash>false</isFlash>", "<isFlash>true</isFlash>"
    )
    response = await post_soap(client, soap_call("SendSMS", fields))
    assert result_of(response, "SendSMSResult") == "0"
    async with gateway.store.engine.connect() as conn:
        flash = (await conn.execute(sa.select(t.batches.c.flash))).scalar()
    assert flash is True


async def test_soap_send_batch_sms_answers_the_batch_id(
    client: httpx.AsyncClient, alice: str
) -> None:
    first = await post_soap(client, soap_call("SendBatchSms", send_fields(["09121234567"])))
    second = await post_soap(client, soap_call("SendBatchSms", send_fields(["09121234568"])))
    assert result_of(first, "SendBatchSmsResult") == "0"
    assert result_of(first, "batchSmsId") == "1"
    assert result_of(second, "batchSmsId") == "2"


async def test_soap_send_refusal_answers_the_code_and_nil_arrays(
    client: httpx.AsyncClient, gateway: Gateway, alice: str
) -> None:
    response = await post_soap(
        client, soap_call("SendSMS", send_fields(["09121234567"], sender="99999"))
    )
    assert result_of(response, "SendSMSResult") == "3"
    assert b'<recId i:nil="true"' in response.content
    assert await table_counts(gateway) == (0, 0, 100_000_000)


async def test_soap_get_sender_numbers_lists_active_lines_in_payamak_form(
    client: httpx.AsyncClient, gateway: Gateway, alice: str
) -> None:
    await gateway.accounts.add_line(USERNAME, "09121110000")
    await gateway.accounts.add_line(USERNAME, "30001234", active=False)
    response = await post_soap(client, soap_call("GetSenderNumbers"))
    assert sorted(items_of(response, "GetSenderNumbersResult", "string")) == [
        "09121110000",
        LINE,
    ]


async def test_soap_sender_in_national_form_matches_its_e164_line(
    client: httpx.AsyncClient, gateway: Gateway, alice: str
) -> None:
    await gateway.accounts.add_line(USERNAME, "+989121110000")
    response = await post_soap(
        client, soap_call("SendSMS", send_fields(["09121234567"], sender="09121110000"))
    )
    assert result_of(response, "SendSMSResult") == "0"


# --- what the parser tolerates ------------------------------------------------------------


async def test_soap_dispatch_ignores_prefixes_headers_and_soapaction(
    client: httpx.AsyncClient, alice: str
) -> None:
    body = (
        f'<e:Envelope xmlns:e="{SOAP_NS}"><e:Header xmlns:wsa="http://www.w3.org/2005/08/addressing">'
        '<wsa:Action e:mustUnderstand="1">http://tempuri.org/ISendService/Nothing</wsa:Action>'
        "<wsa:MessageID>urn:uuid:1</wsa:MessageID></e:Header>"
        f'<e:Body><p:GetCredit xmlns:p="{TEMPURI}"><p:userName>{USERNAME}</p:userName>'
        f"<p:password>{PASSWORD}</p:password></p:GetCredit></e:Body></e:Envelope>"
    ).encode()
    response = await post_soap(client, body, action="http://tempuri.org/ISendService/SendSMS")
    assert response.status_code == 200
    assert result_of(response, "GetCreditResult") == "100"


async def test_soap_unqualified_arguments_and_unknown_elements_are_read(
    client: httpx.AsyncClient, alice: str
) -> None:
    body = (
        f'<SOAP-ENV:Envelope xmlns:SOAP-ENV="{SOAP_NS}"><SOAP-ENV:Body>'
        f'<ns1:GetInboxCount xmlns:ns1="{TEMPURI}"><userName>{USERNAME}</userName>'
        f"<extra>ignored</extra><password>{PASSWORD}</password><isRead>1</isRead>"
        "</ns1:GetInboxCount></SOAP-ENV:Body></SOAP-ENV:Envelope>"
    ).encode()
    response = await post_soap(client, body)
    assert result_of(response, "GetInboxCountResult") == "0"


async def test_soap_nil_and_missing_values_take_their_defaults(
    client: httpx.AsyncClient, alice: str
) -> None:
    xsi = 'xmlns:i="http://www.w3.org/2001/XMLSchema-instance"'
    nil_flag = f'<isRead i:nil="true" {xsi}/>'
    response = await post_soap(client, soap_call("GetInboxCount", nil_flag))
    assert result_of(response, "GetInboxCountResult") == "0"
    # batchSmsId, index and count missing: 0, so no such batch.
    response = await post_soap(client, soap_call("GetBatchDelivery"))
    assert result_of(response, "GetBatchDeliveryResult") == "-2"


@pytest.mark.parametrize(
    "to_numbers",
    [
        strings("toNumbers", []),
        '<toNumbers xmlns:i="http://www.w3.org/2001/XMLSchema-instance" i:nil="true"/>',
        "",
    ],
    ids=["empty", "nil", "missing"],
)
async def test_soap_send_without_recipients_answers_five(
    client: httpx.AsyncClient, gateway: Gateway, alice: str, to_numbers: str
) -> None:
    fields = f"<fromNumber>{LINE}</fromNumber>{to_numbers}<messageContent>hi</messageContent>"
    response = await post_soap(client, soap_call("SendSMS", fields))
    assert result_of(response, "SendSMSResult") == "5"
    assert await table_counts(gateway) == (0, 0, 100_000_000)


async def test_soap_utf16_body_with_persian_text_is_read(
    client: httpx.AsyncClient, gateway: Gateway, alice: str
) -> None:
    text = "سلام دنیا"
    body = soap_call("SendSMS", send_fields(["09121234567"], text=text)).decode()
    body = body.replace('encoding="utf-8"', 'encoding="utf-16"').encode("utf-16")
    response = await post_soap(client, body)
    assert result_of(response, "SendSMSResult") == "0"
    async with gateway.store.engine.connect() as conn:
        stored = (await conn.execute(sa.select(t.batches.c.text))).scalar()
    assert stored == text


# --- faults -------------------------------------------------------------------------------

BAD_REQUESTS = {
    "not_xml": (b"hello", "s:Client"),
    "empty": (b"", "s:Client"),
    "unclosed": (b"<soap:Envelope xmlns:soap='" + SOAP_NS.encode() + b"'>", "s:Client"),
    "not_an_envelope": (b"<GetCredit/>", "s:Client"),
    "no_body": (f'<s:Envelope xmlns:s="{SOAP_NS}"/>'.encode(), "s:Client"),
    "empty_body": (f'<s:Envelope xmlns:s="{SOAP_NS}"><s:Body/></s:Envelope>'.encode(), "s:Client"),
    "soap12": (
        b'<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body>'
        b'<GetCredit xmlns="http://tempuri.org/"/></s:Body></s:Envelope>',
        "s:VersionMismatch",
    ),
    "doctype": (
        b'<!DOCTYPE x [<!ELEMENT x ANY>]><s:Envelope xmlns:s="' + SOAP_NS.encode() + b'"/>',
        "s:Client",
    ),
    "billion_laughs": (
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
        b'<s:Envelope xmlns:s="' + SOAP_NS.encode() + b'"><s:Body><GetCredit '
        b'xmlns="http://tempuri.org/"><userName>&lol2;</userName></GetCredit></s:Body>'
        b"</s:Envelope>",
        "s:Client",
    ),
    "external_entity": (
        b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        b'<s:Envelope xmlns:s="' + SOAP_NS.encode() + b'"><s:Body><GetCredit '
        b'xmlns="http://tempuri.org/"><userName>&x;</userName></GetCredit></s:Body>'
        b"</s:Envelope>",
        "s:Client",
    ),
    "unknown_operation": (soap_call("DeleteEverything"), "a:ActionNotSupported"),
    "wrong_namespace": (
        soap_call("SendSMS").replace(TEMPURI.encode(), b"http://example.com/"),
        "a:ActionNotSupported",
    ),
    "bad_boolean": (
        soap_call("SendSMS", send_fields(["09121234567"]).replace(">false<", ">maybe<")),
        "a:DeserializationFailed",
    ),
    "bad_int": (
        soap_call("GetBatchDelivery", "<batchSmsId>1</batchSmsId><index>one</index>"),
        "a:DeserializationFailed",
    ),
    "int_overflow": (
        soap_call("GetBatchDelivery", "<batchSmsId>2147483648</batchSmsId>"),
        "a:DeserializationFailed",
    ),
    "long_overflow": (
        soap_call("GetDelivery", "<recId>9223372036854775808</recId>"),
        "a:DeserializationFailed",
    ),
    "empty_text": (
        soap_call("SendSMS", send_fields(["09121234567"], text="")),
        "s:Client",
    ),
    "text_too_long": (
        soap_call("SendSMS", send_fields(["09121234567"], text="x" * 2000)),
        "s:Client",
    ),
    "count_over_100": (
        soap_call(
            "GetBatchDelivery", "<batchSmsId>1</batchSmsId><index>1</index><count>101</count>"
        ),
        "s:Client",
    ),
    "index_zero": (
        soap_call("GetMessages", "<messageType>1</messageType><index>0</index><count>5</count>"),
        "s:Client",
    ),
    "message_type_3": (
        soap_call("GetMessages", "<messageType>3</messageType><index>1</index><count>5</count>"),
        "s:Client",
    ),
}


@pytest.mark.parametrize("name", sorted(BAD_REQUESTS))
async def test_soap_bad_request_is_a_fault_and_charges_nothing(
    client: httpx.AsyncClient, gateway: Gateway, alice: str, name: str
) -> None:
    body, code = BAD_REQUESTS[name]
    response = await post_soap(client, body)
    assert response.status_code == 500
    assert response.headers["content-type"] == "text/xml; charset=utf-8"
    found_code, message = fault_of(response)
    assert found_code == code
    assert "Traceback" not in message
    assert await table_counts(gateway) == (0, 0, 100_000_000)


async def test_soap_entity_is_never_expanded(client: httpx.AsyncClient, alice: str) -> None:
    _, message = fault_of(await post_soap(client, BAD_REQUESTS["external_entity"][0]))
    assert "root:" not in message
    assert message == "DTDs and entities are not allowed"


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/payamak/nothing-here", 404),
        ("POST", "/payamak/SendService.svc/extra", 404),
        ("PUT", SVC, 405),
        ("DELETE", SVC, 405),
    ],
)
async def test_soap_http_errors_are_faults(
    client: httpx.AsyncClient, method: str, path: str, status: int
) -> None:
    response = await client.request(method, path, content=b"<x/>")
    assert response.status_code == status
    assert fault_of(response)[0] == "s:Client"


async def test_soap_body_over_the_limit_is_a_413_fault(
    client: httpx.AsyncClient, gateway: Gateway, alice: str
) -> None:
    padding = "<x>" + "a" * gateway.settings.max_body_bytes + "</x>"
    response = await post_soap(client, soap_call("SendSMS", send_fields(["09121234567"]) + padding))
    assert response.status_code == 413
    assert fault_of(response) == (
        "s:Client",
        f"the body is larger than {gateway.settings.max_body_bytes} bytes",
    )
    assert await table_counts(gateway) == (0, 0, 100_000_000)


async def test_soap_unexpected_error_is_an_internal_fault_without_details(
    gateway: Gateway, alice: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(_account: object) -> int:
        raise RuntimeError("secret database detail")

    monkeypatch.setattr(gateway.queries, "balance", broken)
    transport = httpx.ASGITransport(app=create_api(gateway), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://gateway.test") as c:
        response = await post_soap(c, soap_call("GetCredit"))
    assert response.status_code == 500
    assert fault_of(response) == ("a:InternalServiceFault", "an unexpected error occurred")
    assert b"secret" not in response.content


# --- the WSDL -----------------------------------------------------------------------------


@pytest.mark.parametrize("query", ["wsdl", "WSDL", "singleWsdl", "singlewsdl"])
async def test_wsdl_is_served_for_every_query_spelling(
    client: httpx.AsyncClient, query: str
) -> None:
    response = await client.get(f"{SVC}?{query}")
    assert response.status_code == 200
    assert response.content.startswith(b'<?xml version="1.0" encoding="utf-8"?><wsdl:definitions')
    assert b'<soap:address location="http://gateway.test/payamak/SendService.svc"/>' in (
        response.content
    )


async def test_wsdl_address_follows_the_host_header(client: httpx.AsyncClient) -> None:
    response = await client.get(f"{SVC}?wsdl", headers={"Host": "sms.example.ir:8443"})
    assert b'location="http://sms.example.ir:8443/payamak/SendService.svc"' in response.content


async def test_wsdl_address_is_never_taken_from_an_invalid_host_header(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get(f"{SVC}?wsdl", headers={"Host": 'evil"><x y="'})
    assert b"evil" not in response.content


def test_wsdl_address_is_escaped() -> None:
    wsdl = render_wsdl('http://a.example/"<&')
    assert b'location="http://a.example/&quot;&lt;&amp;"' in wsdl


async def test_wsdl_address_is_the_configured_public_url(gateway: Gateway) -> None:
    settings = gateway.settings.model_copy(update={"public_url": "https://sms.example.ir/"})
    gateway.settings = settings
    transport = httpx.ASGITransport(app=create_api(gateway))
    async with httpx.AsyncClient(transport=transport, base_url="http://internal:8080") as c:
        response = await c.get(f"{SVC}?singleWsdl")
    assert b'location="https://sms.example.ir/payamak/SendService.svc"' in response.content


async def test_wsdl_names_the_service_port_and_actions(client: httpx.AsyncClient) -> None:
    wsdl = (await client.get(f"{SVC}?wsdl")).text
    assert 'targetNamespace="http://tempuri.org/"' in wsdl
    assert '<wsdl:service name="SendService">' in wsdl
    assert '<wsdl:port name="BasicHttpBinding_ISendService"' in wsdl
    for operation in (
        "GetCredit",
        "GetInboxCount",
        "SendSMS",
        "SendBatchSms",
        "GetBatchDelivery",
        "GetMessages",
        "GetDelivery",
        "GetSenderNumbers",
    ):
        assert f'soapAction="http://tempuri.org/ISendService/{operation}"' in wsdl


async def test_service_page_without_query_points_to_the_wsdl(client: httpx.AsyncClient) -> None:
    response = await client.get(SVC)
    assert response.status_code == 200
    assert "?singleWsdl" in response.text
