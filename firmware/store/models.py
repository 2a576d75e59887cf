"""Configuration and record models, and the validators every front end shares.

The web UI, the serial console, the REST API and the daemon all turn raw
values into models here, so a bad value gets the same error, naming the same
field, wherever it was typed. Validators take a Mapping of raw values (form
strings or typed JSON values), ignore keys they do not know (a form also
carries its CSRF token), and either return a model or raise
:class:`ConfigError`; they never change anything.
"""

from __future__ import annotations

import enum
import json
import math
import re
from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

NAME_MAX = 40
_FXS_PORT = re.compile(r"fxs[1-9][0-9]{0,2}")
_FXO_PORT = re.compile(r"fxo[1-9][0-9]{0,2}")
_EXTENSION = re.compile(r"[0-9]{2,6}")
_NODE_ID = re.compile(r"[A-Za-z0-9_-]{1,40}")
# Prompt names become file names under the prompt directory: no dots or
# slashes, so a name can never climb out of it.
_PROMPT_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")
_COUNTRY = re.compile(r"[A-Z]{2}")
_MENU_DIGITS = "0123456789*#"
_E = TypeVar("_E", bound=enum.StrEnum)


class ConfigError(ValueError):
    """A configuration value that cannot be accepted, and the field that holds it.

    ``field`` is a path a front end can point at ("agents[2].port",
    "definition.nodes.menu.choices.1"); ``message`` is a plain sentence.
    """

    def __init__(self, field: str, message: str) -> None:
        super().__init__(field, message)
        self.field = field
        self.message = message

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"


class NotFoundError(ConfigError):
    """The item a change names does not exist (an API answers 404 for it).

    A subclass of :class:`ConfigError` so a form handler that catches that one
    still shows a plain sentence.
    """


class RecordError(ValueError):
    """A call record built with a value the reports could not make sense of."""


class Strategy(enum.StrEnum):
    """How a queue picks the agent to ring next."""

    LONGEST_IDLE = "longest-idle"
    RING_ALL = "ring-all"
    ROUND_ROBIN = "round-robin"
    FEWEST_CALLS = "fewest-calls"
    RANDOM = "random"
    LINEAR = "linear"


class Direction(enum.StrEnum):
    """Which side placed the call."""

    IN = "in"
    OUT = "out"


class Disposition(enum.StrEnum):
    """How a call ended, as a CDR reports it."""

    ANSWERED = "answered"
    ABANDONED = "abandoned"
    NO_ANSWER = "no-answer"
    BUSY = "busy"
    FAILED = "failed"


class QueueEvent(enum.StrEnum):
    """What happened to a call in a queue; the queue log's vocabulary."""

    ENTER = "enter"
    RING = "ring"
    RING_NO_ANSWER = "ring-no-answer"
    ANSWER = "answer"
    ABANDON = "abandon"
    COMPLETE = "complete"
    EXIT_TIMEOUT = "exit-timeout"


class NodeType(enum.StrEnum):
    """The kinds of node an IVR flow is built from."""

    PLAY = "play"
    MENU = "menu"
    QUEUE = "queue"
    HANGUP = "hangup"


class DestinationKind(enum.StrEnum):
    """Where an inbound route sends a call."""

    IVR = "ivr"
    QUEUE = "queue"


@dataclass(frozen=True)
class Agent:
    """A person who answers queue calls on the phone plugged into ``port``."""

    id: int | None
    name: str
    extension: str
    port: str
    logged_in: bool


@dataclass(frozen=True)
class Queue:
    """An ACD queue; ``members`` are agent names in the order linear hunting uses."""

    id: int | None
    name: str
    strategy: Strategy
    ring_timeout: float
    retry_delay: float
    max_wait: float
    members: tuple[str, ...]


@dataclass(frozen=True)
class InboundRoute:
    """Where calls arriving on a line go: ``destination`` is "ivr:<flow>" or "queue:<queue>"."""

    id: int | None
    port: str
    destination: str

    @property
    def destination_kind(self) -> DestinationKind:
        return DestinationKind(self.destination.partition(":")[0])

    @property
    def destination_name(self) -> str:
        return self.destination.partition(":")[2]


@dataclass(frozen=True)
class IvrFlow:
    """A named IVR flow; ``definition`` is the normalised JSON object (see validate_flow)."""

    id: int | None
    name: str
    definition: dict[str, Any]


