"""On-hook caller ID sent as FSK: decoding, streaming reception, and encoding for tests.

Two modulations carry the same 1200 bit/s asynchronous bytes:

* ETSI EN 300 659-1 / ITU-T V.23: mark (1) 1300 Hz, space (0) 2100 Hz;
* Bellcore GR-30-CORE / Bell 202: mark 1200 Hz, space 2200 Hz.

Both are centred on 1700 Hz with mark below, so one demodulator reads either: the
signal is shifted down by 1700 Hz, low-pass filtered, and a delay-line discriminator
gives the instantaneous frequency; its sign is the bit. The demodulator is causal
and keeps its state, so a line's audio is demodulated once, tick by tick. UART frames (start bit 0,
eight data bits LSB first, stop bit 1) are sliced at bit centres from each start
edge, all candidate edges at once. Messages follow EN 300 659-3 / GR-30 §5:
type, length, body, and a checksum that makes the byte sum 0 modulo 256.
SDMF (type 0x04) carries date and number; MDMF (type 0x80, "call set-up") carries
parameters: 0x01 date and time, 0x02 number, 0x04 reason the number is absent,
0x07 name, 0x08 reason the name is absent.

Sending to a phone also needs the signals around the data. On-hook (type I), EN 300
659-1 offers three ways to wake the phone before the first ring: a dual-tone alerting
signal (DT-AS, 2130 + 2750 Hz) after a line reversal, a short ring burst (the ring
pulse alerting signal, RP-AS, a line control rather than audio), or none, with the
data sent in the pause after the first ring (as Bell 202 lines always do). Off-hook
(type II, caller ID on call waiting; EN 300 659-2 and GR-30's off-hook part) the
exchange sends a CPE alerting signal (CAS, the same two tones for 80 ms; Bell
lines precede it with a 440 Hz subscriber alerting signal, SAS), the phone answers
with a DTMF digit, and only then comes the data, with no channel seizure and a
shorter mark signal.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import signal

from firmware.media.levels import dbm0_to_peak, dbm0_to_power

BAUD = 1200
CENTER_HZ = 1700.0
STANDARDS: dict[str, tuple[float, float]] = {  # name -> (mark Hz, space Hz)
    "etsi": (1300.0, 2100.0),
    "bell": (1200.0, 2200.0),
}
SEIZURE_BITS = 300  # EN 300 659-1 §6.1.2 / GR-30: alternating 0 and 1
MARK_BITS = 180  # EN 300 659-1 §6.1.3 / GR-30: 180 +/- 25 mark bits
OFFHOOK_MARK_BITS = 80  # EN 300 659-2 / GR-30 off-hook: no seizure, 80 +/- 25 mark bits

ALERT_FREQS = (2130.0, 2750.0)  # DT-AS (EN 300 659-1) and CAS (EN 300 659-2, GR-30)
ALERT_LEVEL_DBM0 = -13.0  # per tone, the usual sending level
DT_AS_SECONDS = 0.100  # on-hook DT-AS: 100 +/- 10 ms
DT_AS_GAP_SECONDS = 0.100  # DT-AS end to data start: 45 to 500 ms allowed
RP_AS_GAP_SECONDS = 0.600  # RP-AS end to data start: 500 to 800 ms allowed
CAS_SECONDS = 0.080  # off-hook CAS: 80 +/- 5 ms
SAS_HZ = 440.0  # Bell off-hook: subscriber alerting signal before the CAS
SAS_SECONDS = 0.300
# The phone's DTMF acknowledgement must begin within this after the CAS ends; the
# engine measures it on its own clock, so the card's round trip counts against it.
ACK_WINDOW_SECONDS = 0.160
ACK_TO_DATA_SECONDS = 0.100  # from confirming the acknowledgement to the first data bit
ACK_DIGITS: dict[str, frozenset[str]] = {  # which DTMF digits acknowledge a CAS
    "etsi": frozenset("D"),  # EN 300 659-2
    "bell": frozenset("AD"),  # GR-30: A from ADSI phones, D from the others
}
MIN_CARRIER_DBM0 = -40.0  # quieter than this is not taken as FSK
# The longest message (255-byte body) lasts 2.15 s at 1200 bit/s; a receiver never
# needs to look further back than this.
LONGEST_MESSAGE_SECONDS = 2.5
SMOOTHING = 5  # discriminator samples summed per decision; a bit is 6.67 samples

SDMF = 0x04
MDMF = 0x80
PARAM_DATETIME = 0x01
PARAM_NUMBER = 0x02
PARAM_NUMBER_ABSENT = 0x04
PARAM_NAME = 0x07
PARAM_NAME_ABSENT = 0x08

ABSENCE_UNAVAILABLE = "unavailable"
ABSENCE_PRIVATE = "private"
_ABSENCE_CODES = {"O": ABSENCE_UNAVAILABLE, "P": ABSENCE_PRIVATE}
_ABSENCE_BYTES = {v: k.encode() for k, v in _ABSENCE_CODES.items()}


class CallerIdError(ValueError):
    """A caller ID that cannot be encoded as asked."""


@dataclass(frozen=True)
class CallerId:
    """One caller ID message.

    ``datetime`` is MMDDHHMM as sent; ``absence_reason`` says why the number is
    missing ("private" or "unavailable") when the network withheld it.
    """

    number: str | None = None
    name: str | None = None
    datetime: str | None = None
    absence_reason: str | None = None


@dataclass(frozen=True)
class FoundMessage:
    """A decoded message and where it lies in the buffer, in samples."""

    caller_id: CallerId
    start: int
    end: int


class _Demodulator:
    """Causal FSK demodulator, fed chunk by chunk: samples in, mark and carrier flags out.

    Shift down by 1700 Hz, low-pass, delay-line discriminator, then a moving sum over
    most of a bit (``SMOOTHING`` samples) so each bit decision integrates its bit.
    State carries over between chunks, so a stream decodes exactly like one buffer.
    """

    def __init__(self, rate: int) -> None:
        self.rate = rate
        # Passes +/-500 Hz deviation plus the 600 Hz data sidebands; stops the images
        # 2900 Hz and more away that the down-shift leaves.
        self._taps = signal.firwin(41, 1150.0, fs=rate)
        self.delay = (self._taps.size - 1) // 2 + SMOOTHING // 2  # filter plus smoothing
        self._state = np.zeros(self._taps.size - 1, dtype=np.complex128)
        self._count = 0
        self._last = 0j
        self._recent = np.zeros(SMOOTHING - 1)
        self._min_power = dbm0_to_power(MIN_CARRIER_DBM0)

    def run(self, chunk: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Mark (True = mark) and carrier-present flags for each sample of ``chunk``."""
        x = np.asarray(chunk, dtype=np.float64).ravel()
        # The oscillator repeats every second (1700 whole cycles), so the index wraps there.
        n = (self._count + np.arange(x.size)) % self.rate
        self._count = (self._count + x.size) % self.rate
        mixed = x * np.exp(-2j * np.pi * CENTER_HZ * n / self.rate)
        baseband, self._state = signal.lfilter(self._taps, 1.0, mixed, zi=self._state)
        previous = np.concatenate([[self._last], baseband[:-1]])
        if x.size:
            self._last = complex(baseband[-1])
        turn = np.angle(baseband * np.conj(previous)) * self.rate / (2 * np.pi)
        joined = np.concatenate([self._recent, turn])
        self._recent = joined[joined.size - (SMOOTHING - 1) :]
        summed = np.convolve(joined, np.ones(SMOOTHING), mode="valid")
        carrier = 2.0 * np.abs(baseband) ** 2 >= self._min_power
        return summed < 0.0, carrier  # mark is the lower tone in both standards


