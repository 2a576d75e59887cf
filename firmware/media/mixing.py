"""Three-party monitoring and conferences: who hears whom, as one small mixing matrix.

A supervisor joins a call in one of three modes (the call is given as the pair
caller, agent):

=========  ===================  =====================  =================
mode       supervisor hears     agent hears            caller hears
=========  ===================  =====================  =================
listen     caller + agent       caller                 agent
whisper    caller + agent       caller + supervisor    agent
barge      caller + agent       caller + supervisor    agent + supervisor
=========  ===================  =====================  =================

A conference room of up to ``MAX_CONFERENCE`` parties gives each party the sum of
all the others (N-1 mixing: nobody hears themselves, so nobody hears an echo of
their own voice).

Monitoring adds to what a channel already gets (the agent in a whisper still hears
the caller through the two-party bridge), so the plan only holds the extra paths;
conference members have no bridge, so for them the plan holds everything.

The whole plan becomes one matrix over the channels taking part (k of them, a few
dozen at most): ``weights[i, j] = 1`` when channel i hears channel j. A tick
gathers those channels' decoded samples, applies the matrix with one float32
product, adds the bridge audio and clips to 16 bits. float32 holds every integer
sum exactly up to 2**24, and eight parties of 16-bit audio reach at most 2**18, so
the sums are exact; saturation is hard clipping at the 16-bit range. Clipping was
chosen over a soft limiter because telephone speech sits 20 dB or more below full
scale, so several talkers reach full scale only on shouts, where a clip lasts a few
samples, while a limiter would ride the gain of every quiet conference too and need
per-sample state.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

import numpy as np

MAX_CONFERENCE = 8


class MixError(ValueError):
    """A monitoring or conference request that contradicts the current plan."""


class MonitorMode(enum.Enum):
    """How a supervisor takes part in a call."""

    LISTEN = "listen"
    WHISPER = "whisper"
    BARGE = "barge"


@dataclass(frozen=True)
class Monitor:
    """A supervisor on the call between ``caller`` and ``agent``."""

    supervisor: int
    caller: int
    agent: int
    mode: MonitorMode

    def paths(self) -> list[tuple[int, int]]:
        """(listener, talker) pairs this monitor adds to the plain bridge."""
        s, c, a = self.supervisor, self.caller, self.agent
        out = [(s, c), (s, a)]
        if self.mode in (MonitorMode.WHISPER, MonitorMode.BARGE):
            out.append((a, s))
        if self.mode is MonitorMode.BARGE:
            out.append((c, s))
        return out


class MixMatrix:
    """The paths of one plan, ready to apply to a tick's frames.

    Built outside the media thread when the plan changes; its scratch arrays are
    then used only by the tick.
    """

    def __init__(self, channels: list[int], paths: list[tuple[int, int]], frame: int) -> None:
        self.channels = np.asarray(channels, dtype=np.int64)
        index = {ch: k for k, ch in enumerate(channels)}
        k = len(channels)
        self.weights = np.zeros((k, k), dtype=np.float32)
        for listener, talker in paths:
            self.weights[index[listener], index[talker]] = 1.0
        self._gathered = np.empty((k, frame), dtype=np.int16)
        self._talk = np.empty((k, frame), dtype=np.float32)
        self._heard = np.empty((k, frame), dtype=np.float32)

    def apply(self, linear: np.ndarray, out: np.ndarray) -> None:
        """Add to ``out`` (n, frame) int16 what each channel hears of the others in ``linear``."""
        np.take(linear, self.channels, axis=0, out=self._gathered)
        self._talk[...] = self._gathered
        np.matmul(self.weights, self._talk, out=self._heard)
        np.take(out, self.channels, axis=0, out=self._gathered)
        self._heard += self._gathered
        np.clip(self._heard, -32768.0, 32767.0, out=self._heard)
        out[self.channels] = self._heard


@dataclass
class MixPlan:
    """Current monitors and conference rooms; every change is checked before it is made.

    A channel has at most one role: a conference member, a supervisor, or a party
    of monitored calls (several supervisors may monitor one call).
    """

    monitors: dict[int, Monitor] = field(default_factory=dict)  # by supervisor
    rooms: dict[str, list[int]] = field(default_factory=dict)

    def room_of(self, ch: int) -> str | None:
        """The conference room ``ch`` is in, if any."""
        for name, members in self.rooms.items():
            if ch in members:
                return name
        return None

    def _monitored(self) -> set[int]:
        return {p for m in self.monitors.values() for p in (m.caller, m.agent)}

    def monitor(self, supervisor: int, caller: int, agent: int, mode: MonitorMode) -> None:
        """Put ``supervisor`` on the call in ``mode``, replacing what it monitored before."""
        if len({supervisor, caller, agent}) != 3:
            raise MixError(
                f"supervisor {supervisor}, caller {caller} and agent {agent} "
                "must be three different channels"
            )
        for ch in (supervisor, caller, agent):
            room = self.room_of(ch)
            if room is not None:
                raise MixError(f"channel {ch} is in conference {room!r}; take it out first")
        if supervisor in self._monitored():
            raise MixError(f"channel {supervisor} is on a monitored call; it cannot supervise")
        for ch in (caller, agent):
            if ch in self.monitors:
                raise MixError(f"channel {ch} is supervising a call; it cannot be monitored")
        self.monitors[supervisor] = Monitor(supervisor, caller, agent, mode)

    def stop_monitor(self, supervisor: int) -> None:
        """Take ``supervisor`` off the call it monitors (nothing if it monitors none)."""
        self.monitors.pop(supervisor, None)

    def conference(self, room: str, channels: list[int]) -> None:
        """Put ``channels`` into ``room``, creating it; at most ``MAX_CONFERENCE`` members."""
        if not isinstance(room, str) or not room:
            raise MixError(f"a conference room is a non-empty name, not {room!r}")
        if not channels:
            raise MixError("a conference needs at least one channel")
        if len(set(channels)) != len(channels):
            raise MixError(f"channels {channels} name a channel twice")
        monitored = self._monitored()
        for ch in channels:
            if ch in self.monitors or ch in monitored:
                raise MixError(f"channel {ch} is in a monitored call; end the monitoring first")
            other = self.room_of(ch)
            if other is not None and other != room:
                raise MixError(f"channel {ch} is already in conference {other!r}")
        members = list(self.rooms.get(room, []))
        members += [ch for ch in channels if ch not in members]
        if len(members) > MAX_CONFERENCE:
            raise MixError(
                f"a conference holds at most {MAX_CONFERENCE} parties; "
                f"room {room!r} would have {len(members)}"
            )
        self.rooms[room] = members

    def leave(self, ch: int) -> None:
        """Take ``ch`` out of its conference (nothing if in none); empty rooms close."""
        room = self.room_of(ch)
        if room is None:
            return
        self.rooms[room].remove(ch)
        if not self.rooms[room]:
            del self.rooms[room]

    def release(self, ch: int) -> None:
        """Take ``ch`` out of everything: its room, its supervision, calls monitored on it."""
        self.leave(ch)
        self.monitors.pop(ch, None)
        for sup in [s for s, m in self.monitors.items() if ch in (m.caller, m.agent)]:
            del self.monitors[sup]

    def paths(self) -> list[tuple[int, int]]:
        """Every (listener, talker) pair of the plan."""
        out: list[tuple[int, int]] = []
        for monitor in self.monitors.values():
            out += monitor.paths()
        for members in self.rooms.values():
            out += [(i, j) for i in members for j in members if i != j]
        return out

    def matrix(self, frame: int) -> MixMatrix | None:
        """The plan as a :class:`MixMatrix`, or None when nothing is mixed."""
        paths = self.paths()
        channels = sorted({ch for members in self.rooms.values() for ch in members}
                          | {ch for pair in paths for ch in pair})
        if not channels:
            return None
        return MixMatrix(channels, paths, frame)
