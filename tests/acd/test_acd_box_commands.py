"""The daemon's agent commands: login and logout kept in the store, pauses with reasons."""

import asyncio

import pytest

from firmware.box import Box
from firmware.control.protocol import CommandError
from firmware.settings import CardSettings, DaemonSettings
from firmware.store import sync
from hal.clock import ManualClock
from hal.sim.card import SimCard


def run_box(tmp_path, steps):
    """Start a stepped box with the default configuration, run ``steps(box)``, stop it."""
    clock = ManualClock()
    settings = DaemonSettings(data_dir=tmp_path, card=CardSettings(fxs=2, fxo=1))

    async def scenario():
        box = Box(settings, clock, SimCard(clock, fxs=2, fxo=1))
        await box.start(threaded=False)
        try:
            return await steps(box)
        finally:
            await box.stop()

    return asyncio.run(scenario())


def test_agent_commands_change_the_state_and_logins_survive_a_reload(tmp_path):
    async def steps(box):
        table = box.commands_table
        paused = await table("agent_pause", {"agent": "Agent 1", "reason": "lunch"})
        status = {a["name"]: a for a in box.status()["agents"]}
        out = await table("agent_logout", {"agent": "Agent 2"})
        await box.reload()
        after_reload = {a["name"]: a["state"] for a in box.status()["agents"]}
        back = await table("agent_unpause", {"agent": "Agent 1"})
        return paused, status, out, after_reload, back

    paused, status, out, after_reload, back = run_box(tmp_path, steps)
    assert paused == {"agent": "Agent 1", "state": "paused", "reason": "lunch",
                      "after_call": "paused"}
    assert (status["Agent 1"]["state"], status["Agent 1"]["reason"]) == ("paused", "lunch")
    assert out["state"] == "logged-out"
    assert after_reload == {"Agent 1": "paused", "Agent 2": "logged-out"}
    assert back["state"] == "available"
    conn = sync.connect(str(tmp_path / "centrala.db"))
    try:
        logged = {a.name: a.logged_in for a in sync.list_agents(conn)}
        states = sync.list_agent_states(conn, 0.0, 2e12)
    finally:
        conn.close()
    assert logged == {"Agent 1": True, "Agent 2": False}
    assert [(s.agent, s.state.value, s.reason) for s in states if s.agent == "Agent 1"] == [
        ("Agent 1", "available", None), ("Agent 1", "paused", "lunch"),
        ("Agent 1", "available", None),
    ]


@pytest.mark.parametrize("cmd, args, message", [
    ("agent_pause", {"agent": "Agent 1", "reason": "gym"}, "'gym' is not a pause reason"),
    ("agent_pause", {"agent": "Nobody", "reason": "lunch"}, "no agent named 'Nobody'"),
    ("agent_login", {"agent": "Nobody"}, "no agent named 'Nobody'"),
    ("agent_unpause", {"agent": 7}, "agent must be text"),
])
def test_bad_agent_commands_are_refused_with_a_sentence(tmp_path, cmd, args, message):
    async def steps(box):
        with pytest.raises(CommandError, match=message):
            await box.commands_table(cmd, args)
        return [a["state"] for a in box.status()["agents"]]

    assert run_box(tmp_path, steps) == ["available", "available"]
