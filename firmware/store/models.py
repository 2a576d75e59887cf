"""Configuration and record models, and the validators every front end shares.

The web UI, the serial console, the REST API and the daemon all turn raw
values into models here, so a bad value gets the same error, naming the same
field, wherever it was typed. Validators take a Mapping of raw values (form
strings or typed JSON values), ignore keys they do not know (a form also
carries its CSRF token), and either return a model or raise
:class:`ConfigError`; they never change anything.
"""

from __future__ import annotations

import datetime
import enum
import itertools
import json
import math
import re
import zoneinfo
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
    SKILLS_BASED = "skills-based"


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
    # The caller asked to be called back and hung up; the call back has its own CDR.
    CALLBACK = "callback"


class QueueEvent(enum.StrEnum):
    """What happened to a call in a queue; the queue log's vocabulary."""

    ENTER = "enter"
    RING = "ring"
    RING_NO_ANSWER = "ring-no-answer"
    ANSWER = "answer"
    ABANDON = "abandon"
    COMPLETE = "complete"
    EXIT_TIMEOUT = "exit-timeout"
    # The queue was full (max length): the caller went to the exit destination.
    EXIT_FULL = "exit-full"
    # Nobody was logged in (join-empty / leave-empty): the caller went to the exit destination.
    EXIT_EMPTY = "exit-empty"
    # A waiting caller was moved to another queue.
    TRANSFER = "transfer"
    # The caller is also offered to the agents of another queue; data names it.
    OVERFLOW = "overflow"
    # The agent's wrap-up after a call ended; data is its length in seconds.
    WRAPUP = "wrapup"
    # In-queue callback, a marker the figures skip: the caller keeps the place of
    # their "enter" (their wait counts from it). data: "requested|<number>",
    # "dialled|<attempt>", "reached", "failed|<why>".
    CALLBACK = "callback"


class AgentState(enum.StrEnum):
    """What an agent is doing; one state across every queue the agent serves."""

    LOGGED_OUT = "logged-out"
    AVAILABLE = "available"
    RINGING = "ringing"  # reserved for one caller, whose call rings the phone
    ON_CALL = "on-call"
    WRAPUP = "wrap-up"
    PAUSED = "paused"


# Reasons an agent may give for a pause when the technician has set none.
DEFAULT_PAUSE_REASONS = ("break", "lunch", "training", "back-office")
# The reason the ACD gives when it pauses an agent who let calls ring unanswered.
AUTO_PAUSE_REASON = "no-answer"
PRIORITY_MAX = 9


class NodeType(enum.StrEnum):
    """The kinds of node an IVR flow is built from."""

    PLAY = "play"
    MENU = "menu"
    COLLECT = "collect"
    CONDITION = "condition"
    LOOKUP = "lookup"
    SET = "set"
    SAY = "say"
    QUEUE = "queue"
    TRANSFER = "transfer"
    VOICEMAIL = "voicemail"
    HANGUP = "hangup"


# The built-in flow remote agents call in on to open a nailed-up line with their PIN
# (firmware.calls.remote_agents); a route may name it as "ivr:agent-login".
AGENT_LOGIN_FLOW = "agent-login"


class RemoteMode(enum.StrEnum):
    """How a remote agent's own phone is reached (issue 6, remote agents).

    Per call: the box calls the agent's number for each queue call, and the
    agent presses 1 to take it. Nailed-up: the agent's line is opened once at
    login (with their PIN) and stays up between calls, each call bridged onto it.
    """

    PER_CALL = "per-call"
    NAILED_UP = "nailed-up"


class DestinationKind(enum.StrEnum):
    """Where an inbound route sends a call."""

    IVR = "ivr"
    QUEUE = "queue"


Skills = tuple[tuple[str, int], ...]


@dataclass(frozen=True)
class Agent:
    """A person who answers queue calls on the phone plugged into ``port``.

    ``skills`` are (skill, proficiency 1-10) pairs, sorted by skill, which
    skills-based queues match against what they require.

    A remote agent has no port (``port`` is "") but a ``remote_number``: their
    own phone, reached by an outbound call over a trunk, per call or nailed-up
    as ``remote_mode`` says.
    """

    id: int | None
    name: str
    extension: str
    port: str
    logged_in: bool
    skills: Skills = ()
    remote_number: str = ""
    remote_mode: RemoteMode = RemoteMode.PER_CALL

    @property
    def remote(self) -> bool:
        """Whether queue calls reach this agent over a trunk rather than on an FXS port."""
        return bool(self.remote_number)