@dataclass(frozen=True)
class BoxConfig:
    """Everything the daemon needs to route calls, read in one go."""

    agents: tuple[Agent, ...]
    queues: tuple[Queue, ...]
    flows: tuple[IvrFlow, ...]
    routes: tuple[InboundRoute, ...]
    country: str


@dataclass(frozen=True)
class Cdr:
    """One call detail record; times are wall-clock seconds since the epoch.

    Checked on construction so a bad record fails in the code that made it,
    not later in the writer where nobody can tell where it came from.
    """

    call_id: str
    start: float
    answer: float | None
    end: float
    port: str
    direction: Direction
    caller_number: str | None
    caller_name: str | None
    destination: str | None
    queue: str | None
    agent: str | None
    disposition: Disposition
    duration: float
    billsec: float

    def __post_init__(self) -> None:
        _record_text(self.call_id, "call_id")
        _record_text(self.port, "port")
        _record_time(self.start, "start")
        _record_time(self.end, "end")
        if self.answer is not None:
            _record_time(self.answer, "answer")
        for name in ("caller_number", "caller_name", "destination", "queue", "agent"):
            value = getattr(self, name)
            if value is not None and not isinstance(value, str):
                raise RecordError(f"CDR {name} must be text or None, not {value!r}")
        # Negative durations are not refused: a wall clock stepped back by NTP
        # mid-call must not make the hang-up path raise.
        _record_time(self.duration, "duration")
        _record_time(self.billsec, "billsec")
        object.__setattr__(self, "direction", _record_enum(Direction, self.direction, "direction"))
        object.__setattr__(
            self, "disposition", _record_enum(Disposition, self.disposition, "disposition")
        )


@dataclass(frozen=True)
class QueueLogEntry:
    """One step of a call through a queue, for the queue reports."""

    time: float
    call_id: str
    queue: str
    agent: str | None
    event: QueueEvent
    data: str | None

    def __post_init__(self) -> None:
        _record_time(self.time, "time")
        _record_text(self.call_id, "call_id")
        _record_text(self.queue, "queue")
        for name in ("agent", "data"):
            value = getattr(self, name)
            if value is not None and not isinstance(value, str):
                raise RecordError(f"queue log {name} must be text or None, not {value!r}")
        object.__setattr__(self, "event", _record_enum(QueueEvent, self.event, "event"))


def _record_text(value: object, name: str) -> None:
    if not isinstance(value, str) or not value:
        raise RecordError(f"record {name} must be non-empty text, not {value!r}")


def _record_time(value: object, name: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise RecordError(f"record {name} must be a finite number of seconds, not {value!r}")


def _record_enum(kind: type[_E], value: object, name: str) -> _E:
    try:
        return kind(value)
    except ValueError:
        allowed = ", ".join(member.value for member in kind)
        raise RecordError(f"record {name} must be one of {allowed}, not {value!r}") from None


# --- raw value parsing ---------------------------------------------------------------------


def _text(raw: object, field: str, max_len: int = NAME_MAX) -> str:
    """Trimmed, printable text of 1..max_len characters."""
    if raw is None:
        raise ConfigError(field, "is required")
    if not isinstance(raw, str):
        raise ConfigError(field, "must be text")
    value = raw.strip()
    if not value:
        raise ConfigError(field, "is required")
    if len(value) > max_len:
        raise ConfigError(field, f"must be at most {max_len} characters")
    if not value.isprintable():
        raise ConfigError(field, "must not contain control characters")
    return value


def _number(raw: object, field: str, low: float, high: float, default: float | None) -> float:
    """A finite number within [low, high]; ``default`` when the key is absent."""
    if raw is None:
        if default is None:
            raise ConfigError(field, "is required")
        return default
    problem = f"must be a number from {low:g} to {high:g}"
    value: float
    if isinstance(raw, bool):
        raise ConfigError(field, problem)
    if isinstance(raw, int | float):
        value = float(raw)
    elif isinstance(raw, str):
        try:
            value = float(raw.strip())
        except ValueError:
            raise ConfigError(field, problem) from None
    else:
        raise ConfigError(field, problem)
    if not math.isfinite(value) or not low <= value <= high:
        raise ConfigError(field, problem)
    return value


def _whole(raw: object, field: str, low: int, high: int, default: int) -> int:
    """A whole number within [low, high]; ``default`` when the key is absent."""
    if raw is None:
        return default
    problem = f"must be a whole number from {low} to {high}"
    value: int
    if isinstance(raw, bool):
        raise ConfigError(field, problem)
    if isinstance(raw, int):
        value = raw
    elif isinstance(raw, float) and raw.is_integer():
        value = int(raw)
    elif isinstance(raw, str) and raw.strip().isdigit():
        value = int(raw.strip())
    else:
        raise ConfigError(field, problem)
    if not low <= value <= high:
        raise ConfigError(field, problem)
    return value


_TRUE = frozenset({"1", "true", "yes", "on", "y"})
_FALSE = frozenset({"0", "false", "no", "off", "n", ""})


def _flag(raw: object, field: str, default: bool) -> bool:
    """A yes/no value as forms, JSON and the console spell it."""
    if raw is None:
        return default
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, int) and raw in (0, 1):
        return bool(raw)
    if isinstance(raw, str):
        word = raw.strip().lower()
        if word in _TRUE:
            return True
        if word in _FALSE:
            return False
    raise ConfigError(field, "must be yes or no")


