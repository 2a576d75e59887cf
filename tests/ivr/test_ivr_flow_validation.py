"""Flow validation for the new node types: each refusal names the path of the bad field."""

import copy
import shutil
from pathlib import Path
from typing import Any

import pytest

from firmware.ivr import speech
from firmware.store.models import ConfigError, validate_flow

QUEUES = ["sales"]
GOOD: dict[str, Any] = {
    "start": "hours",
    "nodes": {
        "hours": {"type": "condition", "test": "schedule-open", "schedule": "office",
                  "then": "ask", "else": "vm"},
        "ask": {"type": "collect", "prompt": "welcome", "variable": "account",
                "next": "crm", "fail": "vm"},
        "crm": {"type": "lookup", "url": "https://crm/a/{account}", "fields": {"b": "balance"},
                "next": "tell", "fallback": "vm"},
        "tell": {"type": "say", "say": "amount", "value": "{b}", "next": "mark"},
        "mark": {"type": "set", "variable": "seen", "value": "yes", "next": "agent"},
        "agent": {"type": "transfer", "destination": "extension", "number": "101",
                  "fail": "line"},
        "line": {"type": "queue", "queue": "sales", "priority": 3},
        "vm": {"type": "voicemail", "max_seconds": 60},
    },
}


def refusal(change: dict[str, Any], **known: Any) -> str:
    flow = copy.deepcopy(GOOD)
    for path, value in change.items():
        *parents, last = path.split(".")
        target = flow["nodes"]
        for part in parents:
            target = target[part]
        if value is None:
            del target[last]
        else:
            target[last] = value
    with pytest.raises(ConfigError) as caught:
        validate_flow("f", flow, QUEUES, **known)
    return caught.value.field


def test_the_full_flow_is_accepted_and_normalised():
    flow = validate_flow("f", GOOD, QUEUES, schedule_names=["office"], extensions=["101"])
    nodes = flow.definition["nodes"]
    assert nodes["ask"]["min_length"] == 1 and nodes["ask"]["terminator"] == "#"
    assert nodes["tell"]["lang"] == "pl" and nodes["tell"]["currency"] == "PLN"
    assert nodes["crm"]["timeout"] == 3.0 and nodes["vm"]["max_seconds"] == 60.0


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"hours.test": "weather"}, "definition.nodes.hours.test"),
        ({"hours.schedule": None}, "definition.nodes.hours.schedule"),
        ({"hours.pattern": "1"}, "definition.nodes.hours.pattern"),
        ({"hours.else": "nowhere"}, "definition.nodes.hours.else"),
        ({"ask.variable": "2x"}, "definition.nodes.ask.variable"),
        ({"ask.min_length": 5, "ask.max_length": 4}, "definition.nodes.ask.max_length"),
        ({"ask.pattern": "[0-9"}, "definition.nodes.ask.pattern"),
        ({"ask.terminator": "5"}, "definition.nodes.ask.terminator"),
        ({"crm.url": "ftp://crm/x"}, "definition.nodes.crm.url"),
        ({"crm.url": "https://crm/{a b}"}, "definition.nodes.crm.url"),
        ({"crm.fields": {"b": "a..b"}}, "definition.nodes.crm.fields.b"),
        ({"crm.timeout": 60}, "definition.nodes.crm.timeout"),
        ({"crm.fallback": None}, "definition.nodes.crm.fallback"),
        ({"tell.say": "poem"}, "definition.nodes.tell.say"),
        ({"tell.lang": "de"}, "definition.nodes.tell.lang"),
        ({"tell.currency": "USD"}, "definition.nodes.tell.currency"),
        ({"mark.variable": ""}, "definition.nodes.mark.variable"),
        ({"agent.destination": "moon"}, "definition.nodes.agent.destination"),
        ({"agent.number": "1"}, "definition.nodes.agent.number"),
        ({"line.priority": 10}, "definition.nodes.line.priority"),
        ({"line.queue": "nope"}, "definition.nodes.line.queue"),
        ({"vm.max_seconds": 1}, "definition.nodes.vm.max_seconds"),
        ({"vm.colour": "red"}, "definition.nodes.vm.colour"),
    ],
)
def test_refusals_name_the_field(change: dict[str, Any], field: str):
    assert refusal(change) == field


def test_unknown_schedule_and_extension_are_refused_when_the_box_s_names_are_known():
    assert refusal({}, schedule_names=["shop"]) == "definition.nodes.hours.schedule"
    assert refusal({}, schedule_names=["office"], extensions=["102"]) == (
        "definition.nodes.agent.number"
    )


def test_a_node_nobody_reaches_is_refused():
    assert refusal({"extra": {"type": "hangup"}}) == "definition.nodes.extra"


def test_a_loop_of_instant_nodes_is_refused_with_its_path():
    flow = {"start": "a", "nodes": {
        "a": {"type": "set", "variable": "x", "value": "1", "next": "b"},
        "b": {"type": "condition", "test": "variable", "variable": "x", "operator": "eq",
              "value": "1", "then": "a", "else": "c"},
        "c": {"type": "hangup"},
    }}
    with pytest.raises(ConfigError, match="never waits for the caller") as caught:
        validate_flow("f", flow, QUEUES)
    assert caught.value.field == "definition.nodes.b.then"


def test_a_loop_that_waits_for_the_caller_is_accepted():
    flow = {"start": "menu", "nodes": {
        "menu": {"type": "menu", "prompt": "welcome", "choices": {"1": "again"}, "fail": "bye"},
        "again": {"type": "set", "variable": "x", "value": "1", "next": "menu"},
        "bye": {"type": "hangup"},
    }}
    assert validate_flow("f", flow, QUEUES).name == "f"


def test_play_text_must_be_rendered_to_speech_before_it_is_valid():
    flow = {"start": "hi", "nodes": {"hi": {"type": "play", "text": "Hello", "next": "bye"},
                                     "bye": {"type": "hangup"}}}
    with pytest.raises(ConfigError) as caught:
        validate_flow("f", flow, QUEUES)
    assert caught.value.field == "definition.nodes.hi.text"


def test_text_to_speech_without_espeak_is_refused_at_the_node(monkeypatch, tmp_path: Path):
    monkeypatch.setattr(speech.shutil, "which", lambda name: None)
    flow = {"start": "hi", "nodes": {"hi": {"type": "play", "text": "Hello", "lang": "en",
                                            "next": "hi"}}}
    with pytest.raises(ConfigError, match="espeak-ng") as caught:
        speech.render_flow_speech(flow, tmp_path)
    assert caught.value.field == "definition.nodes.hi.text"
    assert not any(tmp_path.iterdir())


@pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng is not installed")
def test_text_to_speech_renders_once_into_the_prompt_folder(tmp_path: Path):
    flow = {"start": "hi", "nodes": {"hi": {"type": "play", "text": "Dzień dobry",
                                            "next": "bye"},
                                     "bye": {"type": "hangup"}}}
    rendered = speech.render_flow_speech(flow, tmp_path)
    name = rendered["nodes"]["hi"]["prompt"]
    assert name.startswith("tts-pl-") and (tmp_path / f"{name}.wav").stat().st_size > 2000
    again = speech.render_flow_speech(flow, tmp_path)
    assert again["nodes"]["hi"]["prompt"] == name and len(list(tmp_path.iterdir())) == 1
    assert validate_flow("f", rendered, QUEUES, prompt_names=[name]).definition["nodes"]["hi"][
        "lang"] == "pl"
