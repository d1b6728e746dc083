"""The built-in SMSC simulator: a real SMPP server that behaves like a carrier, for tests,
demos and benchmarks. It imports only the stdlib and ``smsgate.smpp``.

Modules, innermost first:

    config, counters, errors   settings (one frozen object), what happened, exceptions
    texts                      MO text: GSM-7 or UCS-2, concatenated parts with a UDH
    receipts                   receipt deliver_sm: appendix B text and TLVs
    connection, routing        receipt backlog per connection; which connection, and when
    smsc                       the SmscHandler: binds, submits, faults
    control, simulator         the HTTP control port; SmscSimulator, the API to use
"""

from smsgate.simulator.config import (
    IdFormat,
    Outcome,
    OutcomeShares,
    ReceiptIdFormat,
    SimulatorConfig,
)
from smsgate.simulator.counters import Counters
from smsgate.simulator.errors import NoReceiverBound, SimulatorError
from smsgate.simulator.simulator import SmscSimulator
from smsgate.simulator.texts import EncodedText, encode_text, fits_gsm7

__all__ = [
    "Counters",
    "EncodedText",
    "IdFormat",
    "NoReceiverBound",
    "Outcome",
    "OutcomeShares",
    "ReceiptIdFormat",
    "SimulatorConfig",
    "SimulatorError",
    "SmscSimulator",
    "encode_text",
    "fits_gsm7",
]
