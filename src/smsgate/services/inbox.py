"""The inbox: inbound messages an account received on its lines, newest first."""

from __future__ import annotations

import builtins
from collections.abc import Sequence

from smsgate import errors
from smsgate.domain.accounts import Account
from smsgate.domain.inbound import InboundMessage, InboxFilter
from smsgate.ports import Store

MAX_PAGE = 1000
MAX_OFFSET = 100_000  # position-based paging walks this far at most


class InboxService:
    def __init__(self, store: Store) -> None:
        self._store = store

    async def list(self, account: Account, query: InboxFilter) -> builtins.list[InboundMessage]:
        if not 1 <= query.limit <= MAX_PAGE:
            raise errors.InvalidRequest(f"limit must be between 1 and {MAX_PAGE}")
        async with self._store.transaction() as tx:
            return await tx.inbox.list(account.id, query)

    async def page(
        self,
        account: Account,
        *,
        recipients: Sequence[str] | None,
        offset: int,
        limit: int,
        mark_read: bool = False,
    ) -> builtins.list[InboundMessage]:
        """Messages `offset`..`offset + limit` (newest first) received on any of `recipients`
        (every line when None), for APIs that page by position. With `mark_read`, the page is
        marked read in the same transaction; it is returned as it was before."""
        if not 1 <= limit <= MAX_PAGE:
            raise errors.InvalidRequest(f"limit must be between 1 and {MAX_PAGE}")
        if not 0 <= offset <= MAX_OFFSET:
            raise errors.InvalidRequest(f"offset must be between 0 and {MAX_OFFSET}")
        wanted = offset + limit
        lines: list[str | None] = [None]
        if recipients is not None:
            lines = list(dict.fromkeys(recipients))
        found: list[InboundMessage] = []
        async with self._store.transaction(write=mark_read) as tx:
            for line in lines:
                before: int | None = None
                taken = 0
                while taken < wanted:
                    chunk = await tx.inbox.list(
                        account.id,
                        InboxFilter(recipient=line, before_id=before, limit=MAX_PAGE),
                    )
                    found.extend(chunk)
                    taken += len(chunk)
                    if len(chunk) < MAX_PAGE:
                        break
                    before = chunk[-1].id
            found.sort(key=lambda m: m.id, reverse=True)
            page = found[offset:wanted]
            if mark_read and page:
                await tx.inbox.mark_read(account.id, [m.id for m in page])
        return page

    async def count(self, account: Account, *, is_read: bool | None = None) -> int:
        async with self._store.transaction() as tx:
            return await tx.inbox.count(account.id, is_read)

    async def mark_read(self, account: Account, ids: Sequence[int]) -> int:
        """Mark the account's messages among `ids` read; returns how many it owns."""
        async with self._store.transaction(write=True) as tx:
            return await tx.inbox.mark_read(account.id, ids)

    async def read_one(self, account: Account, message_id: int) -> InboundMessage:
        """Mark one message read and return it; NotFound if the account has no such message."""
        if await self.mark_read(account, [message_id]) == 0:
            raise errors.NotFound(f"no inbound message {message_id}")
        async with self._store.transaction() as tx:
            found = await tx.inbox.list(account.id, InboxFilter(before_id=message_id + 1, limit=1))
        return found[0]
