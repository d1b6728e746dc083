from __future__ import annotations

import pytest

from smsgate import errors
from smsgate.api.errors import NATIVE_ERRORS, gateway_error_response


@pytest.mark.parametrize("error", errors.leaf_errors(), ids=lambda c: c.__name__)
def test_native_error_table_names_every_leaf_error(error: type[errors.GatewayError]) -> None:
    assert error in NATIVE_ERRORS
    response = gateway_error_response(error("boom"))
    assert 400 <= response.status_code < 600
    assert error is errors.GatewayError or response.status_code < 500
