"""`smsgate links` and `smsgate routes`, run in-process with click's runner on a real database.

Each test gets a fresh SQLite file, or the PostgreSQL database of SMSGATE_TEST_DATABASE_URL
brought to the latest schema and emptied (as in test_cli.py).
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from smsgate.bootstrap import build_gateway
from smsgate.cli.links import links, routes
from smsgate.settings import Settings
from tests.cli.invoking import invoke, invoke_json

PASSWORD = "s3cr3tpw"
LINK = ("--host", "smsc.test", "--port", "2775", "--system-id", "acme")


def add_link(name: str = "acme", *options: str) -> dict[str, Any]:
    added: dict[str, Any] = invoke_json("links", "add", name, *LINK, "--password", "pw", *options)
    return added


def stored_password(database_url: str, name: str) -> str:
    async def read() -> str:
        gateway = build_gateway(Settings(database_url=database_url))
        try:
            return (await gateway.links.get(name)).settings.password
        finally:
            await gateway.close()

    return asyncio.run(read())


def test_links_add_every_option_then_show_and_list_never_print_the_password() -> None:
    added = invoke_json(
        "links", "add", "acme", *LINK, "--password", PASSWORD, "--system-type", "VMA",
        "--bind", "transmitter-receiver", "--binds", "4", "--window", "50",
        "--max-per-second", "200", "--enquire-link", "15", "--reconnect-min", "0.5",
        "--reconnect-max", "30", "--source-ton", "5", "--source-npi", "0", "--dest-ton", "1",
        "--dest-npi", "1", "--data-coding", "3", "--long-method", "sar",
        "--receipt-id-format", "hex", "--disabled",
    )  # fmt: skip
    assert added["password"] == "***"
    assert {k: v for k, v in added.items() if k not in ("id", "created_at")} == {
        "name": "acme", "host": "smsc.test", "port": 2775, "system_id": "acme",
        "password": "***", "system_type": "VMA", "bind_mode": "transmitter_receiver",
        "binds": 4, "window": 50, "max_per_second": 200, "enquire_link_s": 15.0,
        "reconnect_min_s": 0.5, "reconnect_max_s": 30.0, "source_ton": 5, "source_npi": 0,
        "dest_ton": 1, "dest_npi": 1, "data_coding": 3, "long_method": "sar",
        "receipt_id_format": "hex", "enabled": False,
    }  # fmt: skip
    assert invoke_json("links", "show", "acme") == added
    assert invoke_json("links", "list") == [added]

    shown = invoke("links", "show", "acme").stdout
    assert "***" in shown
    assert "transmitter-receiver x 4" in shown
    listed = invoke("links", "list").stdout.splitlines()
    assert listed[0].split() == [
        "NAME", "HOST:PORT", "SYSTEM_ID", "BIND", "BINDS", "WINDOW", "TPS", "ENABLED"
    ]  # fmt: skip
    assert listed[1].split() == [
        "acme", "smsc.test:2775", "acme", "transmitter-receiver", "4", "50", "200", "no"
    ]  # fmt: skip
    for output in (shown, *listed, json.dumps(added)):
        assert PASSWORD not in output


def test_links_add_defaults_come_from_the_domain() -> None:
    added = add_link("acme")
    assert added["bind_mode"] == "transceiver"
    assert (added["binds"], added["window"], added["max_per_second"]) == (1, 10, None)
    assert (added["long_method"], added["receipt_id_format"]) == ("udh", "same")
    assert added["enabled"] is True
    assert invoke("links", "list").stdout.splitlines()[1].split()[-2:] == ["-", "yes"]


def test_links_add_password_from_environment_variable(
    cli_database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ACME_SMPP_PASSWORD", PASSWORD)
    invoke("links", "add", "acme", *LINK, "--password-env", "ACME_SMPP_PASSWORD")
    assert stored_password(cli_database, "acme") == PASSWORD
    monkeypatch.delenv("ACME_SMPP_PASSWORD")
    unset = invoke("links", "add", "beta", *LINK, "--password-env", "ACME_SMPP_PASSWORD", expect=2)
    assert "ACME_SMPP_PASSWORD is not set" in unset.stderr
    both = ("--password", "pw", "--password-env", "ACME_SMPP_PASSWORD")
    invoke("links", "add", "beta", *LINK, *both, expect=2)


def test_links_add_without_password_asks_for_it_hidden(cli_database: str) -> None:
    added = invoke_json("links", "add", "acme", *LINK, stdin=f"{PASSWORD}\n{PASSWORD}\n")
    assert added["name"] == "acme"  # stdout is only the JSON: the prompt went to stderr
    assert stored_password(cli_database, "acme") == PASSWORD
    result = invoke("links", "add", "beta", *LINK, stdin=f"{PASSWORD}\n{PASSWORD}\n")
    assert PASSWORD not in result.output  # hidden input is not echoed


def test_links_add_refused_settings_and_duplicates_exit_with_their_codes() -> None:
    bad = invoke(
        "links", "add", "acme", *LINK, "--password", "far-too-long", "--window", "0",
        "--enquire-link", "nan", expect=2,
    )  # fmt: skip
    assert bad.stderr.startswith("error: ")
    assert "password must be at most 8" in bad.stderr
    assert "window must be between" in bad.stderr
    assert "enquire_link_s" in bad.stderr
    assert invoke_json("links", "list") == []
    invoke("links", "add", "acme", *LINK, "--password", "pw", "--bind", "both", expect=2)
    add_link("acme")
    duplicate = invoke("links", "add", "acme", *LINK, "--password", "pw", expect=4)
    assert duplicate.stderr == "error: a link named 'acme' exists already\n"


def test_links_unknown_name_exits_3() -> None:
    for command in ("show", "remove", "enable", "disable"):
        result = invoke("links", command, "nope", expect=3)
        assert result.stderr == "error: no link named 'nope'\n"


def test_links_disable_then_enable_flips_the_switch() -> None:
    add_link("acme")
    assert invoke_json("links", "disable", "acme")["enabled"] is False
    assert invoke_json("links", "show", "acme")["enabled"] is False
    assert "acme is now enabled" in invoke("links", "enable", "acme").stdout
    assert invoke_json("links", "show", "acme")["enabled"] is True


def test_links_remove_takes_its_routes_along() -> None:
    add_link("acme")
    add_link("beta")
    invoke("routes", "add", "acme", "--prefix", "+33")
    kept = invoke_json("routes", "add", "beta", "--prefix", "+32")
    assert invoke_json("links", "remove", "acme") == {"name": "acme", "removed": True}
    assert [link["name"] for link in invoke_json("links", "list")] == ["beta"]
    assert invoke_json("routes", "list") == [kept]


def test_routes_list_is_in_dispatch_order_with_link_names() -> None:
    add_link("acme")
    add_link("beta")
    catch_all = invoke_json("routes", "add", "acme")
    france = invoke_json("routes", "add", "acme", "--prefix", "+33", "--country", "fr")
    mobiles = invoke_json(
        "routes", "add", "beta", "--prefix", "+336", "--service", "sms", "--priority", "100"
    )
    first = invoke_json("routes", "add", "beta", "--priority", "5")
    assert france == {
        "id": france["id"], "link_id": france["link_id"], "link": "acme", "link_enabled": True,
        "prefix": "+33", "region": "FR", "service": None, "priority": 100,
    }  # fmt: skip
    listed = invoke_json("routes", "list")
    assert [r["id"] for r in listed] == [first["id"], mobiles["id"], france["id"], catch_all["id"]]
    assert [r["link"] for r in listed] == ["beta", "beta", "acme", "acme"]

    invoke("links", "disable", "beta")
    lines = invoke("routes", "list").stdout.splitlines()
    assert lines[0].split() == ["ID", "LINK", "PREFIX", "COUNTRY", "SERVICE", "PRIORITY"]
    assert [line.split() for line in lines[1:]] == [
        [str(first["id"]), "beta", "(disabled)", "any", "any", "any", "5"],
        [str(mobiles["id"]), "beta", "(disabled)", "+336", "any", "sms", "100"],
        [str(france["id"]), "acme", "+33", "FR", "any", "100"],
        [str(catch_all["id"]), "acme", "any", "any", "any", "100"],
    ]


def test_routes_add_refused_options_and_unknown_link() -> None:
    add_link("acme")
    bad_prefix = invoke("routes", "add", "acme", "--prefix", "33", expect=2)
    assert bad_prefix.stderr.startswith("error: a prefix is '+' and digits")
    invoke("routes", "add", "acme", "--priority", "-1", expect=2)
    invoke("routes", "add", "acme", "--country", "France", expect=2)
    invoke("routes", "add", "acme", "--service", "fax", expect=2)
    missing = invoke("routes", "add", "nope", "--prefix", "+33", expect=3)
    assert missing.stderr == "error: no link named 'nope'\n"
    assert invoke_json("routes", "list") == []
    assert "no routes yet" in invoke("routes", "list").stdout


def test_routes_remove_by_id_then_again_exits_3() -> None:
    add_link("acme")
    route = invoke_json("routes", "add", "acme", "--prefix", "+33")
    assert "removed route" in invoke("routes", "remove", str(route["id"])).stdout
    gone = invoke("routes", "remove", str(route["id"]), expect=3)
    assert gone.stderr == f"error: no route {route['id']}\n"
    invoke("routes", "remove", "first", expect=2)


def test_links_and_routes_every_command_has_json() -> None:
    for group in (links, routes):
        for name, command in group.commands.items():
            assert "as_json" in [p.name for p in command.params], name
