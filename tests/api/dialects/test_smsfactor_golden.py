"""Golden exchanges: SMSFactor requests (the seed's, and those captured from the `smsfactor`
SDK) replayed against a fresh gateway; every answer must match byte for byte.

Each file in golden/smsfactor holds exchanges run in order on one account ('factor', France,
100 credits, sender "Illidan", clock 2026-11-22 10:00 UTC); "{token}" stands for its key.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

GOLDEN = Path(__file__).parent / "golden" / "smsfactor"
CASES: dict[str, dict[str, Any]] = {
    path.stem: json.loads(path.read_text()) for path in sorted(GOLDEN.glob("*.json"))
}


def test_smsfactor_golden_files_exist() -> None:
    assert set(CASES) >= {"seed_json_send", "seed_xml_send", "sdk_session"}


@pytest.mark.parametrize("name", sorted(CASES))
async def test_smsfactor_golden_exchange_answers_byte_for_byte(
    name: str, client: httpx.AsyncClient, sf_token: str
) -> None:
    for number, exchange in enumerate(CASES[name]["exchanges"]):
        request = exchange["request"]
        headers = {k: v.replace("{token}", sf_token) for k, v in request["headers"].items()}
        response = await client.request(
            request["method"],
            request["target"].replace("{token}", sf_token),
            headers=headers,
            content=request["body"].encode(),
        )
        expected = exchange["response"]
        where = f"{name} #{number}: {request['method']} {request['target']}"
        assert response.status_code == expected["status"], where
        assert response.headers["content-type"] == expected["content_type"], where
        assert response.text == expected["body"], where
