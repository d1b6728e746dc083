"""LinkService against a real database: links, routes, and the snapshot the dispatcher reads."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from smsgate import errors
from smsgate.bootstrap import Gateway
from smsgate.clock import FrozenClock
from smsgate.domain.links import BindMode, LinkSettings, LongMethod, ReceiptIdFormat

ACME = LinkSettings(name="acme", host="smsc.test", port=2775, system_id="acme", password="s3cret")
BETA = replace(ACME, name="beta", system_id="beta")


async def test_add_link_stores_every_setting_and_reads_it_back(
    gateway: Gateway, clock: FrozenClock
) -> None:
    settings = replace(
        ACME,
        system_type="VMA",
        bind_mode=BindMode.TRANSMITTER_RECEIVER,
        binds=4,
        window=50,
        max_per_second=200,
        enquire_link_s=15.5,
        reconnect_min_s=0.5,
        reconnect_max_s=30.0,
        source_ton=5,
        source_npi=0,
        dest_ton=1,
        dest_npi=1,
        data_coding=3,
        long_method=LongMethod.SAR,
        receipt_id_format=ReceiptIdFormat.HEX,
        enabled=False,
    )
    added = await gateway.links.add(settings)
    assert added.settings == settings
    assert added.created_at == clock.now()
    fetched = await gateway.links.get("acme")
    assert fetched == added
    assert fetched.settings.password == "s3cret"  # sent on every bind: kept as given
    assert isinstance(fetched.settings.bind_mode, BindMode)


async def test_add_link_invalid_settings_raises_and_stores_nothing(gateway: Gateway) -> None:
    with pytest.raises(errors.InvalidRequest, match="port"):
        await gateway.links.add(replace(ACME, port=70000))
    assert await gateway.links.list() == []


async def test_add_link_duplicate_name_raises_conflict(gateway: Gateway) -> None:
    await gateway.links.add(ACME)
    with pytest.raises(errors.Conflict, match="acme"):
        await gateway.links.add(replace(ACME, host="other.test"))
    [kept] = await gateway.links.list()
    assert kept.settings.host == "smsc.test"


async def test_list_links_in_creation_order(gateway: Gateway) -> None:
    await gateway.links.add(BETA)
    await gateway.links.add(ACME)
    assert [link.name for link in await gateway.links.list()] == ["beta", "acme"]


async def test_unknown_link_raises_not_found(gateway: Gateway) -> None:
    with pytest.raises(errors.NotFound):
        await gateway.links.get("nope")
    with pytest.raises(errors.NotFound):
        await gateway.links.remove("nope")
    with pytest.raises(errors.NotFound):
        await gateway.links.set_enabled("nope", True)
    with pytest.raises(errors.NotFound):
        await gateway.links.add_route("nope", prefix="+33")
    with pytest.raises(errors.NotFound):
        await gateway.links.remove_route(12345)


async def test_set_enabled_switches_off_and_on(gateway: Gateway) -> None:
    await gateway.links.add(ACME)
    disabled = await gateway.links.set_enabled("acme", False)
    assert disabled.settings.enabled is False
    assert (await gateway.links.get("acme")).settings.enabled is False
    again = await gateway.links.set_enabled("acme", False)  # already off: no error
    assert again.settings.enabled is False
    enabled = await gateway.links.set_enabled("acme", True)
    assert enabled.settings.enabled is True
    assert (await gateway.links.get("acme")).settings == ACME


async def test_add_route_normalises_region_and_returns_its_id(gateway: Gateway) -> None:
    link = await gateway.links.add(ACME)
    route = await gateway.links.add_route(
        "acme", prefix="+33", region="fr", service="sms", priority=5
    )
    assert route.id > 0
    assert (route.link_id, route.prefix, route.region, route.service, route.priority) == (
        link.id,
        "+33",
        "FR",
        "sms",
        5,
    )
    catch_all = await gateway.links.add_route("acme")
    assert (catch_all.prefix, catch_all.region, catch_all.service) == ("", None, None)
    assert catch_all.priority == 100
    assert await gateway.links.routes() == [route, catch_all]


@pytest.mark.parametrize(
    ("options", "problem"),
    [
        ({"prefix": "33"}, "prefix"),
        ({"prefix": "+"}, "prefix"),
        ({"prefix": "+33a"}, "prefix"),
        ({"prefix": "+٣٣"}, "prefix"),  # Arabic-Indic digits are not ASCII digits
        ({"prefix": "+" + "1" * 16}, "prefix"),
        ({"region": "FRA"}, "region"),
        ({"region": "F1"}, "region"),
        ({"region": ""}, "region"),
        ({"service": "fax"}, "service"),
        ({"priority": -1}, "priority"),
        ({"priority": 2**31}, "priority"),
    ],
)
async def test_add_route_invalid_options_raise_invalid_request(
    gateway: Gateway, options: dict[str, Any], problem: str
) -> None:
    await gateway.links.add(ACME)
    with pytest.raises(errors.InvalidRequest, match=problem):
        await gateway.links.add_route("acme", **options)
    assert await gateway.links.routes() == []


async def test_remove_route_removes_only_that_route(gateway: Gateway) -> None:
    await gateway.links.add(ACME)
    first = await gateway.links.add_route("acme", prefix="+33")
    second = await gateway.links.add_route("acme", prefix="+32")
    await gateway.links.remove_route(first.id)
    assert await gateway.links.routes() == [second]
    with pytest.raises(errors.NotFound):
        await gateway.links.remove_route(first.id)


async def test_remove_link_removes_its_routes_too(gateway: Gateway) -> None:
    await gateway.links.add(ACME)
    await gateway.links.add(BETA)
    await gateway.links.add_route("acme", prefix="+33")
    kept = await gateway.links.add_route("beta", prefix="+33")
    await gateway.links.add_route("acme")
    await gateway.links.remove("acme")
    assert [link.name for link in await gateway.links.list()] == ["beta"]
    assert await gateway.links.routes() == [kept]
    with pytest.raises(errors.NotFound):
        await gateway.links.get("acme")
    await gateway.links.add(ACME)  # the name is free again, with no routes
    assert await gateway.links.routes() == [kept]


async def test_snapshot_route_table_only_uses_enabled_links(gateway: Gateway) -> None:
    acme = await gateway.links.add(ACME)
    beta = await gateway.links.add(BETA)
    await gateway.links.add_route("acme", prefix="+33", priority=1)
    await gateway.links.add_route("beta", prefix="+33", priority=2)

    links, table = await gateway.links.snapshot()
    assert [link.id for link in links] == [acme.id, beta.id]
    assert table.candidates("+33612345678", "FR", "sms") == (acme.id, beta.id)

    await gateway.links.set_enabled("acme", False)
    links, table = await gateway.links.snapshot()
    assert [link.settings.enabled for link in links] == [False, True]  # every link is listed
    assert table.candidates("+33612345678", "FR", "sms") == (beta.id,)
    assert {route.link_id for route in table.routes} == {beta.id}

    await gateway.links.set_enabled("beta", False)
    _, table = await gateway.links.snapshot()
    assert table.candidates("+33612345678", "FR", "sms") == ()
