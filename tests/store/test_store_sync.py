"""The blocking store API the web UI and the console use."""

from __future__ import annotations

import json
import sqlite3
from typing import Any

import pytest

from firmware.store import rows, sync
from firmware.store.models import Cdr, ConfigError, NotFoundError, QueueLogEntry

FLOW: dict[str, Any] = {
    "start": "menu",
    "nodes": {
        "menu": {"type": "menu", "prompt": "menu", "choices": {"1": "q"}, "fail": "q"},
        "q": {"type": "queue", "queue": "sales"},
    },
}


def dump(conn: sqlite3.Connection) -> list[str]:
    """Every statement that would rebuild the database: equal dumps, equal contents."""
    return list(conn.iterdump())


def _agent(name: str = "Ann", extension: str = "101", port: str = "fxs1") -> dict[str, Any]:
    return {"name": name, "extension": extension, "port": port}


def _populate(conn: sqlite3.Connection) -> None:
    sync.save_agent(conn, _agent("Ann", "101", "fxs1"))
    sync.save_agent(conn, _agent("Bob", "102", "fxs2"))
    sync.save_agent(conn, _agent("Cid", "103", "fxs3"))
    sync.save_queue(conn, {"name": "sales", "members": ["Bob", "Ann"]})
    sync.save_flow(conn, "main", FLOW)
    sync.save_route(conn, {"port": "fxo1", "destination": "ivr:main"})


# --- settings ------------------------------------------------------------------------------


def test_setting_reads_default_until_set_then_last_value(conn: sqlite3.Connection) -> None:
    assert sync.get_setting(conn, "country") is None
    assert sync.get_setting(conn, "country", "PL") == "PL"
    sync.set_setting(conn, "country", "DE")
    sync.set_setting(conn, "country", "CZ")
    assert sync.get_setting(conn, "country", "PL") == "CZ"


def test_setting_value_must_be_text(conn: sqlite3.Connection) -> None:
    with pytest.raises(ConfigError, match="must be text"):
        sync.set_setting(conn, "country", 5)  # type: ignore[arg-type]


def test_card_ports_unknown_until_daemon_records_them(conn: sqlite3.Connection) -> None:
    assert sync.card_ports(conn) is None
    sync.record_card_ports(conn, ["fxs1", "fxs2", "fxo1"])
    assert sync.card_ports(conn) == ["fxs1", "fxs2", "fxo1"]


def test_unreadable_card_ports_setting_is_treated_as_unknown(conn: sqlite3.Connection) -> None:
    sync.set_setting(conn, "card_ports", "{broken")
    assert sync.card_ports(conn) is None


# --- agents --------------------------------------------------------------------------------


def test_saved_agent_gets_an_id_and_reads_back(conn: sqlite3.Connection) -> None:
    agent = sync.save_agent(conn, {**_agent(), "logged_in": "off"})
    assert agent.id is not None
    assert sync.get_agent(conn, agent.id) == agent
    assert sync.list_agents(conn) == [agent]
    assert agent.logged_in is False


def test_agent_update_keeps_its_id(conn: sqlite3.Connection) -> None:
    agent = sync.save_agent(conn, _agent())
    updated = sync.save_agent(conn, _agent("Anna", "111", "fxs2"), agent.id)
    assert updated.id == agent.id
    assert sync.list_agents(conn) == [updated]


def test_agent_may_keep_its_own_name_and_extension_on_update(conn: sqlite3.Connection) -> None:
    agent = sync.save_agent(conn, _agent())
    assert sync.save_agent(conn, _agent(port="fxs4"), agent.id).port == "fxs4"


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        (_agent("ann", "105", "fxs2"), "name", "an agent named Ann exists"),
        (_agent("Eve", "101", "fxs2"), "extension", "extension 101 is Ann's"),
        (_agent("Eve", "1", "fxs2"), "extension", "must be 2 to 6 digits"),
    ],
)
def test_rejected_agent_changes_nothing(
    conn: sqlite3.Connection, data: dict[str, Any], field: str, message: str
) -> None:
    sync.save_agent(conn, _agent())
    before = dump(conn)
    with pytest.raises(ConfigError) as caught:
        sync.save_agent(conn, data)
    assert (caught.value.field, caught.value.message) == (field, message)
    assert dump(conn) == before


def test_agent_port_is_checked_against_recorded_card_ports(conn: sqlite3.Connection) -> None:
    assert sync.save_agent(conn, _agent(port="fxs8")).port == "fxs8"
    sync.record_card_ports(conn, ["fxs1", "fxs2", "fxo1"])
    with pytest.raises(ConfigError) as caught:
        sync.save_agent(conn, _agent("Bob", "102", "fxs8"))
    assert caught.value.field == "port"


def test_saving_or_deleting_a_missing_agent_is_not_found(conn: sqlite3.Connection) -> None:
    with pytest.raises(NotFoundError):
        sync.save_agent(conn, _agent(), 42)
    with pytest.raises(NotFoundError) as caught:
        sync.delete_agent(conn, 42)
    assert caught.value.field == "id"
    assert sync.list_agents(conn) == []


