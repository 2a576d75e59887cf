"""``/etc/dahdi/system.conf`` written from a description of the box, applied with ``dahdi_cfg``.

The file follows the format of DAHDI's ``system.conf.sample``: one
``span=<num>,<timing>,<lbo>,<framing>,<coding>[,crc4]`` line per digital span,
then the use of every channel (``fxsks``/``fxoks`` for analog ports, ``bchan`` and
``hardhdlc``/``dchan`` for ISDN PRI, ``cas`` for MFC/R2), ``echocanceller`` lines,
and the tone zone (``loadzone``/``defaultzone``) of the country.

Applying is careful: the new file is checked with ``dahdi_cfg -t`` first, and only
a file DAHDI accepts replaces the old one and is applied, so a bad description
changes nothing on the box.
"""

from __future__ import annotations

import enum
import os
import subprocess
import tempfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from hal.interface import PortKind

SYSTEM_CONF = Path("/etc/dahdi/system.conf")

# E1 (ITU-T G.704): 31 DAHDI channels per span, timeslot 16 carries signalling.
E1_CHANNELS = 31
E1_SIGNALLING_TIMESLOT = 16

# MFC/R2 idle ABCD bits on CAS channels (ITU-T Q.421: a=1 b=1 c=0 d=1).
R2_IDLE_BITS = "1101"

# Country (ISO 3166) to DAHDI tone zone (libtonezone's zonedata).
TONE_ZONES = {
    "PL": "pl", "DE": "de", "FR": "fr", "UK": "uk", "GB": "uk", "IT": "it", "ES": "es",
    "NL": "nl", "US": "us", "AT": "at", "BE": "be", "CH": "ch", "CZ": "cz", "DK": "dk",
    "FI": "fi", "NO": "no", "SE": "se", "PT": "pt", "HU": "hu", "LT": "lt", "EE": "ee",
}

ECHO_CANCELLERS = ("mg2", "oslec", "kb1", "sec", "sec2", "hwec")

Runner = Callable[[Sequence[str]], "subprocess.CompletedProcess[str]"]


class SystemConfError(ValueError):
    """The description of the box cannot be written as a valid system.conf, or
    ``dahdi_cfg`` refused it."""


class Framing(enum.Enum):
    """E1 framing: CCS (ISDN PRI, a D-channel in timeslot 16) or CAS (MFC/R2 bits)."""

    CCS = "ccs"
    CAS = "cas"


class LineCode(enum.Enum):
    """E1 line code: HDB3 everywhere in Europe; AMI only on old equipment."""

    HDB3 = "hdb3"
    AMI = "ami"


class DChannelMode(enum.Enum):
    """Who does HDLC on the D-channel: the card (``hardhdlc``) or DAHDI (``dchan``)."""

    HARDHDLC = "hardhdlc"
    DCHAN = "dchan"


@dataclass(frozen=True)
class AnalogPort:
    """One analog port: its DAHDI channel, what it is, and whether it cancels echo."""

    channel: int
    kind: PortKind
    number: int
    echo_canceller: bool = True

    @property
    def name(self) -> str:
        return f"{self.kind.value}{self.number}"


@dataclass(frozen=True)
class E1Span:
    """One E1 span: its DAHDI span number and the channel of its timeslot 1.

    ``timing`` is the clock priority: 1 is the first choice of clock source
    (recovered from this line), 2 the second…; 0 never gives the box its clock.
    ``line_build_out`` is DAHDI's LBO index (0 for E1 on a short cable).
    """

    span: int
    first_channel: int
    timing: int = 1
    line_build_out: int = 0
    framing: Framing = Framing.CCS
    coding: LineCode = LineCode.HDB3
    crc4: bool = True
    dchannel: DChannelMode = DChannelMode.HARDHDLC
    echo_canceller: bool = True

    @property
    def channels(self) -> range:
        return range(self.first_channel, self.first_channel + E1_CHANNELS)

    @property
    def signalling_channel(self) -> int:
        return self.first_channel + E1_SIGNALLING_TIMESLOT - 1

    @property
    def bearer_channels(self) -> list[int]:
        return [ch for ch in self.channels if ch != self.signalling_channel]