def _slice(mark: np.ndarray, carrier: np.ndarray, rate: int) -> list[FoundMessage]:
    """UART bytes from the demodulated flags, then the messages among them."""
    spb = rate / BAUD
    # Every mark-to-space edge with carrier is a candidate start bit; slice all at once.
    edges = np.flatnonzero(mark[:-1] & ~mark[1:] & carrier[1:]) + 1
    centers = edges[:, None] + np.rint((np.arange(10) + 0.5) * spb).astype(np.int64)
    keep = centers[:, -1] < mark.size
    edges, centers = edges[keep], centers[keep]
    bits = mark[centers]
    framed = ~bits[:, 0] & bits[:, 9] & carrier[centers].all(axis=1)
    values = (bits[:, 1:9] * (1 << np.arange(8))).sum(axis=1)

    # Walk the framed edges in order; a byte owns the samples up to its stop bit.
    data: list[int] = []
    starts: list[int] = []
    next_free = 0
    for edge, value in zip(edges[framed].tolist(), values[framed].tolist(), strict=True):
        if edge < next_free:
            continue
        data.append(value)
        starts.append(edge)
        next_free = edge + int(9.5 * spb)
    return _parse_messages(data, starts, int(round(10 * spb)))


def find_messages(samples: np.ndarray, rate: int = 8000) -> list[FoundMessage]:
    """Every caller ID message with a good checksum in ``samples``, with positions.

    Positions are in samples of the demodulated stream, which lags the input by the
    demodulator's short delay.
    """
    demodulator = _Demodulator(rate)
    x = np.asarray(samples, dtype=np.float64).ravel()
    mark, carrier = demodulator.run(np.concatenate([x, np.zeros(demodulator.delay)]))
    return _slice(mark, carrier, rate)


