"""Caller ID sent as DTMF digits: the message forms, their parsing, encoding and detection.

Several networks send the calling number as DTMF instead of FSK, as the national
variants of CLIP around ETSI EN 300 659-1 allow. The digit string of one message is
one or more fields, each a start letter and decimal digits, and an end symbol:

* ``A<number>C`` - the calling number. Used in Sweden, Finland, Denmark, Iceland,
  the Netherlands, Belgium, Brazil, India, Saudi Arabia and Uruguay. After the number
  may come ``D<redirecting number>`` and ``B<special information>`` fields.
* ``B<code>C`` - no number, with the reason in a special information code:
  ``B00C`` the number is unavailable, ``B10C`` the caller restricted it (private).
* ``D<code>C`` - no number, the Danish form of the reason: ``D1C`` the caller
  restricted it (private), ``D2C`` the call is international so the number cannot
  be sent, ``D3C`` it cannot be sent for technical reasons. D2 and D3 both read as
  "unavailable", the only other reason the box's caller ID record knows.
* ``D<number>C`` - the calling number with D as start letter (Taiwan, Kuwait); a
  single digit 1-3 after D is the reason code above, anything longer is a number.

Danish and Dutch exchanges end the message with ``#`` rather than ``C``; both end
symbols are accepted everywhere. Messages with no start letter at all (a bare
``<number>#``) are not recognised: on a line that also carries ordinary DTMF they
cannot be told from a caller's key presses.

Timing: exchanges send each digit and each pause for at least 50 ms; this module
sends 70 ms of tone and 70 ms of pause per digit at -8 dBm0 (low group, high group
2 dB louder), well inside what every DTMF caller ID receiver takes. A message is
sent before the first ring (at least 200 ms after a line reversal or a ring-pulse
alert, with the first ring 200 to 500 ms after the last digit) or in the pause
after the first ring. Receiving drops a message whose digits come more than
``MAX_DIGIT_GAP_SECONDS`` apart, as a receiver left on during a call must.
"""

from __future__ import annotations

import re

import numpy as np

from firmware.media.dtmf import DtmfDetector, generate_dtmf
from firmware.media.fsk import (
    ABSENCE_PRIVATE,
    ABSENCE_UNAVAILABLE,
    CallerId,
    CallerIdError,
)

ON_MS = 70
OFF_MS = 70
LEVEL_DBM0 = -8.0
TWIST_DB = 2.0
MAX_DIGIT_GAP_SECONDS = 1.0  # longer between two digits of one message: start again
MAX_MESSAGE_DIGITS = 64  # longer than any real message: noise, start again
MAX_NUMBER_DIGITS = 20
END_SYMBOLS = frozenset("C#")
START_SYMBOLS = frozenset("ABD")

_B_CODES = {"00": ABSENCE_UNAVAILABLE, "10": ABSENCE_PRIVATE}
_D_CODES = {"1": ABSENCE_PRIVATE, "2": ABSENCE_UNAVAILABLE, "3": ABSENCE_UNAVAILABLE}
_B_FOR = {v: k for k, v in _B_CODES.items()}
_D_FOR = {ABSENCE_PRIVATE: "1", ABSENCE_UNAVAILABLE: "3"}
_FIELD = re.compile(r"([ABD])([0-9]*)")


def parse_dtmf_caller_id(digits: str) -> CallerId | None:
    """The caller ID in one whole digit string (start letter to end symbol), or None.

    None means the string is not a well-formed message of a known form, which is
    what a receiver must assume of a stray or garbled string.
    """
    if len(digits) < 3 or digits[-1] not in END_SYMBOLS:
        return None
    body = digits[:-1]
    fields = _FIELD.findall(body)
    if "".join(letter + value for letter, value in fields) != body:
        return None  # a symbol out of place: * or an end symbol inside the message
    first, value = fields[0]
    rest = dict(fields[1:])
    if first == "A":
        if value:
            return CallerId(number=value[:MAX_NUMBER_DIGITS])
        reason = _B_CODES.get(rest.get("B", ""))
        return CallerId(absence_reason=reason) if reason else None
    if first == "B":
        reason = _B_CODES.get(value)
        return CallerId(absence_reason=reason) if reason and not rest else None
    if len(value) == 1:  # D with a reason code
        reason = _D_CODES.get(value)
        return CallerId(absence_reason=reason) if reason and not rest else None
    return CallerId(number=value[:MAX_NUMBER_DIGITS]) if value else None


