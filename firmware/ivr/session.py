"""One caller walking an IVR flow, as a sans-I/O machine.

Prompt ends, digits and timer expiries go in; :mod:`firmware.ivr.actions` come
out. The flow definition has been validated by the store (no dangling edges,
known queues), so the session only follows it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from firmware.ivr.actions import (
    CancelTimer,
    Enqueue,
    Hangup,
    IvrAction,
    Play,
    StartTimer,
    StopPlayout,
)


class IvrSession:
    """Walks one caller through ``definition`` ({"start": id, "nodes": {id: node}})."""

    def __init__(self, definition: Mapping[str, Any]) -> None:
        self._nodes: Mapping[str, Mapping[str, Any]] = definition["nodes"]
        self._start = definition["start"]
        self.node_id: str | None = None
        self.finished = False
        self.path: list[str] = []  # nodes visited, for the CDR and the test mode
        self._attempts = 0
        self._phase = ""  # menu: "prompt" (playing), "waiting" (for a digit), "notice"
        self._tag = 0

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
        if kind == "menu":
            if self._phase == "notice":
                return self._play_menu()
            self._phase = "waiting"
            return [StartTimer(float(node.get("timeout", 5)), self._current_tag())]
        if kind == "hangup":
            return self._finish([Hangup("flow")])
        return []

    def digit(self, digit: str) -> list[IvrAction]:
        if self.finished:
            return []
        node = self._node()
        if node["type"] != "menu" or self._phase == "notice":
            return []
        actions: list[IvrAction] = [StopPlayout(), CancelTimer()]
        target = node["choices"].get(digit)
        if target is not None:
            return actions + self._enter(target)
        return actions + self._retry(node, node.get("invalid_prompt"))

    def timer_expired(self, tag: str) -> list[IvrAction]:
        if self.finished or tag != self._current_tag():
            return []
        node = self._node()
        if node["type"] == "menu" and self._phase == "waiting":
            return self._retry(node, node.get("timeout_prompt"))
        return []

    # -- walking -------------------------------------------------------
    def _enter(self, node_id: str) -> list[IvrAction]:
        self.node_id = node_id
        self.path.append(node_id)
        self._attempts = 0
        node = self._node()
        kind = node["type"]
        if kind == "play":
            return [self._play(node["prompt"])]
        if kind == "menu":
            return self._play_menu()
        if kind == "queue":
            return self._finish([Enqueue(node["queue"])])
        if kind == "hangup":
            if node.get("prompt"):
                return [self._play(node["prompt"])]
            return self._finish([Hangup("flow")])
        return self._finish([Hangup(f"unknown node type {kind!r}")])

    def _play_menu(self) -> list[IvrAction]:
        self._phase = "prompt"
        return [self._play(self._node()["prompt"])]

    def _retry(self, node: Mapping[str, Any], notice: str | None) -> list[IvrAction]:
        self._attempts += 1
        if self._attempts >= int(node.get("retries", 3)):
            return self._enter(node["fail"])
        if notice:
            self._phase = "notice"
            return [self._play(notice)]
        return self._play_menu()

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
