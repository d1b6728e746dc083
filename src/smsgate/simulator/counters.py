"""What the simulator has done so far, as plain integers bumped on the hot path."""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(slots=True)
class Counters:
    binds: int = 0
    bind_refusals: int = 0
    submits: int = 0  # every submit_sm, data_sm and submit_multi received
    accepted: int = 0
    rejected: int = 0  # refused at submit time (reject share)
    throttled: int = 0
    drops: int = 0  # connections dropped, after N submits or on demand
    receipts_sent: int = 0
    receipts_refused: int = 0  # answered with an error status: sent again later
    receipts_unanswered: int = 0  # timed out or lost with the link: sent again later
    receipts_dropped: int = 0  # parked for a system_id with no receiver, beyond the limit
    mo_sent: int = 0  # MO messages, whatever their number of parts
    mo_parts_sent: int = 0

    def snapshot(self) -> dict[str, int]:
        """A copy, safe to keep or serialise."""
        return asdict(self)
