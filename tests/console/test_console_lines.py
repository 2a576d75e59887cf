"""Line diagnostics on the console, against a running box over its control socket."""

from __future__ import annotations

import asyncio

from firmware.box import Box
from firmware.console.commands import CommandContext, CommandFailed, run_command
from firmware.settings import CardSettings, DaemonSettings
from hal.clock import ManualClock
from hal.sim.card import SimCard


async def _session(tmp_path) -> dict:
    clock = ManualClock()
    settings = DaemonSettings(data_dir=tmp_path, card=CardSettings(fxs=1, fxo=1))
    card = SimCard(clock, fxs=1, fxo=1)
    box = Box(settings, clock, card)
    await box.start(threaded=False)
    ctx = CommandContext(str(settings.database), str(settings.socket_path))
    out: dict = {}
    try:
        out["lines"] = await asyncio.to_thread(run_command, ctx, ["lines"])
        out["ring"] = await asyncio.to_thread(run_command, ctx, ["ring", "fxs1", "3"])
        await box.run_for(0.5)
        out["ringing"] = card.phones["fxs1"].ringing
        try:
            await asyncio.to_thread(run_command, ctx, ["learn", "fxo1"])
        except CommandFailed as exc:
            out["learn_idle"] = str(exc)
        try:
            await asyncio.to_thread(run_command, ctx, ["ring", "fxs9"])
        except CommandFailed as exc:
            out["ring_unknown"] = str(exc)
    finally:
        await box.stop()
    return out


def test_lines_ring_and_learn_from_the_console(tmp_path):
    out = asyncio.run(_session(tmp_path))
    assert "fxo1" in out["lines"] and "fxs1" in out["lines"] and "on-hook" in out["lines"]
    assert out["ring"] == "fxs1 is ringing for 3 s"
    assert out["ringing"]
    assert "idle" in out["learn_idle"]
    assert "fxs9" in out["ring_unknown"]
