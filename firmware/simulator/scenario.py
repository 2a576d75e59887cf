"""Scenarios: who works, which queues exist, and what traffic arrives.

The YAML format is the one of the simulator's issue::

    seed: 7
    duration: 8h                       # s, m, h suffixes (1h30m works too)
    agents:                            # single agents {name: ...} or groups {count, prefix}
      - {count: 10, prefix: s, skills: {sales: 5}, answer_seconds: {dist: fixed, value: 2}}
    queues:
      - {name: sales, strategy: longest-idle, service_level_seconds: 20, wrapup_seconds: 0}
    inbound:
      - {queue: sales, calls_per_hour: 120,
         handle_seconds: {dist: exponential, mean: 180},
         patience_seconds: {dist: exponential, mean: 120}}   # or: patience_seconds: none

An agent's ``skills`` map skill names to a proficiency from 1 to 10; a skill
named like a queue makes the agent a member of that queue. A
``strategy: skills-based`` queue instead offers its callers to every agent
with the skills it requires, best match first: ``skills: {sales: 6, polish: 3}``
gives the minimum levels (default: its own name at level 1), lowered by
``skill_widen_step`` (default 1) every ``skill_widen_seconds`` of waiting.

Queue fields the issue does not show take the box's own defaults and limits
(``ring_timeout_seconds`` 15, ``retry_delay_seconds`` 2, ``max_wait_seconds``
600, or ``none`` for no limit; ``max_length`` 0 for no limit;
``autopause_rings`` 0), so a scenario of the technician's queues behaves as
the box would. ``overflow_queue`` names a queue whose agents also take this
queue's callers after ``overflow_after_seconds`` or, with
``overflow_on_predicted_wait: true``, once the predicted wait exceeds
``service_level_seconds``. ``handle_seconds`` is the time a caller stays
connected to the agent; the ACD then keeps the agent in the queue's
``wrapup_seconds``. An inbound stream's ``priority`` (0-9, default 0) is its
callers' priority: higher is served first. An unknown field is refused, so a
typing mistake cannot silently fall back to a default.
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from firmware.simulator.distributions import Distribution, parse_distribution, seconds_value
from firmware.simulator.errors import ScenarioError
from firmware.store.models import ConfigError, Queue, Strategy, validate_queue

_LONGEST_RUN = 31 * 86400.0  # a month of traffic; longer runs say nothing more
_MOST_AGENTS = 5000
_MOST_CALLS_PER_HOUR = 100_000.0
_DURATION_PART = re.compile(r"(\d+(?:\.\d*)?)\s*([hms])")
_DURATION = re.compile(r"\s*(?:\d+(?:\.\d*)?\s*[hms]\s*)+")
_UNIT = {"h": 3600.0, "m": 60.0, "s": 1.0}
_NONE = "none"

_TOP_FIELDS = ("seed", "duration", "agents", "queues", "inbound")
_AGENT_FIELDS = ("name", "count", "prefix", "skills", "answer_seconds")
_QUEUE_FIELDS = (
    "name", "strategy", "service_level_seconds", "wrapup_seconds", "short_abandon_seconds",
    "ring_timeout_seconds", "retry_delay_seconds", "max_wait_seconds", "max_length",
    "autopause_rings", "skills", "skill_widen_seconds", "skill_widen_step", "overflow_queue",
    "overflow_after_seconds", "overflow_on_predicted_wait",
)
_INBOUND_FIELDS = ("queue", "calls_per_hour", "handle_seconds", "patience_seconds", "priority")
# The scenario's names of the box's queue fields, to point an error at the right one.
_BOX_QUEUE_FIELD = {
    "name": "name", "strategy": "strategy", "ring_timeout": "ring_timeout_seconds",
    "retry_delay": "retry_delay_seconds", "max_wait": "max_wait_seconds",
    "service_level": "service_level_seconds", "wrapup": "wrapup_seconds",
    "skill_widen_after": "skill_widen_seconds", "overflow_after": "overflow_after_seconds",
    "overflow_predicted": "overflow_on_predicted_wait",
}


@dataclass(frozen=True)
class AgentSpec:
    """One simulated agent: queues it serves (skill name to proficiency) and answer delay.

    ``answer`` is None when the agent answers at once when rung.
    """

    name: str
    skills: Mapping[str, int]
    answer: Distribution | None = None


@dataclass(frozen=True)
class QueueSpec:
    """A queue as the ACD runs it, plus the figures its reports are measured against."""

    queue: Queue
    service_level_seconds: float = 20.0
    wrapup_seconds: float = 0.0
    short_abandon_seconds: float = 0.0

    @property
    def name(self) -> str:
        return self.queue.name


@dataclass(frozen=True)
class InboundStream:
    """Poisson arrivals into one queue; ``patience`` None means callers never give up."""

    queue: str
    calls_per_hour: float
    handle: Distribution
    patience: Distribution | None = None
    priority: int = 0


@dataclass(frozen=True)
class Scenario:
    """A whole simulation: the seed fixes every random draw of the run."""

    seed: int
    duration: float
    agents: tuple[AgentSpec, ...]
    queues: tuple[QueueSpec, ...]
    inbound: tuple[InboundStream, ...]


def load_scenario(path: str | Path) -> Scenario:
    """Read and check a YAML scenario file; a bad file raises :class:`ScenarioError`.

    A file that cannot be read raises OSError, which the caller reports as such.
    """
    text = Path(path).read_text(encoding="utf-8")
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or "cannot be parsed"
        raise ScenarioError("scenario", f"is not valid YAML{where}: {problem}") from None
    return parse_scenario(data)


def parse_scenario(data: object) -> Scenario:
    """A scenario from its parsed YAML (plain dicts and lists), checked field by field."""
    if not isinstance(data, Mapping):
        raise ScenarioError("scenario", "must be a mapping with duration, agents, queues, inbound")
    _known_fields(data, _TOP_FIELDS, "", "a scenario")
    seed = _seed(data.get("seed"))
    duration = parse_duration(data.get("duration"), "duration")
    raw_queues = _list(data.get("queues"), "queues")
    raw_agents = _list(data.get("agents"), "agents")
    raw_inbound = _list(data.get("inbound"), "inbound")

    queue_names: list[str] = []
    for index, raw in enumerate(raw_queues):
        name = _queue_name(raw, f"queues[{index}]")
        if name in queue_names:
            raise ScenarioError(f"queues[{index}].name", f"{name} is listed twice")
        queue_names.append(name)
    # Skills a queue requires are skill names an agent may have besides queue names.
    skill_names = set(queue_names)
    for raw in raw_queues:
        required = raw.get("skills") if isinstance(raw, Mapping) else None
        if isinstance(required, Mapping):
            skill_names.update(str(key) for key in required)
    agents = _agents(raw_agents, skill_names)
    queues = tuple(
        _queue(raw, f"queues[{index}]", agents, queue_names)
        for index, raw in enumerate(raw_queues)
    )
    inbound = tuple(
        _inbound(raw, f"inbound[{index}]", queue_names) for index, raw in enumerate(raw_inbound)
    )
    return Scenario(seed, duration, agents, queues, inbound)


def parse_duration(raw: object, path: str) -> float:
    """Seconds from a number or text such as "8h", "90m", "1h30m", "45s"."""
    if isinstance(raw, int | float) and not isinstance(raw, bool):
        value = float(raw)
    elif isinstance(raw, str) and _DURATION.fullmatch(raw):
        value = sum(float(n) * _UNIT[u] for n, u in _DURATION_PART.findall(raw))
    elif raw is None:
        raise ScenarioError(path, "is required")
    else:
        raise ScenarioError(path, "must be a duration such as 8h, 90m or 3600s")
    if not math.isfinite(value) or value <= 0:
        raise ScenarioError(path, "must be longer than zero")
    if value > _LONGEST_RUN:
        raise ScenarioError(path, f"must be at most {_LONGEST_RUN / 86400:.0f} days")
    return value


# --- parts ---------------------------------------------------------------------------------


def _known_fields(raw: Mapping[Any, Any], allowed: Sequence[str], path: str, what: str) -> None:
    for key in raw:
        if key not in allowed:
            where = f"{path}.{key}" if path else str(key)
            raise ScenarioError(where, f"is not a field of {what}")


def _seed(raw: object) -> int:
    if raw is None:
        return 0
    if isinstance(raw, bool) or not isinstance(raw, int) or not 0 <= raw < 2**63:
        raise ScenarioError("seed", "must be a whole number of zero or more")
    return raw


def _list(raw: object, path: str) -> list[Any]:
    if raw is None:
        raise ScenarioError(path, "is required")
    if not isinstance(raw, list) or not raw:
        raise ScenarioError(path, "must be a list with at least one item")
    return raw


def _mapping(raw: object, path: str, what: str) -> Mapping[Any, Any]:
    if not isinstance(raw, Mapping):
        raise ScenarioError(path, f"must be a mapping describing {what}")
    return raw


def _name(raw: object, path: str) -> str:
    if raw is None:
        raise ScenarioError(path, "is required")
    if isinstance(raw, int) and not isinstance(raw, bool):
        raw = str(raw)
    if not isinstance(raw, str) or not raw.strip():
        raise ScenarioError(path, "must be a name")
    name = raw.strip()
    if len(name) > 40 or not name.isprintable():
        raise ScenarioError(path, "must be at most 40 printable characters")
    return name


def _queue_name(raw: object, path: str) -> str:
    return _name(_mapping(raw, path, "a queue").get("name"), f"{path}.name")


def _agents(raw_agents: list[Any], skill_names: Collection[str]) -> tuple[AgentSpec, ...]:
    agents: list[AgentSpec] = []
    owner: dict[str, int] = {}
    for index, raw in enumerate(raw_agents):
        path = f"agents[{index}]"
        item = _mapping(raw, path, "an agent or a group of agents")
        _known_fields(item, _AGENT_FIELDS, path, "an agent")
        skills = _skills(item.get("skills"), f"{path}.skills", skill_names)
        answer = None
        if item.get("answer_seconds") is not None:
            answer = parse_distribution(item["answer_seconds"], f"{path}.answer_seconds")
        if item.get("name") is not None:
            for key in ("count", "prefix"):
                if key in item:
                    raise ScenarioError(f"{path}.{key}", "is for groups; a named agent is one")
            names = [_name(item["name"], f"{path}.name")]
        else:
            names = _group_names(item, path)
        for name in names:
            if name in owner:
                raise ScenarioError(
                    path, f"agent name {name} is already used by agents[{owner[name]}]"
                )
            owner[name] = index
            agents.append(AgentSpec(name, skills, answer))
        if len(agents) > _MOST_AGENTS:
            raise ScenarioError(path, f"a scenario has at most {_MOST_AGENTS} agents")
    return tuple(agents)


def _group_names(item: Mapping[Any, Any], path: str) -> list[str]:
    count = item.get("count")
    if count is None:
        raise ScenarioError(f"{path}.count", "is required (or give the agent a name)")
    if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= _MOST_AGENTS:
        raise ScenarioError(f"{path}.count", f"must be a whole number from 1 to {_MOST_AGENTS}")
    prefix = _name(item.get("prefix"), f"{path}.prefix")
    if len(prefix) + len(str(count)) > 40:
        raise ScenarioError(f"{path}.prefix", "makes agent names longer than 40 characters")
    return [f"{prefix}{n}" for n in range(1, count + 1)]


def _skills(raw: object, path: str, skill_names: Collection[str]) -> dict[str, int]:
    if raw is None:
        raise ScenarioError(path, "is required: it names the queues the agent serves")
    if not isinstance(raw, Mapping) or not raw:
        raise ScenarioError(path, "must map at least one queue name to a level from 1 to 10")
    skills: dict[str, int] = {}
    for key, level in raw.items():
        name = str(key)
        if name not in skill_names:
            raise ScenarioError(
                f"{path}.{name}", f"no queue named {name!r} and no queue requires it"
            )
        if isinstance(level, bool) or not isinstance(level, int) or not 1 <= level <= 10:
            raise ScenarioError(f"{path}.{name}", "must be a whole number from 1 to 10")
        skills[name] = level
    return skills


def _queue(
    raw: Mapping[Any, Any], path: str, agents: Sequence[AgentSpec], queue_names: Sequence[str]
) -> QueueSpec:
    _known_fields(raw, _QUEUE_FIELDS, path, "a queue")
    name = _name(raw.get("name"), f"{path}.name")
    skills_based = raw.get("strategy") == Strategy.SKILLS_BASED.value
    required = raw.get("skills")
    if required is not None and not skills_based:
        raise ScenarioError(f"{path}.skills", "is for queues with strategy skills-based")
    if skills_based:
        if required is None:
            required = {name: 1}
        if not isinstance(required, Mapping) or not required:
            raise ScenarioError(f"{path}.skills", "must map skill names to minimum levels")
        needed = [str(skill) for skill in required]
        able = [a.name for a in agents if all(skill in a.skills for skill in needed)]
        if not able:
            raise ScenarioError(f"{path}.skills", "no agent has every skill this queue requires")
        members: list[str] = []  # every agent with the skills
    else:
        members = [agent.name for agent in agents if name in agent.skills]
        if not members:
            raise ScenarioError(f"{path}.name", f"no agent has {name} among its skills")
    service_level = _seconds_or(raw, "service_level_seconds", path, 20.0, positive=True)
    wrapup = _seconds_or(raw, "wrapup_seconds", path, 0.0, positive=False)
    max_wait_raw = raw.get("max_wait_seconds")
    # "none" (or an explicit null) lifts the limit; an absent field keeps the box's default.
    unlimited = max_wait_raw == _NONE or ("max_wait_seconds" in raw and max_wait_raw is None)
    box_fields = {
        "name": name,
        "strategy": raw.get("strategy"),
        "ring_timeout": _typed_number(raw, "ring_timeout_seconds", path),
        "retry_delay": _typed_number(raw, "retry_delay_seconds", path),
        "max_wait": None if unlimited else _typed_number(raw, "max_wait_seconds", path),
        "members": members,
        "service_level": service_level,
        "wrapup": wrapup,
        "max_length": _typed_whole(raw, "max_length", path),
        "autopause_rings": _typed_whole(raw, "autopause_rings", path),
        "skills": required if skills_based else None,
        "skill_widen_after": _typed_number(raw, "skill_widen_seconds", path),
        "skill_widen_step": _typed_whole(raw, "skill_widen_step", path),
        "overflow_queue": raw.get("overflow_queue"),
        "overflow_after": _typed_number(raw, "overflow_after_seconds", path),
        "overflow_predicted": _typed_flag(raw, "overflow_on_predicted_wait", path),
    }
    try:
        # The box's own validator, so a scenario queue obeys the same limits.
        queue = validate_queue(box_fields, members, queue_names)
    except ConfigError as exc:
        field = _BOX_QUEUE_FIELD.get(exc.field, exc.field)
        raise ScenarioError(f"{path}.{field}", exc.message) from None
    if unlimited:
        queue = dataclasses.replace(queue, max_wait=math.inf)
    return QueueSpec(
        queue,
        service_level,
        wrapup,
        _seconds_or(raw, "short_abandon_seconds", path, 0.0, positive=False),
    )


def _typed_whole(raw: Mapping[Any, Any], key: str, path: str) -> int | None:
    """A YAML whole number, or None when absent."""
    value = raw.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise ScenarioError(f"{path}.{key}", "must be a whole number")
    return value


def _typed_flag(raw: Mapping[Any, Any], key: str, path: str) -> bool | None:
    """A YAML true/false, or None when absent."""
    value = raw.get(key)
    if value is None:
        return None
    if not isinstance(value, bool):
        raise ScenarioError(f"{path}.{key}", "must be true or false")
    return value


def _typed_number(raw: Mapping[Any, Any], key: str, path: str) -> float | None:
    """A YAML number, or None when absent; text such as "15" is refused, not coerced."""
    value = raw.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ScenarioError(f"{path}.{key}", "must be a number of seconds")
    return float(value)


def _seconds_or(
    raw: Mapping[Any, Any], key: str, path: str, default: float, positive: bool
) -> float:
    if raw.get(key) is None:
        return default
    return seconds_value(raw[key], f"{path}.{key}", positive)


def _inbound(raw: object, path: str, queue_names: Sequence[str]) -> InboundStream:
    item = _mapping(raw, path, "a stream of inbound calls")
    _known_fields(item, _INBOUND_FIELDS, path, "an inbound stream")
    queue = _name(item.get("queue"), f"{path}.queue")
    if queue not in queue_names:
        raise ScenarioError(f"{path}.queue", f"no queue named {queue!r}")
    rate = item.get("calls_per_hour")
    if rate is None:
        raise ScenarioError(f"{path}.calls_per_hour", "is required")
    if (
        isinstance(rate, bool)
        or not isinstance(rate, int | float)
        or not 0 < rate <= _MOST_CALLS_PER_HOUR
    ):
        raise ScenarioError(
            f"{path}.calls_per_hour", f"must be a number above 0, at most {_MOST_CALLS_PER_HOUR:g}"
        )
    if item.get("handle_seconds") is None:
        raise ScenarioError(f"{path}.handle_seconds", "is required")
    handle = parse_distribution(item["handle_seconds"], f"{path}.handle_seconds")
    patience_raw = item.get("patience_seconds")
    patience = None
    if patience_raw is not None and patience_raw != _NONE:
        patience = parse_distribution(patience_raw, f"{path}.patience_seconds")
    priority = item.get("priority", 0)
    if isinstance(priority, bool) or not isinstance(priority, int) or not 0 <= priority <= 9:
        raise ScenarioError(f"{path}.priority", "must be a whole number from 0 to 9")
    return InboundStream(queue, float(rate), handle, patience, priority)