@dataclass(frozen=True)
class Queue:
    """An ACD queue; ``members`` are agent names in the order linear hunting uses.

    The fields after ``members`` came with the full ACD and all have defaults
    that behave as the first queues did:

    - ``service_level``: seconds within which an answer counts as good service;
      also the target the predicted wait is compared with for overflow.
    - ``wrapup``: seconds an agent stays unavailable after a call of this queue.
    - ``autopause_rings``: pause an agent whose phone rang this many times in a
      row without an answer (0: never).
    - ``skills``: (skill, minimum level) pairs a skills-based queue requires;
      every ``skill_widen_after`` seconds of waiting (0: never) the minimums
      drop by ``skill_widen_step``, down to 1.
    - ``max_length``: callers waiting at most (0: no limit); ``exit_destination``
      ("queue:<name>", "ivr:<flow>", or "" to say goodbye) takes the callers
      turned away: full, timed out, or nobody logged in.
    - ``join_empty`` / ``leave_empty``: whether a caller may join while no agent
      is logged in, and whether waiting callers leave when the last one logs out.
    - ``overflow_queue``: a queue whose agents are also offered this queue's
      callers after ``overflow_after`` seconds (0: not by time) or, with
      ``overflow_predicted``, once the predicted wait exceeds ``service_level``.
    - ``priority_callers``: (caller number, priority 1-9) pairs; a higher
      priority is served first.
    - ``hold_music``: a prompt looped while the caller waits ("": ringback tone).
    - ``announce_every``: seconds between announcements of the caller's position
      (``announce_position``) and estimated wait (``announce_wait``); 0: none.
    - ``language``: "pl", "en" or "fr" for announcements ("": from the country).
    - ``callback_digit``: the key a waiting caller presses to hang up and be
      called back in their turn ("": no callback).
    - ``record_percent``: share of answered calls recorded (0 none, 100 all);
      ``record_notice`` is the prompt the caller hears first ("": the shipped one).
    """

    id: int | None
    name: str
    strategy: Strategy
    ring_timeout: float
    retry_delay: float
    max_wait: float
    members: tuple[str, ...]
    service_level: float = 20.0
    wrapup: float = 0.0
    autopause_rings: int = 0
    skills: Skills = ()
    skill_widen_after: float = 0.0
    skill_widen_step: int = 1
    max_length: int = 0
    exit_destination: str = ""
    join_empty: bool = True
    leave_empty: bool = False
    overflow_queue: str = ""
    overflow_after: float = 0.0
    overflow_predicted: bool = False
    priority_callers: tuple[tuple[str, int], ...] = ()
    hold_music: str = ""
    announce_every: float = 0.0
    announce_position: bool = True
    announce_wait: bool = True
    language: str = ""
    callback_digit: str = ""
    record_percent: int = 0
    record_notice: str = ""


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
    pause_reasons: tuple[str, ...] = DEFAULT_PAUSE_REASONS
    schedules: tuple[Schedule, ...] = ()
    # (agent name, PIN hash) of remote agents with a PIN: they log in to their
    # line from a phone. Kept out of Agent so no view of an agent carries a hash.
    remote_pins: tuple[tuple[str, str], ...] = ()


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


@dataclass(frozen=True)
class AgentStateEntry:
    """One change of an agent's state, stamped with the wall clock.

    The state an agent is in lasts until their next entry, so the log gives
    exact state durations (see :mod:`firmware.kpi.agent_states`). ``reason``
    is the pause reason of a ``paused`` entry, None otherwise.
    """

    time: float
    agent: str
    state: AgentState
    reason: str | None = None

    def __post_init__(self) -> None:
        _record_time(self.time, "time")
        _record_text(self.agent, "agent")
        if self.reason is not None and not isinstance(self.reason, str):
            raise RecordError(f"agent state reason must be text or None, not {self.reason!r}")
        object.__setattr__(self, "state", _record_enum(AgentState, self.state, "state"))


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
    remote_number = _remote_number(data.get("remote_number"))
    raw_port = data.get("port")
    if remote_number and raw_port is not None and str(raw_port).strip():
        raise ConfigError(
            "port", "an agent has either a phone port or a remote number, not both"
        )
    if remote_number:
        port = ""
    else:
        if raw_port is None or (isinstance(raw_port, str) and not raw_port.strip()):
            raise ConfigError("port", "is required (or give a remote number instead)")
        port = _port(raw_port, "port", _FXS_PORT, "fxs", ports)
    remote_mode = _choice(data.get("remote_mode"), "remote_mode", RemoteMode, RemoteMode.PER_CALL)
    logged_in = _flag(data.get("logged_in"), "logged_in", True)
    skills = _skills(data.get("skills"), "skills", "proficiency")
    return Agent(
        None, name, raw_ext.strip(), port, logged_in, skills, remote_number, remote_mode
    )


# A remote agent's number as the outbound routes take it: digits only; spaces,
# dashes, dots and brackets people write numbers with are dropped.
_REMOTE_NUMBER = re.compile(r"[0-9]{3,20}")
_NUMBER_PUNCTUATION = re.compile(r"[\s().-]")


def _remote_number(raw: object) -> str:
    if raw is None:
        return ""
    if isinstance(raw, int) and not isinstance(raw, bool):
        raw = str(raw)
    if not isinstance(raw, str):
        raise ConfigError("remote_number", "must be a phone number of 3 to 20 digits")
    number = _NUMBER_PUNCTUATION.sub("", raw)
    if not number:
        return ""
    if not _REMOTE_NUMBER.fullmatch(number):
        raise ConfigError(
            "remote_number",
            "must be a phone number of 3 to 20 digits, as dialled through the outbound routes",
        )
    return number


_SKILL_SEPARATORS = re.compile(r"[,\n;]")
_PRIORITY_NUMBER = re.compile(r"\+?[0-9*#]{1,32}")


def _pairs(raw: object, field: str, example: str) -> list[tuple[str, object, str]]:
    """(key, raw value, field path) from a mapping or from text "key:value, key:value"."""
    if raw is None:
        return []
    if isinstance(raw, Mapping):
        return [(str(k), v, f"{field}.{k}") for k, v in raw.items()]
    if isinstance(raw, Sequence) and not isinstance(raw, str | bytes):
        # The models' own form: a sequence of (key, value) pairs.
        if not all(isinstance(p, Sequence) and len(p) == 2 for p in raw):
            raise ConfigError(field, f"must be pairs such as {example}")
        return [(str(k), v, f"{field}.{k}") for k, v in raw]
    if not isinstance(raw, str):
        raise ConfigError(field, f"must be pairs such as {example}")
    pairs = []
    for part in _SKILL_SEPARATORS.split(raw):
        if not part.strip():
            continue
        key, colon, value = part.strip().rpartition(":")
        if not colon or not key.strip():
            raise ConfigError(field, f"{part.strip()!r} is not a pair such as {example}")
        pairs.append((key.strip(), value.strip(), f"{field}.{key.strip()}"))
    return pairs


