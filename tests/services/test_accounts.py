from __future__ import annotations

import pytest

from smsgate import errors
from smsgate.bootstrap import Gateway
from smsgate.passwords import Argon2Hasher
from smsgate.services.accounts import CredentialCache, NewAccount


def test_argon2_hasher_verifies_only_the_right_password() -> None:
    hasher = Argon2Hasher(time_cost=1, memory_cost_kib=8)
    hashed = hasher.hash("s3cret")
    assert hashed.startswith("$argon2id$")
    assert hasher.verify(hashed, "s3cret")
    assert not hasher.verify(hashed, "other")
    assert not hasher.verify("garbage", "s3cret")


def test_credential_cache_keeps_no_plaintext_and_follows_the_stored_hash() -> None:
    cache = CredentialCache(ttl_s=60)
    cache.remember("alice", "pw-123456", "hash-1")
    assert cache.check("alice", "pw-123456", "hash-1")
    assert not cache.check("alice", "wrong", "hash-1")
    assert "pw-123456" not in repr(cache.__dict__)
    assert not cache.check("alice", "pw-123456", "hash-2")  # password changed: entry dropped
    assert not cache.check("alice", "pw-123456", "hash-1")


def test_credential_cache_zero_ttl_never_hits() -> None:
    cache = CredentialCache(ttl_s=0)
    cache.remember("alice", "pw-123456", "h")
    assert not cache.check("alice", "pw-123456", "h")


async def test_authenticate_password_right_and_wrong(gateway: Gateway) -> None:
    await gateway.accounts.create(NewAccount(username="alice", password="secret-pw"))
    account = await gateway.accounts.authenticate_password("alice", "secret-pw")
    assert account.username == "alice"
    again = await gateway.accounts.authenticate_password("alice", "secret-pw")  # cached
    assert again.id == account.id
    with pytest.raises(errors.AuthenticationFailed):
        await gateway.accounts.authenticate_password("alice", "nope")
    with pytest.raises(errors.AuthenticationFailed):
        await gateway.accounts.authenticate_password("nobody", "secret-pw")


async def test_create_account_refuses_bad_values_and_duplicates(gateway: Gateway) -> None:
    with pytest.raises(errors.InvalidRequest):
        await gateway.accounts.create(NewAccount(username="a", password="secret-pw"))
    with pytest.raises(errors.InvalidRequest):
        await gateway.accounts.create(NewAccount(username="alice", password="x"))
    with pytest.raises(errors.InvalidRequest):
        await gateway.accounts.create(
            NewAccount(username="alice", password="secret-pw", country="France")
        )
    await gateway.accounts.create(NewAccount(username="alice", password="secret-pw"))
    with pytest.raises(errors.Conflict):
        await gateway.accounts.create(NewAccount(username="alice", password="secret-pw"))


async def test_credit_never_below_zero_and_ledger_matches(gateway: Gateway) -> None:
    await gateway.accounts.create(
        NewAccount(username="alice", password="secret-pw", credit_micros=5_000_000)
    )
    await gateway.accounts.add_credit("alice", -2_000_000, "correction")
    with pytest.raises(errors.InsufficientCredit):
        await gateway.accounts.add_credit("alice", -4_000_000, None)
    account = await gateway.accounts.get("alice")
    entries = await gateway.accounts.ledger("alice")
    assert account.balance_micros == 3_000_000
    assert sum(e.amount_micros for e in entries) == 3_000_000
    assert entries[-1].balance_after_micros == 3_000_000


async def test_keys_several_per_account_each_revocable(gateway: Gateway) -> None:
    _, first = await gateway.accounts.create(NewAccount(username="alice", password="secret-pw"))
    second = await gateway.accounts.create_key("alice", "ci")
    assert (await gateway.accounts.authenticate_key(second.key)).username == "alice"
    await gateway.accounts.revoke_key("alice", str(second.id))
    with pytest.raises(errors.AuthenticationFailed):
        await gateway.accounts.authenticate_key(second.key)
    assert (await gateway.accounts.authenticate_key(first.key)).username == "alice"
    with pytest.raises(errors.NotFound):
        await gateway.accounts.revoke_key("alice", str(second.id))


@pytest.mark.parametrize(
    "fields",
    [
        {"daily_limit": -1},
        {"daily_limit": "10"},
        {"flood_limit_24h": 0},
        {"allowed_countries": ["France"]},
        {"default_country": "fr"},
        {"country_monthly_limits": {"FR": -5}},
        {"web_service_enabled": "yes"},
        {"filtered_words": [""]},
        {"webhook_url": "ftp://example.com/hook"},
        {"services": ["fax"]},
        {"marketing_hours": {"start": "20:00", "end": "08:00"}},
        {"balance_micros": 10**12},
        {"password_hash": "x"},
    ],
)
async def test_update_settings_refuses_values_an_account_cannot_hold(
    gateway: Gateway, fields: dict[str, object]
) -> None:
    before, _ = await gateway.accounts.create(NewAccount(username="alice", password="secret-pw"))
    with pytest.raises(errors.InvalidRequest):
        await gateway.accounts.update_settings("alice", **fields)
    assert await gateway.accounts.get("alice") == before
