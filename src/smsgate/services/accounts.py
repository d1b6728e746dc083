"""Accounts: creation, credentials, API keys, credit, senders, lines, blacklist, prices.

Secrets are never stored: passwords with a slow hash, API keys (random, 256 bits) with
SHA-256, both compared in constant time. Vendor APIs send username and password on every
call, so a verified password is remembered briefly as an HMAC under a per-process key,
never in plain text, and only while the stored hash is unchanged.
"""

from __future__ import annotations

import builtins
import hashlib
import hmac
import logging
import re
import secrets
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from smsgate import errors
from smsgate.domain import accounts as account_rules
from smsgate.domain.accounts import Account, AccountStatus, Line, Service
from smsgate.domain.phones import parse_phone
from smsgate.domain.pricing import PriceTable
from smsgate.ports import Accounts, ApiKeyRecord, Clock, LedgerEntry, SecretHasher, Store

log = logging.getLogger(__name__)

USERNAME_PATTERN = re.compile(r"^[A-Za-z0-9_.@+-]{3,64}$")
KEY_PATTERN = re.compile(r"^sgk_([0-9a-f]{12})_([A-Za-z0-9_-]{43})$")
MIN_PASSWORD_LENGTH = 6


@dataclass(frozen=True, slots=True)
class NewAccount:
    username: str
    password: str
    email: str | None = None
    credit_micros: int = 0
    country: str | None = None
    services: frozenset[Service] = frozenset({Service.SMS})


@dataclass(frozen=True, slots=True)
class IssuedKey:
    id: int
    key: str  # shown once
    prefix: str


def hash_key_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


class CredentialCache:
    """Remembers verified username/password pairs for `ttl_s`, as HMACs only."""

    def __init__(self, ttl_s: float = 60.0, max_entries: int = 10_000) -> None:
        self._ttl_s = ttl_s
        self._max_entries = max_entries
        self._key = secrets.token_bytes(32)
        self._entries: dict[str, tuple[bytes, str, float]] = {}

    def _digest(self, username: str, password: str) -> bytes:
        return hmac.new(self._key, f"{username}\0{password}".encode(), hashlib.sha256).digest()

    def check(self, username: str, password: str, stored_hash: str) -> bool:
        entry = self._entries.get(username)
        if entry is None:
            return False
        digest, hash_seen, expires = entry
        if expires < time.monotonic() or not hmac.compare_digest(hash_seen, stored_hash):
            self._entries.pop(username, None)
            return False
        return hmac.compare_digest(digest, self._digest(username, password))

    def remember(self, username: str, password: str, stored_hash: str) -> None:
        if len(self._entries) >= self._max_entries:
            self._entries.clear()
        expires = time.monotonic() + self._ttl_s
        self._entries[username] = (self._digest(username, password), stored_hash, expires)


def new_webhook_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(24)