def _skills(raw: object, field: str, what: str) -> Skills:
    """Skills and levels 1-10, from a mapping or text such as "sales:7, polish:3"."""
    skills: dict[str, int] = {}
    for key, value, path in _pairs(raw, field, "sales:7, polish:3"):
        name = _text(key, path)
        if any(c in name for c in ":,;"):
            raise ConfigError(path, "a skill name must not contain : , or ;")
        if name in skills:
            raise ConfigError(path, f"skill {name} is listed twice")
        if value is None or (isinstance(value, str) and not value.strip()):
            raise ConfigError(path, f"needs a {what} from 1 to 10")
        skills[name] = _whole(value, path, 1, 10, 1)
    return tuple(sorted(skills.items()))


def _priority_callers(raw: object, field: str) -> tuple[tuple[str, int], ...]:
    """Caller numbers and their priority 1-9, such as "600100200:5"."""
    callers: dict[str, int] = {}
    for key, value, path in _pairs(raw, field, "600100200:5"):
        number = key.replace(" ", "")
        if not _PRIORITY_NUMBER.fullmatch(number):
            raise ConfigError(path, f"{key!r} is not a phone number")
        if number in callers:
            raise ConfigError(path, f"number {number} is listed twice")
        if value is None or (isinstance(value, str) and not value.strip()):
            raise ConfigError(path, f"needs a priority from 1 to {PRIORITY_MAX}")
        callers[number] = _whole(value, path, 1, PRIORITY_MAX, 1)
    return tuple(sorted(callers.items()))


_PAUSE_REASON = re.compile(r"[a-z0-9][a-z0-9-]{0,31}")


def validate_pause_reasons(raw: object) -> tuple[str, ...]:
    """The reasons agents may give for a pause: a list, or text with one per line or comma.

    Reasons are short lowercase words ("lunch", "back-office") so reports
    and the console show them alike; "no-answer" is the ACD's own (auto-pause).
    """
    if isinstance(raw, str):
        items: list[object] = [p for p in _SKILL_SEPARATORS.split(raw) if p.strip()]
    elif isinstance(raw, Sequence) and not isinstance(raw, bytes):
        items = list(raw)
    else:
        raise ConfigError("pause_reasons", "must be a list of reasons")
    reasons: list[str] = []
    for index, item in enumerate(items):
        field = f"pause_reasons[{index}]"
        if not isinstance(item, str) or not _PAUSE_REASON.fullmatch(item.strip().lower()):
            raise ConfigError(field, "a reason is 1 to 32 lowercase letters, digits or -")
        reason = item.strip().lower()
        if reason == AUTO_PAUSE_REASON:
            raise ConfigError(field, f"{reason} is reserved for the automatic pause")
        if reason in reasons:
            raise ConfigError(field, f"{reason} is listed twice")
        reasons.append(reason)
    if not reasons:
        raise ConfigError("pause_reasons", "give at least one reason")
    if len(reasons) > 20:
        raise ConfigError("pause_reasons", "at most 20 reasons")
    return tuple(reasons)


def _destination(
    raw: object,
    field: str,
    own: str,
    queue_names: Collection[str] | None,
    flow_names: Collection[str] | None,
) -> str:
    """"" (say goodbye), "queue:<another queue>" or "ivr:<flow>"."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return ""
    shape = "must be queue:<queue name>, ivr:<flow name>, or empty to say goodbye"
    if not isinstance(raw, str):
        raise ConfigError(field, shape)
    kind, colon, target = raw.strip().partition(":")
    target = target.strip()
    if not colon or not target or kind not in {k.value for k in DestinationKind}:
        raise ConfigError(field, shape)
    if kind == DestinationKind.QUEUE:
        if target == own:
            raise ConfigError(field, "must be another queue than this one")
        if queue_names is not None and target not in queue_names:
            raise ConfigError(field, f"no queue named {target!r}")
    elif flow_names is not None and target not in flow_names:
        raise ConfigError(field, f"no IVR flow named {target!r}")
    return f"{kind}:{target}"


def validate_queue(
    data: Mapping[str, Any],
    agent_names: Collection[str],
    queue_names: Collection[str] | None = None,
    flow_names: Collection[str] | None = None,
) -> Queue:
    """A queue from raw values; members must be names of existing agents.

    Absent fields take the schema's defaults (15 s ring, 2 s retry, 600 s
    maximum wait, and those of :class:`Queue`); a present but bad one is an
    error. ``queue_names`` and ``flow_names``, when given, are what an
    overflow queue or exit destination may name.
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
    # A skills-based queue that requires no skill serves its members longest-idle first.
    skills = _skills(data.get("skills"), "skills", "minimum level")
    overflow = data.get("overflow_queue")
    overflow_queue = ""
    if overflow is not None and not (isinstance(overflow, str) and not overflow.strip()):
        overflow_queue = _text(overflow, "overflow_queue")
        if overflow_queue == name:
            raise ConfigError("overflow_queue", "must be another queue than this one")
        if queue_names is not None and overflow_queue not in queue_names:
            raise ConfigError("overflow_queue", f"no queue named {overflow_queue!r}")
    overflow_after = _number(data.get("overflow_after"), "overflow_after", 0, 7200, 0.0)
    overflow_predicted = _flag(data.get("overflow_predicted"), "overflow_predicted", False)
    if (overflow_after or overflow_predicted) and not overflow_queue:
        raise ConfigError("overflow_queue", "name the queue whose agents take the overflow")
    return Queue(
        None, name, strategy, ring_timeout, retry_delay, max_wait, tuple(members),
        service_level=_number(data.get("service_level"), "service_level", 1, 3600, 20.0),
        wrapup=_number(data.get("wrapup"), "wrapup", 0, 600, 0.0),
        autopause_rings=_whole(data.get("autopause_rings"), "autopause_rings", 0, 20, 0),
        skills=skills,
        skill_widen_after=_number(
            data.get("skill_widen_after"), "skill_widen_after", 0, 3600, 0.0
        ),
        skill_widen_step=_whole(data.get("skill_widen_step"), "skill_widen_step", 1, 9, 1),
        max_length=_whole(data.get("max_length"), "max_length", 0, 1000, 0),
        exit_destination=_destination(
            data.get("exit_destination"), "exit_destination", name, queue_names, flow_names
        ),
        join_empty=_flag(data.get("join_empty"), "join_empty", True),
        leave_empty=_flag(data.get("leave_empty"), "leave_empty", False),
        overflow_queue=overflow_queue,
        overflow_after=overflow_after,
        overflow_predicted=overflow_predicted,
        priority_callers=_priority_callers(data.get("priority_callers"), "priority_callers"),
        **_queue_call_settings(data),
    )


