"""Scenario files: the issue's example loads; every bad field is refused by its path."""

import copy
import math

import pytest

from firmware.simulator.errors import ScenarioError
from firmware.simulator.scenario import load_scenario, parse_duration, parse_scenario
from firmware.store.models import ConfigError, Strategy

ISSUE_EXAMPLE = """\
seed: 7
duration: 8h                       # s, m, h suffixes
agents:                            # a list of agents or groups of agents
  - {count: 10, prefix: s, skills: {sales: 5}}
queues:
  - {name: sales, strategy: longest-idle, service_level_seconds: 20, wrapup_seconds: 0}
inbound:
  - {queue: sales, calls_per_hour: 120,
     handle_seconds: {dist: exponential, mean: 180},
     patience_seconds: {dist: exponential, mean: 120}}   # or: patience_seconds: none
"""

BASE = {
    "seed": 1,
    "duration": "1h",
    "agents": [{"count": 2, "prefix": "s", "skills": {"sales": 5}}],
    "queues": [{"name": "sales"}],
    "inbound": [
        {"queue": "sales", "calls_per_hour": 60,
         "handle_seconds": {"dist": "exponential", "mean": 180}}
    ],
}


def changed(path, value):
    """BASE with one field set (value None: removed); path like "inbound.0.handle_seconds"."""
    data = copy.deepcopy(BASE)
    *parents, last = path.split(".")
    node = data
    for key in parents:
        node = node[int(key)] if key.isdigit() else node[key]
    if value is None:
        del node[int(last) if last.isdigit() else last]
    elif last.isdigit():
        node[int(last)] = value
    else:
        node[last] = value
    return data


def test_the_issue_example_scenario_loads(tmp_path):
    path = tmp_path / "center.yaml"
    path.write_text(ISSUE_EXAMPLE)
    scenario = load_scenario(path)
    assert scenario.seed == 7
    assert scenario.duration == 8 * 3600
    assert [a.name for a in scenario.agents] == [f"s{n}" for n in range(1, 11)]
    (queue,) = scenario.queues
    assert queue.queue.strategy is Strategy.LONGEST_IDLE
    assert queue.queue.members == tuple(f"s{n}" for n in range(1, 11))
    assert queue.service_level_seconds == 20 and queue.wrapup_seconds == 0
    (stream,) = scenario.inbound
    assert stream.calls_per_hour == 120
    assert stream.handle.mean == 180 and stream.patience is not None


def test_patience_none_means_callers_never_give_up():
    data = changed("inbound.0.patience_seconds", "none")
    assert parse_scenario(data).inbound[0].patience is None


def test_queue_fields_left_out_take_the_box_defaults():
    queue = parse_scenario(BASE).queues[0].queue
    assert (queue.ring_timeout, queue.retry_delay, queue.max_wait) == (15.0, 2.0, 600.0)


def test_max_wait_none_lifts_the_limit():
    data = changed("queues.0.max_wait_seconds", "none")
    assert parse_scenario(data).queues[0].queue.max_wait == math.inf


def test_an_agent_serves_every_queue_named_in_its_skills_in_scenario_order():
    data = copy.deepcopy(BASE)
    data["queues"] = [{"name": "sales"}, {"name": "support"}]
    data["agents"] = [
        {"name": "ola", "skills": {"support": 9}},
        {"count": 2, "prefix": "s", "skills": {"sales": 5, "support": 2}},
    ]
    scenario = parse_scenario(data)
    members = {q.name: q.queue.members for q in scenario.queues}
    assert members == {"sales": ("s1", "s2"), "support": ("ola", "s1", "s2")}


@pytest.mark.parametrize(
    "text, seconds",
    [("8h", 28800), ("90m", 5400), ("45s", 45), ("1h30m", 5400), ("1.5h", 5400), (600, 600)],
)
def test_durations_take_h_m_s_suffixes(text, seconds):
    assert parse_duration(text, "duration") == seconds


