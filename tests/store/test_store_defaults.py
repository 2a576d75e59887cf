"""The configuration of a box nobody has configured."""

from __future__ import annotations

import asyncio
import dataclasses

from firmware.store import sync
from firmware.store.db import Store
from firmware.store.defaults import default_config
from firmware.store.models import validate_flow

FXS = ["fxs1", "fxs2", "fxs3", "fxs4"]
FXO = ["fxo1", "fxo2"]
PROMPTS = ["welcome", "menu-sales-support", "invalid", "no-input"]


def test_every_phone_port_gets_a_logged_in_agent() -> None:
    agents, _, _, _, _ = default_config(FXS, FXO)
    assert [(a.name, a.extension, a.port, a.logged_in) for a in agents] == [
        ("Agent 1", "101", "fxs1", True),
        ("Agent 2", "102", "fxs2", True),
        ("Agent 3", "103", "fxs3", True),
        ("Agent 4", "104", "fxs4", True),
    ]


def test_sales_and_support_queues_ring_every_agent() -> None:
    _, queues, _, _, _ = default_config(FXS, FXO)
    assert [q.name for q in queues] == ["sales", "support"]
    for queue in queues:
        assert queue.strategy == "longest-idle"
        assert (queue.ring_timeout, queue.retry_delay, queue.max_wait) == (15, 2, 600)
        assert queue.members == ("Agent 1", "Agent 2", "Agent 3", "Agent 4")


def test_every_line_reaches_the_main_menu() -> None:
    _, _, flows, routes, settings = default_config(FXS, FXO)
    assert [(r.port, r.destination) for r in routes] == [("fxo1", "ivr:main"), ("fxo2", "ivr:main")]
    (flow,) = flows
    assert validate_flow(flow.name, flow.definition, ["sales", "support"], PROMPTS) == flow
    nodes = flow.definition["nodes"]
    assert flow.definition["start"] == "greeting"
    assert nodes["greeting"] == {"type": "play", "prompt": "welcome", "next": "menu"}
    assert nodes["menu"]["choices"] == {"1": "sales", "2": "support"}
    assert (nodes["menu"]["timeout"], nodes["menu"]["retries"], nodes["menu"]["fail"]) == (
        5,
        3,
        "sales",
    )
    assert nodes["sales"] == {"type": "queue", "queue": "sales"}
    assert nodes["support"] == {"type": "queue", "queue": "support"}
    assert settings == {"country": "PL"}


def test_seeded_defaults_load_back_as_generated(db_path: str) -> None:
    async def scenario() -> None:
        store = await Store.open(db_path)
        try:
            await store.record_card_ports([*FXS, *FXO])
            assert await store.seed_defaults(FXS, FXO) is True
            assert await store.seed_defaults(FXS, FXO) is False
            config = await store.load_config()
        finally:
            await store.close()
        agents, queues, flows, routes, settings = default_config(FXS, FXO)

        def without_ids(items: tuple) -> list:  # type: ignore[type-arg]
            return [dataclasses.replace(item, id=None) for item in items]

        assert without_ids(config.agents) == list(agents)
        assert without_ids(config.queues) == list(queues)
        assert without_ids(config.flows) == list(flows)
        assert without_ids(config.routes) == list(routes)
        assert config.country == settings["country"]

    asyncio.run(scenario())
    conn = sync.connect(db_path)
    try:
        assert sync.get_setting(conn, "seeded") is not None
    finally:
        conn.close()