@dataclass(frozen=True)
class BoxLines:
    """Every line interface of the box, as system.conf needs it."""

    country: str
    analog: tuple[AnalogPort, ...] = ()
    spans: tuple[E1Span, ...] = ()
    echo_canceller: str = "mg2"
    extra_zones: tuple[str, ...] = ()


def channel_list(channels: Iterable[int]) -> str:
    """DAHDI's channel list: ``5-19,21-35`` for runs, single numbers otherwise."""
    numbers = sorted(set(channels))
    parts: list[str] = []
    i = 0
    while i < len(numbers):
        j = i
        while j + 1 < len(numbers) and numbers[j + 1] == numbers[j] + 1:
            j += 1
        parts.append(str(numbers[i]) if i == j else f"{numbers[i]}-{numbers[j]}")
        i = j + 1
    return ",".join(parts)


def _ordinal_clock(timing: int) -> str:
    if timing == 0:
        return "never a clock source"
    words = {1: "first", 2: "second", 3: "third", 4: "fourth"}
    return f"{words.get(timing, f'{timing}th')} choice of clock"


def validate(box: BoxLines) -> None:
    """Raise :class:`SystemConfError` naming the first field that cannot be right."""
    if box.country.upper() not in TONE_ZONES:
        known = ", ".join(sorted(TONE_ZONES))
        raise SystemConfError(f"country: no DAHDI tone zone for {box.country!r}; known: {known}")
    if box.echo_canceller not in ECHO_CANCELLERS:
        raise SystemConfError(
            f"echo_canceller: {box.echo_canceller!r} is not one of {', '.join(ECHO_CANCELLERS)}"
        )
    for zone in box.extra_zones:
        if zone not in TONE_ZONES.values():
            raise SystemConfError(f"extra_zones: unknown tone zone {zone!r}")
    owner: dict[int, str] = {}

    def claim(channels: Iterable[int], who: str) -> None:
        for ch in channels:
            if isinstance(ch, bool) or not isinstance(ch, int) or ch < 1:
                raise SystemConfError(f"{who}: a channel is a whole number >= 1, got {ch!r}")
            if ch in owner:
                raise SystemConfError(f"{who}: channel {ch} is already used by {owner[ch]}")
            owner[ch] = who

    names: set[str] = set()
    for port in box.analog:
        if not isinstance(port.kind, PortKind):
            raise SystemConfError(f"analog port {port.number}: kind must be fxs or fxo")
        if port.name in names:
            raise SystemConfError(f"analog: {port.name} is listed twice")
        names.add(port.name)
        claim([port.channel], f"analog port {port.name}")
    spans: set[int] = set()
    timings: dict[int, int] = {}
    for span in box.spans:
        who = f"span {span.span}"
        if isinstance(span.span, bool) or not isinstance(span.span, int) or span.span < 1:
            raise SystemConfError(f"span: a span number is a whole number >= 1, got {span.span!r}")
        if span.span in spans:
            raise SystemConfError(f"{who}: listed twice")
        spans.add(span.span)
        if not 0 <= span.timing <= 99:
            raise SystemConfError(f"{who}: timing is a priority 0…99, got {span.timing}")
        if span.timing and span.timing in timings:
            raise SystemConfError(
                f"{who}: timing priority {span.timing} is already span {timings[span.timing]}'s;"
                " each clock source needs its own priority"
            )
        if span.timing:
            timings[span.timing] = span.span
        if not 0 <= span.line_build_out <= 7:
            raise SystemConfError(f"{who}: line_build_out is 0…7, got {span.line_build_out}")
        claim(span.channels, who)


