"""SqlDelivery.claim on PostgreSQL: a claim costs the rows it takes, whatever the queue holds
and whatever the statistics say about it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy import event

from smsgate.bootstrap import Gateway
from smsgate.domain.recipients import Recipient
from smsgate.services.accounts import NewAccount
from smsgate.services.sending import SendRequest
from tests.conftest import PG_URL

FETCHED = "SELECT pg_stat_get_xact_tuples_fetched('messages'::regclass)"  # through indexes
RETURNED = "SELECT pg_stat_get_xact_tuples_returned('messages'::regclass)"  # read by scans


@pytest.mark.skipif(not PG_URL, reason="PostgreSQL's planner and statistics")
async def test_a_claim_reads_the_rows_it_takes_not_the_whole_queue(gateway: Gateway) -> None:
    """Statistics taken while the queue was empty, then 3,000 messages queued (a campaign's
    burst before autovacuum's next ANALYZE): a claim of 10 must still read about 10 rows of
    the claim index, not every due message to sort them, nor the whole table to update
    the ten."""
    async with gateway.store.engine.begin() as conn:
        await conn.exec_driver_sql("ANALYZE messages")
    account, _ = await gateway.accounts.create(
        NewAccount(username="alice", password="secret-pw", credit_micros=10**10)
    )
    for start in range(0, 3_000, 1_000):
        numbers = [f"+336{n:08d}" for n in range(start, start + 1_000)]
        await gateway.sending.send(account, SendRequest([Recipient(n) for n in numbers], "hi"))
    now = datetime.now(UTC)
    async with gateway.store.transaction(write=True) as tx:
        conn = tx.delivery._conn
        before = (await conn.scalar(sa.text(FETCHED)), await conn.scalar(sa.text(RETURNED)))
        claimed = await tx.delivery.claim(now, now + timedelta(minutes=5), 10)
        after = (await conn.scalar(sa.text(FETCHED)), await conn.scalar(sa.text(RETURNED)))
    assert len(claimed) == 10
    assert after[0] - before[0] < 100, (before, after)
    assert after[1] - before[1] < 100, (before, after)


@pytest.mark.skipif(not PG_URL, reason="PostgreSQL runs a statement outside a transaction block")
async def test_a_claim_is_one_statement_that_commits_by_itself(gateway: Gateway) -> None:
    """No BEGIN, no `SET LOCAL enable_sort = off`, no COMMIT: three round trips more per
    claim, each waiting on the dispatcher's busy event loop (the function of migration 0008
    carries the setting)."""
    account, _ = await gateway.accounts.create(
        NewAccount(username="alice", password="secret-pw", credit_micros=10**10)
    )
    numbers = [f"+3361234560{n}" for n in range(6)]
    await gateway.sending.send(account, SendRequest([Recipient(n) for n in numbers], "hi"))
    assert len(await gateway.delivery.claim(3)) == 3  # the batch's content is cached now
    seen: list[tuple[str, object]] = []

    def statement(conn: Any, cursor: Any, sql: str, *args: Any) -> None:
        seen.append((sql.split()[0], conn.get_execution_options().get("isolation_level")))

    event.listen(gateway.store.engine.sync_engine, "before_cursor_execute", statement)
    try:
        assert len(await gateway.delivery.claim(3)) == 3
    finally:
        event.remove(gateway.store.engine.sync_engine, "before_cursor_execute", statement)
    assert seen == [("UPDATE", "AUTOCOMMIT")]