def _parse_messages(data: list[int], starts: list[int], byte_len: int) -> list[FoundMessage]:
    found: list[FoundMessage] = []
    i = 0
    while i + 2 < len(data):
        kind, length = data[i], data[i + 1]
        end = i + 2 + length  # index of the checksum byte
        if kind in (SDMF, MDMF) and length > 0 and end < len(data):
            body = bytes(data[i + 2 : end])
            if sum(data[i : end + 1]) % 256 == 0:
                cid = _parse_sdmf(body) if kind == SDMF else _parse_mdmf(body)
                if cid is not None:
                    found.append(FoundMessage(cid, starts[i], starts[end] + byte_len))
                    i = end + 1
                    continue
        i += 1
    return found


def _text(raw: bytes) -> str | None:
    text = raw.decode("latin-1")
    return text if text and text.isprintable() else None


def _datetime(raw: bytes) -> str | None:
    return raw.decode("ascii") if len(raw) == 8 and raw.isdigit() else None


def _parse_sdmf(body: bytes) -> CallerId | None:
    if len(body) < 9:
        return None
    rest = body[8:].decode("latin-1")
    if rest in _ABSENCE_CODES:
        return CallerId(datetime=_datetime(body[:8]), absence_reason=_ABSENCE_CODES[rest])
    return CallerId(number=_text(body[8:]), datetime=_datetime(body[:8]))


def _parse_mdmf(body: bytes) -> CallerId | None:
    fields: dict[int, bytes] = {}
    pos = 0
    while pos < len(body):
        if pos + 2 > len(body):
            return None
        kind, length = body[pos], body[pos + 1]
        value = body[pos + 2 : pos + 2 + length]
        if len(value) != length:
            return None
        fields.setdefault(kind, value)
        pos += 2 + length
    absence = fields.get(PARAM_NUMBER_ABSENT, b"").decode("latin-1")
    return CallerId(
        number=_text(fields[PARAM_NUMBER]) if PARAM_NUMBER in fields else None,
        name=_text(fields[PARAM_NAME]) if PARAM_NAME in fields else None,
        datetime=_datetime(fields.get(PARAM_DATETIME, b"")),
        absence_reason=_ABSENCE_CODES.get(absence),
    )


def decode_caller_id(samples: np.ndarray, rate: int = 8000) -> list[CallerId]:
    """All caller ID messages (ETSI V.23 or Bell 202, SDMF or MDMF) in a whole buffer.

    A message whose checksum fails is dropped, as EN 300 659-3 §5 asks.
    """
    return [m.caller_id for m in find_messages(samples, rate)]


