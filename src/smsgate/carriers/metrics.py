"""Prometheus metrics of delivery, on one registry that `GET /metrics` renders."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.exposition import CONTENT_TYPE_LATEST, generate_latest

from smsgate.domain.messages import MessageStatus

REGISTRY = CollectorRegistry(auto_describe=True)
CONTENT_TYPE = CONTENT_TYPE_LATEST


class _Metrics:
    """Every metric, created once on REGISTRY (module-level METRICS below)."""

    def __init__(self) -> None:
        r = REGISTRY
        self.submits = Counter(
            "smsgate_submits",
            "submit_sm PDUs by link and result (ok, error, or the refusal's ESME_* name)",
            ["link", "result"],
            registry=r,
        )
        self.submit_seconds = Histogram(
            "smsgate_submit_seconds",
            "Time from submit_sm to its response",
            ["link"],
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
            registry=r,
        )
        self.link_up = Gauge(
            "smsgate_link_binds_up", "Bound transmitter binds per link", ["link"], registry=r
        )
        self.link_reconnects = Counter(
            "smsgate_link_bind_failures", "Failed or lost binds per link", ["link"], registry=r
        )
        self.window_in_use = Gauge(
            "smsgate_link_window_in_use",
            "Submits awaiting their response per link",
            ["link"],
            registry=r,
        )
        self.receipts = Counter(
            "smsgate_receipts",
            "Delivery receipts by result (matched, kept: waiting for its submit)",
            ["result"],
            registry=r,
        )
        self.inbound = Counter(
            "smsgate_inbound_messages", "Inbound (MO) messages received", registry=r
        )
        self.messages = Gauge(
            "smsgate_messages", "Messages by status (queue depth)", ["status"], registry=r
        )
        self.outcomes = Counter(
            "smsgate_submit_outcomes",
            "Messages by submit outcome (submitted, retry, refused)",
            ["outcome"],
            registry=r,
        )
        self.webhooks = Counter(
            "smsgate_webhooks", "Webhook posts by result", ["result"], registry=r
        )


METRICS = _Metrics()


def render() -> bytes:
    """The text exposition format of every metric."""
    return generate_latest(REGISTRY)


def set_queue_depth(counts: dict[str, int]) -> None:
    """Messages by status, from a count of the messages table (every status, zeros too)."""
    for status in MessageStatus:
        METRICS.messages.labels(str(status)).set(counts.get(str(status), 0))
