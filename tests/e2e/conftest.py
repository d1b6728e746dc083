"""End-to-end tests run on the real clock: retries and leases must actually come due."""

from __future__ import annotations

from datetime import timedelta

import pytest

from smsgate.bootstrap import Gateway
from smsgate.clock import SystemClock
from smsgate.domain.delivery import DeliveryPolicy


@pytest.fixture
def clock() -> SystemClock:  # type: ignore[override]
    return SystemClock()


@pytest.fixture
def quick_retries(gateway: Gateway) -> DeliveryPolicy:
    """Short back-offs so that fault tests finish in seconds."""
    policy = DeliveryPolicy(
        retry_first=timedelta(milliseconds=20),
        retry_max=timedelta(milliseconds=200),
        lease=timedelta(seconds=5),
    )
    gateway.delivery.policy = policy
    return policy
