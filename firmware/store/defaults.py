"""The configuration of a box nobody has configured: plug in and take calls.

A small office expects calls on the first line to reach a greeting, a menu, a
queue and the phones with no setup at all, so the defaults are a complete,
valid configuration built through the same validators as any edit.
"""

from __future__ import annotations

from collections.abc import Sequence

from firmware.store.models import (
    Agent,
    InboundRoute,
    IvrFlow,
    Queue,
    validate_agent,
    validate_flow,
    validate_queue,
    validate_route,
)
from firmware.store.rows import COUNTRY_KEY, DEFAULT_COUNTRY

DefaultConfig = tuple[
    tuple[Agent, ...],
    tuple[Queue, ...],
    tuple[IvrFlow, ...],
    tuple[InboundRoute, ...],
    dict[str, str],
]

DEFAULT_FLOW = "main"
DEFAULT_QUEUES = ("sales", "support")
FIRST_EXTENSION = 101

_MAIN_FLOW = {
    "start": "greeting",
    "nodes": {
        "greeting": {"type": "play", "prompt": "welcome", "next": "menu"},
        "menu": {
            "type": "menu",
            "prompt": "menu-sales-support",
            "choices": {"1": "sales", "2": "support"},
            "timeout": 5,
            "retries": 3,
            "invalid_prompt": "invalid",
            "timeout_prompt": "no-input",
            # A caller who cannot work the menu still reaches a person.
            "fail": "sales",
        },
        "sales": {"type": "queue", "queue": "sales"},
        "support": {"type": "queue", "queue": "support"},
    },
}


def default_config(fxs: Sequence[str], fxo: Sequence[str]) -> DefaultConfig:
    """(agents, queues, flows, routes, settings) for a card with these FXS and FXO ports.

    One logged-in agent per phone port ("Agent 1" on fxs1, extension 101),
    both queues ringing every agent, every line answered by the main flow.
    """
    ports = [*fxs, *fxo]
    agents = tuple(
        validate_agent(
            {
                "name": f"Agent {number}",
                "extension": str(FIRST_EXTENSION + number - 1),
                "port": port,
                "logged_in": True,
            },
            ports,
        )
        for number, port in enumerate(fxs, start=1)
    )
    agent_names = [a.name for a in agents]
    queues = tuple(
        validate_queue(
            {
                "name": name,
                "strategy": "longest-idle",
                "ring_timeout": 15,
                "retry_delay": 2,
                "max_wait": 600,
                "members": agent_names,
            },
            agent_names,
        )
        for name in DEFAULT_QUEUES
    )
    flows = (validate_flow(DEFAULT_FLOW, _MAIN_FLOW, DEFAULT_QUEUES),)
    routes = tuple(
        validate_route(
            {"port": port, "destination": f"ivr:{DEFAULT_FLOW}"}, ports, [DEFAULT_FLOW], ()
        )
        for port in fxo
    )
    return agents, queues, flows, routes, {COUNTRY_KEY: DEFAULT_COUNTRY}