QUEUE_LANGUAGES = ("pl", "en", "fr")
CALLBACK_DIGITS = "0123456789*#"
ANNOUNCE_EVERY_MIN = 10.0


def _optional_prompt(raw: object, field: str) -> str:
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return ""
    if not isinstance(raw, str) or not _PROMPT_NAME.fullmatch(raw.strip()):
        raise ConfigError(field, "must be a prompt name (letters, digits, '-' and '_')")
    return raw.strip()


def _queue_call_settings(data: Mapping[str, Any]) -> dict[str, Any]:
    """What a waiting caller hears, callback and recording: the queue fields of issue 6."""
    every = _number(data.get("announce_every"), "announce_every", 0, 3600, 0.0)
    if 0 < every < ANNOUNCE_EVERY_MIN:
        raise ConfigError(
            "announce_every", f"must be 0 (no announcements) or at least {ANNOUNCE_EVERY_MIN:g}"
        )
    language = data.get("language")
    language = language.strip().lower() if isinstance(language, str) else language
    if language not in (None, "", *QUEUE_LANGUAGES):
        raise ConfigError("language", "must be pl, en, fr, or empty for the box's country")
    digit = data.get("callback_digit")
    digit = digit.strip() if isinstance(digit, str) else digit
    if digit not in (None, "") and (
        not isinstance(digit, str) or len(digit) != 1 or digit not in CALLBACK_DIGITS
    ):
        raise ConfigError("callback_digit", "must be one key: 0-9, * or #, or empty for none")
    return {
        "hold_music": _optional_prompt(data.get("hold_music"), "hold_music"),
        "announce_every": every,
        "announce_position": _flag(data.get("announce_position"), "announce_position", True),
        "announce_wait": _flag(data.get("announce_wait"), "announce_wait", True),
        "language": language or "",
        "callback_digit": digit or "",
        "record_percent": _whole(data.get("record_percent"), "record_percent", 0, 100, 0),
        "record_notice": _optional_prompt(data.get("record_notice"), "record_notice"),
    }


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
    if kind is DestinationKind.IVR and target not in flow_names and target != AGENT_LOGIN_FLOW:
        raise ConfigError("destination", f"no IVR flow named {target!r}")
    if kind is DestinationKind.QUEUE and target not in queue_names:
        raise ConfigError("destination", f"no queue named {target!r}")
    return InboundRoute(None, port, f"{kind.value}:{target}")


def validate_country(raw: object) -> str:
    """The box's country (ISO 3166 alpha-2), which selects tones and caller ID standards."""
    if not isinstance(raw, str) or not _COUNTRY.fullmatch(raw.strip().upper()):
        raise ConfigError("country", "must be a two-letter country code such as PL")
    return raw.strip().upper()


# --- IVR flows -----------------------------------------------------------------------------

# Fields each node type must have and may have (besides "type"); the one table
# a reader needs to know what a flow can say. A play node needs a prompt or a
# text (turned into a prompt by text-to-speech when the flow is saved).
_NODE_FIELDS: dict[NodeType, tuple[tuple[str, ...], tuple[str, ...]]] = {
    NodeType.PLAY: (("next",), ("prompt", "text", "lang")),
    NodeType.MENU: (
        ("prompt", "choices", "fail"),
        ("timeout", "retries", "invalid_prompt", "timeout_prompt"),
    ),
    NodeType.COLLECT: (
        ("prompt", "variable", "next", "fail"),
        (
            "min_length", "max_length", "terminator", "pattern", "timeout", "retries",
            "invalid_prompt", "timeout_prompt",
        ),
    ),
    NodeType.CONDITION: (
        ("test", "then", "else"), ("schedule", "pattern", "variable", "operator", "value")
    ),
    NodeType.LOOKUP: (("url", "next", "fallback"), ("timeout", "fields")),
    NodeType.SET: (("variable", "value", "next"), ()),
    NodeType.SAY: (("say", "value", "next"), ("lang", "currency")),
    NodeType.QUEUE: (("queue",), ("priority",)),
    NodeType.TRANSFER: (("destination", "number"), ("fail",)),
    NodeType.VOICEMAIL: ((), ("prompt", "max_seconds", "mailbox", "next")),
    NodeType.HANGUP: ((), ("prompt",)),
}
_PROMPT_FIELDS = ("prompt", "invalid_prompt", "timeout_prompt")
# Every way out of a node except a menu's choices; the order is the order edges
# are listed in errors and in the editor.
EDGE_FIELDS = ("next", "then", "else", "fallback", "fail")
# Nodes that move on without waiting for the caller, a prompt or the network: a
# loop made only of these would spin forever, so validation refuses one.
_INSTANT_TYPES = frozenset({NodeType.CONDITION, NodeType.SET})
MENU_TIMEOUT_DEFAULT = 5.0
MENU_RETRIES_DEFAULT = 3
COLLECT_MAX_DIGITS = 32
LOOKUP_TIMEOUT_DEFAULT = 3.0
VOICEMAIL_SECONDS_DEFAULT = 120.0
_VARIABLE = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,39}")
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
_JSON_PATH = re.compile(r"[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+){0,9}")
_EXTERNAL_NUMBER = re.compile(r"\+?[0-9*#]{1,20}")
_TEMPLATE_MAX = 500