def render(box: BoxLines) -> str:
    """The text of system.conf for ``box``."""
    validate(box)
    ec = box.echo_canceller
    out = [
        "# /etc/dahdi/system.conf, written by Centrala from the box's configuration.",
        "# Changes made here are lost: change the configuration in the web UI instead.",
    ]
    if box.analog:
        out += [
            "# DAHDI names the signalling of the far end: fxsks faces an exchange line (our FXO",
            "# port), fxoks drives a phone (our FXS port).",
        ]
    analog = sorted(box.analog, key=lambda p: p.channel)
    for port in analog:
        what = "exchange line" if port.kind is PortKind.FXO else "phone"
        note = "" if port.echo_canceller else ", no echo canceller"
        signalling = "fxsks" if port.kind is PortKind.FXO else "fxoks"
        out += ["", f"# {port.name}: {what}{note}", f"{signalling}={port.channel}"]
        if port.echo_canceller:
            out.append(f"echocanceller={ec},{port.channel}")
    for span in sorted(box.spans, key=lambda s: s.span):
        kind = "ISDN PRI (CCS)" if span.framing is Framing.CCS else "CAS"
        crc = "CRC-4" if span.crc4 else "no CRC-4"
        fields = [
            str(span.span), str(span.timing), str(span.line_build_out),
            span.framing.value, span.coding.value,
        ] + (["crc4"] if span.crc4 else [])
        out += [
            "",
            f"# Span {span.span}: E1, {_ordinal_clock(span.timing)}, {kind}, "
            f"{span.coding.value.upper()}, {crc}",
            "span=" + ",".join(fields),
        ]
        bearers = span.bearer_channels
        if span.framing is Framing.CCS:
            out.append(f"bchan={channel_list(bearers)}")
            out.append(f"{span.dchannel.value}={span.signalling_channel}")
        else:
            low = [ch for ch in bearers if ch < span.signalling_channel]
            high = [ch for ch in bearers if ch > span.signalling_channel]
            out.append(f"cas={channel_list(low)}:{R2_IDLE_BITS}")
            out.append(f"cas={channel_list(high)}:{R2_IDLE_BITS}")
        if span.echo_canceller:
            out.append(f"echocanceller={ec},{channel_list(bearers)}")
    zone = TONE_ZONES[box.country.upper()]
    out += ["", f"# Tone zone of the country ({box.country.upper()})"]
    out += [f"loadzone={z}" for z in dict.fromkeys((zone, *box.extra_zones))]
    out += [f"defaultzone={zone}", ""]
    return "\n".join(out)


def _run(args: Sequence[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(args), capture_output=True, text=True, check=False, timeout=60)


def apply(
    box: BoxLines,
    path: Path = SYSTEM_CONF,
    *,
    runner: Runner = _run,
    dahdi_cfg: str = "dahdi_cfg",
) -> str:
    """Write system.conf for ``box`` and configure DAHDI with it; returns the text.

    The text is checked with ``dahdi_cfg -t`` from a temporary file first; only
    then does it replace ``path`` (atomically) and get applied.
    """
    text = render(box)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=".system.conf.", dir=path.parent)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "w") as fh:
            fh.write(text)
        _call(runner, [dahdi_cfg, "-t", "-c", str(tmp)], "checking")
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    _call(runner, [dahdi_cfg, "-c", str(path)], "applying")
    return text


def _call(runner: Runner, args: list[str], what: str) -> None:
    try:
        done = runner(args)
    except (OSError, subprocess.SubprocessError) as exc:
        raise SystemConfError(
            f"dahdi_cfg could not run while {what} system.conf ({exc}); "
            "is Debian's dahdi package installed?"
        ) from None
    if done.returncode != 0:
        detail = (done.stderr or done.stdout or "").strip() or f"exit status {done.returncode}"
        raise SystemConfError(f"dahdi_cfg failed {what} system.conf: {detail}")
