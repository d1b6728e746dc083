"""The simulator's exceptions; a text or setting it cannot use is a ValueError.

The tree:

    SimulatorError          something the simulator was asked and cannot do
    └── NoReceiverBound     an MO with no bound receiver or transceiver to take it
"""

from __future__ import annotations


class SimulatorError(Exception):
    """Something the simulator was asked and cannot do (not started, started twice, ...)."""


class NoReceiverBound(SimulatorError):
    """No connection that may receive deliver_sm (bound RX or TRX) is there to take an MO."""
