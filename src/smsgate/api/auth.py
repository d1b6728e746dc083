"""Native API authentication: `Authorization: Bearer <api key>`."""

from __future__ import annotations

from fastapi import Request

from smsgate import errors
from smsgate.bootstrap import Gateway
from smsgate.domain.accounts import Account
from smsgate.services.accounts import check_api_access


def gateway_of(request: Request) -> Gateway:
    gateway: Gateway = request.app.state.gateway
    return gateway


async def bearer_account(request: Request) -> Account:
    """The account of the request's API key, checked for API access now."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise errors.AuthenticationFailed("send an API key as 'Authorization: Bearer <key>'")
    gateway = gateway_of(request)
    account = await gateway.accounts.authenticate_key(token.strip())
    check_api_access(account, gateway.clock.now())
    return account
