"""Q.931 information elements of codeset 0 that a PRI call needs, as values and octets.

Each value class encodes its contents (the octets after identifier and length)
and decodes them, raising :class:`IEContentError` when the contents break the
coding rules of Q.931 §4.5 / ETSI EN 300 403 §4.5; the message layer turns that
into the cause #100 handling of §5.8.6.2 and §5.8.7.2.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from firmware.signaling.q931.errors import RemoteProtocolError


class IEContentError(RemoteProtocolError):
    """The contents of one information element are not coded as the recommendation says."""


class IEId(enum.IntEnum):
    """Information element identifiers of codeset 0 (Q.931 Table 4-3)."""

    SEGMENTED_MESSAGE = 0x00
    BEARER_CAPABILITY = 0x04
    CAUSE = 0x08
    CALL_IDENTITY = 0x10
    CALL_STATE = 0x14
    CHANNEL_ID = 0x18
    FACILITY = 0x1C
    PROGRESS_INDICATOR = 0x1E
    NETWORK_FACILITIES = 0x20
    NOTIFICATION_INDICATOR = 0x27
    DISPLAY = 0x28
    DATE_TIME = 0x29
    KEYPAD = 0x2C
    SIGNAL = 0x34
    INFORMATION_RATE = 0x40
    CONNECTED_NUMBER = 0x4C
    CONNECTED_SUBADDRESS = 0x4D
    CALLING_NUMBER = 0x6C
    CALLING_SUBADDRESS = 0x6D
    CALLED_NUMBER = 0x70
    CALLED_SUBADDRESS = 0x71
    REDIRECTING_NUMBER = 0x74
    REDIRECTION_NUMBER = 0x76
    TRANSIT_NETWORK = 0x78
    RESTART_INDICATOR = 0x79
    LOW_LAYER_COMPATIBILITY = 0x7C
    HIGH_LAYER_COMPATIBILITY = 0x7D
    USER_USER = 0x7E
    ESCAPE = 0x7F
    MORE_DATA = 0xA0
    SENDING_COMPLETE = 0xA1
    CONGESTION_LEVEL = 0xB0
    REPEAT_INDICATOR = 0xD0


def comprehension_required(identifier: int) -> bool:
    """Q.931 §4.5.1: codeset 0 identifiers 0000xxxx must be understood by the receiver."""
    return identifier < 0x10


class Coding(enum.IntEnum):
    """Coding standard of octet 3 of several IEs (Q.931 §4.5.5)."""

    ITU_T = 0
    ISO_IEC = 1
    NATIONAL = 2
    NETWORK_SPECIFIC = 3


class Location(enum.IntEnum):
    """Where a cause or progress indicator comes from (Q.931 Table 4-11)."""

    USER = 0
    PRIVATE_LOCAL = 1
    PUBLIC_LOCAL = 2
    TRANSIT = 3
    PUBLIC_REMOTE = 4
    PRIVATE_REMOTE = 5
    INTERNATIONAL = 7
    BEYOND_INTERWORKING = 10


class TransferCapability(enum.IntEnum):
    """Information transfer capability of the bearer capability (Q.931 §4.5.5)."""

    SPEECH = 0x00
    UNRESTRICTED_DIGITAL = 0x08
    RESTRICTED_DIGITAL = 0x09
    AUDIO_3K1 = 0x10
    UNRESTRICTED_DIGITAL_TONES = 0x11
    VIDEO = 0x18


class Layer1Protocol(enum.IntEnum):
    """User information layer 1 protocol of the bearer capability (octet 5)."""

    V110 = 0x01
    ULAW = 0x02
    ALAW = 0x03
    G721 = 0x04
    H221 = 0x05
    NON_CCITT = 0x07
    V120 = 0x08
    X31 = 0x09


@dataclass(frozen=True)
class BearerCapability:
    """What the call carries; speech over A-law at 64 kbit/s is the PRI default."""

    capability: TransferCapability = TransferCapability.SPEECH
    layer1: Layer1Protocol | None = Layer1Protocol.ALAW
    transfer_mode: int = 0  # circuit mode
    transfer_rate: int = 0x10  # 64 kbit/s

    def encode(self) -> bytes:
        octets = [0x80 | self.capability, 0x80 | (self.transfer_mode << 5) | self.transfer_rate]
        if self.layer1 is not None:
            octets.append(0x80 | 0x20 | self.layer1)
        return bytes(octets)

    @classmethod
    def decode(cls, data: bytes) -> BearerCapability:
        if len(data) < 2:
            raise IEContentError("bearer capability shorter than 2 octets")
        cap = data[0] & 0x1F
        if (data[0] >> 5) & 0x03 != Coding.ITU_T:
            raise IEContentError("bearer capability not coded to the ITU-T standard")
        try:
            capability = TransferCapability(cap)
        except ValueError:
            raise IEContentError(f"unknown information transfer capability {cap:#x}") from None
        mode, rate = (data[1] >> 5) & 0x03, data[1] & 0x1F
        pos = 2 if data[1] & 0x80 else 3  # octet 4.1 (rate multiplier) when the extension is 0
        layer1 = None
        if pos < len(data) and (data[pos] >> 5) & 0x03 == 0x01:
            l1 = data[pos] & 0x1F
            try:
                layer1 = Layer1Protocol(l1)
            except ValueError:
                raise IEContentError(f"unknown layer 1 protocol {l1:#x}") from None
        return cls(capability, layer1, mode, rate)


@dataclass(frozen=True)
class Cause:
    """Why a call is cleared or a message refused (Q.931 §4.5.12, Table 4-13)."""

    value: int
    location: Location = Location.USER
    diagnostic: bytes = b""
    coding: Coding = Coding.ITU_T

    def encode(self) -> bytes:
        return bytes((0x80 | (self.coding << 5) | self.location, 0x80 | self.value)) + (
            self.diagnostic
        )

    @classmethod
    def decode(cls, data: bytes) -> Cause:
        if len(data) < 2:
            raise IEContentError("cause shorter than 2 octets")
        pos = 1 if data[0] & 0x80 else 2  # octet 3a (recommendation) when the extension is 0
        if pos >= len(data):
            raise IEContentError("cause without a cause value octet")
        try:
            location = Location(data[0] & 0x0F)
        except ValueError:
            raise IEContentError(f"reserved cause location {data[0] & 0x0F}") from None
        return cls(data[pos] & 0x7F, location, bytes(data[pos + 1 :]), Coding((data[0] >> 5) & 3))


class ChannelSelection(enum.Enum):
    """Information channel selection of the channel identification (octet 3, bits 2-1)."""

    NONE = 0
    INDICATED = 1
    ANY = 3


@dataclass(frozen=True)
class ChannelId:
    """A B-channel (or several, in RESTART) of this primary rate interface.

    Channel numbers are E1 time slots: 1 to 15 and 17 to 31. ``exclusive``
    False means "preferred": the other side may choose another channel.
    """

    channels: tuple[int, ...] = ()
    exclusive: bool = True
    selection: ChannelSelection = ChannelSelection.INDICATED

    def encode(self) -> bytes:
        octet3 = 0x80 | 0x20 | (0x08 if self.exclusive else 0) | self.selection.value
        if self.selection is not ChannelSelection.INDICATED:
            return bytes((octet3,))
        if not self.channels or any(not 0 < c < 128 for c in self.channels):
            raise ValueError(f"cannot encode the channel numbers {self.channels!r}")
        numbers = [c for c in self.channels[:-1]] + [0x80 | self.channels[-1]]
        return bytes((octet3, 0x83, *numbers))

    @classmethod
    def decode(cls, data: bytes) -> ChannelId:
        if not data:
            raise IEContentError("empty channel identification")
        octet3 = data[0]
        pos = 1
        if octet3 & 0x40:
            # Interface identifier present (octet 3.1): skip it, this is the one interface.
            while pos < len(data) and not data[pos] & 0x80:
                pos += 1
            pos += 1
        if not octet3 & 0x20:
            raise IEContentError("channel identification for a basic rate interface")
        if octet3 & 0x04:
            raise IEContentError("channel identification names the D-channel")
        exclusive = bool(octet3 & 0x08)
        try:
            selection = ChannelSelection(octet3 & 0x03)
        except ValueError:
            raise IEContentError("reserved information channel selection") from None
        if selection is not ChannelSelection.INDICATED:
            return cls((), exclusive, selection)
        if pos >= len(data):
            raise IEContentError("channel identification without its channel type octet")
        octet32 = data[pos]
        if (octet32 >> 5) & 0x03 != Coding.ITU_T or octet32 & 0x0F != 0x03:
            raise IEContentError("channel type is not a B-channel unit coded to ITU-T")
        if octet32 & 0x10:
            raise IEContentError("channel slot maps are not supported, only channel numbers")
        numbers = data[pos + 1 :]
        if not numbers:
            raise IEContentError("channel identification without a channel number")
        if not numbers[-1] & 0x80 or any(n & 0x80 for n in numbers[:-1]):
            raise IEContentError("channel number octets with wrong extension bits")
        return cls(tuple(n & 0x7F for n in numbers), exclusive, selection)


class ProgressDescription(enum.IntEnum):
    """Progress description values (Q.931 §4.5.23)."""

    NOT_END_TO_END_ISDN = 1
    DESTINATION_NOT_ISDN = 2
    ORIGIN_NOT_ISDN = 3
    RETURNED_TO_ISDN = 4
    INTERWORKING = 5
    IN_BAND_AVAILABLE = 8


@dataclass(frozen=True)
class ProgressIndicator:
    """An event in the life of a call, typically "in-band information now available"."""

    description: int
    location: Location = Location.USER
    coding: Coding = Coding.ITU_T

    def encode(self) -> bytes:
        return bytes((0x80 | (self.coding << 5) | self.location, 0x80 | self.description))

    @classmethod
    def decode(cls, data: bytes) -> ProgressIndicator:
        if len(data) < 2:
            raise IEContentError("progress indicator shorter than 2 octets")
        try:
            location = Location(data[0] & 0x0F)
        except ValueError:
            raise IEContentError(f"reserved progress location {data[0] & 0x0F}") from None
        return cls(data[1] & 0x7F, location, Coding((data[0] >> 5) & 3))


class TypeOfNumber(enum.IntEnum):
    """Type of number of the party number IEs (Q.931 §4.5.10)."""

    UNKNOWN = 0
    INTERNATIONAL = 1
    NATIONAL = 2
    NETWORK_SPECIFIC = 3
    SUBSCRIBER = 4
    ABBREVIATED = 6


class NumberingPlan(enum.IntEnum):
    """Numbering plan identification of the party number IEs."""

    UNKNOWN = 0
    ISDN = 1
    DATA = 3
    TELEX = 4
    NATIONAL = 8
    PRIVATE = 9


class Presentation(enum.IntEnum):
    """Presentation indicator of the calling and connected numbers (Q.931 §4.5.9)."""

    ALLOWED = 0
    RESTRICTED = 1
    NOT_AVAILABLE = 2


class Screening(enum.IntEnum):
    """Screening indicator of the calling and connected numbers."""

    USER_NOT_SCREENED = 0
    USER_VERIFIED_PASSED = 1
    USER_VERIFIED_FAILED = 2
    NETWORK_PROVIDED = 3


DIGITS = frozenset("0123456789*#ABCDabcd")


@dataclass(frozen=True)
class PartyNumber:
    """A called, calling or connected party number.

    ``presentation`` and ``screening`` are only coded for calling and connected
    numbers (octet 3a); a called number never carries them.
    """

    digits: str
    type_of_number: TypeOfNumber = TypeOfNumber.UNKNOWN
    plan: NumberingPlan = NumberingPlan.ISDN
    presentation: Presentation | None = None
    screening: Screening | None = None

    def __post_init__(self) -> None:
        if not set(self.digits) <= DIGITS:
            raise ValueError(f"{self.digits!r} holds characters that are not dialling digits")

    def encode(self, *, with_presentation: bool) -> bytes:
        octet3 = (self.type_of_number << 4) | self.plan
        digits = self.digits.encode("ascii")
        if with_presentation and self.presentation is not None:
            screening = self.screening or Screening.USER_NOT_SCREENED
            return bytes((octet3, 0x80 | (self.presentation << 5) | screening)) + digits
        return bytes((0x80 | octet3,)) + digits

    @classmethod
    def decode(cls, data: bytes, *, with_presentation: bool) -> PartyNumber:
        if not data:
            raise IEContentError("party number without its type and plan octet")
        try:
            type_of_number = TypeOfNumber((data[0] >> 4) & 0x07)
            plan = NumberingPlan(data[0] & 0x0F)
        except ValueError:
            raise IEContentError("reserved type of number or numbering plan") from None
        pos, presentation, screening = 1, None, None
        if not data[0] & 0x80:
            if not with_presentation or len(data) < 2:
                raise IEContentError("party number with an unexpected octet 3a")
            try:
                presentation = Presentation((data[1] >> 5) & 0x03)
            except ValueError:
                raise IEContentError("reserved presentation indicator") from None
            screening = Screening(data[1] & 0x03)
            pos = 2
        try:
            digits = data[pos:].decode("ascii")
        except UnicodeDecodeError:
            raise IEContentError("party number digits are not IA5 characters") from None
        if not set(digits) <= DIGITS:
            raise IEContentError(f"party number {digits!r} holds characters that are not digits")
        return cls(digits, type_of_number, plan, presentation, screening)


class RestartClass(enum.IntEnum):
    """Restart indicator class (Q.931 §4.5.25)."""

    INDICATED_CHANNELS = 0
    SINGLE_INTERFACE = 6
    ALL_INTERFACES = 7


def encode_restart(restart_class: RestartClass) -> bytes:
    return bytes((0x80 | restart_class,))


def decode_restart(data: bytes) -> RestartClass:
    if len(data) != 1:
        raise IEContentError("restart indicator must be one octet")
    try:
        return RestartClass(data[0] & 0x07)
    except ValueError:
        raise IEContentError(f"reserved restart class {data[0] & 0x07}") from None


def encode_call_state(state: int) -> bytes:
    return bytes((state & 0x3F,))


def decode_call_state(data: bytes) -> int:
    if len(data) != 1:
        raise IEContentError("call state must be one octet")
    return data[0] & 0x3F


MAX_DISPLAY = 82


def encode_display(text: str) -> bytes:
    return text.encode("ascii")


def decode_display(data: bytes) -> str:
    # Some networks put a character set octet (bit 8 set) before the text.
    if data and data[0] & 0x80:
        data = data[1:]
    if len(data) > MAX_DISPLAY:
        raise IEContentError(f"display longer than {MAX_DISPLAY} characters")
    try:
        return data.decode("ascii")
    except UnicodeDecodeError:
        raise IEContentError("display is not IA5 text") from None


def decode_notification(data: bytes) -> int:
    if not data:
        raise IEContentError("empty notification indicator")
    return data[0] & 0x7F