class CallerIdReceiver:
    """Demodulates one line's audio as it comes and reports each message once, when complete.

    The line sends the message between rings. Each chunk is demodulated once
    (the demodulator keeps its state); the flags of the last few seconds are kept,
    sliced into bytes again only while there is signal, and only as far back as the
    longest message reaches; the end of the last reported message is remembered so
    a message is never reported twice.
    """

    def __init__(self, rate: int = 8000) -> None:
        self.rate = rate
        self._span = round(LONGEST_MESSAGE_SECONDS * rate)
        self._demodulator = _Demodulator(rate)
        self._mark = np.zeros(self._span + rate, dtype=bool)
        self._carrier = np.zeros(self._span + rate, dtype=bool)
        self._fill = 0
        self._origin = 0  # absolute sample index of the first kept flag
        self._reported_end = 0  # absolute index where the last reported message ended
        self._active = False  # the previous chunk carried signal

    def reset(self) -> None:
        """Drop the collected audio (the receiver is switched off or the call is over)."""
        self._demodulator = _Demodulator(self.rate)
        self._origin += self._fill
        self._reported_end = self._origin
        self._fill = 0
        self._active = False

    def feed(self, samples: np.ndarray) -> list[CallerId]:
        """Add the next chunk of audio; return the messages it completed."""
        mark, carrier = self._demodulator.run(samples)
        size = self._mark.size
        if mark.size > size:
            self._origin += self._fill + mark.size - size
            self._fill = 0
            mark, carrier = mark[-size:], carrier[-size:]
        if self._fill + mark.size > size:
            drop = self._fill + mark.size - size
            keep = slice(drop, self._fill)
            self._mark[: self._fill - drop] = self._mark[keep]
            self._carrier[: self._fill - drop] = self._carrier[keep]
            self._fill -= drop
            self._origin += drop
        self._mark[self._fill : self._fill + mark.size] = mark
        self._carrier[self._fill : self._fill + mark.size] = carrier
        self._fill += mark.size
        loud = bool(carrier.any())
        was_active, self._active = self._active, loud
        if not (loud or was_active):
            return []
        first = max(0, self._reported_end - self._origin, self._fill - self._span)
        found = _slice(self._mark[first : self._fill], self._carrier[first : self._fill], self.rate)
        fresh = [m for m in found if m.start + first + self._origin >= self._reported_end]
        if fresh:
            self._reported_end = self._origin + first + fresh[-1].end
        return [m.caller_id for m in fresh]


def _frame(byte_values: bytes) -> list[int]:
    bits: list[int] = []
    for value in byte_values:
        bits.append(0)
        bits.extend((value >> k) & 1 for k in range(8))
        bits.append(1)
    return bits


def _body_sdmf(cid: CallerId) -> bytes:
    if cid.name is not None:
        raise CallerIdError("SDMF has no name field; use MDMF to send a name")
    if cid.datetime is None:
        raise CallerIdError("SDMF needs a date and time (MMDDHHMM)")
    if cid.absence_reason is not None:
        return cid.datetime.encode() + _ABSENCE_BYTES[cid.absence_reason]
    if cid.number is None:
        raise CallerIdError("SDMF needs a number or a reason for its absence")
    return cid.datetime.encode() + cid.number.encode("latin-1")


def _body_mdmf(cid: CallerId) -> bytes:
    body = b""
    if cid.datetime is not None:
        body += bytes([PARAM_DATETIME, 8]) + cid.datetime.encode()
    if cid.number is not None:
        body += bytes([PARAM_NUMBER, len(cid.number)]) + cid.number.encode("latin-1")
    if cid.absence_reason is not None:
        body += bytes([PARAM_NUMBER_ABSENT, 1]) + _ABSENCE_BYTES[cid.absence_reason]
    if cid.name is not None:
        body += bytes([PARAM_NAME, len(cid.name)]) + cid.name.encode("latin-1")
    if not body:
        raise CallerIdError("a caller ID message needs at least one field")
    return body


def _check(cid: CallerId) -> None:
    if cid.datetime is not None and not (len(cid.datetime) == 8 and cid.datetime.isdigit()):
        raise CallerIdError(f"datetime must be 8 digits MMDDHHMM, not {cid.datetime!r}")
    if cid.number is not None and cid.absence_reason is not None:
        raise CallerIdError("give either a number or a reason for its absence, not both")
    if cid.absence_reason is not None and cid.absence_reason not in _ABSENCE_BYTES:
        raise CallerIdError(
            f"absence reason must be {ABSENCE_PRIVATE!r} or {ABSENCE_UNAVAILABLE!r}, "
            f"not {cid.absence_reason!r}"
        )
    for label, text, limit in (("number", cid.number, 20), ("name", cid.name, 50)):
        if text is None:
            continue
        if not text or len(text) > limit or not text.isprintable():
            raise CallerIdError(f"{label} must be 1 to {limit} printable characters: {text!r}")
        try:
            text.encode("latin-1")
        except UnicodeEncodeError:
            raise CallerIdError(f"{label} must be Latin-1 text: {text!r}") from None