class ConditionTest(enum.StrEnum):
    """What a condition node asks."""

    SCHEDULE_OPEN = "schedule-open"  # the named schedule is open now
    HOLIDAY = "holiday"  # today is a holiday of the named schedule
    CALLER = "caller"  # the caller's number matches a pattern
    VARIABLE = "variable"  # a variable compared with a value


class Operator(enum.StrEnum):
    """How a variable condition compares; numbers compare as numbers when both sides are."""

    EQ = "eq"
    NE = "ne"
    LT = "lt"
    LE = "le"
    GT = "gt"
    GE = "ge"
    MATCHES = "matches"
    EMPTY = "empty"


class SayKind(enum.StrEnum):
    """What a say node reads out."""

    NUMBER = "number"
    AMOUNT = "amount"
    DATE = "date"
    DIGITS = "digits"


class Language(enum.StrEnum):
    """Languages the box can speak numbers, amounts and dates in."""

    PL = "pl"
    EN = "en"
    FR = "fr"


class Currency(enum.StrEnum):
    """Currencies a say-amount node can name."""

    PLN = "PLN"
    EUR = "EUR"


class TransferKind(enum.StrEnum):
    """Where a transfer node sends the caller."""

    EXTENSION = "extension"
    EXTERNAL = "external"


@dataclass(frozen=True)
class FlowVersion:
    """One saved version of a flow; ``active`` marks the one calls follow."""

    flow_id: int
    version: int
    definition: dict[str, Any]
    created: float
    active: bool


@dataclass(frozen=True)
class Holiday:
    """A day a schedule is closed: ``date`` is YYYY-MM-DD, or MM-DD for every year."""

    date: str
    name: str


@dataclass(frozen=True)
class Schedule:
    """Business hours per weekday (Monday first), holidays, and the time zone they are in.

    ``hours[d]`` lists (open, close) minutes after local midnight of weekday ``d``;
    a day with no interval is closed all day.
    """

    id: int | None
    name: str
    timezone: str
    hours: tuple[tuple[tuple[int, int], ...], ...]
    holidays: tuple[Holiday, ...]


@dataclass(frozen=True)
class VoicemailMessage:
    """A message a caller left; ``path`` is the WAV file the recording made."""

    id: int | None
    call_id: str
    mailbox: str
    flow: str | None
    caller_number: str | None
    created: float
    seconds: float
    path: str

    def __post_init__(self) -> None:
        _record_text(self.call_id, "call_id")
        _record_text(self.mailbox, "mailbox")
        _record_text(self.path, "path")
        _record_time(self.created, "created")
        _record_time(self.seconds, "seconds")
        for name in ("flow", "caller_number"):
            value = getattr(self, name)
            if value is not None and not isinstance(value, str):
                raise RecordError(f"voicemail {name} must be text or None, not {value!r}")


