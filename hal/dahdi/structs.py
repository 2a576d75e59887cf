"""Bytes of the DAHDI ioctl arguments, packed and parsed at the offsets the header gives.

Every offset and size comes from :mod:`hal.dahdi.constants` (generated from
``dahdi/user.h``), never from a layout typed in here, so a struct change in a new
DAHDI shows up as a failing check of the generated constants rather than as
silently shifted fields. Integers are native byte order, as the kernel reads them.
"""

from __future__ import annotations

import enum
import struct
from collections.abc import Sequence
from dataclasses import dataclass

from hal.dahdi import constants as c
from hal.interface import PortKind

_INT = struct.Struct("=i")
_UINT = struct.Struct("=I")


class StructError(ValueError):
    """A value does not fit the DAHDI struct it is meant for."""


def pack_int(value: int) -> bytes:
    """The argument of the int-pointer ioctls (SPECIFY, HOOK, SETLAW…): DAHDI reads
    ``*(int *)arg``, so the value travels as 4 bytes, never as the pointer itself."""
    return _INT.pack(value)


def unpack_int(buf: bytes) -> int:
    return _INT.unpack_from(buf, 0)[0]


def _cstr(buf: bytes, offset: int, size: int) -> str:
    raw = buf[offset : offset + size]
    return raw.split(b"\0", 1)[0].decode("ascii", errors="replace")


class Signalling(enum.Enum):
    """What ``system.conf`` made of a channel, named for the port as the box sees it.

    DAHDI names signalling for the equipment at the other end: an ``fxoks``
    channel uses FXO signalling towards a phone, so it is our FXS port, and an
    ``fxsks`` channel faces an exchange, so it is our FXO port.
    """

    FXS_PORT = "fxs port (fxo signalling)"
    FXO_PORT = "fxo port (fxs signalling)"
    HARDHDLC = "hardware HDLC (D-channel)"
    HDLC = "software HDLC with FCS"
    CLEAR = "clear channel (B-channel)"
    CAS = "CAS"
    UNCONFIGURED = "unconfigured"
    OTHER = "other"

    @property
    def port_kind(self) -> PortKind | None:
        return {Signalling.FXS_PORT: PortKind.FXS, Signalling.FXO_PORT: PortKind.FXO}.get(self)


_FXO_SIGNALLING = (c.DAHDI_SIG_FXOLS, c.DAHDI_SIG_FXOGS, c.DAHDI_SIG_FXOKS)
_FXS_SIGNALLING = (c.DAHDI_SIG_FXSLS, c.DAHDI_SIG_FXSGS, c.DAHDI_SIG_FXSKS)


def signalling_of(sigtype: int) -> Signalling:
    """Classify a ``sigtype`` from DAHDI_GET_PARAMS (exact values first: HDLC types nest)."""
    if sigtype in _FXO_SIGNALLING:
        return Signalling.FXS_PORT
    if sigtype in _FXS_SIGNALLING:
        return Signalling.FXO_PORT
    exact = {
        c.DAHDI_SIG_HARDHDLC: Signalling.HARDHDLC,
        c.DAHDI_SIG_HDLCFCS: Signalling.HDLC,
        c.DAHDI_SIG_CLEAR: Signalling.CLEAR,
        c.DAHDI_SIG_CAS: Signalling.CAS,
        c.DAHDI_SIG_NONE: Signalling.UNCONFIGURED,
    }
    return exact.get(sigtype, Signalling.OTHER)


@dataclass(frozen=True)
class ChannelParams:
    """``struct dahdi_params`` as DAHDI_GET_PARAMS returned it.

    ``raw`` keeps the whole struct: DAHDI_SET_PARAMS rewrites every timing field,
    so a change is made by editing the bytes DAHDI gave, never by building new ones.
    """

    channo: int
    spanno: int
    chanpos: int
    sigtype: int
    rxisoffhook: bool
    curlaw: int
    name: str
    flashtime_ms: int
    rxflashtime_ms: int
    chan_alarms: int
    raw: bytes

    @property
    def signalling(self) -> Signalling:
        return signalling_of(self.sigtype)


