"""Link settings, carrier id keys and the route table: pure rules, no database."""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any

import pytest

from smsgate import errors
from smsgate.domain.links import (
    LinkSettings,
    ReceiptIdFormat,
    check_link_settings,
    receipt_key,
    submit_key,
)
from smsgate.domain.routing import Route, RouteTable

F = ReceiptIdFormat
GOOD = LinkSettings(name="acme", host="smsc.test", port=2775, system_id="acme", password="pw")


# --- check_link_settings ------------------------------------------------------------------


def test_check_link_settings_defaults_and_limits_pass() -> None:
    check_link_settings(GOOD)
    check_link_settings(
        replace(
            GOOD,
            name="n" * 64,
            host="h" * 255,
            port=65535,
            system_id="s" * 15,
            password="p" * 8,
            system_type="t" * 12,
            binds=32,
            window=1000,
            max_per_second=1_000_000,
            reconnect_min_s=5.0,
            reconnect_max_s=5.0,
            source_ton=0,
            dest_npi=255,
            data_coding=255,
        )
    )
    check_link_settings(replace(GOOD, password=""))  # some carriers bind without one


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"name": ""}, "name must be 1 to 64"),
        ({"name": "n" * 65}, "name must be 1 to 64"),
        ({"host": ""}, "host must be 1 to 255"),
        ({"host": "h" * 256}, "host must be 1 to 255"),
        ({"port": 0}, "port must be between"),
        ({"port": 65536}, "port must be between"),
        ({"system_id": ""}, "system_id must be 1 to 15"),
        ({"system_id": "s" * 16}, "system_id must be 1 to 15"),
        ({"password": "p" * 9}, "password must be at most 8"),
        ({"password": "pässwd"}, "password must be printable ASCII"),
        ({"system_id": "ac\x00me"}, "system_id must be printable ASCII"),
        ({"system_type": "t" * 13}, "system_type must be at most 12"),
        ({"binds": 0}, "binds must be between 1 and 32"),
        ({"binds": 33}, "binds must be between 1 and 32"),
        ({"window": 0}, "window must be between 1 and 1000"),
        ({"window": 1001}, "window must be between 1 and 1000"),
        ({"max_per_second": 0}, "max_per_second must be between"),
        ({"max_per_second": 2**40}, "max_per_second must be between"),
        ({"enquire_link_s": 0.0}, "enquire_link_s must be positive"),
        ({"enquire_link_s": math.nan}, "enquire_link_s must be positive"),
        ({"enquire_link_s": math.inf}, "enquire_link_s must be positive"),
        ({"reconnect_min_s": 0.0}, "reconnect back-off"),
        ({"reconnect_min_s": 10.0, "reconnect_max_s": 5.0}, "reconnect back-off"),
        ({"reconnect_max_s": math.inf}, "reconnect back-off"),
        ({"reconnect_min_s": math.nan}, "reconnect back-off"),
        ({"source_ton": -1}, "source_ton must be a byte"),
        ({"source_npi": 256}, "source_npi must be a byte"),
        ({"dest_ton": 256}, "dest_ton must be a byte"),
        ({"dest_npi": -1}, "dest_npi must be a byte"),
        ({"data_coding": 256}, "data_coding must be a byte"),
    ],
)
def test_check_link_settings_out_of_range_raises_invalid_request(
    change: dict[str, Any], problem: str
) -> None:
    with pytest.raises(errors.InvalidRequest, match=problem):
        check_link_settings(replace(GOOD, **change))


def test_check_link_settings_several_problems_reports_them_all() -> None:
    with pytest.raises(errors.InvalidRequest) as caught:
        check_link_settings(replace(GOOD, port=0, window=0, data_coding=300))
    assert caught.value.message.split("; ") == [
        "port must be between 1 and 65535",
        "window must be between 1 and 1000",
        "data_coding must be a byte (0-255)",
    ]


# --- submit_key / receipt_key -------------------------------------------------------------


@pytest.mark.parametrize(
    ("submitted", "quoted"),
    [
        ("12345", "12345"),
        ("0012345", "12345"),  # zero padding on either side
        ("12345", "000012345"),
        ("AbC-9f", "abc-9F"),  # case does not matter
        (" 42 ", "42"),
        ("0", "000"),
    ],
)
def test_keys_same_format_match_after_canonical_form(submitted: str, quoted: str) -> None:
    assert submit_key(submitted, F.SAME) == receipt_key(quoted, F.SAME)


def test_keys_same_format_different_ids_differ() -> None:
    assert submit_key("12345", F.SAME) != receipt_key("12346", F.SAME)
    assert submit_key("ff", F.SAME) != receipt_key("255", F.SAME)


@pytest.mark.parametrize("quoted", ["FF", "ff", "000000ff", "0xff"])
def test_keys_hex_format_decimal_submit_matches_hex_receipt(quoted: str) -> None:
    assert submit_key("255", F.HEX) == receipt_key(quoted, F.HEX) == "255"
    assert submit_key("0000255", F.HEX) == "255"