def _port(
    raw: object, field: str, pattern: re.Pattern[str], kind: str, ports: Sequence[str] | None
) -> str:
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        raise ConfigError(field, "is required")
    if not isinstance(raw, str):
        raise ConfigError(field, f"must be an {kind.upper()} port name such as {kind}1")
    name = raw.strip().lower()
    if not pattern.fullmatch(name):
        raise ConfigError(field, f"must be an {kind.upper()} port name such as {kind}1")
    if ports is not None and name not in ports:
        same_kind = [p for p in ports if p.startswith(kind)]
        known = ", ".join(same_kind) if same_kind else "none"
        raise ConfigError(
            field, f"{name} is not a port of this card; its {kind.upper()} ports are: {known}"
        )
    return name


# --- validators ----------------------------------------------------------------------------


def validate_agent(data: Mapping[str, Any], ports: Sequence[str] | None) -> Agent:
    """An agent from raw values; ``ports`` are the card's port names when known.

    ``logged_in`` defaults to yes when absent, as a new agent is expected to
    take calls; an HTML checkbox must therefore be sent explicitly.
    """
    name = _text(data.get("name"), "name")
    raw_ext = data.get("extension")
    if isinstance(raw_ext, int) and not isinstance(raw_ext, bool):
        raw_ext = str(raw_ext)
    if raw_ext is None or (isinstance(raw_ext, str) and not raw_ext.strip()):
        raise ConfigError("extension", "is required")
    if not isinstance(raw_ext, str) or not _EXTENSION.fullmatch(raw_ext.strip()):
        raise ConfigError("extension", "must be 2 to 6 digits")
    port = _port(data.get("port"), "port", _FXS_PORT, "fxs", ports)
    logged_in = _flag(data.get("logged_in"), "logged_in", True)
    return Agent(None, name, raw_ext.strip(), port, logged_in)


def validate_queue(data: Mapping[str, Any], agent_names: Collection[str]) -> Queue:
    """A queue from raw values; members must be names of existing agents.

    Absent timing fields take the schema's defaults (15 s ring, 2 s retry,
    600 s maximum wait); a present but empty or bad one is an error.
    """
    name = _text(data.get("name"), "name")
    raw_strategy = data.get("strategy")
    if raw_strategy is None:
        strategy = Strategy.LONGEST_IDLE
    else:
        try:
            strategy = Strategy(raw_strategy.strip() if isinstance(raw_strategy, str) else "")
        except ValueError:
            allowed = ", ".join(s.value for s in Strategy)
            raise ConfigError("strategy", f"must be one of {allowed}") from None
    ring_timeout = _number(data.get("ring_timeout"), "ring_timeout", 5, 120, 15.0)
    retry_delay = _number(data.get("retry_delay"), "retry_delay", 0, 60, 2.0)
    max_wait = _number(data.get("max_wait"), "max_wait", 10, 7200, 600.0)
    raw_members = data.get("members")
    if raw_members is None:
        raw_members = ()
    if isinstance(raw_members, str | bytes) or not isinstance(raw_members, Sequence):
        raise ConfigError("members", "must be a list of agent names")
    members: list[str] = []
    for index, raw in enumerate(raw_members):
        field = f"members[{index}]"
        if not isinstance(raw, str):
            raise ConfigError(field, "must be an agent name")
        member = raw.strip()
        if member not in agent_names:
            raise ConfigError(field, f"no agent named {member!r}")
        if member in members:
            raise ConfigError(field, f"{member} is listed twice")
        members.append(member)
    return Queue(None, name, strategy, ring_timeout, retry_delay, max_wait, tuple(members))


