"""The composition root: the only module that wires settings, adapters and services."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from smsgate.clock import SystemClock
from smsgate.db.engine import create_engine
from smsgate.db.migrate import upgrade
from smsgate.db.store import SqlStore
from smsgate.domain.delivery import DeliveryPolicy
from smsgate.domain.inbound import DEFAULT_OPT_OUT_KEYWORDS
from smsgate.passwords import Argon2Hasher
from smsgate.ports import Clock, SecretHasher
from smsgate.services.accounts import AccountService, CredentialCache
from smsgate.services.campaigns import CampaignService
from smsgate.services.cancelling import CancellingService
from smsgate.services.contacts import ContactService
from smsgate.services.delivery import DeliveryService
from smsgate.services.inbound import InboundService
from smsgate.services.inbox import InboxService
from smsgate.services.links import LinkService
from smsgate.services.queries import QueryService
from smsgate.services.sending import SendingPolicy, SendingService
from smsgate.services.webhooks import WebhookOutbox
from smsgate.settings import Settings


@dataclass
class Gateway:
    """Everything an entry point (API, CLI, dispatcher) needs, built once."""

    settings: Settings
    store: SqlStore
    clock: Clock
    accounts: AccountService
    sending: SendingService
    queries: QueryService
    inbox: InboxService
    links: LinkService
    delivery: DeliveryService
    inbound: InboundService
    webhooks: WebhookOutbox
    cancelling: CancellingService
    campaigns: CampaignService
    contacts: ContactService

    async def migrate(self) -> None:
        await upgrade(self.store.engine)

    async def close(self) -> None:
        await self.store.close()


def build_gateway(
    settings: Settings, *, clock: Clock | None = None, hasher: SecretHasher | None = None
) -> Gateway:
    store = SqlStore(create_engine(settings.database_url, pool_size=settings.db_pool_size))
    clock = clock or SystemClock()
    policy = SendingPolicy(
        max_recipients=settings.max_recipients, max_segments=settings.max_segments
    )
    return Gateway(
        settings=settings,
        store=store,
        clock=clock,
        accounts=AccountService(
            store,
            clock,
            hasher or Argon2Hasher(),
            CredentialCache(ttl_s=settings.credential_cache_ttl_s),
        ),
        sending=SendingService(store, clock, policy),
        queries=QueryService(store),
        inbox=InboxService(store),
        links=LinkService(store, clock),
        delivery=DeliveryService(
            store,
            clock,
            DeliveryPolicy(
                lease=timedelta(seconds=settings.lease_s),
                validity=timedelta(hours=settings.validity_h),
            ),
        ),
        inbound=InboundService(
            store,
            clock,
            opt_out_keywords=[
                *DEFAULT_OPT_OUT_KEYWORDS,
                *(k for k in settings.opt_out_keywords.split(",") if k.strip()),
            ],
        ),
        webhooks=WebhookOutbox(store, clock),
        cancelling=CancellingService(store, clock),
        campaigns=CampaignService(store, clock, policy),
        contacts=ContactService(store, clock),
    )
