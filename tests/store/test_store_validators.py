"""The shared validators: what they accept, and the field every rejection names."""

from __future__ import annotations

import copy
import json
import pickle
from collections.abc import Callable
from typing import Any

import pytest

from firmware.store.models import (
    Cdr,
    ConfigError,
    Disposition,
    QueueEvent,
    QueueLogEntry,
    RecordError,
    Strategy,
    validate_agent,
    validate_country,
    validate_flow,
    validate_queue,
    validate_route,
)

PORTS = ["fxs1", "fxs2", "fxs3", "fxs4", "fxo1", "fxo2"]
QUEUES = ["sales", "support"]
PROMPTS = ["welcome", "menu-sales-support", "invalid", "no-input", "bye"]

FLOW: dict[str, Any] = {
    "start": "greeting",
    "nodes": {
        "greeting": {"type": "play", "prompt": "welcome", "next": "menu"},
        "menu": {
            "type": "menu",
            "prompt": "menu-sales-support",
            "choices": {"1": "sales", "2": "support", "#": "bye"},
            "invalid_prompt": "invalid",
            "timeout_prompt": "no-input",
            "fail": "sales",
        },
        "sales": {"type": "queue", "queue": "sales"},
        "support": {"type": "queue", "queue": "support"},
        "bye": {"type": "hangup", "prompt": "bye"},
    },
}


def _field_of(call: Callable[[], object]) -> str:
    with pytest.raises(ConfigError) as caught:
        call()
    assert caught.value.message
    assert str(caught.value) == f"{caught.value.field}: {caught.value.message}"
    return caught.value.field


def test_config_error_names_field_and_reads_as_one_sentence() -> None:
    err = ConfigError("agents[2].port", "must be an FXS port name such as fxs1")
    assert err.field == "agents[2].port"
    assert err.message == "must be an FXS port name such as fxs1"
    assert str(err) == "agents[2].port: must be an FXS port name such as fxs1"
    assert isinstance(err, ValueError)
    copied = pickle.loads(pickle.dumps(err))
    assert (copied.field, copied.message) == (err.field, err.message)


# --- agents --------------------------------------------------------------------------------


def test_agent_from_form_strings_is_trimmed_and_typed() -> None:
    agent = validate_agent(
        {"name": "  Ann Nowak ", "extension": " 101", "port": "FXS2", "logged_in": "off",
         "csrf_token": "x"},
        PORTS,
    )
    assert (agent.id, agent.name, agent.extension, agent.port, agent.logged_in) == (
        None, "Ann Nowak", "101", "fxs2", False,
    )


def test_agent_from_typed_json_values() -> None:
    agent = validate_agent({"name": "Bob", "extension": 123456, "port": "fxs4"}, None)
    assert agent.extension == "123456"
    assert agent.logged_in is True  # absent means the new agent takes calls


def test_agent_port_is_only_checked_for_shape_when_card_unknown() -> None:
    assert validate_agent({"name": "C", "extension": "12", "port": "fxs17"}, None).port == "fxs17"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"name": None}, "name"),
        ({"name": "   "}, "name"),
        ({"name": "x" * 41}, "name"),
        ({"name": "Ann\nNowak"}, "name"),
        ({"name": 5}, "name"),
        ({"extension": None}, "extension"),
        ({"extension": "1"}, "extension"),
        ({"extension": "1234567"}, "extension"),
        ({"extension": "10a"}, "extension"),
        ({"extension": 5}, "extension"),
        ({"port": None}, "port"),
        ({"port": "fxo1"}, "port"),
        ({"port": "fxs0"}, "port"),
        ({"port": "phone"}, "port"),
        ({"port": "fxs9"}, "port"),
        ({"logged_in": "maybe"}, "logged_in"),
        ({"logged_in": 2}, "logged_in"),
    ],
)
def test_agent_rejections_name_the_field(change: dict[str, Any], field: str) -> None:
    data = {"name": "Ann", "extension": "101", "port": "fxs1", **change}
    assert _field_of(lambda: validate_agent(data, PORTS)) == field


