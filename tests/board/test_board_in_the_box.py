"""The board driven by a running box: relay, watchdog, LEDs and the reset button."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from firmware.box import Box, reset_to_factory
from firmware.settings import CardSettings, DaemonSettings
from hal.board import BoardError
from hal.board.relay import RelayState
from hal.clock import ManualClock
from hal.sim.card import SimCard


def _box(tmp_path: Path, board: str = "sim") -> Box:
    clock = ManualClock()
    settings = DaemonSettings(data_dir=tmp_path, card=CardSettings(fxs=2, fxo=2), board=board)
    return Box(settings, clock, SimCard(clock, fxs=2, fxo=2))


async def _ticking_then_stalled(tmp_path: Path) -> dict:
    box = _box(tmp_path)
    await box.start(threaded=False)
    try:
        seen: dict = {}
        for _ in range(20):  # 4 s of a healthy box, the board stepped every 200 ms
            await box.run_for(0.2)
            box.board.step(box.clock.now())
        seen["healthy_relay"] = box.board.board.relay.state
        seen["feeds_healthy"] = len(box.sim_watchdog.feeds)
        seen["status"] = box.status()["board"]
        # The media tick stalls: time passes with no tick.
        for _ in range(10):
            box.clock.advance(0.2)
            box.board.step(box.clock.now())
        seen["stalled_relay"] = box.board.board.relay.state
        seen["feeds_stalled"] = len(box.sim_watchdog.feeds)
        seen["stalled_status"] = box.status()["board"]
    finally:
        await box.stop()
    seen["after_stop"] = box.board.board.relay.state
    seen["last_feed"] = box.sim_watchdog.feeds[-1]
    return seen


def test_relay_and_watchdog_follow_the_daemons_health(tmp_path):
    seen = asyncio.run(_ticking_then_stalled(tmp_path))
    assert seen["healthy_relay"] is RelayState.THROUGH_BOX
    assert seen["feeds_healthy"] > 0
    assert seen["status"]["health"] == "ok"
    assert seen["stalled_relay"] is RelayState.BYPASS
    assert "media tick stalled" in seen["stalled_status"]["health"]
    # Starved: no feed once the tick stalled (beyond what was due before it).
    assert seen["feeds_stalled"] <= seen["feeds_healthy"] + 1
    assert seen["after_stop"] is RelayState.BYPASS and seen["last_feed"] == b"V"


async def _hold_reset(tmp_path: Path) -> Box:
    box = _box(tmp_path)
    await box.start(threaded=False)
    try:
        pin = box.sim_gpio.inputs["button.reset"]
        pin.set(True, box.clock.now())
        for _ in range(60):  # 12 s held
            await box.run_for(0.2)
            box.board.step(box.clock.now())
    finally:
        await box.stop()
    return box


def test_holding_reset_asks_the_daemon_to_restart_from_factory_settings(tmp_path):
    box = asyncio.run(_hold_reset(tmp_path))
    assert box.factory_reset and box.stop_requested.is_set()
    database = tmp_path / "centrala.db"
    kept = reset_to_factory(database, 1_767_225_600.0)
    assert not database.exists() and kept.exists()
    assert kept.name == "centrala.db.before-reset-20260101-000000"


def test_a_board_file_naming_a_missing_line_stops_the_start_clearly(tmp_path):
    bad = tmp_path / "board.toml"
    bad.write_text(
        'model = "broken"\n[leds]\nstatus = { chip = "sim-gpiochip0", line = "NO_SUCH" }\n'
        '[button]\nreset = { chip = "sim-gpiochip0", line = "BTN_RESET" }\n'
        '[relay]\nbypass = { chip = "sim-gpiochip0", line = "RELAY_BYPASS" }\n'
    )

    async def start() -> None:
        box = _box(tmp_path, board=str(bad))
        try:
            await box.start(threaded=False)
        finally:
            await box.stop()

    with pytest.raises(BoardError, match="NO_SUCH"):
        asyncio.run(start())
