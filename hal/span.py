"""E1 spans in the HAL: framing, alarms, counters, B-channels and the D-channel.

A card with E1 spans adds, per span, 30 rows to its audio frames (one per
B-channel, ports of kind :attr:`~hal.interface.PortKind.E1B` named
``span1/b1`` .. ``span1/b31``, time slot 16 skipped) and one D-channel that
carries whole HDLC frames (LAPD address + control + information, no flags, no
FCS). A card that has spans implements :class:`SpanCard` next to
:class:`~hal.interface.Card`; the layers above read frames, status and alarms
only through it, so a simulated span and a DAHDI span look the same.
"""

from __future__ import annotations

import abc
import enum
from collections.abc import Sequence
from dataclasses import dataclass, field

from hal.interface import HalError, PortInfo, PortKind

# ITU-T G.704 §2.3: time slot 0 carries framing, time slot 16 the signalling.
TIMESLOTS = 31
D_TIMESLOT = 16
B_TIMESLOTS: tuple[int, ...] = tuple(ts for ts in range(1, TIMESLOTS + 1) if ts != D_TIMESLOT)
# Q.921 §5.9.3 N201 (260 octets of information) plus two of address and two of control.
MAX_DFRAME = 264
MIN_DFRAME = 3
# ITU-T G.703 line build-out settings as DAHDI numbers them (0: 0 dB, the E1 norm).
MAX_LINE_BUILD_OUT = 7


class SpanError(HalError):
    """A span request that cannot be carried out (no such span, bad frame, bad setting)."""


class Framing(enum.StrEnum):
    """How time slot 16 is used: a D-channel (CCS, ISDN PRI) or per-channel bits (CAS, R2)."""

    CCS = "ccs"
    CAS = "cas"


class LineCode(enum.StrEnum):
    """Line code of the pair; E1 uses HDB3, AMI only meets very old equipment."""

    HDB3 = "hdb3"
    AMI = "ami"


class SpanAlarm(enum.Enum):
    """An E1 defect (ITU-T G.775), in the words a technician reads on the web page.

    The colours are the trade's names: red is our receive side failing, yellow
    is the far end telling us it receives nothing, blue is all ones from upstream.
    """

    LOS = "red alarm: loss of signal (LOS), nothing arrives on the receive pair"
    LOF = "red alarm: loss of frame (LOF), a signal arrives but without E1 framing"
    AIS = "blue alarm: alarm indication signal (AIS), the line sends all ones, fault upstream"
    RAI = "yellow alarm: remote alarm (RAI), the far end receives nothing from us"

    @property
    def colour(self) -> str:
        return self.value.split(" ", 1)[0]

    @property
    def words(self) -> str:
        return self.value


@dataclass(frozen=True)
class SpanDescription:
    """How one span is set up; the backend applies it to the line interface.

    ``clock_priority`` 0 means the span never gives the card its clock; 1 is the
    first choice, 2 the next, and so on (DAHDI's ``timing`` field). With no
    span in priority the card runs on its internal clock.
    """

    number: int
    framing: Framing = Framing.CCS
    crc4: bool = True
    line_code: LineCode = LineCode.HDB3
    clock_priority: int = 1
    line_build_out: int = 0

    def __post_init__(self) -> None:
        if isinstance(self.number, bool) or not isinstance(self.number, int) or self.number < 1:
            raise SpanError(f"a span number is a whole number from 1, got {self.number!r}")
        if not isinstance(self.framing, Framing):
            raise SpanError(f"framing must be a Framing, got {self.framing!r}")
        if not isinstance(self.line_code, LineCode):
            raise SpanError(f"line code must be a LineCode, got {self.line_code!r}")
        if not isinstance(self.clock_priority, int) or not 0 <= self.clock_priority <= 99:
            raise SpanError(f"clock priority is 0 to 99, got {self.clock_priority!r}")
        if not isinstance(self.line_build_out, int) or not (
            0 <= self.line_build_out <= MAX_LINE_BUILD_OUT
        ):
            raise SpanError(
                f"line build-out is 0 to {MAX_LINE_BUILD_OUT}, got {self.line_build_out!r}"
            )

    @property
    def name(self) -> str:
        return f"span{self.number}"