def test_agent_on_a_port_the_card_lacks_lists_the_ports_it_has() -> None:
    with pytest.raises(ConfigError, match="fxs1, fxs2, fxs3, fxs4"):
        validate_agent({"name": "Ann", "extension": "101", "port": "fxs9"}, PORTS)


# --- queues --------------------------------------------------------------------------------


def test_queue_without_timings_takes_schema_defaults() -> None:
    queue = validate_queue({"name": "sales"}, [])
    assert queue.strategy is Strategy.LONGEST_IDLE
    assert (queue.ring_timeout, queue.retry_delay, queue.max_wait) == (15.0, 2.0, 600.0)
    assert queue.members == ()


@pytest.mark.parametrize("strategy", [s.value for s in Strategy])
def test_queue_accepts_every_strategy(strategy: str) -> None:
    assert validate_queue({"name": "q", "strategy": strategy}, []).strategy == strategy


def test_queue_from_form_strings_keeps_member_order() -> None:
    queue = validate_queue(
        {
            "name": "support",
            "strategy": "linear",
            "ring_timeout": "5",
            "retry_delay": "0",
            "max_wait": "7200",
            "members": ["Cid", "Ann"],
        },
        ["Ann", "Bob", "Cid"],
    )
    assert (queue.ring_timeout, queue.retry_delay, queue.max_wait) == (5.0, 0.0, 7200.0)
    assert queue.members == ("Cid", "Ann")


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"name": ""}, "name"),
        ({"strategy": "best"}, "strategy"),
        ({"strategy": 3}, "strategy"),
        ({"ring_timeout": 4}, "ring_timeout"),
        ({"ring_timeout": "121"}, "ring_timeout"),
        ({"ring_timeout": "abc"}, "ring_timeout"),
        ({"ring_timeout": ""}, "ring_timeout"),
        ({"ring_timeout": float("nan")}, "ring_timeout"),
        ({"ring_timeout": True}, "ring_timeout"),
        ({"retry_delay": -1}, "retry_delay"),
        ({"retry_delay": 61}, "retry_delay"),
        ({"max_wait": 9}, "max_wait"),
        ({"max_wait": 7201}, "max_wait"),
        ({"members": ["Ann", "Zed"]}, "members[1]"),
        ({"members": ["Ann", "Ann"]}, "members[1]"),
        ({"members": [3]}, "members[0]"),
        ({"members": "Ann"}, "members"),
    ],
)
def test_queue_rejections_name_the_field(change: dict[str, Any], field: str) -> None:
    data = {"name": "sales", **change}
    assert _field_of(lambda: validate_queue(data, ["Ann", "Bob"])) == field


# --- routes --------------------------------------------------------------------------------


@pytest.mark.parametrize("destination", ["ivr:main", "queue:sales"])
def test_route_to_a_flow_or_a_queue_is_accepted(destination: str) -> None:
    route = validate_route({"port": "fxo2", "destination": destination}, PORTS, ["main"], QUEUES)
    assert (route.port, route.destination) == ("fxo2", destination)


def test_route_destination_splits_into_kind_and_name() -> None:
    route = validate_route({"port": "fxo1", "destination": "queue:sales"}, None, [], QUEUES)
    assert (route.destination_kind, route.destination_name) == ("queue", "sales")


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"port": "fxs1"}, "port"),
        ({"port": "fxo3"}, "port"),
        ({"port": None}, "port"),
        ({"destination": None}, "destination"),
        ({"destination": "main"}, "destination"),
        ({"destination": "ivr:"}, "destination"),
        ({"destination": "pbx:main"}, "destination"),
        ({"destination": "ivr:other"}, "destination"),
        ({"destination": "queue:billing"}, "destination"),
    ],
)
def test_route_rejections_name_the_field(change: dict[str, Any], field: str) -> None:
    data = {"port": "fxo1", "destination": "ivr:main", **change}
    assert _field_of(lambda: validate_route(data, PORTS, ["main"], QUEUES)) == field