def unpack_params(buf: bytes) -> ChannelParams:
    """Parse the bytes DAHDI_GET_PARAMS filled in."""
    if len(buf) != c.SIZEOF_DAHDI_PARAMS:
        raise StructError(
            f"dahdi_params is {c.SIZEOF_DAHDI_PARAMS} bytes, got {len(buf)}"
        )
    off = c.OFFSETS_DAHDI_PARAMS

    def i(field: str) -> int:
        return _INT.unpack_from(buf, off[field])[0]

    name_size = off["prewinktime"] - off["name"]
    return ChannelParams(
        channo=i("channo"),
        spanno=i("spanno"),
        chanpos=i("chanpos"),
        sigtype=i("sigtype"),
        rxisoffhook=bool(i("rxisoffhook")),
        curlaw=i("curlaw"),
        name=_cstr(buf, off["name"], name_size),
        flashtime_ms=i("flashtime"),
        rxflashtime_ms=i("rxflashtime"),
        chan_alarms=_UINT.unpack_from(buf, off["chan_alarms"])[0],
        raw=bytes(buf),
    )


_PARAM_INT_FIELDS = frozenset(
    ("prewinktime", "preflashtime", "winktime", "flashtime", "starttime", "rxwinktime",
     "rxflashtime", "debouncetime", "pulsebreaktime", "pulsemaketime", "pulseaftertime")
)


def params_with(raw: bytes, **timings_ms: int) -> bytes:
    """``raw`` dahdi_params with some timing fields (milliseconds) replaced."""
    buf = bytearray(raw)
    for field, value in timings_ms.items():
        if field not in _PARAM_INT_FIELDS:
            raise StructError(f"{field!r} is not a timing field of dahdi_params")
        _INT.pack_into(buf, c.OFFSETS_DAHDI_PARAMS[field], int(value))
    return bytes(buf)


def pack_gains(rx_table: bytes, tx_table: bytes, chan: int = 0) -> bytes:
    """``struct dahdi_gains``: channel 0 means the channel of the file descriptor."""
    table = c.OFFSETS_DAHDI_GAINS["txgain"] - c.OFFSETS_DAHDI_GAINS["rxgain"]
    if len(rx_table) != table or len(tx_table) != table:
        raise StructError(f"a gain table has {table} entries, one per G.711 code")
    buf = bytearray(c.SIZEOF_DAHDI_GAINS)
    _INT.pack_into(buf, c.OFFSETS_DAHDI_GAINS["chan"], chan)
    buf[c.OFFSETS_DAHDI_GAINS["rxgain"] : c.OFFSETS_DAHDI_GAINS["rxgain"] + table] = rx_table
    buf[c.OFFSETS_DAHDI_GAINS["txgain"] : c.OFFSETS_DAHDI_GAINS["txgain"] + table] = tx_table
    return bytes(buf)


def pack_echocan(tap_length: int) -> bytes:
    """``struct dahdi_echocanparams`` with no extra parameters; 0 taps turns it off."""
    if tap_length < 0:
        raise StructError(f"echo canceller taps must be >= 0, got {tap_length}")
    buf = bytearray(c.SIZEOF_DAHDI_ECHOCANPARAMS)
    _UINT.pack_into(buf, c.OFFSETS_DAHDI_ECHOCANPARAMS["tap_length"], tap_length)
    _UINT.pack_into(buf, c.OFFSETS_DAHDI_ECHOCANPARAMS["param_count"], 0)
    return bytes(buf)


