"""The simulator's settings: one frozen object, checked when it is built.

Shares are fractions in 0..1 of the messages concerned; a share of 0 or 1 draws nothing from
the random generator, so adding a fault does not reshuffle the others' draws.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from smsgate.smpp import CommandStatus

# The first message id handed out: its hex and decimal forms look nothing alike, so a test
# can tell which one it got.
FIRST_MESSAGE_ID = 0xA0000000


class IdFormat(StrEnum):
    """How message ids are written in submit_sm_resp."""

    HEX = "hex"
    DECIMAL = "decimal"


class ReceiptIdFormat(StrEnum):
    """How message ids are written in receipts: as in submit_sm_resp, or in a given base."""

    SAME = "same"
    HEX = "hex"
    DECIMAL = "decimal"


class Outcome(StrEnum):
    """What a receipt reports about a message."""

    DELIVERED = "delivered"
    UNDELIVERED = "undelivered"
    EXPIRED = "expired"
    REJECTED = "rejected"


@dataclass(frozen=True, slots=True)
class OutcomeShares:
    """Relative weights of the receipt outcomes (they need not add up to 1)."""

    delivered: float = 1.0
    undelivered: float = 0.0
    expired: float = 0.0
    rejected: float = 0.0

    def __post_init__(self) -> None:
        weights = self.weights()
        if any(weight < 0 for _, weight in weights):
            raise ValueError("outcome shares cannot be negative")
        if sum(weight for _, weight in weights) <= 0:
            raise ValueError("at least one outcome share must be positive")

    def weights(self) -> tuple[tuple[Outcome, float], ...]:
        return (
            (Outcome.DELIVERED, self.delivered),
            (Outcome.UNDELIVERED, self.undelivered),
            (Outcome.EXPIRED, self.expired),
            (Outcome.REJECTED, self.rejected),
        )


@dataclass(frozen=True, slots=True)
class SimulatorConfig:
    """Everything the simulator does differently from a well-behaved, instant SMSC."""

    # Binding: None accepts any system_id / password.
    system_id: str | None = None
    password: str | None = None
    smsc_system_id: str = "smsgate-sim"  # what bind_resp says
    window_size: int = 100  # deliver_sm sent and unanswered, per connection
    enquire_link_interval_s: float | None = 30.0

    # Message ids.
    id_format: IdFormat = IdFormat.HEX
    receipt_id_format: ReceiptIdFormat = ReceiptIdFormat.SAME
    first_message_id: int = FIRST_MESSAGE_ID

    # Receipts.
    receipt_delay_s: float = 1.0
    outcomes: OutcomeShares = field(default_factory=OutcomeShares)
    failure_error_code: int = 1  # the err: field of failed outcomes; delivered says 000
    receipt_before_response_share: float = 0.0  # the carrier race: receipt, then submit_sm_resp
    receipt_retry_s: float = 1.0  # a receipt refused or unanswered is sent again after this
    max_parked_receipts: int = 100_000  # receipts kept for a system_id with no receiver bound

    # Faults at submit time.
    throttle_per_second: int | None = None  # per system_id; ESME_RTHROTTLED beyond it
    throttle_share: float = 0.0
    reject_share: float = 0.0
    reject_status: int = CommandStatus.ESME_RINVDSTADR
    drop_after_submits: int | None = None  # per connection: the next submit drops it

    seed: int | None = None

    def __post_init__(self) -> None:
        for name in ("receipt_before_response_share", "throttle_share", "reject_share"):
            share = getattr(self, name)
            if not 0.0 <= share <= 1.0:
                raise ValueError(f"{name} must be between 0 and 1, got {share}")
        if self.window_size < 1:
            raise ValueError("window_size must be at least 1")
        if self.receipt_delay_s < 0:
            raise ValueError("receipt_delay_s cannot be negative")
        if self.receipt_retry_s < 0:
            raise ValueError("receipt_retry_s cannot be negative")
        if self.first_message_id < 0:
            raise ValueError("first_message_id cannot be negative")
        if not 0 <= self.failure_error_code <= 999:
            raise ValueError("failure_error_code must be within 0..999 (three digits)")
        if self.throttle_per_second is not None and self.throttle_per_second < 0:
            raise ValueError("throttle_per_second cannot be negative")
        if self.drop_after_submits is not None and self.drop_after_submits < 0:
            raise ValueError("drop_after_submits cannot be negative")
        if self.max_parked_receipts < 0:
            raise ValueError("max_parked_receipts cannot be negative")
        if not 0 < self.reject_status <= 0xFFFFFFFF:
            raise ValueError("reject_status must be a non-zero command_status")
        if len(self.smsc_system_id) > 15:
            raise ValueError("smsc_system_id has at most 15 characters")