# --- IVR flows -----------------------------------------------------------------------------


def test_flow_is_accepted_and_menu_defaults_filled_in() -> None:
    flow = validate_flow("main", FLOW, QUEUES, PROMPTS)
    menu = flow.definition["nodes"]["menu"]
    assert (menu["timeout"], menu["retries"]) == (5.0, 3)
    assert flow.definition["start"] == "greeting"
    assert flow.definition["nodes"]["bye"] == {"type": "hangup", "prompt": "bye"}
    assert json.loads(json.dumps(flow.definition)) == flow.definition


def test_flow_given_as_json_text_equals_flow_given_as_object() -> None:
    assert validate_flow("main", json.dumps(FLOW), QUEUES) == validate_flow("main", FLOW, QUEUES)


def test_flow_may_loop_back_to_its_menu() -> None:
    flow = copy.deepcopy(FLOW)
    flow["nodes"]["bye"] = {"type": "play", "prompt": "bye", "next": "menu"}
    assert validate_flow("main", flow, QUEUES).definition["nodes"]["bye"]["next"] == "menu"


def test_flow_menu_accepts_integer_choice_keys_and_explicit_timing() -> None:
    flow = copy.deepcopy(FLOW)
    menu = flow["nodes"]["menu"]
    menu["choices"] = {1: "sales", 2: "support", "*": "bye"}
    menu["timeout"], menu["retries"] = "30", 9
    checked = validate_flow("main", flow, QUEUES).definition["nodes"]["menu"]
    assert checked["choices"] == {"1": "sales", "2": "support", "*": "bye"}
    assert (checked["timeout"], checked["retries"]) == (30.0, 9)


def test_flow_prompts_are_not_checked_when_prompt_list_unknown() -> None:
    flow = copy.deepcopy(FLOW)
    flow["nodes"]["greeting"]["prompt"] = "recorded-later"
    assert validate_flow("main", flow, QUEUES, None).name == "main"


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    """A change to a copy of FLOW: set the item at a dotted path (value ... deletes it)."""

    def apply(flow: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        target = flow
        for key in parents:
            target = target[key]
        if value is ...:
            del target[last]
        else:
            target[last] = value

    return apply


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (_set("nodes.greeting.type", "dance"), "definition.nodes.greeting.type"),
        (_set("nodes.greeting.type", ...), "definition.nodes.greeting.type"),
        (_set("nodes.greeting.next", ...), "definition.nodes.greeting.next"),
        (_set("nodes.greeting.colour", "red"), "definition.nodes.greeting.colour"),
        (_set("nodes.sales.queue", ...), "definition.nodes.sales.queue"),
        (_set("nodes.menu.fail", ...), "definition.nodes.menu.fail"),
        (_set("nodes.menu.choices", {}), "definition.nodes.menu.choices"),
        (_set("nodes.menu.choices.1", "salse"), "definition.nodes.menu.choices.1"),
        (_set("nodes.menu.choices.10", "sales"), "definition.nodes.menu.choices.10"),
        (_set("nodes.menu.choices.a", "sales"), "definition.nodes.menu.choices.a"),
        (_set("nodes.menu.fail", "nowhere"), "definition.nodes.menu.fail"),
        (_set("nodes.greeting.next", "nowhere"), "definition.nodes.greeting.next"),
        (_set("nodes.menu.timeout", 0), "definition.nodes.menu.timeout"),
        (_set("nodes.menu.timeout", 31), "definition.nodes.menu.timeout"),
        (_set("nodes.menu.retries", 0), "definition.nodes.menu.retries"),
        (_set("nodes.menu.retries", 10), "definition.nodes.menu.retries"),
        (_set("nodes.menu.retries", 2.5), "definition.nodes.menu.retries"),
        (_set("nodes.sales.queue", "billing"), "definition.nodes.sales.queue"),
        (_set("nodes.greeting.prompt", "welcom"), "definition.nodes.greeting.prompt"),
        (_set("nodes.menu.invalid_prompt", "oops"), "definition.nodes.menu.invalid_prompt"),
        (_set("nodes.greeting.prompt", "../../etc/passwd"), "definition.nodes.greeting.prompt"),
        (_set("nodes.orphan", {"type": "hangup"}), "definition.nodes.orphan"),
        (_set("nodes.menu", "menu"), "definition.nodes.menu"),
        (_set("start", "nowhere"), "definition.start"),
        (_set("start", ...), "definition.start"),
        (_set("nodes", {}), "definition.nodes"),
        (_set("nodes", ...), "definition.nodes"),
        (_set("version", 2), "definition.version"),
    ],
)
def test_flow_rejections_name_node_and_field(
    change: Callable[[dict[str, Any]], None], field: str
) -> None:
    flow = copy.deepcopy(FLOW)
    change(flow)
    assert _field_of(lambda: validate_flow("main", flow, QUEUES, PROMPTS)) == field