def validate_flow(
    name: object,
    definition: object,
    queue_names: Collection[str],
    prompt_names: Collection[str] | None = None,
    *,
    schedule_names: Collection[str] | None = None,
    extensions: Collection[str] | None = None,
) -> IvrFlow:
    """An IVR flow from its name and definition (a mapping, or its JSON text).

    The returned definition is normalised: a menu always carries ``timeout``
    (float seconds) and ``retries`` (int), choice keys are strings, so the IVR
    runtime reads it without second-guessing. Rejected, each with the path of
    the bad field: unknown node types or fields, missing fields, edges to
    missing nodes, nodes the caller can never reach, loops that never wait for
    the caller, unknown queues, and unknown prompts, schedules or extensions
    when the names the box has are given.
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

    known = _FlowNames(queue_names, prompt_names, schedule_names, extensions)
    nodes: dict[str, dict[str, Any]] = {}
    for node_id, raw_node in raw_nodes.items():
        path = f"definition.nodes.{node_id}"
        if not isinstance(node_id, str) or not _NODE_ID.fullmatch(node_id):
            raise ConfigError(path, "a node id must be 1 to 40 letters, digits, - or _")
        nodes[node_id] = _validate_node(raw_node, path, known)

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
    _refuse_instant_loops(nodes)
    return IvrFlow(None, flow_name, {"start": start, "nodes": nodes})


@dataclass(frozen=True)
class _FlowNames:
    """What a flow may refer to; None where the caller does not know (not checked)."""

    queues: Collection[str]
    prompts: Collection[str] | None
    schedules: Collection[str] | None
    extensions: Collection[str] | None


def _validate_node(raw: object, path: str, known: _FlowNames) -> dict[str, Any]:
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
            node[key] = _prompt(raw[key], f"{path}.{key}", known.prompts)
    for key in EDGE_FIELDS:
        if key in required or raw.get(key) is not None:
            node[key] = _node_ref(raw[key], f"{path}.{key}")
    _NODE_CHECKS[node_type](raw, node, path, known)
    return node


def _check_play(raw: Mapping[str, Any], node: dict[str, Any], path: str, _: _FlowNames) -> None:
    if raw.get("text") is not None:
        node["text"] = _text(raw["text"], f"{path}.text", _TEMPLATE_MAX)
        node["lang"] = _choice(raw.get("lang"), f"{path}.lang", Language, Language.PL)
        if "prompt" not in node:
            raise ConfigError(
                f"{path}.text",
                "has not been turned into speech yet; save the flow from the flow editor",
            )
    elif "prompt" not in node:
        raise ConfigError(f"{path}.prompt", "is required (or a text to speak)")


def _check_menu(raw: Mapping[str, Any], node: dict[str, Any], path: str, _: _FlowNames) -> None:
    node["choices"] = _choices(raw["choices"], f"{path}.choices")
    node["timeout"] = _number(raw.get("timeout"), f"{path}.timeout", 1, 30, MENU_TIMEOUT_DEFAULT)
    node["retries"] = _whole(raw.get("retries"), f"{path}.retries", 1, 9, MENU_RETRIES_DEFAULT)


def _check_collect(raw: Mapping[str, Any], node: dict[str, Any], path: str, _: _FlowNames) -> None:
    node["variable"] = _variable(raw["variable"], f"{path}.variable")
    low = _whole(raw.get("min_length"), f"{path}.min_length", 1, COLLECT_MAX_DIGITS, 1)
    high = _whole(raw.get("max_length"), f"{path}.max_length", 1, COLLECT_MAX_DIGITS, 16)
    if high < low:
        raise ConfigError(f"{path}.max_length", f"must be at least min_length ({low})")
    node["min_length"], node["max_length"] = low, high
    terminator = raw.get("terminator", "#")
    if terminator is None:
        terminator = ""
    if terminator not in ("", "#", "*"):
        raise ConfigError(f"{path}.terminator", "must be #, * or empty (no terminator)")
    node["terminator"] = terminator
    if raw.get("pattern") not in (None, ""):
        node["pattern"] = _pattern(raw["pattern"], f"{path}.pattern")
    node["timeout"] = _number(raw.get("timeout"), f"{path}.timeout", 1, 60, MENU_TIMEOUT_DEFAULT)
    node["retries"] = _whole(raw.get("retries"), f"{path}.retries", 1, 9, MENU_RETRIES_DEFAULT)


def _check_condition(
    raw: Mapping[str, Any], node: dict[str, Any], path: str, known: _FlowNames
) -> None:
    test = _choice(raw["test"], f"{path}.test", ConditionTest, None)
    node["test"] = test
    allowed: tuple[str, ...]
    if test in (ConditionTest.SCHEDULE_OPEN, ConditionTest.HOLIDAY):
        allowed = ("schedule",)
        schedule = raw.get("schedule")
        if schedule is None:
            raise ConfigError(f"{path}.schedule", "is required for this test")
        schedule = _text(schedule, f"{path}.schedule")
        if known.schedules is not None and schedule not in known.schedules:
            raise ConfigError(f"{path}.schedule", f"no schedule named {schedule!r}")
        node["schedule"] = schedule
    elif test is ConditionTest.CALLER:
        allowed = ("pattern",)
        if raw.get("pattern") in (None, ""):
            raise ConfigError(f"{path}.pattern", "is required for this test")
        node["pattern"] = _pattern(raw["pattern"], f"{path}.pattern")
    else:
        allowed = ("variable", "operator", "value")
        if raw.get("variable") is None:
            raise ConfigError(f"{path}.variable", "is required for this test")
        node["variable"] = _variable(raw["variable"], f"{path}.variable")
        operator = _choice(raw.get("operator"), f"{path}.operator", Operator, Operator.EQ)
        node["operator"] = operator
        if operator is not Operator.EMPTY:
            value = raw.get("value")
            if value is None:
                raise ConfigError(f"{path}.value", "is required for this comparison")
            value = _template(value, f"{path}.value")
            if operator is Operator.MATCHES:
                value = _pattern(value, f"{path}.value")
            node["value"] = value
    for key in ("schedule", "pattern", "variable", "operator", "value"):
        if key in raw and raw[key] not in (None, "") and key not in allowed:
            raise ConfigError(f"{path}.{key}", f"is not used by a {test.value} test")


def _check_lookup(raw: Mapping[str, Any], node: dict[str, Any], path: str, _: _FlowNames) -> None:
    url = _template(raw["url"], f"{path}.url")
    if not url.startswith(("http://", "https://")):
        raise ConfigError(f"{path}.url", "must start with http:// or https://")
    node["url"] = url
    node["timeout"] = _number(
        raw.get("timeout"), f"{path}.timeout", 0.5, 30, LOOKUP_TIMEOUT_DEFAULT
    )
    fields = raw.get("fields")
    if fields is None:
        fields = {}
    if not isinstance(fields, Mapping) or len(fields) > 20:
        raise ConfigError(f"{path}.fields", "must map up to 20 variables to JSON fields")
    checked: dict[str, str] = {}
    for variable, source in fields.items():
        field = f"{path}.fields.{variable}"
        checked[_variable(variable, field)] = _json_path(source, field)
    node["fields"] = checked


def _check_set(raw: Mapping[str, Any], node: dict[str, Any], path: str, _: _FlowNames) -> None:
    node["variable"] = _variable(raw["variable"], f"{path}.variable")
    node["value"] = _template(raw["value"], f"{path}.value")


def _check_say(raw: Mapping[str, Any], node: dict[str, Any], path: str, _: _FlowNames) -> None:
    kind = _choice(raw["say"], f"{path}.say", SayKind, None)
    node["say"] = kind
    node["value"] = _template(raw["value"], f"{path}.value")
    if not node["value"]:
        raise ConfigError(f"{path}.value", "is required")
    node["lang"] = _choice(raw.get("lang"), f"{path}.lang", Language, Language.PL)
    if kind is SayKind.AMOUNT:
        node["currency"] = _choice(raw.get("currency"), f"{path}.currency", Currency, Currency.PLN)
    elif raw.get("currency") not in (None, ""):
        raise ConfigError(f"{path}.currency", "is only used when saying an amount")


def _check_queue(
    raw: Mapping[str, Any], node: dict[str, Any], path: str, known: _FlowNames
) -> None:
    queue = raw["queue"]
    if not isinstance(queue, str) or queue not in known.queues:
        raise ConfigError(f"{path}.queue", f"no queue named {queue!r}")
    node["queue"] = queue
    if raw.get("priority") is not None:
        node["priority"] = _whole(raw["priority"], f"{path}.priority", 0, 9, 0)


def _check_transfer(
    raw: Mapping[str, Any], node: dict[str, Any], path: str, known: _FlowNames
) -> None:
    kind = _choice(raw["destination"], f"{path}.destination", TransferKind, None)
    node["destination"] = kind
    number = raw["number"]
    if isinstance(number, int) and not isinstance(number, bool):
        number = str(number)
    if not isinstance(number, str):
        raise ConfigError(f"{path}.number", "must be a phone number")
    number = number.strip()
    if kind is TransferKind.EXTENSION:
        if not _EXTENSION.fullmatch(number):
            raise ConfigError(f"{path}.number", "an extension is 2 to 6 digits")
        if known.extensions is not None and number not in known.extensions:
            raise ConfigError(f"{path}.number", f"no agent has extension {number}")
    elif not _EXTERNAL_NUMBER.fullmatch(number):
        raise ConfigError(f"{path}.number", "must be up to 20 digits, * or #, with an optional +")
    node["number"] = number


def _check_voicemail(
    raw: Mapping[str, Any], node: dict[str, Any], path: str, _: _FlowNames
) -> None:
    node["max_seconds"] = _number(
        raw.get("max_seconds"), f"{path}.max_seconds", 5, 600, VOICEMAIL_SECONDS_DEFAULT
    )
    if raw.get("mailbox") not in (None, ""):
        node["mailbox"] = _text(raw["mailbox"], f"{path}.mailbox")


def _check_nothing(raw: Mapping[str, Any], node: dict[str, Any], path: str, _: _FlowNames) -> None:
    """Hang-up nodes carry only their optional prompt, checked with every prompt field."""


_NODE_CHECKS = {
    NodeType.PLAY: _check_play,
    NodeType.MENU: _check_menu,
    NodeType.COLLECT: _check_collect,
    NodeType.CONDITION: _check_condition,
    NodeType.LOOKUP: _check_lookup,
    NodeType.SET: _check_set,
    NodeType.SAY: _check_say,
    NodeType.QUEUE: _check_queue,
    NodeType.TRANSFER: _check_transfer,
    NodeType.VOICEMAIL: _check_voicemail,
    NodeType.HANGUP: _check_nothing,
}


def _choice(raw: object, path: str, kind: type[_E], default: _E | None) -> _E:
    if raw is None or raw == "":
        if default is None:
            raise ConfigError(path, "is required")
        return default
    try:
        return kind(raw.strip() if isinstance(raw, str) else raw)
    except ValueError:
        allowed = ", ".join(member.value for member in kind)
        raise ConfigError(path, f"must be one of {allowed}") from None


def _variable(raw: object, path: str) -> str:
    if not isinstance(raw, str) or not _VARIABLE.fullmatch(raw.strip()):
        raise ConfigError(
            path, "a variable name is 1 to 40 letters, digits or _, not starting with a digit"
        )
    return raw.strip()


def _template(raw: object, path: str) -> str:
    """Text that may name variables as {name}; each placeholder must be a variable name."""
    if isinstance(raw, int | float) and not isinstance(raw, bool):
        raw = str(raw)
    if not isinstance(raw, str):
        raise ConfigError(path, "must be text")
    if len(raw) > _TEMPLATE_MAX:
        raise ConfigError(path, f"must be at most {_TEMPLATE_MAX} characters")
    if not raw.isprintable():
        raise ConfigError(path, "must not contain control characters")
    for placeholder in _PLACEHOLDER.findall(raw):
        if not _VARIABLE.fullmatch(placeholder):
            raise ConfigError(path, f"{{{placeholder}}} is not a variable name")
    return raw.strip()


def _pattern(raw: object, path: str) -> str:
    if not isinstance(raw, str) or len(raw) > 200:
        raise ConfigError(path, "must be a regular expression of at most 200 characters")
    try:
        re.compile(raw)
    except re.error as exc:
        raise ConfigError(path, f"is not a valid regular expression ({exc})") from None
    return raw


def _json_path(raw: object, path: str) -> str:
    if not isinstance(raw, str) or not _JSON_PATH.fullmatch(raw.strip()):
        raise ConfigError(path, "must be a JSON field such as name or account.balance")
    return raw.strip()


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
    for digit, target in node.get("choices", {}).items():
        yield f"choices.{digit}", target
    for key in EDGE_FIELDS:
        if key in node:
            yield key, node[key]


def flow_edges(node: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The ways out of a validated node, as (field path, target node id)."""
    return list(_edges(node))


