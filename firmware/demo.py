"""Synthetic callers and agents for ``centrala demo``.

The world around the box: callers ring the sim's lines at random, listen to the
menu, press 1 or 2, wait (some give up), talk, and hang up; agents answer after
a ring or two and talk for a realistic time. It runs on the media thread as a
tick hook, the same thread that drives the sim card, and learns what the box
did only from the box's published events, as a CRM on the event stream would.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
import os
import random
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from firmware.box import Box
from firmware.settings import CardSettings, DaemonSettings
from hal.clock import MonotonicClock
from hal.sim.card import SimCard
from hal.sim.phone import SimPhone
from hal.sim.pstn import SimPstnCall

FIRST_NAMES = ("Anna", "Jan", "Marta", "Piotr", "Ewa", "Tomasz", "Zofia", "Adam", "Kasia")
LAST_NAMES = ("Nowak", "Kowalski", "Wiśniewska", "Wójcik", "Kamińska", "Lewandowski")


@dataclass
class Caller:
    """One synthetic caller and the moments they will act."""

    line: str
    call: SimPstnCall
    choice: str | None
    press_at: float | None = None
    give_up_at: float | None = None
    hang_up_at: float | None = None
    connected: bool = False


@dataclass
class AgentBot:
    """A synthetic agent sitting at one phone."""

    port: str
    phone: SimPhone
    answer_at: float | None = None
    hang_up_at: float | None = None


class DemoTraffic:
    """Drives callers and agents on a :class:`SimCard` from the box's event stream."""

    def __init__(
        self,
        card: SimCard,
        seed: int | None = None,
        mean_arrival: float = 15.0,
        mean_talk: float = 45.0,
        mean_patience: float = 90.0,
    ) -> None:
        self._card = card
        self._rng = random.Random(seed)
        self._mean_arrival = mean_arrival
        self._mean_talk = mean_talk
        self._mean_patience = mean_patience
        self._events: collections.deque[dict] = collections.deque()
        self._callers: dict[str, Caller] = {}
        self._agents = {name: AgentBot(name, phone) for name, phone in card.phones.items()}
        self._lines = [p.name for p in card.ports if p.kind.value == "fxo"]
        self._next_arrival: float | None = None
        self.placed = 0

    def on_box_event(self, event: dict) -> None:
        """Called on the asyncio thread for every published event; handled next tick."""
        self._events.append(event)

    def on_tick(self, now: float) -> None:
        if self._next_arrival is None:
            self._next_arrival = now + 2.0
        while self._events:
            self._on_event(self._events.popleft(), now)
        if now >= self._next_arrival:
            self._place_call(now)
            self._next_arrival = now + self._rng.expovariate(1.0 / self._mean_arrival)
        for caller in list(self._callers.values()):
            self._caller_tick(caller, now)
        for agent in self._agents.values():
            self._agent_tick(agent, now)

    def _place_call(self, now: float) -> None:
        busy = set(self._callers)
        free = [line for line in self._lines if line not in busy]
        if not free:
            return
        line = self._rng.choice(free)
        number = "6" + "".join(self._rng.choice("0123456789") for _ in range(8))
        name = f"{self._rng.choice(FIRST_NAMES)} {self._rng.choice(LAST_NAMES)}"
        call = self._card.pstn.call_in(line, number, name, max_rings=8)
        choice = self._rng.choices(("1", "2", None), weights=(6, 3, 1))[0]
        self._callers[line] = Caller(line, call, choice)
        self.placed += 1

    def _caller_tick(self, caller: Caller, now: float) -> None:
        call = caller.call
        if call.state in ("ended", "rejected"):
            del self._callers[caller.line]
            return
        if call.state != "connected":
            return
        if caller.press_at is None:
            # The greeting and the menu take about eight seconds; some press early.
            caller.press_at = now + self._rng.uniform(5.0, 9.0)
            caller.give_up_at = now + 10.0 + self._rng.expovariate(1.0 / self._mean_patience)
        if caller.choice and caller.press_at is not None and now >= caller.press_at:
            call.dial(caller.choice)
            caller.choice = None
        if not caller.connected and caller.give_up_at is not None and now >= caller.give_up_at:
            call.hang_up()
        if caller.hang_up_at is not None and now >= caller.hang_up_at:
            call.hang_up()
            caller.hang_up_at = None

    def _agent_tick(self, agent: AgentBot, now: float) -> None:
        phone = agent.phone
        if phone.ringing and not phone.offhook and agent.answer_at is None:
            agent.answer_at = now + self._rng.uniform(1.0, 7.0)
        if agent.answer_at is not None and now >= agent.answer_at:
            agent.answer_at = None
            if phone.ringing or phone.rings:
                phone.off_hook()
        if agent.hang_up_at is not None and now >= agent.hang_up_at:
            agent.hang_up_at = None
            if phone.offhook:
                phone.on_hook()

    def _on_event(self, event: dict, now: float) -> None:
        kind = event.get("type")
        if kind == "call-connected":
            caller = self._callers.get(event.get("port", ""))
            talk = self._rng.lognormvariate(0, 0.5) * self._mean_talk
            if caller is not None:
                caller.connected = True
                if self._rng.random() < 0.5:
                    caller.hang_up_at = now + talk
            agent = self._agents.get(event.get("agent_port", ""))
            if agent is not None:
                agent.hang_up_at = now + talk + 0.5
        elif kind == "call-ended":
            agent = self._agents.get(event.get("agent_port") or "")
            if agent is not None and agent.phone.offhook:
                agent.hang_up_at = now + 1.0
        elif kind == "phone-offhook":
            # A phone off-hook with no call (an agent picked up too late): put it back.
            agent = self._agents.get(event.get("port", ""))
            if agent is not None:
                agent.hang_up_at = now + 2.0