@dataclass(frozen=True)
class BChannelInfo(PortInfo):
    """A B-channel port: ``number`` is its E1 time slot (1..31 without 16)."""

    span: int = 1

    @property
    def name(self) -> str:
        return f"span{self.span}/b{self.number}"

    @property
    def timeslot(self) -> int:
        return self.number


def b_channel_ports(span: int, first_index: int) -> list[BChannelInfo]:
    """The 30 B-channel ports of ``span``, taking frame rows from ``first_index`` on."""
    return [
        BChannelInfo(first_index + i, PortKind.E1B, ts, span) for i, ts in enumerate(B_TIMESLOTS)
    ]


@dataclass(frozen=True)
class SpanCounters:
    """Error counters since the span was set up; None where the backend cannot count."""

    bpv: int = 0  # bipolar (line code) violations
    crc_errors: int = 0  # CRC-4 multiframe errors
    slips: int | None = 0  # controlled frame slips: the two ends' clocks disagree


@dataclass(frozen=True)
class SpanStatus:
    """One span's state as the line interface reports it."""

    number: int
    alarms: frozenset[SpanAlarm] = frozenset()
    counters: SpanCounters = field(default_factory=SpanCounters)
    clock_source: bool = False  # True when this span gives the card its clock
    description: SpanDescription | None = None

    @property
    def ok(self) -> bool:
        return not self.alarms

    @property
    def colours(self) -> tuple[str, ...]:
        """Standing alarm colours, most severe first (red, blue, yellow)."""
        order = ("red", "blue", "yellow")
        found = {a.colour for a in self.alarms}
        return tuple(c for c in order if c in found)

    @property
    def summary(self) -> str:
        """One sentence: "in service" or the alarms in words."""
        if self.ok:
            return "in service: no alarm"
        ordered = sorted(self.alarms, key=lambda a: list(SpanAlarm).index(a))
        return "; ".join(a.words for a in ordered)


@dataclass(frozen=True)
class SpanAlarmChanged:
    """The alarms standing on ``span`` changed (empty: the span is back in service)."""

    span: int
    alarms: frozenset[SpanAlarm]
    at: float


def check_dframe(frame: bytes) -> bytes:
    """``frame`` as bytes if it can be a LAPD frame on the D-channel; SpanError if not."""
    if not isinstance(frame, bytes | bytearray):
        raise SpanError(f"a D-channel frame is bytes, got {type(frame).__name__}")
    if not MIN_DFRAME <= len(frame) <= MAX_DFRAME:
        raise SpanError(
            f"a D-channel frame is {MIN_DFRAME} to {MAX_DFRAME} octets, got {len(frame)}"
        )
    return bytes(frame)


class SpanCard(abc.ABC):
    """What a card with E1 spans offers beside :class:`~hal.interface.Card`.

    Like the rest of the card it is called from the media thread only.
    """

    @property
    @abc.abstractmethod
    def spans(self) -> Sequence[SpanDescription]:
        """The card's spans as they are set up now, by span number."""

    @abc.abstractmethod
    def configure_span(self, description: SpanDescription) -> None:
        """Apply framing, CRC-4, line code, clock priority and build-out to a span."""

    @abc.abstractmethod
    def span_status(self, span: int) -> SpanStatus:
        """Alarms and counters of ``span`` now."""

    @abc.abstractmethod
    def read_dchannel(self, span: int) -> list[bytes]:
        """Every D-channel frame received on ``span`` since the last call, oldest first."""

    @abc.abstractmethod
    def write_dchannel(self, span: int, frame: bytes) -> None:
        """Send one D-channel frame on ``span``."""

    def b_channels(self, span: int) -> list[PortInfo]:
        """The B-channel ports of ``span``, in time-slot order."""
        ports: Sequence[PortInfo] = getattr(self, "ports", ())
        return [p for p in ports if isinstance(p, BChannelInfo) and p.span == span]
