"""The daemon names a live call's client and keeps its IVR variables, for the screen pop.

A whole box on the sim card: a caller on Acme's line types an account number
in Acme's flow and waits in a queue while an agent's phone rings; the status
the agent page reads says which client was dialled, whose phone rings, and
what the caller typed, and the page's screen pop fills Acme's script with it.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from firmware.box import Box
from firmware.settings import CardSettings, DaemonSettings
from firmware.store import sync
from firmware.store.clients import client_named, save_client
from hal.clock import ManualClock
from hal.sim.card import SimCard
from webui.agent_page import screen_pop

FLOW = {
    "start": "hello",
    "nodes": {
        "hello": {"type": "play", "prompt": "welcome", "next": "account"},
        "account": {
            "type": "collect", "prompt": "welcome", "variable": "account", "min_length": 4,
            "max_length": 4, "next": "queue", "fail": "bye",
        },
        "queue": {"type": "queue", "queue": "support"},
        "bye": {"type": "hangup"},
    },
}


def _configure(database: Path) -> None:
    conn = sync.connect(str(database))
    try:
        sync.record_card_ports(conn, ["fxs1", "fxs2", "fxo1"])
        sync.seed_defaults(conn, ["fxs1", "fxs2"], ["fxo1"])
        sync.save_flow(conn, "acme", FLOW)
        route = next(r for r in sync.list_routes(conn) if r.port == "fxo1")
        sync.save_route(conn, {"port": "fxo1", "destination": "ivr:acme"}, route.id)
        save_client(conn, {
            "name": "Acme", "lines": ["fxo1"], "flows": ["acme"],
            "script": "Account {account} of {caller_name}",
        })
    finally:
        conn.close()


async def _ringing_status(tmp_path: Path) -> dict[str, Any]:
    clock = ManualClock()
    settings = DaemonSettings(data_dir=tmp_path, card=CardSettings(fxs=2, fxo=1))
    card = SimCard(clock, fxs=2, fxo=1, law=settings.card.law)
    _configure(settings.database)
    box = Box(settings, clock, card)
    await box.start(threaded=False)
    try:
        call = card.pstn.call_in("fxo1", "600100200", "Jan Kowalski")
        waited = 0.0
        while call.state != "connected":
            assert waited < 12, "the box did not answer"
            await box.run_for(0.1)
            waited += 0.1
        await box.run_for(4.0)  # the greeting, then the account prompt starts
        call.dial("1234")
        waited = 0.0
        while not any(p.ringing for p in card.phones.values()):
            assert waited < 15, "no agent phone rang"
            await box.run_for(0.1)
            waited += 0.1
        return box.status()
    finally:
        await box.stop()


def test_a_live_call_names_its_client_the_ringing_agent_and_the_ivr_variables(
    tmp_path: Path,
) -> None:
    status = asyncio.run(_ringing_status(tmp_path))
    [call] = status["calls"]
    assert call["client"] == "Acme" and call["did"] is None
    assert call["variables"]["account"] == "1234"
    [agent] = call["ringing_agents"]
    conn = sync.connect(str(tmp_path / "centrala.db"))
    try:
        pop = screen_pop(status, agent, lambda name: client_named(conn, name))
    finally:
        conn.close()
    assert pop is not None and pop.state == "ringing" and pop.client == "Acme"
    assert pop.script == "Account 1234 of Jan Kowalski"