@pytest.mark.parametrize("submitted", ["1A2B", "1a2b", "00001a2b"])
def test_keys_decimal_format_hex_submit_matches_decimal_receipt(submitted: str) -> None:
    assert submit_key(submitted, F.DECIMAL) == receipt_key("6699", F.DECIMAL) == "6699"
    assert receipt_key("0006699", F.DECIMAL) == "6699"


def test_keys_large_ids_convert_exactly() -> None:
    big = "18446744073709551617"  # 2**64 + 1: more than a float can hold
    assert receipt_key("10000000000000001", F.HEX) == submit_key(big, F.HEX) == big


@pytest.mark.parametrize("fmt", list(ReceiptIdFormat))
def test_keys_non_numeric_id_falls_back_to_canonical_form(fmt: ReceiptIdFormat) -> None:
    assert submit_key("Msg-0042x", fmt) == "msg-0042x"
    assert receipt_key(" MSG-0042X ", fmt) == "msg-0042x"
    assert submit_key("000", fmt) == receipt_key("0", fmt)


# --- RouteTable ---------------------------------------------------------------------------

A, B, C = 1, 2, 3
FR_MOBILE = "+33612345678"


def table(*routes: Route, enabled: tuple[int, ...] = (A, B, C)) -> RouteTable:
    return RouteTable(routes, enabled)


def test_candidates_empty_table_has_no_candidates() -> None:
    assert table().candidates(FR_MOBILE, "FR", "sms") == ()
    assert table(enabled=()).candidates(FR_MOBILE, "FR", "sms") == ()


def test_candidates_lower_priority_comes_first() -> None:
    routes = table(Route(1, A, "+33", priority=20), Route(2, B, "+33", priority=10))
    assert routes.candidates(FR_MOBILE, "FR", "sms") == (B, A)


def test_candidates_equal_priority_longer_prefix_first() -> None:
    routes = table(Route(1, A, ""), Route(2, B, "+33"), Route(3, C, "+336"))
    assert routes.candidates(FR_MOBILE, "FR", "sms") == (C, B, A)


def test_candidates_priority_beats_prefix_length() -> None:
    routes = table(Route(1, A, "+336", priority=50), Route(2, B, "", priority=10))
    assert routes.candidates(FR_MOBILE, "FR", "sms") == (B, A)


def test_candidates_same_priority_and_prefix_older_route_first() -> None:
    routes = table(Route(7, A, "+33"), Route(3, B, "+33"))
    assert routes.candidates(FR_MOBILE, "FR", "sms") == (B, A)


def test_candidates_prefix_must_start_the_number() -> None:
    routes = table(Route(1, A, "+33"), Route(2, B, "+44"))
    assert routes.candidates(FR_MOBILE, "FR", "sms") == (A,)
    assert routes.candidates("+4433612345", "GB", "sms") == (B,)
    assert routes.candidates("+12025550123", "US", "sms") == ()


def test_candidates_region_and_service_filters() -> None:
    routes = table(
        Route(1, A, region="FR"),
        Route(2, B, service="mms"),
        Route(3, C, region="FR", service="sms"),
    )
    assert routes.candidates(FR_MOBILE, "FR", "sms") == (A, C)
    assert routes.candidates(FR_MOBILE, "FR", "mms") == (A, B)
    assert routes.candidates(FR_MOBILE, "BE", "sms") == ()
    assert routes.candidates(FR_MOBILE, "BE", "mms") == (B,)


def test_candidates_link_appears_once_at_its_best_place() -> None:
    routes = table(
        Route(1, A, "+336", priority=10),
        Route(2, B, "+33", priority=20),
        Route(3, A, "", priority=30),
    )
    assert routes.candidates(FR_MOBILE, "FR", "sms") == (A, B)
    assert routes.candidates("+33123456789", "FR", "sms") == (B, A)


def test_candidates_disabled_links_are_left_out() -> None:
    routes = table(Route(1, A, "+33", priority=1), Route(2, B, "+33"), enabled=(B,))
    assert routes.candidates(FR_MOBILE, "FR", "sms") == (B,)
    assert [r.id for r in routes.routes] == [2]


def test_candidates_cache_keeps_numbers_with_a_shared_key_apart_where_it_matters() -> None:
    routes = table(Route(1, A, "+336"), Route(2, B, "+33"), Route(3, C, region="BE"))
    # "+336" is the longest prefix: every +336... number shares one cache key.
    assert routes.candidates(FR_MOBILE, "FR", "sms") == (A, B)
    assert routes.candidates("+33698765432", "FR", "sms") == (A, B)
    assert routes.candidates("+33712345678", "FR", "sms") == (B,)
    assert routes.candidates("+33612345678", "BE", "sms") == (A, B, C)
    assert routes.candidates("+3", "FR", "sms") == ()  # shorter than the key
    assert routes.candidates("+33", "FR", "sms") == (B,)
    assert routes.candidates(FR_MOBILE, "FR", "sms") == (A, B)  # from the cache, unchanged


def test_candidates_no_prefixes_every_number_matches() -> None:
    routes = table(Route(1, A), Route(2, B, priority=1))
    assert routes.candidates(FR_MOBILE, "FR", "sms") == (B, A)
    assert routes.candidates("+12025550123", "US", "mms") == (B, A)