log = logging.getLogger(__name__)


def web_command(port: int) -> list[str]:
    """gunicorn as the box runs it: two threaded workers sharing the preloaded app."""
    return [
        sys.executable, "-m", "gunicorn", "--workers", "2", "--worker-class", "gthread",
        "--threads", "4", "--preload", "--bind", f"127.0.0.1:{port}", "webui.wsgi:app",
    ]


async def run_demo(
    data: Path, port: int, web: bool, seed: int | None, stop: asyncio.Event
) -> int:
    """The box on a simulated card with four lines and four phones, until ``stop``."""
    data = data.resolve()
    settings = DaemonSettings(
        data_dir=data, card=CardSettings(backend="sim", fxs=4, fxo=4), board="sim"
    )
    clock = MonotonicClock()
    card = SimCard(clock, fxs=4, fxo=4, law=settings.card.law)
    box = Box(settings, clock, card)
    traffic = DemoTraffic(card, seed=seed)
    box.listeners.append(traffic.on_box_event)
    box.tick_hooks.append(traffic.on_tick)
    await box.start(threaded=True)
    server: subprocess.Popen[bytes] | None = None
    if web:
        env = dict(os.environ, CENTRALA_DB=str(settings.database),
                   CENTRALA_CONTROL=str(settings.socket_path))
        server = subprocess.Popen(web_command(port), env=env)
        print(f"Centrala demo: web UI on http://127.0.0.1:{port} "
              "(the first visit asks you to set the admin password). Ctrl-C stops.", flush=True)
    try:
        while not stop.is_set():
            if server is not None and server.poll() is not None:
                log.error("the web UI exited with code %s", server.returncode)
                return 1
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=1.0)
    finally:
        if server is not None and server.poll() is None:
            server.terminate()
            try:
                await asyncio.to_thread(server.wait, 10)
            except subprocess.TimeoutExpired:
                server.kill()
        await box.stop()
    print(f"Centrala demo stopped after {traffic.placed} calls.", flush=True)
    return 0
