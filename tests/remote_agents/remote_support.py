"""A stepped box on the sim card whose support queue reaches agents on their own phones.

The last FXO line is the only member of the trunk group the outbound route to
the agents' numbers uses; the sim exchange behind it answers the box's call as
the agent's mobile would. The other lines bring callers in to the queue.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from firmware.box import Box
from firmware.settings import CardSettings, DaemonSettings
from firmware.store import sync, trunk_sync
from firmware.store.agent_pins import set_agent_pin
from hal.clock import ManualClock
from hal.sim.card import SimCard
from hal.sim.pstn import Direction, SimPstnCall
from tests.queue_calls.queue_calls_support import QUEUE

REMOTE_NUMBER = "600900900"
REMOTE_PIN = "4321"


def make_box(
    tmp_path: Path,
    agents: list[dict[str, Any]],
    *,
    fxs: int = 1,
    fxo: int = 3,
    members: tuple[str, ...],
    login_line: bool = False,
    **queue: Any,
) -> tuple[Box, SimCard]:
    """Callers on every line but the last ring the queue; the last carries calls to agents.

    ``agents`` replace the seeded ones (a "pin" key gives the agent a PIN); with
    ``login_line`` the last line also takes agents calling in to log in.
    """
    clock = ManualClock()
    settings = DaemonSettings(data_dir=tmp_path, card=CardSettings(fxs=fxs, fxo=fxo))
    card = SimCard(clock, fxs=fxs, fxo=fxo, law=settings.card.law)
    trunk = f"fxo{fxo}"
    conn = sync.connect(str(settings.database))
    try:
        sync.seed_defaults(
            conn, [p.name for p in card.ports if p.kind.value == "fxs"],
            [p.name for p in card.ports if p.kind.value == "fxo"],
        )
        [support] = [q for q in sync.list_queues(conn) if q.name == QUEUE]
        for queue_row in sync.list_queues(conn):
            if queue_row.name != QUEUE:
                sync.save_queue(conn, {"name": queue_row.name, "members": []}, queue_row.id)
        sync.save_queue(conn, {"name": QUEUE, "strategy": "longest-idle", "members": [],
                               "ring_timeout": 30}, support.id)
        for old in sync.list_agents(conn):
            sync.delete_agent(conn, old.id)
        for data in agents:
            saved = sync.save_agent(conn, {k: v for k, v in data.items() if k != "pin"})
            if "pin" in data:
                set_agent_pin(conn, saved.id, data["pin"])
        sync.save_queue(conn, {"name": QUEUE, "strategy": "longest-idle",
                               "members": list(members), "ring_timeout": 30, **queue},
                        support.id)
        for route in sync.list_routes(conn):
            destination = f"queue:{QUEUE}"
            if route.port == trunk and login_line:
                destination = "ivr:agent-login"
            sync.save_route(conn, {"port": route.port, "destination": destination}, route.id)
        trunk_sync.save_trunk_group(conn, {"name": "agents", "members": [trunk]})
        trunk_sync.save_outbound_route(conn, {"prefix": "6", "trunk_group": "agents"})
    finally:
        conn.close()
    card.pstn.answer_delay = 1.0
    card.pstn.number_length = len(REMOTE_NUMBER)
    return Box(settings, clock, card), card


def remote_call(card: SimCard, fxo: int = 3) -> SimPstnCall | None:
    """The box's live call to an agent's number on the agents' line, if any."""
    call = card.pstn.active_call(f"fxo{fxo}")
    if call is not None and call.direction is Direction.OUTBOUND and call.number == REMOTE_NUMBER:
        return call
    return None
