"""What the Payamak tests share: the account, SOAP envelopes, a live server, database pokes.

The account 'alice' is a Payamak panel user: Iran, 100 credits, the line 10002188.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import TypeVar
from xml.sax.saxutils import escape

import httpx
import sqlalchemy as sa
from defusedxml.ElementTree import fromstring

from smsgate.bootstrap import Gateway
from smsgate.db import tables as t
from smsgate.ports import NewInbound
from smsgate.services.accounts import NewAccount
from tests.conftest import in_status

T = TypeVar("T")

USERNAME = "alice"
PASSWORD = "secret-pw"
LINE = "10002188"
SVC = "/payamak/SendService.svc"
REST = "/payamak/api/v2/RestWebApi"
SOAP_NS = "http://schemas.xmlsoap.org/soap/envelope/"
TEMPURI = "http://tempuri.org/"
ARRAYS = "http://schemas.microsoft.com/2003/10/Serialization/Arrays"
MODELS = "http://schemas.datacontract.org/2004/07/SMSPanel.Domain.Models"


async def create_alice(gateway: Gateway, credit_micros: int = 100_000_000) -> str:
    """The account, its line, and its API key (returned)."""
    _, issued = await gateway.accounts.create(
        NewAccount(username=USERNAME, password=PASSWORD, credit_micros=credit_micros, country="IR")
    )
    await gateway.accounts.add_line(USERNAME, LINE)
    return issued.key


def soap_call(operation: str, fields: str = "", *, credentials: bool = True) -> bytes:
    """A SOAP 1.1 request as a hand-written client sends it (default namespace)."""
    login = f"<userName>{USERNAME}</userName><password>{PASSWORD}</password>" if credentials else ""
    return (
        f'<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="{SOAP_NS}">'
        f'<soap:Body><{operation} xmlns="{TEMPURI}">{login}{fields}</{operation}>'
        "</soap:Body></soap:Envelope>"
    ).encode()


def strings(name: str, items: list[str]) -> str:
    inner = "".join(f"<a:string>{escape(item)}</a:string>" for item in items)
    return f'<{name} xmlns:a="{ARRAYS}">{inner}</{name}>'


def send_fields(numbers: list[str], text: str = "salam", sender: str = LINE) -> str:
    return (
        f"<fromNumber>{escape(sender)}</fromNumber>{strings('toNumbers', numbers)}"
        f"<messageContent>{escape(text)}</messageContent><isFlash>false</isFlash>"
    )


async def post_soap(client: httpx.AsyncClient, body: bytes, action: str = "") -> httpx.Response:
    headers = {"Content-Type": "text/xml; charset=utf-8", "SOAPAction": f'"{action}"'}
    return await client.post(SVC, content=body, headers=headers)


def result_of(response: httpx.Response, name: str) -> str:
    """The text of the response element `name` (in the service namespace)."""
    root = fromstring(response.content)
    found = root.find(f".//{{{TEMPURI}}}{name}")
    assert found is not None, response.text
    return found.text or ""


def items_of(response: httpx.Response, name: str, item: str) -> list[str]:
    root = fromstring(response.content)
    found = root.find(f".//{{{TEMPURI}}}{name}")
    assert found is not None, response.text
    return [child.text or "" for child in found if child.tag == f"{{{ARRAYS}}}{item}"]


def fault_of(response: httpx.Response) -> tuple[str, str]:
    """(faultcode, faultstring) of a SOAP fault answer."""
    root = fromstring(response.content)
    code = root.find(f".//{{{SOAP_NS}}}Fault/faultcode")
    text = root.find(f".//{{{SOAP_NS}}}Fault/faultstring")
    assert code is not None, response.text
    assert text is not None, response.text
    return code.text or "", text.text or ""


async def table_counts(gateway: Gateway) -> tuple[int, int, int]:
    """(batches, messages, alice's balance in micro-credits)."""
    async with gateway.store.engine.connect() as conn:
        batches = (await conn.execute(sa.select(sa.func.count()).select_from(t.batches))).scalar()
        messages = (await conn.execute(sa.select(sa.func.count()).select_from(t.messages))).scalar()
        balance = (
            await conn.execute(
                sa.select(t.accounts.c.balance_micros).where(t.accounts.c.username == USERNAME)
            )
        ).scalar()
    return int(batches or 0), int(messages or 0), int(balance or 0)


async def set_status(
    gateway: Gateway, message_id: int, status: str, carrier_id: str | None = None
) -> None:
    """Put a message in a status directly, as the delivery engine would."""
    async with gateway.store.engine.begin() as conn:
        await conn.execute(
            t.messages.update()
            .where(t.messages.c.id == message_id)
            .values(**in_status(status), carrier_message_id=carrier_id)
        )


async def receive(
    gateway: Gateway, sender: str, text: str, at: datetime, recipient: str = LINE
) -> int:
    """An inbound message on one of alice's lines, as the SMPP side will store it."""
    account = await gateway.accounts.get(USERNAME)
    async with gateway.store.transaction(write=True) as tx:
        return await tx.inbox.add(
            NewInbound(
                account_id=account.id,
                link_id=None,
                sender=sender,
                recipient=recipient,
                text=text,
                parts=1,
                opt_out=False,
                received_at=at,
            )
        )


async def blocking(fn: Callable[[], T]) -> T:
    """Run a blocking client call (zeep, the SDK) in a worker thread; the server runs here."""
    return await asyncio.to_thread(fn)


def json_body(response: httpx.Response) -> Mapping[str, object]:
    data = response.json()
    assert isinstance(data, dict)
    return data
