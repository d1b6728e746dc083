"""The one schema source: every table, its keys and indexes. Migrations must match it.

Times are stored in UTC (`UtcDateTime`); money in integer micro-credits; the balance has a
CHECK so that no bug can take it below zero.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

from smsgate.domain.messages import IN_QUEUE

metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

# SQLite only aliases the rowid for INTEGER PRIMARY KEY; PostgreSQL gets a BIGINT identity.
Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


class UtcDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every database (SQLite keeps no offset)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if isinstance(value, str):
            value = datetime.fromisoformat(value)
        found: datetime = value
        return found.replace(tzinfo=UTC) if found.tzinfo is None else found.astimezone(UTC)


accounts = sa.Table(
    "accounts",
    metadata,
    sa.Column("id", Id, primary_key=True, autoincrement=True),
    sa.Column("username", sa.String(64), nullable=False, unique=True),
    sa.Column("email", sa.String(254)),
    sa.Column("password_hash", sa.String(255), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("balance_micros", sa.BigInteger, nullable=False, server_default="0"),
    sa.Column("expires_at", UtcDateTime),
    sa.Column("services", sa.JSON, nullable=False),
    sa.Column("default_country", sa.String(2)),
    sa.Column("allowed_senders", sa.JSON, nullable=False),
    sa.Column("daily_limit", sa.Integer),
    sa.Column("allowed_countries", sa.JSON),
    sa.Column("country_monthly_limits", sa.JSON, nullable=False),
    sa.Column("flood_limit_24h", sa.Integer),
    sa.Column("web_service_enabled", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("filtered_words", sa.JSON, nullable=False),
    sa.Column("webhook_url", sa.String(2048)),
    sa.Column("webhook_secret", sa.String(64)),  # HMAC key for webhook signatures (0002)
    # 0004: when marketing may go out: {"start": "08:00", "end": "20:00", "timezone": ...,
    # "days": [0..6]} (domain/campaigns.SendingHours); NULL: at any time.
    sa.Column("marketing_hours", sa.JSON),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.CheckConstraint("balance_micros >= 0", name="balance_not_negative"),
)

api_keys = sa.Table(
    "api_keys",
    metadata,
    sa.Column("id", Id, primary_key=True, autoincrement=True),
    sa.Column("account_id", Id, sa.ForeignKey("accounts.id"), nullable=False, index=True),
    sa.Column("prefix", sa.String(16), nullable=False, unique=True),
    sa.Column("secret_hash", sa.String(64), nullable=False),
    sa.Column("label", sa.String(64)),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("revoked_at", UtcDateTime),
)

lines = sa.Table(
    "lines",
    metadata,
    sa.Column("number", sa.String(32), primary_key=True),
    sa.Column("account_id", Id, sa.ForeignKey("accounts.id"), nullable=False, index=True),
    sa.Column("active", sa.Boolean, nullable=False),
)

prices = sa.Table(
    "prices",
    metadata,
    sa.Column("service", sa.String(8), primary_key=True),
    sa.Column("region", sa.String(3), primary_key=True),
    sa.Column("price_micros", sa.BigInteger, nullable=False),
)

ledger = sa.Table(
    "ledger",
    metadata,
    sa.Column("id", Id, primary_key=True, autoincrement=True),
    sa.Column("account_id", Id, sa.ForeignKey("accounts.id"), nullable=False, index=True),
    sa.Column("amount_micros", sa.BigInteger, nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),  # topup, charge, refund, adjustment
    sa.Column("balance_after_micros", sa.BigInteger, nullable=False),
    sa.Column("batch_id", Id),
    sa.Column("note", sa.String(255)),
    sa.Column("created_at", UtcDateTime, nullable=False),
)

blacklist = sa.Table(
    "blacklist",
    metadata,
    sa.Column("account_id", Id, sa.ForeignKey("accounts.id"), primary_key=True),
    sa.Column("number", sa.String(32), primary_key=True),
    sa.Column("created_at", UtcDateTime, nullable=False),
)

global_blacklist = sa.Table(
    "global_blacklist",
    metadata,
    sa.Column("number", sa.String(32), primary_key=True),
    sa.Column("created_at", UtcDateTime, nullable=False),
)

npai = sa.Table(
    "npai",
    metadata,
    sa.Column("number", sa.String(32), primary_key=True),
    sa.Column("reason", sa.String(64)),
    sa.Column("created_at", UtcDateTime, nullable=False),
)

# Per-account counters for the daily limit (region "*") and monthly per-country limits.
usage = sa.Table(
    "usage",
    metadata,
    sa.Column("account_id", Id, sa.ForeignKey("accounts.id"), primary_key=True),
    sa.Column("period", sa.String(10), primary_key=True),  # YYYY-MM-DD or YYYY-MM
    sa.Column("region", sa.String(3), primary_key=True),
    sa.Column("count", sa.BigInteger, nullable=False),
)

batches = sa.Table(
    "batches",
    metadata,
    sa.Column("id", Id, primary_key=True, autoincrement=True),
    sa.Column("account_id", Id, sa.ForeignKey("accounts.id"), nullable=False),
    sa.Column("service", sa.String(8), nullable=False),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("sender", sa.String(32)),
    sa.Column("encoding", sa.String(8), nullable=False),
    sa.Column("segments", sa.Integer, nullable=False),
    sa.Column("flash", sa.Boolean, nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("scheduled_at", UtcDateTime),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("idempotency_key", sa.String(255)),
    sa.Column("total", sa.Integer, nullable=False),
    sa.Column("verdict_counts", sa.JSON, nullable=False),
    sa.Column("refused", sa.JSON, nullable=False),
    # With an idempotency key: every recipient's verdict in request order, to replay the answer.
    sa.Column("replay_recipients", sa.JSON),
    sa.Column("request_hash", sa.String(64)),  # 0004: what an idempotency key was used for
    sa.Column("cost_micros", sa.BigInteger, nullable=False),
    sa.UniqueConstraint("account_id", "idempotency_key"),
)

# A message in the queue (domain.messages.IN_QUEUE): due_at is set exactly while it is.
QUEUE_SQL = "status IN ({})".format(", ".join(f"'{status}'" for status in IN_QUEUE))

# The queue. No foreign keys (0004): a message is written only in its batch's transaction,
# and the per-row checks cost a third of a million-message launch (docs/decisions/0006).
messages = sa.Table(
    "messages",
    metadata,
    sa.Column("id", Id, primary_key=True, autoincrement=True),
    sa.Column("batch_id", Id, nullable=False, index=True),
    sa.Column("account_id", Id, nullable=False),
    sa.Column("recipient", sa.String(32), nullable=False),
    sa.Column("region", sa.String(3), nullable=False),
    sa.Column("reference", sa.String(64)),
    sa.Column("segments", sa.Integer, nullable=False),
    sa.Column("price_micros", sa.BigInteger, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    # When a dispatcher may take it; NULL once it has left the queue (0007), so that the
    # claim index names no status and a message's finish is a HOT update (docs/delivery.md).
    sa.Column("due_at", UtcDateTime),
    sa.Column("scheduled_at", UtcDateTime),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("updated_at", UtcDateTime, nullable=False),
    sa.Column("carrier_message_id", sa.String(64)),
    sa.Column("error_code", sa.String(32)),
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),  # 0002
    sa.Column("link_id", Id),  # 0002: the link it was last submitted on
    # 0004: 0 transactional, 1 marketing: a claim takes every due 0 before any due 1.
    sa.Column("priority", sa.SmallInteger, nullable=False, server_default="0"),
    sa.Column("text", sa.Text),  # 0004: a personalised text; NULL: the batch's text
    sa.Index("ix_messages_account_recipient_created", "account_id", "recipient", "created_at"),
    # The queue: what a dispatcher may claim, in priority then due order (0003: a partial
    # index, so that a claim reads the first rows of one range whatever else the table holds;
    # 0007: over due_at, set exactly while the message is in the queue).
    sa.Index(
        "ix_messages_claimable_due",
        "priority",
        "due_at",
        postgresql_where=sa.text("due_at IS NOT NULL"),
        sqlite_where=sa.text("due_at IS NOT NULL"),
    ),
    sa.CheckConstraint(f"(due_at IS NOT NULL) = ({QUEUE_SQL})", name="due_in_queue"),
    # 0007: room on each page for a message's last version (PostgreSQL).
    postgresql_with={"fillfactor": 60},
)

# 0008: the claim's choice of due messages on PostgreSQL, planned with no sort allowed (see
# SqlDelivery.claim); made with the tables too, so that create_all's schema has it.
DUE_MESSAGES_FUNCTION = """
CREATE FUNCTION smsgate_due_messages(due timestamptz, wanted integer)
RETURNS SETOF bigint
LANGUAGE sql VOLATILE
SET enable_sort = off
AS $$
    SELECT id FROM messages WHERE due_at <= due
    ORDER BY priority, due_at
    LIMIT wanted
    FOR UPDATE SKIP LOCKED
