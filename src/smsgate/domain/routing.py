"""Routing: which links may carry a message, best first.

A route matches a message when its prefix starts the E.164 number, its region (if any) is the
number's country and its service (if any) is the message's. Candidates are ordered by
priority (lower first), then by the longer prefix, then by route id; a link appears once.
The dispatcher takes the first candidate that is up and fails over to the next.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache


@dataclass(frozen=True, slots=True)
class Route:
    id: int
    link_id: int
    prefix: str = ""
    region: str | None = None
    service: str | None = None
    priority: int = 100


class RouteTable:
    """An immutable set of routes and enabled links; `candidates` is cached per key."""

    def __init__(self, routes: Iterable[Route], enabled_links: Iterable[int]) -> None:
        enabled = frozenset(enabled_links)
        self.routes = tuple(
            sorted(
                (r for r in routes if r.link_id in enabled),
                key=lambda r: (r.priority, -len(r.prefix), r.id),
            )
        )
        # Only the first `_key_length` characters of a number can decide a match, so numbers
        # that share them share one cache entry.
        self._key_length = max((len(r.prefix) for r in self.routes), default=0)
        self._cached = lru_cache(maxsize=65536)(self._candidates)

    def candidates(self, number: str, region: str, service: str) -> tuple[int, ...]:
        """Link ids that may carry a message to `number`, best first (empty: no route)."""
        return self._cached(number[: self._key_length], region, service)

    def _candidates(self, number: str, region: str, service: str) -> tuple[int, ...]:
        found: list[int] = []
        for route in self.routes:
            if route.link_id in found:
                continue
            if not number.startswith(route.prefix):
                continue
            if route.region is not None and route.region != region:
                continue
            if route.service is not None and route.service != service:
                continue
            found.append(route.link_id)
        return tuple(found)
