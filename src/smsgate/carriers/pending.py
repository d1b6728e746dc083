"""What a dispatcher holds until it is recorded: outcomes and receipts waiting for a flush,
and the keys of receipts kept unmatched, waiting for another try.

A receipt is kept (pending_receipts) when its part is not there yet: across dispatchers, its
submit was being recorded by another one. The keys of a batch that kept receipts are tried
again 0.5, 2 and 8 s after the flush that kept them (`DeliveryService.rematch_kept`), and by
the 30 s housekeeping pass after that; at most REMATCH_KEYS_KEPT keys wait here at a time.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from smsgate.ports import PartReceipt
from smsgate.services.delivery import Outcome, Submitted
from smsgate.smpp import DataSm, DeliverSm, SmppClient

# When kept receipts are tried again (seconds after the flush that kept them).
REMATCH_AFTER_S = (0.5, 2.0, 8.0)
REMATCH_KEYS_KEPT = 100_000

Keys = list[tuple[int, str]]  # (link id, carrier key)
# A receipt with where to acknowledge it once recorded.
Receipt = tuple[PartReceipt, SmppClient, DeliverSm | DataSm]


@dataclass
class Pending:
    """Outcomes and receipts waiting for a flush, in arrival order."""

    outcomes: list[Outcome] = field(default_factory=list)
    receipts: list[Receipt] = field(default_factory=list)

    def take_receipts(self, size: int) -> list[Receipt]:
        """Up to `size` receipts, but for those whose submit's outcome waits too: recorded
        before it, a receipt would be kept unmatched, then taken back with it."""
        unrecorded = {
            (outcome.link_id, key)
            for outcome in self.outcomes
            if type(outcome) is Submitted
            for _, key in outcome.carrier_ids
        }
        if not unrecorded:
            taken = self.receipts[:size]
            del self.receipts[: len(taken)]
            return taken
        taken, left = [], []
        for item in self.receipts:
            receipt = item[0]
            if len(taken) < size and (receipt.link_id, receipt.carrier_key) not in unrecorded:
                taken.append(item)
            else:
                left.append(item)
        self.receipts[:] = left
        return taken


class RematchSchedule:
    def __init__(self) -> None:
        # (due on the monotonic clock, tries so far, keys)
        self._entries: list[tuple[float, int, Keys]] = []
        self._keys = 0  # keys in self._entries, bounded by REMATCH_KEYS_KEPT

    def add(self, keys: Keys, now: float) -> None:
        """A batch kept receipts (which ones is not known: the whole batch is tried again; the
        matched ones are no longer kept, so they cannot match twice)."""
        if self._keys < REMATCH_KEYS_KEPT:
            self._entries.append((now + REMATCH_AFTER_S[0], 0, keys))
            self._keys += len(keys)

    def take_due(self, now: float) -> list[tuple[float, int, Keys]]:
        due = [entry for entry in self._entries if entry[0] <= now]
        if due:
            self._entries = [entry for entry in self._entries if entry[0] > now]
            self._keys -= sum(len(entry[2]) for entry in due)
        return due

    def put_back(self, due: list[tuple[float, int, Keys]]) -> None:
        """A try that failed: the same tries again after the next flush."""
        self._entries.extend(due)
        self._keys += sum(len(entry[2]) for entry in due)

    def tried(self, due: list[tuple[float, int, Keys]], now: float) -> None:
        """A try that ran: the next one, if any is left."""
        for _, tries, keys in due:
            if tries + 1 < len(REMATCH_AFTER_S):
                self._entries.append((now + REMATCH_AFTER_S[tries + 1], tries + 1, keys))
                self._keys += len(keys)