$$
"""
_DUE_MESSAGES_DDL = sa.DDL(DUE_MESSAGES_FUNCTION)  # type: ignore[no-untyped-call]
sa.event.listen(messages, "after_create", _DUE_MESSAGES_DDL.execute_if(dialect="postgresql"))

# --- Delivery (migration 0002) -------------------------------------------------------------

# Carrier links (SMPP binds) as configured with `smsgate links add`. The password is kept as
# given: it must be sent to the carrier on every bind (see docs/decisions/0005).
links = sa.Table(
    "links",
    metadata,
    sa.Column("id", Id, primary_key=True, autoincrement=True),
    sa.Column("name", sa.String(64), nullable=False, unique=True),
    sa.Column("host", sa.String(255), nullable=False),
    sa.Column("port", sa.Integer, nullable=False),
    sa.Column("system_id", sa.String(16), nullable=False),
    sa.Column("password", sa.String(9), nullable=False),
    sa.Column("system_type", sa.String(13), nullable=False),
    sa.Column("bind_mode", sa.String(24), nullable=False),  # transceiver | transmitter_receiver
    sa.Column("binds", sa.Integer, nullable=False),
    sa.Column("window", sa.Integer, nullable=False),
    sa.Column("max_per_second", sa.Integer),
    sa.Column("enquire_link_s", sa.Float, nullable=False),
    sa.Column("reconnect_min_s", sa.Float, nullable=False),
    sa.Column("reconnect_max_s", sa.Float, nullable=False),
    sa.Column("source_ton", sa.Integer, nullable=False),
    sa.Column("source_npi", sa.Integer, nullable=False),
    sa.Column("dest_ton", sa.Integer, nullable=False),
    sa.Column("dest_npi", sa.Integer, nullable=False),
    sa.Column("data_coding", sa.Integer, nullable=False),
    sa.Column("long_method", sa.String(8), nullable=False),  # udh | sar | payload
    sa.Column("receipt_id_format", sa.String(8), nullable=False),  # same | hex | decimal
    sa.Column("enabled", sa.Boolean, nullable=False),
    sa.Column("created_at", UtcDateTime, nullable=False),
)

# Routing rules: the first enabled link, by priority, whose prefix/region/service match.
routes = sa.Table(
    "routes",
    metadata,
    sa.Column("id", Id, primary_key=True, autoincrement=True),
    sa.Column("link_id", Id, sa.ForeignKey("links.id", ondelete="CASCADE"), nullable=False),
    sa.Column("prefix", sa.String(16), nullable=False),  # "+33", or "" for any number
    sa.Column("region", sa.String(3)),  # ISO country code, or NULL for any
    sa.Column("service", sa.String(8)),  # sms | mms, or NULL for any
    sa.Column("priority", sa.Integer, nullable=False),
    sa.Column("created_at", UtcDateTime, nullable=False),
)

# One row per segment handed to a carrier; `carrier_key` is the carrier's message id,
# normalised per the link's receipt_id_format so that receipts match it by equality. No foreign
# key to messages (migration 0005): parts are written only by the dispatcher, for messages it
# has just moved to submitted in the same transaction (docs/decisions/0006). Each part is
# written twice, inserted then updated by its receipt: half of each page is left free
# (migration 0006, PostgreSQL) so that the update stays on its page, a HOT update that writes
# neither index (receipt matching took 10-25% less time in bench/dispatch.py).
parts = sa.Table(
    "parts",
    metadata,
    sa.Column("message_id", Id, primary_key=True),
    sa.Column("seq", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("link_id", Id, nullable=False),
    sa.Column("carrier_key", sa.String(64), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("error_code", sa.String(32)),
    sa.Column("submitted_at", UtcDateTime, nullable=False),
    sa.Column("done_at", UtcDateTime),
    sa.Index("ix_parts_link_key", "link_id", "carrier_key"),
    postgresql_with={"fillfactor": 50},
)

# Receipts that came before their submit_sm_resp was recorded (or for ids never seen);
# matched when the submit is recorded, dropped after `expires_at`.
pending_receipts = sa.Table(
    "pending_receipts",
    metadata,
    sa.Column("id", Id, primary_key=True, autoincrement=True),
    sa.Column("link_id", Id, nullable=False),
    sa.Column("carrier_key", sa.String(64), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("error_code", sa.String(32)),
    sa.Column("received_at", UtcDateTime, nullable=False),
    sa.Column("expires_at", UtcDateTime, nullable=False),
    sa.Index("ix_pending_receipts_link_key", "link_id", "carrier_key"),
    sa.Index("ix_pending_receipts_expires", "expires_at"),
)

# Inbound (MO) messages, for the account owning the destination line.
inbound = sa.Table(
    "inbound",
    metadata,
    sa.Column("id", Id, primary_key=True, autoincrement=True),
    sa.Column("account_id", Id, sa.ForeignKey("accounts.id"), nullable=False),
    sa.Column("link_id", Id),
    sa.Column("sender", sa.String(32), nullable=False),
    sa.Column("recipient", sa.String(32), nullable=False),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("parts", sa.Integer, nullable=False),
    sa.Column("is_read", sa.Boolean, nullable=False),
    sa.Column("opt_out", sa.Boolean, nullable=False),
    sa.Column("received_at", UtcDateTime, nullable=False),
    sa.Index("ix_inbound_account_id", "account_id", "id"),
)

# Parts of concatenated MO messages until the last one arrives (durable: they were acked).
inbound_parts = sa.Table(
    "inbound_parts",
    metadata,
    sa.Column("id", Id, primary_key=True, autoincrement=True),
    sa.Column("link_id", Id, nullable=False),
    sa.Column("sender", sa.String(32), nullable=False),
    sa.Column("recipient", sa.String(32), nullable=False),
    sa.Column("reference", sa.Integer, nullable=False),
    sa.Column("total", sa.Integer, nullable=False),
    sa.Column("seq", sa.Integer, nullable=False),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("received_at", UtcDateTime, nullable=False),
    sa.UniqueConstraint("link_id", "sender", "recipient", "reference", "seq"),
)

# Webhook events, written in the transaction that caused them and posted by the outbox worker.
webhook_outbox = sa.Table(
    "webhook_outbox",
    metadata,
    sa.Column("id", Id, primary_key=True, autoincrement=True),
    sa.Column("account_id", Id, sa.ForeignKey("accounts.id"), nullable=False),
    sa.Column("event", sa.String(32), nullable=False),
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),  # pending | sent | dead
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("next_at", UtcDateTime, nullable=False),
    sa.Column("last_error", sa.String(255)),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Index("ix_webhook_outbox_status_next", "status", "next_at"),
)


# --- Campaigns and contacts (migration 0004) -------------------------------------------------

contact_lists = sa.Table(
    "contact_lists",
    metadata,
    sa.Column("id", Id, primary_key=True, autoincrement=True),
    sa.Column("account_id", Id, sa.ForeignKey("accounts.id"), nullable=False),
    sa.Column("name", sa.String(64), nullable=False),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.UniqueConstraint("account_id", "name"),
)

# One row per (account, E.164 number): a contact in several lists is one contact. `region`
# is read at import so that a campaign prices and screens it without parsing it again;
# `gsm7`: its name and fields fit the GSM 03.38 alphabet (a personalised text stays GSM-7).
contacts = sa.Table(
    "contacts",
    metadata,
    sa.Column("id", Id, primary_key=True, autoincrement=True),
    sa.Column("account_id", Id, sa.ForeignKey("accounts.id"), nullable=False),
    sa.Column("number", sa.String(32), nullable=False),
    sa.Column("region", sa.String(3), nullable=False),
    sa.Column("name", sa.String(128)),
    sa.Column("fields", sa.JSON, nullable=False),
    sa.Column("gsm7", sa.Boolean, nullable=False),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.UniqueConstraint("account_id", "number"),
)

list_members = sa.Table(
    "list_members",
    metadata,
    sa.Column(
        "list_id", Id, sa.ForeignKey("contact_lists.id", ondelete="CASCADE"), primary_key=True
    ),
    sa.Column("contact_id", Id, sa.ForeignKey("contacts.id", ondelete="CASCADE"), primary_key=True),
    sa.Index("ix_list_members_contact_id", "contact_id"),
)

# A campaign: a draft until launched; launching writes its batch (batch_id) and messages.
campaigns = sa.Table(
    "campaigns",
    metadata,
    sa.Column("id", Id, primary_key=True, autoincrement=True),
    sa.Column("account_id", Id, sa.ForeignKey("accounts.id"), nullable=False),
    sa.Column("name", sa.String(128), nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),  # transactional | marketing
    sa.Column("status", sa.String(16), nullable=False),  # domain/campaigns.CampaignStatus
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("sender", sa.String(32)),
    sa.Column("force_unicode", sa.Boolean, nullable=False),
    sa.Column("flash", sa.Boolean, nullable=False),
    sa.Column("scheduled_at", UtcDateTime),  # the instant, in UTC
    sa.Column("timezone", sa.String(64), nullable=False),  # how the schedule was given
    sa.Column("list_ids", sa.JSON, nullable=False),
    sa.Column("invalid_numbers", sa.JSON, nullable=False),  # explicit numbers that did not parse
    sa.Column("batch_id", Id, sa.ForeignKey("batches.id")),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("updated_at", UtcDateTime, nullable=False),
    sa.Index("ix_campaigns_account_id", "account_id", "id"),
)

# The explicit numbers of a campaign's audience, parsed when the campaign was written.
campaign_numbers = sa.Table(
    "campaign_numbers",
    metadata,
    sa.Column(
        "campaign_id", Id, sa.ForeignKey("campaigns.id", ondelete="CASCADE"), primary_key=True
    ),
    sa.Column("number", sa.String(32), primary_key=True),
    sa.Column("region", sa.String(3), nullable=False),
)