def encode_caller_id(
    cid: CallerId,
    *,
    standard: str = "etsi",
    level_dbm0: float = -13.5,
    message_format: str = "mdmf",
    offhook: bool = False,
    rate: int = 8000,
) -> np.ndarray:
    """Render ``cid`` as the FSK a line sends, int16 samples.

    Channel seizure (300 alternating bits), 180 mark bits, the message with its
    checksum, and a few mark bits; ``standard`` is "etsi" (V.23) or "bell" (Bell
    202); ``message_format`` is "mdmf" or "sdmf" (date and number only). With
    ``offhook`` (type II, after the CAS handshake) there is no channel seizure and
    the mark signal is 80 bits, since the phone's receiver is already listening.
    """
    if standard not in STANDARDS:
        raise CallerIdError(f"standard must be one of {', '.join(STANDARDS)}, not {standard!r}")
    if message_format not in ("mdmf", "sdmf"):
        raise CallerIdError(f"message_format must be 'mdmf' or 'sdmf', not {message_format!r}")
    _check(cid)
    kind, body = (SDMF, _body_sdmf(cid)) if message_format == "sdmf" else (MDMF, _body_mdmf(cid))
    if len(body) > 255:
        raise CallerIdError("a caller ID message holds at most 255 bytes")
    message = bytes([kind, len(body)]) + body
    message += bytes([(-sum(message)) % 256])
    seizure = [] if offhook else [k % 2 for k in range(SEIZURE_BITS)]
    marks = [1] * (OFFHOOK_MARK_BITS if offhook else MARK_BITS)
    bits = seizure + marks + _frame(message) + [1] * 4
    mark, space = STANDARDS[standard]
    bit_array = np.asarray(bits, dtype=np.int64)
    n = int(len(bits) * rate / BAUD)
    index = np.arange(n) * BAUD // rate
    freq = np.where(bit_array[index] == 1, mark, space)
    phase = 2 * np.pi * np.cumsum(freq) / rate
    out = dbm0_to_peak(level_dbm0) * np.sin(phase)
    return np.clip(np.rint(out), -32768, 32767).astype(np.int16)


def _tones(freqs: tuple[float, ...], seconds: float, level_dbm0: float, rate: int) -> np.ndarray:
    t = np.arange(round(seconds * rate)) / rate
    wave = np.sin(2 * np.pi * np.outer(freqs, t)).sum(axis=0)
    return np.clip(np.rint(dbm0_to_peak(level_dbm0) * wave), -32768, 32767).astype(np.int16)


def dual_tone_alert(
    seconds: float = DT_AS_SECONDS, *, level_dbm0: float = ALERT_LEVEL_DBM0, rate: int = 8000
) -> np.ndarray:
    """The 2130 + 2750 Hz alerting signal: DT-AS on-hook (100 ms), CAS off-hook (80 ms)."""
    return _tones(ALERT_FREQS, seconds, level_dbm0, rate)


def offhook_alert(standard: str, rate: int = 8000) -> np.ndarray:
    """What the exchange plays to a phone in a call before type II caller ID.

    ETSI: the CAS alone. Bell: the 440 Hz SAS, which the user hears as the call
    waiting beep, straight followed by the CAS.
    """
    if standard not in ACK_DIGITS:
        raise CallerIdError(
            f"off-hook caller ID is sent as 'etsi' or 'bell' FSK, not {standard!r}"
        )
    cas = dual_tone_alert(CAS_SECONDS, rate=rate)
    if standard == "etsi":
        return cas
    return np.concatenate([_tones((SAS_HZ,), SAS_SECONDS, ALERT_LEVEL_DBM0, rate), cas])