def test_flow_node_ids_with_a_dot_are_refused() -> None:
    flow = copy.deepcopy(FLOW)
    flow["nodes"]["a.b"] = {"type": "hangup"}
    assert _field_of(lambda: validate_flow("main", flow, QUEUES)) == "definition.nodes.a.b"


def test_flow_dangling_edge_message_names_the_missing_node() -> None:
    flow = copy.deepcopy(FLOW)
    flow["nodes"]["menu"]["choices"]["1"] = "salse"
    with pytest.raises(ConfigError, match="no node named 'salse'"):
        validate_flow("main", flow, QUEUES)


@pytest.mark.parametrize(
    ("name", "definition", "field"),
    [
        ("", FLOW, "name"),
        ("main", "{not json", "definition"),
        ("main", ["start"], "definition"),
        ("main", None, "definition"),
    ],
)
def test_flow_name_and_definition_shape_rejections(name: str, definition: Any, field: str) -> None:
    assert _field_of(lambda: validate_flow(name, definition, QUEUES)) == field


def test_validation_never_changes_the_definition_it_was_given() -> None:
    flow = copy.deepcopy(FLOW)
    validate_flow("main", flow, QUEUES)
    assert flow == FLOW


# --- settings and records ------------------------------------------------------------------


def test_country_is_two_letters_uppercased() -> None:
    assert validate_country(" pl ") == "PL"
    assert _field_of(lambda: validate_country("Poland")) == "country"


def _cdr(**change: Any) -> Cdr:
    fields: dict[str, Any] = {
        "call_id": "c1", "start": 100.0, "answer": 104.0, "end": 160.0, "port": "fxo1",
        "direction": "in", "caller_number": "601234567", "caller_name": None,
        "destination": "ivr:main", "queue": "sales", "agent": "Agent 1",
        "disposition": "answered", "duration": 60.0, "billsec": 56.0,
    }
    fields.update(change)
    return Cdr(**fields)


def test_cdr_takes_plain_strings_for_its_enumerations() -> None:
    cdr = _cdr()
    assert cdr.disposition is Disposition.ANSWERED
    assert cdr.direction == "in"


@pytest.mark.parametrize(
    "change",
    [
        {"disposition": "hung"},
        {"direction": "sideways"},
        {"duration": "60"},
        {"start": float("inf")},
        {"call_id": ""},
        {"caller_name": 5},
    ],
)
def test_cdr_with_a_value_reports_cannot_use_is_refused(change: dict[str, Any]) -> None:
    with pytest.raises(RecordError):
        _cdr(**change)


def test_queue_log_entry_checks_its_event() -> None:
    entry = QueueLogEntry(1.0, "c1", "sales", None, "enter", None)
    assert entry.event is QueueEvent.ENTER
    with pytest.raises(RecordError, match="event"):
        QueueLogEntry(1.0, "c1", "sales", None, "teleport", None)