def test_deleted_agent_leaves_its_queues(conn: sqlite3.Connection) -> None:
    _populate(conn)
    bob = next(a for a in sync.list_agents(conn) if a.name == "Bob")
    sync.delete_agent(conn, bob.id)
    assert sync.get_agent(conn, bob.id) is None
    assert sync.list_queues(conn)[0].members == ("Ann",)


# --- queues --------------------------------------------------------------------------------


def test_queue_members_keep_their_order_through_updates(conn: sqlite3.Connection) -> None:
    _populate(conn)
    queue = sync.list_queues(conn)[0]
    assert queue.members == ("Bob", "Ann")
    changed = sync.save_queue(
        conn, {"name": "sales", "strategy": "linear", "members": ["Cid", "Ann", "Bob"]}, queue.id
    )
    assert sync.get_queue(conn, queue.id) == changed
    assert changed.members == ("Cid", "Ann", "Bob")


def test_queue_with_unknown_member_changes_nothing(conn: sqlite3.Connection) -> None:
    _populate(conn)
    queue = sync.list_queues(conn)[0]
    before = dump(conn)
    with pytest.raises(ConfigError) as caught:
        sync.save_queue(conn, {"name": "sales", "members": ["Ann", "Zed"]}, queue.id)
    assert caught.value.field == "members[1]"
    assert dump(conn) == before


def test_second_queue_with_the_same_name_is_refused(conn: sqlite3.Connection) -> None:
    sync.save_queue(conn, {"name": "sales"})
    with pytest.raises(ConfigError, match="a queue named sales exists"):
        sync.save_queue(conn, {"name": "Sales"})


def test_renamed_queue_is_renamed_in_routes_and_flows(conn: sqlite3.Connection) -> None:
    _populate(conn)
    route = sync.save_route(conn, {"port": "fxo2", "destination": "queue:sales"})
    queue = sync.list_queues(conn)[0]
    sync.save_queue(conn, {"name": "orders", "members": ["Ann"]}, queue.id)
    assert sync.get_route(conn, route.id).destination == "queue:orders"
    assert sync.list_flows(conn)[0].definition["nodes"]["q"]["queue"] == "orders"


def test_queue_in_use_cannot_be_deleted(conn: sqlite3.Connection) -> None:
    _populate(conn)
    queue = sync.list_queues(conn)[0]
    before = dump(conn)
    with pytest.raises(ConfigError, match="used by node q of IVR flow main"):
        sync.delete_queue(conn, queue.id)
    route = sync.save_route(conn, {"port": "fxo2", "destination": "queue:sales"})
    with pytest.raises(ConfigError, match="destination of the route of fxo2"):
        sync.delete_queue(conn, queue.id)
    sync.delete_route(conn, route.id)
    assert dump(conn) == before


def test_unused_queue_is_deleted(conn: sqlite3.Connection) -> None:
    queue = sync.save_queue(conn, {"name": "spare"})
    sync.delete_queue(conn, queue.id)
    assert sync.get_queue(conn, queue.id) is None
    with pytest.raises(NotFoundError):
        sync.delete_queue(conn, queue.id)


# --- routes and flows ----------------------------------------------------------------------


def test_route_needs_an_existing_destination(conn: sqlite3.Connection) -> None:
    with pytest.raises(ConfigError) as caught:
        sync.save_route(conn, {"port": "fxo1", "destination": "ivr:main"})
    assert caught.value.message == "no IVR flow named 'main'"
    assert sync.list_routes(conn) == []


def test_one_route_per_line(conn: sqlite3.Connection) -> None:
    _populate(conn)
    with pytest.raises(ConfigError) as caught:
        sync.save_route(conn, {"port": "fxo1", "destination": "queue:sales"})
    assert (caught.value.field, caught.value.message) == ("port", "fxo1 already has a route")
    route = sync.list_routes(conn)[0]
    moved = sync.save_route(conn, {"port": "fxo1", "destination": "queue:sales"}, route.id)
    assert sync.list_routes(conn) == [moved]


def test_flow_given_as_text_is_stored_normalised(conn: sqlite3.Connection) -> None:
    sync.save_queue(conn, {"name": "sales"})
    flow = sync.save_flow(conn, "main", json.dumps(FLOW))
    stored = sync.get_flow(conn, flow.id)
    assert stored == flow
    assert stored.definition["nodes"]["menu"]["timeout"] == 5.0


def test_flow_with_unknown_prompt_is_refused_when_prompts_are_known(
    conn: sqlite3.Connection,
) -> None:
    sync.save_queue(conn, {"name": "sales"})
    with pytest.raises(ConfigError) as caught:
        sync.save_flow(conn, "main", FLOW, prompt_names=["welcome"])
    assert caught.value.field == "definition.nodes.menu.prompt"
    assert sync.list_flows(conn) == []