def _reachable(start: str, nodes: Mapping[str, Mapping[str, Any]]) -> set[str]:
    seen = {start}
    todo = [start]
    while todo:
        for _, target in _edges(nodes[todo.pop()]):
            if target not in seen:
                seen.add(target)
                todo.append(target)
    return seen


def _refuse_instant_loops(nodes: Mapping[str, Mapping[str, Any]]) -> None:
    """Refuse a cycle of condition and set nodes: the caller would hear nothing, forever."""
    instant = {n for n, node in nodes.items() if node["type"] in _INSTANT_TYPES}
    done: set[str] = set()
    for first in sorted(instant):
        if first in done:
            continue
        # Iterative depth-first search over instant nodes, tracking the current path.
        on_path: list[str] = [first]
        iters = [iter(_edges(nodes[first]))]
        while iters:
            step = next(iters[-1], None)
            if step is None:
                done.add(on_path.pop())
                iters.pop()
                continue
            field, target = step
            if target not in instant or target in done:
                continue
            if target in on_path:
                loop = " -> ".join([*on_path[on_path.index(target):], target])
                raise ConfigError(
                    f"definition.nodes.{on_path[-1]}.{field}",
                    f"makes a loop that never waits for the caller ({loop})",
                )
            on_path.append(target)
            iters.append(iter(_edges(nodes[target])))


