"""Waiting for an event with a time limit, without ever swallowing a cancellation.

`with suppress(TimeoutError): async with asyncio.timeout(t): await event.wait()` can, on
Python 3.11, turn a cancellation that lands as the time-out fires into a TimeoutError that the
suppress then eats; a loop around it keeps running and whoever cancelled it waits forever.
`asyncio.wait` with a timeout has no such race.
"""

from __future__ import annotations

import asyncio


async def wait_event(event: asyncio.Event, timeout_s: float) -> bool:
    """Wait until `event` is set or `timeout_s` passes; returns whether it was set."""
    if event.is_set():
        return True
    waiter = asyncio.ensure_future(event.wait())
    try:
        await asyncio.wait({waiter}, timeout=timeout_s)
    finally:
        waiter.cancel()
    return event.is_set()
