"""The `smsgate` command line, run in-process with click's runner against a real database.

Each test gets a fresh SQLite file, or the PostgreSQL database of SMSGATE_TEST_DATABASE_URL
brought to the latest schema and emptied. Accounts are created through the CLI, so with the
real (slow-ish) argon2 hasher: keep the number of tests modest.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from smsgate import errors
from smsgate.cli.errors import EXIT_CODES, ExitCode, exit_code_for
from tests.cli.conftest import PG_URL
from tests.cli.invoking import invoke, invoke_json
from tests.cli.serving import SERVE_TIMEOUT_S, serving


def create_account(username: str = "alice", *options: str) -> dict[str, Any]:
    created: dict[str, Any] = invoke_json(
        "accounts", "create", username, "--password", "secret-pw", *options
    )
    return created


def test_accounts_create_json_returns_api_key_and_balance() -> None:
    created = create_account(
        "alice", "--credit", "12.5", "--country", "fr", "--services", "sms,mms"
    )
    assert created["api_key"].startswith("sgk_")
    assert created["balance"] == "12.5"
    assert created["default_country"] == "FR"
    assert created["services"] == ["mms", "sms"]
    assert created["status"] == "active"
    listed = invoke_json("accounts", "list")
    assert [a["username"] for a in listed] == ["alice"]
    assert "alice" in invoke("accounts", "list").stdout


def test_accounts_create_duplicate_username_exits_4() -> None:
    create_account()
    result = invoke("accounts", "create", "alice", "--password", "other-pw", expect=4)
    assert result.stderr.startswith("error: ")
    assert "taken" in result.stderr
    assert "Traceback" not in result.output


def test_accounts_show_unknown_username_exits_3() -> None:
    result = invoke("accounts", "show", "nobody", expect=3)
    assert result.stderr == "error: no account 'nobody'\n"


def test_credit_add_then_show_lists_balance_and_ledger() -> None:
    create_account("alice", "--credit", "100")
    added = invoke_json("credit", "add", "alice", "12.5", "--note", "invoice 7")
    assert added == {"username": "alice", "amount": "12.5", "balance": "112.5"}
    invoke("credit", "add", "alice", "-2.5")
    overdraw = invoke("credit", "add", "alice", "-1000", expect=5)
    assert "below zero" in overdraw.stderr
    shown = invoke_json("credit", "show", "alice")
    assert shown["balance"] == shown["ledger_total"] == "110"
    assert [(e["amount"], e["note"]) for e in shown["ledger"]] == [
        ("100", "opening"),
        ("12.5", "invoice 7"),
        ("-2.5", None),
    ]
    text = invoke("credit", "show", "alice").stdout
    assert "110 credits" in text
    assert "invoice 7" in text


def test_keys_create_then_revoke_marks_key_revoked() -> None:
    create_account()
    issued = invoke_json("accounts", "keys", "create", "alice", "--label", "shop")
    assert issued["api_key"].startswith(f"sgk_{issued['prefix']}_")
    invoke("accounts", "keys", "revoke", "alice", issued["api_key"])
    keys = {k["label"]: k for k in invoke_json("accounts", "keys", "list", "alice")}
    assert keys["shop"]["active"] is False
    assert keys["shop"]["revoked_at"] is not None
    assert keys["default"]["active"] is True
    assert "secret" not in json.dumps(keys)
    invoke("accounts", "keys", "revoke", "alice", str(issued["id"]), expect=3)


def test_accounts_block_refuses_sending_until_unblocked() -> None:
    create_account("alice", "--credit", "10")
    assert invoke_json("accounts", "block", "alice")["status"] == "blocked"
    refused = invoke("send", "alice", "--to", "+33612345678", "--text", "hi", expect=1)
    assert refused.stderr == "error: the account is blocked\n"
    assert invoke_json("accounts", "unblock", "alice")["status"] == "active"
    invoke("send", "alice", "--to", "+33612345678", "--text", "hi")


def test_accounts_set_maps_options_then_none_clears_them() -> None:
    create_account()
    account = invoke_json(
        "accounts", "set", "alice",
        "--daily-limit", "100", "--flood-limit", "3", "--allowed-countries", "ir,FR",
        "--country-limit", "FR=500", "--country-limit", "IR=10", "--web-service", "off",
        "--filtered-words", "spam, scam", "--webhook-url", "https://example.test/dlr",
        "--country", "IR",
    )  # fmt: skip
    assert account["daily_limit"] == 100
    assert account["flood_limit_24h"] == 3
    assert account["allowed_countries"] == ["FR", "IR"]
    assert account["country_monthly_limits"] == {"FR": 500, "IR": 10}
    assert account["web_service_enabled"] is False
    assert account["filtered_words"] == ["spam", "scam"]
    assert account["webhook_url"] == "https://example.test/dlr"
    assert account["default_country"] == "IR"
    cleared = invoke_json(
        "accounts", "set", "alice", "--daily-limit", "none", "--allowed-countries", "all",
        "--country-limit", "none", "--filtered-words", "none", "--webhook-url", "none",
        "--country", "none",
    )  # fmt: skip
    assert cleared["daily_limit"] is None
    assert cleared["allowed_countries"] is None
    assert cleared["country_monthly_limits"] == {}
    assert cleared["filtered_words"] == []
    assert cleared["webhook_url"] is None
    assert cleared["default_country"] is None
    invoke("accounts", "set", "alice", expect=2)
    invoke("accounts", "set", "alice", "--country-limit", "France=1", expect=2)


def test_accounts_expire_at_time_keeps_the_offset_as_utc() -> None:
    create_account()
    expired = invoke_json("accounts", "expire", "alice", "--at", "2030-01-01T01:00:00+01:00")
    assert expired["expires_at"] == "2030-01-01T00:00:00Z"
    invoke("accounts", "expire", "alice", "--at", "2030-01-01T01:00:00", expect=2)


def test_blacklist_add_list_remove_per_account_and_global() -> None:
    create_account("alice", "--country", "FR")
    added = invoke_json("blacklist", "add", "alice", "0612345678", "+33612345679")
    assert added["added"] == 2
    invoke("blacklist", "add", "--global", "+33612345670")
    assert invoke_json("blacklist", "list", "alice")["numbers"] == [
        "+33612345678",
        "+33612345679",
    ]
    assert invoke_json("blacklist", "list", "--global")["numbers"] == ["+33612345670"]
    assert invoke_json("blacklist", "remove", "alice", "+33612345678")["removed"] == 1
    assert invoke_json("blacklist", "list", "alice")["numbers"] == ["+33612345679"]
    invoke("blacklist", "list", expect=2)
    invoke("blacklist", "add", "alice", "12", expect=2)


def test_prices_set_changes_the_cost_of_a_send() -> None:
    create_account("alice", "--credit", "10")
    price = invoke_json("prices", "set", "sms", "fr", "0.05")
    assert price == {"service": "sms", "region": "FR", "price": "0.05"}
    invoke("prices", "set", "sms", "FRA", "1", expect=2)
    outcome = invoke_json("send", "alice", "--to", "+33612345678", "--text", "hi", "--test")
    assert outcome["test"] is True
    assert outcome["batch_id"] is None
    assert outcome["cost"] == "0.05"
    assert outcome["balance"] == "10"


def test_prices_list_shows_what_was_set_and_the_defaults() -> None:
    invoke("prices", "set", "sms", "fr", "0.05")
    invoke("prices", "set", "sms", "*", "0.2")
    listed = invoke_json("prices", "list")
    assert listed == {
        "prices": [
            {"service": "sms", "region": "*", "price": "0.2"},
            {"service": "sms", "region": "FR", "price": "0.05"},
        ],
        "default": {"sms": "0.2", "mms": "5"},
    }
    assert "any other country" in invoke("prices", "list").stdout


def test_send_json_valid_and_invalid_number_queues_one_and_charges() -> None:
    create_account("alice", "--credit", "10")
    outcome = invoke_json("send", "alice", "--to", "+33612345678", "--to", "12", "--text", "Hi")
    assert outcome["batch_id"] > 0
    assert [(m["to"], m["status"]) for m in outcome["messages"]] == [("+33612345678", "queued")]
    assert outcome["counts"]["accepted"] == 1
    assert outcome["counts"]["invalid"] == 1
    assert outcome["refused"] == [{"input": "12", "number": None, "verdict": "invalid"}]
    assert (outcome["cost"], outcome["balance"]) == ("1", "9")
    text = invoke("send", "alice", "--to", "+33612345678", "--text", "again").stdout
    assert "queued" in text
    assert "8 credits" in text
    nobody = invoke("send", "alice", "--to", "12", "--text", "Hi", expect=1)
    assert nobody.stderr.startswith("error: no recipient can be sent to")


def test_senders_and_numbers_decide_who_an_account_sends_as() -> None:
    create_account("alice", "--credit", "10")
    assert invoke_json("senders", "add", "alice", "ACME")["allowed_senders"] == ["ACME"]
    invoke("numbers", "add", "alice", "+33612345670", "--inactive")
    assert invoke_json("numbers", "list", "alice") == [{"number": "+33612345670", "active": False}]
    to = ("--to", "+33612345678", "--text", "hi")
    invoke("send", "alice", *to, "--sender", "ACME")
    invoke("send", "alice", *to, "--sender", "+33612345670", expect=1)
    invoke("send", "alice", *to, "--sender", "OTHER", expect=1)


def test_bad_settings_print_one_line_per_problem_and_exit_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SMSGATE_PORT", "abc")
    config = tmp_path / "smsgate.env"
    config.write_text("SMSGATE_MAX_SEGMENTS=0\n")
    result = invoke("--config", str(config), "accounts", "list", expect=2)
    lines = result.stderr.splitlines()
    assert len(lines) == 2
    assert lines[0].startswith("error: invalid setting SMSGATE_PORT: ")
    assert lines[1].startswith("error: invalid setting SMSGATE_MAX_SEGMENTS: ")
    assert "Traceback" not in result.output


def test_db_upgrade_twice_is_fine() -> None:
    first = invoke_json("db", "upgrade")
    second = invoke_json("db", "upgrade")
    assert first == {"applied": PG_URL is None}  # the PostgreSQL fixture has migrated already
    assert second == {"applied": False}
    assert "up to date" in invoke("db", "upgrade").stdout


def test_exit_code_table_covers_every_leaf_error() -> None:
    missing = [cls.__name__ for cls in errors.leaf_errors() if cls not in EXIT_CODES]
    assert missing == []
    assert exit_code_for(errors.TextTooLong("x")) is ExitCode.INVALID

    class Unlisted(errors.NotFound):
        pass

    assert exit_code_for(Unlisted("x")) is ExitCode.NOT_FOUND


@pytest.mark.e2e
def test_serve_demo_on_port_0_prints_its_port_and_a_key_the_running_api_accepts(
    tmp_path: Path,
) -> None:
    with serving(tmp_path) as (server, url, key):
        log = tmp_path / "serve.log"
        port = int(url.rsplit(":", 1)[1])
        assert url == f"http://127.0.0.1:{port}"
        assert port > 0
        deadline = time.monotonic() + SERVE_TIMEOUT_S
        while True:
            try:
                assert httpx.get(f"{url}/health").status_code == 200
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, log.read_text()
                time.sleep(0.05)
        sent = httpx.post(
            f"{url}/api/v1/messages",
            json={"to": ["+33612345678"], "text": "Hello"},
            headers={"Authorization": f"Bearer {key}"},
        )
        assert sent.status_code == 202, sent.text
        assert sent.json()["balance"] == "999"
        server.terminate()
        returncode = server.wait(timeout=SERVE_TIMEOUT_S)
    assert returncode == 0, log.read_text()
    assert "server_stopped" in log.read_text()
