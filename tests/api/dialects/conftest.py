"""Fixtures for the vendor dialects: an SMSFactor-style account (France, sender "Illidan")."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from smsgate.bootstrap import Gateway
from smsgate.db import tables as t
from smsgate.services.accounts import NewAccount
from tests.conftest import in_status

SEED_JSON: dict[str, Any] = {
    "sms": {
        "message": {
            "text": "Message via API",
            "pushtype": "alert",
            "sender": "Illidan",
            "delay": "2024-12-01 10:38:06",
            "unicode": 0,
        },
        "recipients": {
            "gsm": [
                {"gsmsmsid": "100", "value": "33612345678"},
                {"gsmsmsid": "101", "value": "33612345677"},
            ]
        },
    }
}

SEED_XML = b"""<?xml version="1.0" encoding="UTF-8"?>
<sms>
  <message>
    <text>Message via API</text>
    <pushtype>alert</pushtype>
    <sender>Illidan</sender>
    <delay>2024-12-01 10:38:06</delay>
    <unicode>0</unicode>
  </message>
  <recipients>
    <gsm gsmsmsid="100">33612345678</gsm>
    <gsm gsmsmsid="101">33612345677</gsm>
  </recipients>
</sms>
"""


@pytest.fixture
async def sf_token(gateway: Gateway) -> str:
    """An active account 'factor' (France, 100 credits, sender "Illidan") and its API key."""
    _, issued = await gateway.accounts.create(
        NewAccount(username="factor", password="secret-pw", credit_micros=100_000_000, country="FR")
    )
    await gateway.accounts.add_sender("factor", "Illidan")
    return issued.key


@pytest.fixture
def sf_json(sf_token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {sf_token}", "Accept": "application/json"}


async def table_counts(gateway: Gateway) -> tuple[int, int, int]:
    """(batches, messages, balance of 'factor' in micro-credits)."""
    async with gateway.store.engine.connect() as conn:
        batches = (await conn.execute(sa.select(sa.func.count()).select_from(t.batches))).scalar()
        messages = (await conn.execute(sa.select(sa.func.count()).select_from(t.messages))).scalar()
        balance = (
            await conn.execute(
                sa.select(t.accounts.c.balance_micros).where(t.accounts.c.username == "factor")
            )
        ).scalar()
    return int(batches or 0), int(messages or 0), int(balance or 0)


async def set_statuses(gateway: Gateway, statuses: dict[int, str]) -> None:
    """Put messages in a status directly, as the delivery engine (not there yet) would."""
    async with gateway.store.engine.begin() as conn:
        for message_id, status in statuses.items():
            await conn.execute(
                t.messages.update().where(t.messages.c.id == message_id).values(**in_status(status))
            )