@pytest.mark.parametrize(
    "path, value, field, message",
    [
        ("inbound.0.handle_seconds.mean", -5, "inbound[0].handle_seconds.mean",
         "must be a positive number"),
        ("inbound.0.handle_seconds", None, "inbound[0].handle_seconds", "is required"),
        ("inbound.0.patience_seconds", {"dist": "gamma", "mean": 60},
         "inbound[0].patience_seconds.shape", "is required"),
        ("inbound.0.queue", "support", "inbound[0].queue", "no queue named 'support'"),
        ("inbound.0.calls_per_hour", 0, "inbound[0].calls_per_hour", "above 0"),
        ("inbound.0.calls_per_hour", "many", "inbound[0].calls_per_hour", "above 0"),
        ("inbound.0.colour", "red", "inbound[0].colour", "is not a field"),
        ("duration", "8 hours", "duration", "must be a duration"),
        ("duration", "0s", "duration", "longer than zero"),
        ("duration", "90d", "duration", "must be a duration"),
        ("duration", None, "duration", "is required"),
        ("seed", -1, "seed", "whole number"),
        ("seed", 1.5, "seed", "whole number"),
        ("agents.0.skills", {"billing": 3}, "agents[0].skills.billing", "no queue named"),
        ("agents.0.skills", {"sales": 11}, "agents[0].skills.sales", "from 1 to 10"),
        ("agents.0.skills", None, "agents[0].skills", "is required"),
        ("agents.0.count", 0, "agents[0].count", "whole number"),
        ("agents.0.answer_seconds", {"dist": "fixed"}, "agents[0].answer_seconds.value",
         "is required"),
        ("agents", [], "agents", "at least one"),
        ("queues.0.strategy", "cheapest", "queues[0].strategy", "must be one of"),
        ("queues.0.ring_timeout_seconds", 1, "queues[0].ring_timeout_seconds",
         "from 5 to 120"),
        ("queues.0.max_wait_seconds", "15", "queues[0].max_wait_seconds", "number of seconds"),
        ("queues.0.wrapup_seconds", -3, "queues[0].wrapup_seconds", "zero or more"),
        ("queues.0.service_level_seconds", 0, "queues[0].service_level_seconds",
         "positive number"),
        ("queues.0.colour", "red", "queues[0].colour", "is not a field of a queue"),
        ("queues.0", "sales", "queues[0]", "must be a mapping"),
        ("inbound", None, "inbound", "is required"),
        ("colour", "red", "colour", "is not a field of a scenario"),
    ],
)
def test_a_bad_field_is_refused_with_its_path(path, value, field, message):
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(changed(path, value))
    assert caught.value.field == field
    assert message in caught.value.message
    assert str(caught.value).startswith(f"{field}: ")


def test_the_error_of_the_issue_reads_as_the_issue_says():
    with pytest.raises(ConfigError) as caught:  # front ends catch the shared error class
        parse_scenario(changed("inbound.0.handle_seconds.mean", -1))
    assert str(caught.value) == "inbound[0].handle_seconds.mean: must be a positive number"


def test_a_queue_no_agent_serves_is_refused():
    data = copy.deepcopy(BASE)
    data["queues"].append({"name": "billing"})
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(data)
    assert str(caught.value) == "queues[1].name: no agent has billing among its skills"


def test_two_groups_making_the_same_agent_name_are_refused():
    data = copy.deepcopy(BASE)
    data["agents"].append({"name": "s2", "skills": {"sales": 1}})
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(data)
    assert caught.value.field == "agents[1]"
    assert "s2 is already used by agents[0]" in caught.value.message


def test_a_yaml_syntax_error_names_the_line(tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text("seed: 1\nduration: 8h\nagents: [\n")
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    assert caught.value.field == "scenario"
    assert "not valid YAML at line" in caught.value.message


def test_a_file_that_is_not_a_mapping_is_refused(tmp_path):
    path = tmp_path / "list.yaml"
    path.write_text("- 1\n- 2\n")
    with pytest.raises(ScenarioError, match="must be a mapping"):
        load_scenario(path)
