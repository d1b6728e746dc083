"""The Payamak tables: every domain error has its codes, every contract operation a handler."""

from __future__ import annotations

import pytest

from smsgate import errors
from smsgate.api.dialects.payamak import codes, rest, soap
from smsgate.api.dialects.payamak.codes import Family, Flavour
from smsgate.api.dialects.payamak.contract import MESSAGE_INFO_FIELDS, OPERATION_NAMES


@pytest.mark.parametrize("error", errors.leaf_errors(), ids=lambda c: c.__name__)
def test_payamak_error_table_names_every_leaf_error(error: type[errors.GatewayError]) -> None:
    assert error in codes.ERROR_CODES
    found = codes.codes_for(error("boom"))
    assert found.send is None or 1 <= found.send <= 10
    assert 1 <= found.send_rest <= 26
    assert found.account in (None, -1, -2)
    assert found.delivery in (None, -1, -2)


def test_payamak_every_send_code_has_a_cause() -> None:
    send_codes = {c.send for c in codes.ERROR_CODES.values()}
    assert set(range(1, 11)) <= send_codes


def test_payamak_api_key_refusal_codes_apply_to_rest_only() -> None:
    refused = errors.AuthenticationFailed("invalid API key")
    assert codes.result_code(refused, Family.SEND, Flavour.REST, via_api_key=True) == 25
    assert codes.result_code(refused, Family.ACCOUNT, Flavour.REST, via_api_key=True) == -7
    assert codes.result_code(refused, Family.DELIVERY, Flavour.REST, via_api_key=True) == -7
    assert codes.result_code(refused, Family.SEND, Flavour.REST) == 1
    assert codes.result_code(refused, Family.SEND, Flavour.SOAP, via_api_key=True) == 1


def test_payamak_soap_and_rest_handle_exactly_the_contract_operations() -> None:
    assert set(soap.HANDLERS) == OPERATION_NAMES
    assert set(rest.HANDLERS) == OPERATION_NAMES
    assert len(OPERATION_NAMES) == 8


def test_payamak_message_info_members_are_in_ordinal_order() -> None:
    names = [name for name, _ in MESSAGE_INFO_FIELDS]
    assert names == sorted(names)  # str sorting is ordinal, as DataContract's
    assert len(names) == 22
