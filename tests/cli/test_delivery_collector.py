"""The dispatching process keeps the garbage collector out of the event loop's way."""

from __future__ import annotations

import gc

import pytest

import smsgate.cli.delivery as cli_delivery
from smsgate.bootstrap import Gateway
from smsgate.cli.delivery import COLLECTOR_THRESHOLDS, delivery_running, tune_collector


def test_the_collector_skips_start_up_objects_and_collects_young_ones_less_often() -> None:
    before = gc.get_threshold()
    try:
        tune_collector()
        assert gc.get_threshold() == COLLECTOR_THRESHOLDS
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)


async def test_serve_and_dispatch_tune_the_collector_before_delivery_starts(
    gateway: Gateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[str] = []
    monkeypatch.setattr(cli_delivery, "tune_collector", lambda: calls.append("tuned"))
    async with delivery_running(gateway):
        assert calls == ["tuned"]