def dtmf_caller_id_digits(
    cid: CallerId, *, start: str = "A", absence_form: str = "B", end: str = "C"
) -> str:
    """The digit string that carries ``cid``.

    ``start`` is the number's start letter ("A", or "D" for the Taiwanese form),
    ``absence_form`` says how a missing number is sent ("B" codes or Danish "D"
    codes) and ``end`` is the end symbol ("C" or "#"). DTMF caller ID carries the
    number only, so a name or date in ``cid`` is left out, as a DTMF exchange does.
    """
    if start not in ("A", "D"):
        raise CallerIdError(f"a DTMF caller ID number starts with 'A' or 'D', not {start!r}")
    if absence_form not in ("B", "D"):
        raise CallerIdError(f"absence_form must be 'B' or 'D', not {absence_form!r}")
    if end not in END_SYMBOLS:
        raise CallerIdError(f"a DTMF caller ID message ends with 'C' or '#', not {end!r}")
    if cid.number is not None and cid.absence_reason is not None:
        raise CallerIdError("give either a number or a reason for its absence, not both")
    if cid.number is not None:
        number = cid.number
        if not (number.isascii() and number.isdigit()) or len(number) > MAX_NUMBER_DIGITS:
            raise CallerIdError(
                f"a DTMF caller ID number is 1 to {MAX_NUMBER_DIGITS} digits 0-9, not {number!r}"
            )
        if start == "D" and len(number) < 2:
            raise CallerIdError("after 'D' a one-digit number would read as a reason code")
        return start + number + end
    reason = cid.absence_reason
    if reason is None:
        raise CallerIdError("DTMF caller ID needs a number or a reason for its absence")
    codes = _B_FOR if absence_form == "B" else _D_FOR
    if reason not in codes:
        raise CallerIdError(
            f"absence reason must be {ABSENCE_PRIVATE!r} or {ABSENCE_UNAVAILABLE!r}, "
            f"not {reason!r}"
        )
    return absence_form + codes[reason] + end


def encode_dtmf_caller_id(
    cid: CallerId,
    *,
    start: str = "A",
    absence_form: str = "B",
    end: str = "C",
    level_dbm0: float = LEVEL_DBM0,
    on_ms: int = ON_MS,
    off_ms: int = OFF_MS,
    rate: int = 8000,
) -> np.ndarray:
    """Render ``cid`` as DTMF caller ID audio, int16 (see :func:`dtmf_caller_id_digits`)."""
    digits = dtmf_caller_id_digits(cid, start=start, absence_form=absence_form, end=end)
    return generate_dtmf(
        digits, level_dbm0=level_dbm0, twist_db=TWIST_DB, on_ms=on_ms, off_ms=off_ms, rate=rate
    )


class DtmfCallerIdCollector:
    """Gathers one line's detected digits into DTMF caller ID messages.

    Digits before a start letter are ignored; a message ends at its end symbol, or is
    dropped when the next digit is late or it grows longer than any real message.
    """

    def __init__(self) -> None:
        self._digits: list[str] = []
        self._first = 0.0
        self._last = 0.0

    def reset(self) -> None:
        """Drop a message in progress."""
        self._digits.clear()

    def feed(self, digit: str, at: float) -> tuple[float, CallerId] | None:
        """Add a digit that began at ``at``; the message's start time and caller ID when done."""
        if self._digits and at - self._last > MAX_DIGIT_GAP_SECONDS:
            self._digits.clear()
        if not self._digits:
            if digit not in START_SYMBOLS:
                return None
            self._first = at
        self._digits.append(digit)
        self._last = at
        if digit in END_SYMBOLS:
            text = "".join(self._digits)
            self._digits.clear()
            cid = parse_dtmf_caller_id(text)
            return None if cid is None else (self._first, cid)
        if len(self._digits) > MAX_MESSAGE_DIGITS:
            self._digits.clear()
        return None


def find_dtmf_caller_id(samples: np.ndarray, rate: int = 8000) -> list[tuple[float, CallerId]]:
    """Every DTMF caller ID message in a whole buffer, with its start time in seconds."""
    block = 8000  # one second per detector call, a multiple of the detector's hop
    flush = 1600  # silence after the audio so a final digit is confirmed
    x = np.asarray(samples, dtype=np.float64).ravel()
    padded = np.zeros(x.size + flush + (-(x.size + flush)) % block)
    padded[: x.size] = x
    detector = DtmfDetector(1, rate)
    collector = DtmfCallerIdCollector()
    found: list[tuple[float, CallerId]] = []
    for k in range(padded.size // block):
        now = (k + 1) * block / rate
        for _, digit, start in detector.process(padded[None, k * block : (k + 1) * block], now):
            message = collector.feed(digit, start)
            if message is not None:
                found.append(message)
    return found


def decode_dtmf_caller_id(samples: np.ndarray, rate: int = 8000) -> list[CallerId]:
    """All DTMF caller ID messages in a whole buffer, in order."""
    return [cid for _, cid in find_dtmf_caller_id(samples, rate)]
