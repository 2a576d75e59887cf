"""Q.931 (ETSI EN 300 403, DSS1) call control of a primary rate interface, sans-I/O."""

from firmware.signaling.q931.endpoint import (
    E1_B_CHANNELS,
    CallInfo,
    CauseValue,
    Q931Config,
    Q931Endpoint,
    SetupRequest,
)
from firmware.signaling.q931.errors import (
    ConfigError,
    LocalProtocolError,
    Q931Error,
    RemoteProtocolError,
)
from firmware.signaling.q931.events import CallRef
from firmware.signaling.q931.states import CallState

__all__ = [
    "E1_B_CHANNELS",
    "CallInfo",
    "CallRef",
    "CallState",
    "CauseValue",
    "ConfigError",
    "LocalProtocolError",
    "Q931Config",
    "Q931Endpoint",
    "Q931Error",
    "RemoteProtocolError",
    "SetupRequest",
]