def validate_route(
    data: Mapping[str, Any],
    ports: Sequence[str] | None,
    flow_names: Collection[str],
    queue_names: Collection[str],
) -> InboundRoute:
    """An inbound route from raw values: an FXO line to an IVR flow or a queue."""
    port = _port(data.get("port"), "port", _FXO_PORT, "fxo", ports)
    raw = data.get("destination")
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        raise ConfigError("destination", "is required")
    shape = "must be ivr:<flow name> or queue:<queue name>"
    if not isinstance(raw, str):
        raise ConfigError("destination", shape)
    kind_text, colon, target = raw.strip().partition(":")
    target = target.strip()
    if not colon or not target or kind_text not in {k.value for k in DestinationKind}:
        raise ConfigError("destination", shape)
    kind = DestinationKind(kind_text)
    if kind is DestinationKind.IVR and target not in flow_names:
        raise ConfigError("destination", f"no IVR flow named {target!r}")
    if kind is DestinationKind.QUEUE and target not in queue_names:
        raise ConfigError("destination", f"no queue named {target!r}")
    return InboundRoute(None, port, f"{kind.value}:{target}")


def validate_country(raw: object) -> str:
    """The box's country (ISO 3166 alpha-2), which selects tones and caller ID standards."""
    if not isinstance(raw, str) or not _COUNTRY.fullmatch(raw.strip().upper()):
        raise ConfigError("country", "must be a two-letter country code such as PL")
    return raw.strip().upper()


# Fields each node type must have and may have (besides "type"); the one table
# a reader needs to know what a flow can say.
_NODE_FIELDS: dict[NodeType, tuple[tuple[str, ...], tuple[str, ...]]] = {
    NodeType.PLAY: (("prompt", "next"), ()),
    NodeType.MENU: (
        ("prompt", "choices", "fail"),
        ("timeout", "retries", "invalid_prompt", "timeout_prompt"),
    ),
    NodeType.QUEUE: (("queue",), ()),
    NodeType.HANGUP: ((), ("prompt",)),
}
_PROMPT_FIELDS = ("prompt", "invalid_prompt", "timeout_prompt")
MENU_TIMEOUT_DEFAULT = 5.0
MENU_RETRIES_DEFAULT = 3


def validate_flow(
    name: object,
    definition: object,
    queue_names: Collection[str],
    prompt_names: Collection[str] | None = None,
) -> IvrFlow:
    """An IVR flow from its name and definition (a mapping, or its JSON text).

    The returned definition is normalised: a menu always carries ``timeout``
    (float seconds) and ``retries`` (int), choice keys are strings, so the IVR
    runtime reads it without second-guessing. Rejected: unknown node types or
    fields, missing fields, edges to missing nodes, nodes the caller can never
    reach, unknown queues, and unknown prompts when ``prompt_names`` is given.
    """
    flow_name = _text(name, "name")
    if isinstance(definition, str | bytes):
        try:
            definition = json.loads(definition)
        except ValueError as exc:
            raise ConfigError("definition", f"is not valid JSON ({exc})") from None
    if not isinstance(definition, Mapping):
        raise ConfigError("definition", "must be an object with start and nodes")
    for key in definition:
        if key not in ("start", "nodes"):
            raise ConfigError(f"definition.{key}", "is not a field of a flow")
    raw_nodes = definition.get("nodes")
    if raw_nodes is None:
        raise ConfigError("definition.nodes", "is required")
    if not isinstance(raw_nodes, Mapping) or not raw_nodes:
        raise ConfigError("definition.nodes", "must be an object with at least one node")
    start = definition.get("start")
    if start is None:
        raise ConfigError("definition.start", "is required")
    if not isinstance(start, str):
        raise ConfigError("definition.start", "must be a node id")

    nodes: dict[str, dict[str, Any]] = {}
    for node_id, raw_node in raw_nodes.items():
        path = f"definition.nodes.{node_id}"
        if not isinstance(node_id, str) or not _NODE_ID.fullmatch(node_id):
            raise ConfigError(path, "a node id must be 1 to 40 letters, digits, - or _")
        nodes[node_id] = _validate_node(raw_node, path, queue_names, prompt_names)

    if start not in nodes:
        raise ConfigError("definition.start", f"no node named {start!r}")
    for node_id, node in nodes.items():
        for field, target in _edges(node):
            if target not in nodes:
                path = f"definition.nodes.{node_id}.{field}"
                raise ConfigError(path, f"no node named {target!r}")
    reachable = _reachable(start, nodes)
    for node_id in nodes:
        if node_id not in reachable:
            raise ConfigError(
                f"definition.nodes.{node_id}", f"cannot be reached from the start node {start!r}"
            )
    return IvrFlow(None, flow_name, {"start": start, "nodes": nodes})