def test_flow_used_by_a_route_cannot_be_deleted(conn: sqlite3.Connection) -> None:
    _populate(conn)
    flow = sync.list_flows(conn)[0]
    with pytest.raises(ConfigError, match="destination of the route of fxo1"):
        sync.delete_flow(conn, flow.id)
    assert sync.get_flow(conn, flow.id) == flow
    sync.delete_route(conn, sync.list_routes(conn)[0].id)
    sync.delete_flow(conn, flow.id)
    assert sync.list_flows(conn) == []


def test_renamed_flow_is_renamed_in_routes(conn: sqlite3.Connection) -> None:
    _populate(conn)
    flow = sync.list_flows(conn)[0]
    sync.save_flow(conn, "day", flow.definition, flow.id)
    assert sync.list_routes(conn)[0].destination == "ivr:day"


# --- transactions --------------------------------------------------------------------------


def test_failed_step_undoes_the_whole_transaction(conn: sqlite3.Connection) -> None:
    with pytest.raises(ConfigError), sync.transaction(conn):
        sync.save_agent(conn, _agent())
        sync.save_queue(conn, {"name": "sales", "members": ["Ann", "Zed"]})
    assert sync.list_agents(conn) == []
    assert not conn.in_transaction


def test_failed_save_inside_a_transaction_keeps_earlier_steps(conn: sqlite3.Connection) -> None:
    with sync.transaction(conn):
        sync.save_agent(conn, _agent())
        with pytest.raises(ConfigError):
            sync.save_agent(conn, _agent("Ann", "102", "fxs2"))
        sync.save_agent(conn, _agent("Bob", "102", "fxs2"))
    assert [a.name for a in sync.list_agents(conn)] == ["Ann", "Bob"]


def test_other_connection_sees_saved_config(conn: sqlite3.Connection, db_path: str) -> None:
    _populate(conn)
    other = sync.connect(db_path)
    try:
        assert sync.load_config(other) == sync.load_config(conn)
    finally:
        other.close()


# --- defaults and records ------------------------------------------------------------------


def test_seeding_happens_once_and_never_over_a_configuration(conn: sqlite3.Connection) -> None:
    assert sync.seed_defaults(conn, ["fxs1"], ["fxo1"]) is True
    assert sync.seed_defaults(conn, ["fxs1"], ["fxo1"]) is False
    config = sync.load_config(conn)
    for route in config.routes:
        sync.delete_route(conn, route.id)
    for flow in config.flows:
        sync.delete_flow(conn, flow.id)
    for queue in config.queues:
        sync.delete_queue(conn, queue.id)
    for agent in config.agents:
        sync.delete_agent(conn, agent.id)
    assert sync.seed_defaults(conn, ["fxs1"], ["fxo1"]) is False
    assert sync.list_agents(conn) == []


def test_unseeded_box_with_configuration_is_not_seeded(conn: sqlite3.Connection) -> None:
    sync.save_agent(conn, _agent())
    assert sync.seed_defaults(conn, ["fxs1"], ["fxo1"]) is False
    assert sync.get_setting(conn, "seeded") is None


def _insert_cdr(conn: sqlite3.Connection, call_id: str, start: float) -> Cdr:
    cdr = Cdr(call_id, start, None, start + 5, "fxo1", "in", None, None, None, None, None,
              "abandoned", 5.0, 0.0)
    conn.execute(rows.CDR_INSERT, rows.cdr_params(cdr))
    return cdr


def test_cdr_pages_are_newest_first(conn: sqlite3.Connection) -> None:
    cdrs = [_insert_cdr(conn, f"c{i}", 1000.0 + i) for i in range(5)]
    assert sync.count_cdr(conn) == 5
    assert sync.list_cdr(conn) == cdrs[::-1]
    assert sync.list_cdr(conn, limit=2, offset=1) == [cdrs[3], cdrs[2]]
    with pytest.raises(ConfigError) as caught:
        sync.list_cdr(conn, limit=0)
    assert caught.value.field == "limit"


def test_queue_log_is_newest_first(conn: sqlite3.Connection) -> None:
    entries = [
        QueueLogEntry(10.0, "c1", "sales", None, "enter", None),
        QueueLogEntry(11.0, "c1", "sales", "Ann", "ring", None),
        QueueLogEntry(12.0, "c1", "sales", "Ann", "answer", "2"),
    ]
    for entry in entries:
        conn.execute(rows.QUEUE_LOG_INSERT, rows.queue_log_params(entry))
    assert sync.list_queue_log(conn) == entries[::-1]
    assert sync.list_queue_log(conn, limit=1) == [entries[2]]
    assert sync.list_queue_log(conn, limit=5, offset=2) == [entries[0]]
    with pytest.raises(ConfigError) as caught:
        sync.list_queue_log(conn, limit=10, offset=-1)
    assert caught.value.field == "offset"