class AccountService:
    def __init__(
        self,
        store: Store,
        clock: Clock,
        hasher: SecretHasher,
        cache: CredentialCache | None = None,
    ) -> None:
        self._store = store
        self._clock = clock
        self._hasher = hasher
        self._cache = cache or CredentialCache()

    # --- creation and credentials -------------------------------------------------------

    async def create(self, new: NewAccount) -> tuple[Account, IssuedKey]:
        """Create an account with its first API key (and opening credit, if any)."""
        if not USERNAME_PATTERN.match(new.username):
            raise errors.InvalidRequest(
                "a username is 3 to 64 letters, digits or . _ @ + -", field="username"
            )
        if len(new.password) < MIN_PASSWORD_LENGTH:
            raise errors.InvalidRequest(
                f"a password has at least {MIN_PASSWORD_LENGTH} characters", field="password"
            )
        country = (new.country or "").upper() or None
        if country is not None and not re.fullmatch(r"[A-Z]{2}", country):
            raise errors.InvalidRequest("a country is a two-letter ISO code", field="country")
        if new.credit_micros < 0:
            raise errors.InvalidRequest("opening credit cannot be negative", field="credit")
        now = self._clock.now()
        password_hash = self._hasher.hash(new.password)
        account = Account(
            id=0,
            username=new.username,
            email=new.email,
            status=AccountStatus.ACTIVE,
            balance_micros=0,
            services=new.services,
            default_country=country,
            created_at=now,
        )
        async with self._store.transaction(write=True) as tx:
            if await tx.accounts.get_by_username(new.username) is not None:
                raise errors.Conflict(f"the username {new.username!r} is taken")
            account_id = await tx.accounts.add(account, password_hash)
            if new.credit_micros:
                await tx.ledger.credit(account_id, new.credit_micros, "topup", "opening", now)
            issued = await self._issue_key(tx.accounts, account_id, "default", now)
            created = await tx.accounts.get(account_id)
        assert created is not None
        log.info("account %s created", new.username, extra={"event": "account_created"})
        return created, issued

    async def _issue_key(
        self, accounts: Accounts, account_id: int, label: str | None, now: datetime
    ) -> IssuedKey:
        prefix = secrets.token_hex(6)
        secret = secrets.token_urlsafe(32)
        key_id = await accounts.add_key(account_id, prefix, hash_key_secret(secret), label, now)
        return IssuedKey(id=key_id, key=f"sgk_{prefix}_{secret}", prefix=prefix)

    async def create_key(self, username: str, label: str | None = None) -> IssuedKey:
        now = self._clock.now()
        async with self._store.transaction(write=True) as tx:
            account = await self._require(tx.accounts, username)
            return await self._issue_key(tx.accounts, account.id, label, now)

    async def revoke_key(self, username: str, key_id_or_prefix: str) -> None:
        now = self._clock.now()
        async with self._store.transaction(write=True) as tx:
            account = await self._require(tx.accounts, username)
            key_id = None
            for record in await tx.accounts.keys(account.id):
                if str(record.id) == key_id_or_prefix or record.prefix == key_id_or_prefix:
                    key_id = record.id
            if key_id is None or not await tx.accounts.revoke_key(account.id, key_id, now):
                raise errors.NotFound(f"no active key {key_id_or_prefix!r} for {username}")
        log.info("key revoked for %s", username, extra={"event": "api_key_revoked"})

    async def keys(self, username: str) -> list[ApiKeyRecord]:
        async with self._store.transaction() as tx:
            account = await self._require(tx.accounts, username)
            return await tx.accounts.keys(account.id)

    async def authenticate_key(self, key: str) -> Account:
        """The account an API key belongs to; unknown, malformed and revoked keys fail alike."""
        match = KEY_PATTERN.match(key.strip())
        if match is None:
            raise errors.AuthenticationFailed("invalid API key")
        prefix, secret = match.groups()
        async with self._store.transaction(autocommit=True) as tx:  # reads only
            found = await tx.accounts.key_with_account(prefix)
        if found is None:
            raise errors.AuthenticationFailed("invalid API key")
        record, account = found
        valid = hmac.compare_digest(record.secret_hash, hash_key_secret(secret))
        if not valid or record.revoked_at is not None:
            raise errors.AuthenticationFailed("invalid API key")
        return account

    async def authenticate_password(self, username: str, password: str) -> Account:
        """The account for a username and password; cached briefly once verified."""
        async with self._store.transaction(autocommit=True) as tx:  # reads only
            stored = await tx.accounts.credentials(username)
            if stored is None:
                # Spend the same time as a real check, so usernames cannot be probed.
                self._hasher.verify(_DUMMY_HASH.get(self._hasher), password)
                raise errors.AuthenticationFailed("invalid username or password")
            if not self._cache.check(username, password, stored.password_hash):
                if not self._hasher.verify(stored.password_hash, password):
                    raise errors.AuthenticationFailed("invalid username or password")
                self._cache.remember(username, password, stored.password_hash)
            account = await tx.accounts.get(stored.account_id)
        if account is None:
            raise errors.AuthenticationFailed("invalid username or password")
        return account

    # --- administration ---------------------------------------------------------------

    async def get(self, username: str) -> Account:
        async with self._store.transaction() as tx:
            return await self._require(tx.accounts, username)

    async def list(self) -> list[Account]:
        async with self._store.transaction() as tx:
            return await tx.accounts.list()

    async def set_status(self, username: str, status: AccountStatus) -> Account:
        async with self._store.transaction(write=True) as tx:
            account = await self._require(tx.accounts, username)
            await tx.accounts.set_status(account.id, status)
        log.info("account %s now %s", username, status, extra={"event": "account_status"})
        return replace(account, status=status)

    async def expire(self, username: str, at: datetime | None = None) -> Account:
        when = at or self._clock.now()
        if when.tzinfo is None:
            raise errors.InvalidRequest("the expiry time needs a time zone")
        async with self._store.transaction(write=True) as tx:
            account = await self._require(tx.accounts, username)
            await tx.accounts.update(account.id, expires_at=when)
        return replace(account, expires_at=when)

    async def update_settings(self, username: str, **fields: object) -> Account:
        """Change plain settings (limits, countries, words, webhook, switches)."""
        account_rules.check_settings(fields)
        async with self._store.transaction(write=True) as tx:
            account = await self._require(tx.accounts, username)
            if fields.get("webhook_url") and account.webhook_secret is None:
                fields["webhook_secret"] = new_webhook_secret()
            await tx.accounts.update(account.id, **fields)
            updated = await tx.accounts.get(account.id)
        assert updated is not None
        return updated

    async def rotate_webhook_secret(self, username: str) -> str:
        """A new webhook signing secret for the account (the old one stops being used)."""
        secret = new_webhook_secret()
        async with self._store.transaction(write=True) as tx:
            account = await self._require(tx.accounts, username)
            await tx.accounts.update(account.id, webhook_secret=secret)
        return secret

    async def add_credit(self, username: str, amount_micros: int, note: str | None) -> Account:
        """Top up (positive) or take back (negative, never below zero) credit."""
        if amount_micros == 0:
            raise errors.InvalidRequest("the amount must not be zero")
        now = self._clock.now()
        async with self._store.transaction(write=True) as tx:
            account = await self._require(tx.accounts, username, lock=True)
            if amount_micros > 0:
                await tx.ledger.credit(account.id, amount_micros, "topup", note, now)
            elif await tx.ledger.debit(account.id, -amount_micros, None, now) is None:
                raise errors.InsufficientCredit("the balance cannot go below zero")
            updated = await tx.accounts.get(account.id)
        assert updated is not None
        log.info(
            "credit changed for %s by %d",
            username,
            amount_micros,
            extra={"event": "credit_changed"},
        )
        return updated

    async def ledger(self, username: str) -> builtins.list[LedgerEntry]:
        async with self._store.transaction() as tx:
            account = await self._require(tx.accounts, username)
            return await tx.ledger.entries(account.id)

    async def add_sender(self, username: str, sender: str) -> Account:
        sender = sender.strip()
        if not sender or len(sender) > 20:
            raise errors.InvalidRequest("a sender id has 1 to 20 characters")
        async with self._store.transaction(write=True) as tx:
            account = await self._require(tx.accounts, username)
            senders = sorted(account.allowed_senders | {sender})
            await tx.accounts.update(account.id, allowed_senders=senders)
        return replace(account, allowed_senders=frozenset(senders))

    async def add_line(self, username: str, number: str, active: bool = True) -> Line:
        async with self._store.transaction(write=True) as tx:
            account = await self._require(tx.accounts, username)
            line = Line(number=_line_number(number, account.default_country), active=active)
            await tx.accounts.add_line(account.id, line.number, line.active)
        return line

    async def lines(self, username: str) -> builtins.list[Line]:
        async with self._store.transaction() as tx:
            account = await self._require(tx.accounts, username)
            return await tx.accounts.lines(account.id)

    async def blacklist_add(self, username: str | None, numbers: Sequence[str]) -> int:
        now = self._clock.now()
        async with self._store.transaction(write=True) as tx:
            account_id, region = await self._blacklist_owner(tx.accounts, username)
            return await tx.blacklist.add(account_id, _e164_all(numbers, region), now)

    async def blacklist_remove(self, username: str | None, numbers: Sequence[str]) -> int:
        async with self._store.transaction(write=True) as tx:
            account_id, region = await self._blacklist_owner(tx.accounts, username)
            return await tx.blacklist.remove(account_id, _e164_all(numbers, region))

    async def blacklist(self, username: str | None) -> builtins.list[str]:
        async with self._store.transaction() as tx:
            account_id, _ = await self._blacklist_owner(tx.accounts, username)
            return await tx.blacklist.list(account_id)

    async def price_table(self) -> PriceTable:
        """Every price set, and the defaults for countries without one."""
        async with self._store.transaction() as tx:
            return await tx.prices.table()

    async def set_price(self, service: Service, region: str, price_micros: int) -> None:
        region = region.upper()
        if region != "*" and not re.fullmatch(r"[A-Z]{2}", region):
            raise errors.InvalidRequest("a price region is a two-letter ISO code or *")
        if price_micros < 0:
            raise errors.InvalidRequest("a price cannot be negative")
        async with self._store.transaction(write=True) as tx:
            await tx.prices.set(service, region, price_micros)

    async def _blacklist_owner(
        self, accounts: Accounts, username: str | None
    ) -> tuple[int | None, str | None]:
        if username is None:
            return None, None
        account = await self._require(accounts, username)
        return account.id, account.default_country

    async def _require(self, accounts: Accounts, username: str, lock: bool = False) -> Account:
        account = await accounts.get_by_username(username)
        if account is None:
            raise errors.NotFound(f"no account {username!r}")
        if lock:
            account = await accounts.get(account.id, lock=True)
            assert account is not None
        return account


def check_api_access(account: Account, now: datetime) -> None:
    """What every API call checks after authentication: active, not expired, API enabled."""
    account_rules.check_active(account, now)
    account_rules.check_web_service(account)


def _line_number(number: str, region: str | None) -> str:
    phone = parse_phone(number, region)
    if phone is not None:
        return phone.e164
    if re.fullmatch(r"\d{3,15}", number):  # short codes and panel lines such as 10002188
        return number
    raise errors.InvalidRequest(f"not a phone number or short code: {number!r}")


def _e164_all(numbers: Sequence[str], region: str | None) -> builtins.list[str]:
    found = []
    for raw in numbers:
        phone = parse_phone(raw, region)
        if phone is None:
            raise errors.InvalidRequest(f"not a valid phone number: {raw!r}", number=raw)
        found.append(phone.e164)
    return found


class _DummyHashes:
    """One throwaway hash per hasher, made on first use."""

    def __init__(self) -> None:
        self._hashes: dict[int, str] = {}

    def get(self, hasher: SecretHasher) -> str:
        key = id(hasher)
        if key not in self._hashes:
            self._hashes[key] = hasher.hash(secrets.token_urlsafe(16))
        return self._hashes[key]


_DUMMY_HASH = _DummyHashes()