def pack_cadence(cadence_ms: Sequence[int]) -> bytes:
    """``struct dahdi_ring_cadence``: on, off… in ms, zero-terminated when shorter."""
    if not cadence_ms or len(cadence_ms) > c.DAHDI_MAX_CADENCE or len(cadence_ms) % 2:
        raise StructError(
            f"a DAHDI ring cadence is 1 to {c.DAHDI_MAX_CADENCE // 2} on/off pairs, "
            f"got {len(cadence_ms)} values"
        )
    if any(v <= 0 for v in cadence_ms):
        raise StructError(f"ring cadence times must be positive, got {list(cadence_ms)}")
    values = list(cadence_ms) + [0] * (c.DAHDI_MAX_CADENCE - len(cadence_ms))
    return struct.pack(f"={c.DAHDI_MAX_CADENCE}i", *values)


@dataclass(frozen=True)
class SpanInfo:
    """``struct dahdi_spaninfo`` as DAHDI_SPANSTAT returned it (counters as DAHDI keeps them)."""

    spanno: int
    name: str
    desc: str
    alarms: int
    rxlevel: int
    bpvcount: int
    crc4count: int
    ebitcount: int
    fascount: int
    fecount: int
    cvcount: int
    becount: int
    errsec: int
    irqmisses: int
    syncsrc: int
    numchans: int
    totalchans: int
    lbo: int
    lineconfig: int
    lboname: str
    spantype: str


def pack_spaninfo_request(spanno: int) -> bytes:
    """The DAHDI_SPANSTAT argument asking for span ``spanno``."""
    buf = bytearray(c.SIZEOF_DAHDI_SPANINFO)
    _INT.pack_into(buf, c.OFFSETS_DAHDI_SPANINFO["spanno"], spanno)
    return bytes(buf)


def unpack_spaninfo(buf: bytes) -> SpanInfo:
    """Parse the bytes DAHDI_SPANSTAT filled in."""
    if len(buf) != c.SIZEOF_DAHDI_SPANINFO:
        raise StructError(f"dahdi_spaninfo is {c.SIZEOF_DAHDI_SPANINFO} bytes, got {len(buf)}")
    off = c.OFFSETS_DAHDI_SPANINFO

    def i(field: str) -> int:
        return _INT.unpack_from(buf, off[field])[0]

    def u(field: str) -> int:
        return _UINT.unpack_from(buf, off[field])[0]

    return SpanInfo(
        spanno=i("spanno"),
        name=_cstr(buf, off["name"], off["desc"] - off["name"]),
        desc=_cstr(buf, off["desc"], off["alarms"] - off["desc"]),
        alarms=i("alarms"),
        rxlevel=i("rxlevel"),
        bpvcount=i("bpvcount"),
        crc4count=i("crc4count"),
        ebitcount=i("ebitcount"),
        fascount=i("fascount"),
        fecount=u("fecount"),
        cvcount=u("cvcount"),
        becount=u("becount"),
        errsec=u("errsec"),
        irqmisses=i("irqmisses"),
        syncsrc=i("syncsrc"),
        numchans=i("numchans"),
        totalchans=i("totalchans"),
        lbo=i("lbo"),
        lineconfig=i("lineconfig"),
        lboname=_cstr(buf, off["lboname"], off["location"] - off["lboname"]),
        spantype=_cstr(buf, off["spantype"], c.SIZEOF_DAHDI_SPANINFO - off["spantype"]),
    )


def pack_bufferinfo(numbufs: int, bufsize: int) -> bytes:
    """``struct dahdi_bufferinfo`` with both directions sending and receiving at once."""
    buf = bytearray(c.SIZEOF_DAHDI_BUFFERINFO)
    off = c.OFFSETS_DAHDI_BUFFERINFO
    _INT.pack_into(buf, off["txbufpolicy"], c.DAHDI_POLICY_IMMEDIATE)
    _INT.pack_into(buf, off["rxbufpolicy"], c.DAHDI_POLICY_IMMEDIATE)
    _INT.pack_into(buf, off["numbufs"], numbufs)
    _INT.pack_into(buf, off["bufsize"], bufsize)
    return bytes(buf)
