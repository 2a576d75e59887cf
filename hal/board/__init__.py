"""The board: status and port LEDs, reset button, bypass relay, watchdog, temperature.

Open the real board with :func:`open_board` (a board description file, GPIO via
python-periphery) or the sim twin with :func:`sim_board`.
"""

from hal.board.board import Board, open_board, sim_board
from hal.board.button import ButtonAction, ButtonPhase, ResetButton
from hal.board.description import BoardDescription, BoardError, GpioLine, load_board_file
from hal.board.health import Health, HealthMonitor
from hal.board.led import PortPattern, StatusPattern
from hal.board.relay import BypassRelay, RelayState
from hal.board.watchdog import HardwareWatchdog

__all__ = [
    "Board", "BoardDescription", "BoardError", "ButtonAction", "ButtonPhase", "BypassRelay",
    "GpioLine", "HardwareWatchdog", "Health", "HealthMonitor", "PortPattern", "RelayState",
    "ResetButton", "StatusPattern", "load_board_file", "open_board", "sim_board",
]