def _validate_node(
    raw: object,
    path: str,
    queue_names: Collection[str],
    prompt_names: Collection[str] | None,
) -> dict[str, Any]:
    if not isinstance(raw, Mapping):
        raise ConfigError(path, "must be an object with a type")
    raw_type = raw.get("type")
    if raw_type is None:
        raise ConfigError(f"{path}.type", "is required")
    try:
        node_type = NodeType(raw_type) if isinstance(raw_type, str) else None
    except ValueError:
        node_type = None
    if node_type is None:
        allowed = ", ".join(t.value for t in NodeType)
        raise ConfigError(f"{path}.type", f"unknown node type {raw_type!r}; use one of {allowed}")
    required, optional = _NODE_FIELDS[node_type]
    for key in raw:
        if key != "type" and key not in required and key not in optional:
            raise ConfigError(f"{path}.{key}", f"is not a field of a {node_type.value} node")
    for key in required:
        if raw.get(key) is None:
            raise ConfigError(f"{path}.{key}", "is required")

    node: dict[str, Any] = {"type": node_type.value}
    for key in _PROMPT_FIELDS:
        if raw.get(key) is not None:
            node[key] = _prompt(raw[key], f"{path}.{key}", prompt_names)
    for key in ("next", "fail"):
        if key in required:
            node[key] = _node_ref(raw[key], f"{path}.{key}")
    if node_type is NodeType.QUEUE:
        queue = raw["queue"]
        if not isinstance(queue, str) or queue not in queue_names:
            raise ConfigError(f"{path}.queue", f"no queue named {queue!r}")
        node["queue"] = queue
    if node_type is NodeType.MENU:
        node["choices"] = _choices(raw["choices"], f"{path}.choices")
        node["timeout"] = _number(
            raw.get("timeout"), f"{path}.timeout", 1, 30, MENU_TIMEOUT_DEFAULT
        )
        node["retries"] = _whole(raw.get("retries"), f"{path}.retries", 1, 9, MENU_RETRIES_DEFAULT)
    return node


def _prompt(raw: object, path: str, prompt_names: Collection[str] | None) -> str:
    if not isinstance(raw, str) or not _PROMPT_NAME.fullmatch(raw):
        raise ConfigError(path, "a prompt name is 1 to 64 letters, digits, - or _")
    if prompt_names is not None and raw not in prompt_names:
        raise ConfigError(path, f"no prompt named {raw!r}")
    return raw


def _node_ref(raw: object, path: str) -> str:
    if not isinstance(raw, str) or not raw:
        raise ConfigError(path, "must be a node id")
    return raw


def _choices(raw: object, path: str) -> dict[str, str]:
    if not isinstance(raw, Mapping) or not raw:
        raise ConfigError(path, "must map at least one digit to a node")
    choices: dict[str, str] = {}
    for key, target in raw.items():
        digit = str(key) if isinstance(key, int) and not isinstance(key, bool) else key
        if not isinstance(digit, str) or len(digit) != 1 or digit not in _MENU_DIGITS:
            raise ConfigError(f"{path}.{key}", "a choice is one key: 0-9, * or #")
        choices[digit] = _node_ref(target, f"{path}.{digit}")
    return choices


def _edges(node: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    """(field path within the node, target node id) of every way out of a node."""
    if "next" in node:
        yield "next", node["next"]
    for digit, target in node.get("choices", {}).items():
        yield f"choices.{digit}", target
    if "fail" in node:
        yield "fail", node["fail"]


def _reachable(start: str, nodes: Mapping[str, Mapping[str, Any]]) -> set[str]:
    seen = {start}
    todo = [start]
    while todo:
        for _, target in _edges(nodes[todo.pop()]):
            if target not in seen:
                seen.add(target)
                todo.append(target)
    return seen
