"""Analog loop-start signaling: the FXS port (a phone) and the FXO port (an exchange line)."""

from firmware.signaling.loopstart.errors import ConfigError, LocalProtocolError, LoopStartError
from firmware.signaling.loopstart.fxo import AnswerDetection, FxoConfig, FxoLine, FxoState
from firmware.signaling.loopstart.fxs import FxsConfig, FxsLine, FxsState

__all__ = [
    "AnswerDetection",
    "ConfigError",
    "FxoConfig",
    "FxoLine",
    "FxoState",
    "FxsConfig",
    "FxsLine",
    "FxsState",
    "LocalProtocolError",
    "LoopStartError",
]