# --- schedules -----------------------------------------------------------------------------

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_TIME = re.compile(r"([01]?[0-9]|2[0-4]):([0-5][0-9])")
_HOLIDAY_DATE = re.compile(r"(?:([0-9]{4})-)?([0-9]{2})-([0-9]{2})")


def validate_schedule(data: Mapping[str, Any]) -> Schedule:
    """A schedule from raw values.

    ``hours`` maps mon..sun to intervals, either text ("08:00-16:00, 17:00-20:00",
    empty for closed) or a list of [open, close] pairs; ``holidays`` is a list of
    {"date", "name"} or text with one "YYYY-MM-DD name" (or "MM-DD name", every
    year) per line. The time zone is an IANA name such as Europe/Warsaw.
    """
    name = _text(data.get("name"), "name")
    timezone = _timezone(data.get("timezone"))
    raw_hours = data.get("hours")
    if raw_hours is None:
        raw_hours = {}
    if not isinstance(raw_hours, Mapping):
        raise ConfigError("hours", "must give the opening hours of each weekday")
    for key in raw_hours:
        if key not in WEEKDAYS:
            raise ConfigError(f"hours.{key}", f"is not a weekday; use {', '.join(WEEKDAYS)}")
    hours = tuple(_day_hours(raw_hours.get(day), f"hours.{day}") for day in WEEKDAYS)
    holidays = _holidays(data.get("holidays"))
    return Schedule(None, name, timezone, hours, holidays)


def _timezone(raw: object) -> str:
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        raise ConfigError("timezone", "is required")
    if not isinstance(raw, str):
        raise ConfigError("timezone", "must be a time zone name such as Europe/Warsaw")
    name = raw.strip()
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ConfigError("timezone", f"{name!r} is not a time zone this box knows") from None
    return name


def _minute(text: str, path: str) -> int:
    match = _TIME.fullmatch(text.strip())
    if match is None or (match.group(1) == "24" and match.group(2) != "00"):
        raise ConfigError(path, f"{text.strip()!r} is not a time of day such as 08:30")
    return int(match.group(1)) * 60 + int(match.group(2))


def _day_hours(raw: object, path: str) -> tuple[tuple[int, int], ...]:
    pairs: list[tuple[str, str]] = []
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return ()
    if isinstance(raw, str):
        for part in raw.split(","):
            opening, dash, closing = part.partition("-")
            if not dash:
                raise ConfigError(path, f"{part.strip()!r} must be an interval such as 08:00-16:00")
            pairs.append((opening, closing))
    elif isinstance(raw, Sequence):
        for item in raw:
            if (
                isinstance(item, str)
                or not isinstance(item, Sequence)
                or len(item) != 2
                or not all(isinstance(t, str) for t in item)
            ):
                raise ConfigError(path, 'each interval must be a pair such as ["08:00", "16:00"]')
            pairs.append((item[0], item[1]))
    else:
        raise ConfigError(path, "must be intervals such as 08:00-16:00")
    intervals = sorted((_minute(a, path), _minute(b, path)) for a, b in pairs)
    for opening, closing in intervals:
        if closing <= opening:
            raise ConfigError(
                path, "an interval must close after it opens; split a night across two days"
            )
    for (_, closing), (opening, _) in itertools.pairwise(intervals):
        if opening < closing:
            raise ConfigError(path, "intervals overlap")
    return tuple(intervals)


def _holidays(raw: object) -> tuple[Holiday, ...]:
    if raw is None:
        return ()
    items: list[tuple[object, object, str]] = []
    if isinstance(raw, str):
        for number, line in enumerate(raw.splitlines()):
            if line.strip():
                date, _, name = line.strip().partition(" ")
                items.append((date, name.strip() or "holiday", f"holidays[{number}]"))
    elif isinstance(raw, Sequence):
        for index, item in enumerate(raw):
            if not isinstance(item, Mapping):
                raise ConfigError(f"holidays[{index}]", "must have a date and a name")
            items.append((item.get("date"), item.get("name"), f"holidays[{index}]"))
    else:
        raise ConfigError("holidays", "must be a list of dates with names")
    found: dict[str, Holiday] = {}
    for date, name, path in items:
        text = date.strip() if isinstance(date, str) else ""
        match = _HOLIDAY_DATE.fullmatch(text)
        problem = "must be a date such as 2026-12-24, or 12-25 for every year"
        if match is None:
            raise ConfigError(f"{path}.date", problem)
        year = int(match.group(1) or 2000)  # 2000 is a leap year: 02-29 is allowed yearly
        try:
            datetime.date(year, int(match.group(2)), int(match.group(3)))
        except ValueError:
            raise ConfigError(f"{path}.date", problem) from None
        if text in found:
            raise ConfigError(f"{path}.date", f"{text} is listed twice")
        found[text] = Holiday(text, _text(name, f"{path}.name"))
    return tuple(sorted(found.values(), key=lambda h: h.date))
