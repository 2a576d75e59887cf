"""One caller walking an IVR flow, as a sans-I/O machine.

Prompt ends, digits, timer expiries, lookup results and transfer outcomes go
in; :mod:`firmware.ivr.actions` come out. The flow definition has been
validated by the store (no dangling edges, known queues, no loops that never
wait), so the session only follows it. Wall-clock time, needed only by
schedule conditions, comes from the injected clock.

What each node does:

- play: the prompt, then ``next``.
- menu: the prompt (a key barges in), then a wait for one key; a wrong key or
  silence plays a notice and the menu again, ``retries`` times, then ``fail``.
- collect: like a menu, but gathers ``min_length``..``max_length`` digits
  ended by the terminator, the length limit or a pause, checks them against
  ``pattern`` and stores them in ``variable``.
- condition: ``then`` or ``else`` at once, from a schedule, the caller's
  number, or a variable.
- set: stores a value (with {placeholders}) in a variable, then ``next``.
- lookup: asks the host to fetch a URL; ``next`` with the JSON fields in
  variables, or ``fallback`` on any failure.
- say: a number, amount, date or digits read out in fragments, then ``next``.
- queue, transfer: hand the caller on (a refused transfer takes ``fail``).
- voicemail: optional prompt, a beep, then records until # or the time limit.
- hangup: optional prompt, then the call is cleared.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from typing import Any

from firmware.ivr.actions import (
    CancelTimer,
    Enqueue,
    Hangup,
    IvrAction,
    Lookup,
    Play,
    StartRecording,
    StartTimer,
    StopPlayout,
    StopRecording,
    Transfer,
)
from firmware.ivr.lookup import LookupResult, build_url
from firmware.ivr.numbers import SayError, say_amount, say_date, say_digits, say_number
from firmware.ivr.schedule import ScheduleView
from firmware.ivr.variables import VALUE_MAX, compare, fill
from firmware.store.models import ConditionTest, Currency, Language, Operator, SayKind
from hal.clock import Clock

log = logging.getLogger(__name__)

BEEP_PROMPT = "beep"
# Condition and set nodes run without waiting; a flow that strings together
# more than this many of them without a wait is treated as stuck.
MAX_INSTANT_STEPS = 64


class IvrSession:
    """Walks one caller through ``definition`` ({"start": id, "nodes": {id: node}})."""

    def __init__(
        self,
        definition: Mapping[str, Any],
        *,
        caller_number: str | None = None,
        schedules: Mapping[str, ScheduleView] | None = None,
        clock: Clock | None = None,
        flow_name: str | None = None,
    ) -> None:
        self._nodes: Mapping[str, Mapping[str, Any]] = definition["nodes"]
        self._start = definition["start"]
        self._schedules = schedules or {}
        self._clock = clock
        self.flow_name = flow_name
        self.caller_number = caller_number
        self.node_id: str | None = None
        self.finished = False
        self.path: list[str] = []  # nodes visited, for the CDR and the test mode
        self.notes: list[str] = []  # what went differently than planned, in plain words
        self.variables: dict[str, str] = {"caller": caller_number or ""}
        self._attempts = 0
        # menu/collect: "prompt", "waiting", "notice"; say: "say"; voicemail:
        # "greeting", "beep", "recording"; lookup: "lookup"; transfer: "transfer".
        self._phase = ""
        self._tag = 0
        self._digits = ""  # collect: what the caller has typed so far
        self._fragments: list[str] = []  # say: what is left to play
        self._recording: str | None = None

    def start(self) -> list[IvrAction]:
        return self._enter(self._start)

    # -- inputs --------------------------------------------------------
    def prompt_finished(self, tag: str) -> list[IvrAction]:
        if self.finished or tag != self._current_tag():
            return []
        node = self._node()
        kind = node["type"]
        if kind == "play":
            return self._enter(node["next"])
        if kind in ("menu", "collect"):
            if self._phase == "notice":
                return self._replay()
            self._phase = "waiting"
            return [StartTimer(float(node.get("timeout", 5)), self._current_tag())]
        if kind == "say":
            if self._fragments:
                return [self._play(self._fragments.pop(0))]
            return self._enter(node["next"])
        if kind == "voicemail":
            if self._phase == "greeting":
                self._phase = "beep"
                return [self._play(BEEP_PROMPT)]
            if self._phase == "beep":
                self._phase = "recording"
                self._recording = self._current_tag()
                mailbox = node.get("mailbox") or self.flow_name or "general"
                return [
                    StartRecording(self._recording, mailbox),
                    StartTimer(float(node["max_seconds"]), self._recording),
                ]
            return []
        if kind == "hangup":
            return self._finish([Hangup("flow")])
        return []

    def digit(self, digit: str) -> list[IvrAction]:
        if self.finished:
            return []
        node = self._node()
        kind = node["type"]
        if kind == "voicemail" and self._phase == "recording" and digit == "#":
            return [CancelTimer(), *self._leave_voicemail(node)]
        if kind not in ("menu", "collect") or self._phase == "notice":
            return []
        # A key barges into the prompt; stopping a finished prompt is harmless.
        actions: list[IvrAction] = [StopPlayout(), CancelTimer()]
        self._phase = "waiting"
        if kind == "collect":
            return actions + self._collect(node, digit)
        target = node["choices"].get(digit)
        if target is not None:
            return actions + self._enter(target)
        return actions + self._retry(node, node.get("invalid_prompt"))

    def timer_expired(self, tag: str) -> list[IvrAction]:
        if self.finished or tag != self._current_tag():
            return []
        node = self._node()
        kind = node["type"]
        if kind == "voicemail" and self._phase == "recording":
            return self._leave_voicemail(node)
        if kind not in ("menu", "collect") or self._phase != "waiting":
            return []
        if kind == "collect" and self._digits:
            return self._check_collected(node)  # a pause after some digits ends the entry
        return self._retry(node, node.get("timeout_prompt"))

    def lookup_finished(self, tag: str, result: LookupResult) -> list[IvrAction]:
        """The host's answer to a :class:`Lookup`; a stale or late one is ignored."""
        if self.finished or self._phase != "lookup" or tag != self._current_tag():
            return []
        node = self._node()
        if result.ok:
            self.variables.update({k: v[:VALUE_MAX] for k, v in result.values.items()})
            return self._enter(node["next"])
        self.notes.append(f"lookup at {self.node_id} failed: {result.problem}")
        return self._enter(node["fallback"])

    def transfer_connected(self) -> list[IvrAction]:
        """The transfer's far end answered: the caller has left the flow."""
        if not self.finished and self._phase == "transfer":
            self.finished = True
        return []

    def transfer_failed(self, reason: str) -> list[IvrAction]:
        """The transfer was refused or not answered: its fail branch, or goodbye."""
        if self.finished or self._phase != "transfer":
            return []
        node = self._node()
        self.notes.append(f"transfer at {self.node_id} failed: {reason}")
        if "fail" in node:
            return self._enter(node["fail"])
        return self._finish([Hangup(f"transfer failed: {reason}")])

    # -- walking -------------------------------------------------------
    def _enter(self, node_id: str) -> list[IvrAction]:
        for _ in range(MAX_INSTANT_STEPS):
            self.node_id = node_id
            self.path.append(node_id)
            self._attempts = 0
            self._phase = ""
            node = self._node()
            kind = node["type"]
            if kind == "condition":
                node_id = node["then"] if self._holds(node) else node["else"]
            elif kind == "set":
                self.variables[node["variable"]] = fill(node["value"], self.variables)[:VALUE_MAX]
                node_id = node["next"]
            elif kind == "say" and not self._say(node):
                node_id = node["next"]
            else:
                return self._arrive(node)
        self.notes.append(f"the flow ran {MAX_INSTANT_STEPS} nodes without waiting; hung up")
        return self._finish([Hangup("flow loops without waiting for the caller")])

    def _arrive(self, node: Mapping[str, Any]) -> list[IvrAction]:
        """Start a node that waits for something (a prompt, the caller, the network)."""
        kind = node["type"]
        if kind == "play":
            return [self._play(node["prompt"])]
        if kind in ("menu", "collect"):
            return self._replay()
        if kind == "say":
            self._phase = "say"
            return [self._play(self._fragments.pop(0))]
        if kind == "lookup":
            self._phase = "lookup"
            self._tag += 1
            url = build_url(node["url"], self.variables)
            return [Lookup(url, float(node["timeout"]), dict(node["fields"]), self._current_tag())]
        if kind == "queue":
            return self._finish([Enqueue(node["queue"], int(node.get("priority", 0)))])
        if kind == "transfer":
            self._phase = "transfer"
            return [Transfer(node["destination"], node["number"])]
        if kind == "voicemail":
            if node.get("prompt"):
                self._phase = "greeting"
                return [self._play(node["prompt"])]
            self._phase = "beep"
            return [self._play(BEEP_PROMPT)]
        if kind == "hangup":
            if node.get("prompt"):
                return [self._play(node["prompt"])]
            return self._finish([Hangup("flow")])
        return self._finish([Hangup(f"unknown node type {kind!r}")])

    def _replay(self) -> list[IvrAction]:
        self._phase = "prompt"
        self._digits = ""
        return [self._play(self._node()["prompt"])]

    def _retry(self, node: Mapping[str, Any], notice: str | None) -> list[IvrAction]:
        self._attempts += 1
        self._digits = ""
        if self._attempts >= int(node.get("retries", 3)):
            return self._enter(node["fail"])
        if notice:
            self._phase = "notice"
            return [self._play(notice)]
        return self._replay()

    def _collect(self, node: Mapping[str, Any], digit: str) -> list[IvrAction]:
        if node["terminator"] and digit == node["terminator"]:
            return self._check_collected(node)
        self._digits += digit
        if len(self._digits) >= int(node["max_length"]):
            return self._check_collected(node)
        return [StartTimer(float(node["timeout"]), self._current_tag())]

    def _check_collected(self, node: Mapping[str, Any]) -> list[IvrAction]:
        entry = self._digits
        long_enough = len(entry) >= int(node["min_length"])
        if long_enough and re.fullmatch(node.get("pattern") or ".*", entry) is not None:
            self.variables[node["variable"]] = entry
            return self._enter(node["next"])
        self.notes.append(f"{self.node_id}: entry {entry!r} refused")
        return self._retry(node, node.get("invalid_prompt"))

    def _holds(self, node: Mapping[str, Any]) -> bool:
        test = ConditionTest(node["test"])
        if test is ConditionTest.CALLER:
            return re.fullmatch(node["pattern"], self.caller_number or "") is not None
        if test is ConditionTest.VARIABLE:
            left = self.variables.get(node["variable"], "")
            right = fill(node.get("value", ""), self.variables)
            try:
                return compare(left, Operator(node["operator"]), right)
            except re.error as exc:  # a pattern built from a variable may not compile
                self.notes.append(f"{self.node_id}: {exc}; taking else")
                return False
        schedule = self._schedules.get(node["schedule"])
        if schedule is None or self._clock is None:
            self.notes.append(f"{self.node_id}: schedule {node['schedule']} unknown; taking else")
            return False
        state = schedule.state(self._clock.wall())
        if test is ConditionTest.HOLIDAY:
            return state.holiday is not None
        return state.open

    def _say(self, node: Mapping[str, Any]) -> bool:
        """Prepare a say node's fragments; False (and a note) when the value cannot be said."""
        value = fill(node["value"], self.variables)
        lang = Language(node["lang"])
        try:
            kind = SayKind(node["say"])
            if kind is SayKind.NUMBER:
                fragments = say_number(value, lang)
            elif kind is SayKind.AMOUNT:
                fragments = say_amount(value, Currency(node["currency"]), lang)
            elif kind is SayKind.DATE:
                fragments = say_date(value, lang)
            else:
                fragments = say_digits(value, lang)
        except SayError as exc:
            self.notes.append(f"{self.node_id}: nothing said ({exc})")
            log.info("IVR %s: %s", self.node_id, exc)
            return False
        self._fragments = fragments
        return True

    def _leave_voicemail(self, node: Mapping[str, Any]) -> list[IvrAction]:
        actions: list[IvrAction] = []
        if self._recording is not None:
            actions.append(StopRecording(self._recording))
            self._recording = None
        if node.get("next"):
            return actions + self._enter(node["next"])
        return self._finish([*actions, Hangup("voicemail")])

    def _play(self, prompt: str) -> Play:
        self._tag += 1
        return Play(prompt, self._current_tag())

    def _current_tag(self) -> str:
        return f"ivr{self._tag}"

    def _node(self) -> Mapping[str, Any]:
        assert self.node_id is not None
        return self._nodes[self.node_id]

    def _finish(self, actions: list[IvrAction]) -> list[IvrAction]:
        self.finished = True
        return actions
