"""Q.931 messages: header, call reference and information elements, to and from octets.

Decoding never raises for a bad information element: it records the problem
(unrecognized, comprehension required, content error, missing) so that the
endpoint can apply Q.931 §5.8 with the right cause and diagnostic. Only a
message too broken to have a call reference and a type raises
:class:`MessageIgnored`, and §5.8.1 to §5.8.3.1 say such a message is ignored.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from firmware.signaling.q931.errors import RemoteProtocolError
from firmware.signaling.q931.ies import (
    BearerCapability,
    Cause,
    ChannelId,
    IEContentError,
    IEId,
    PartyNumber,
    ProgressIndicator,
    RestartClass,
    comprehension_required,
    decode_call_state,
    decode_display,
    decode_notification,
    decode_restart,
    encode_call_state,
    encode_display,
    encode_restart,
)

PROTOCOL_DISCRIMINATOR = 0x08  # Q.931 §4.2: user-network call control messages
CALL_REF_LENGTH = 2  # Q.931 §4.3: a primary rate interface uses two octets
MAX_CALL_REF = 0x7FFF
GLOBAL_CALL_REF = 0


class MessageIgnored(RemoteProtocolError):
    """A message that Q.931 §5.8.1-§5.8.3.1 says to ignore: no reply, no state change."""


class MessageType(enum.IntEnum):
    """The message types this endpoint implements (Q.931 Table 4-2)."""

    ALERTING = 0x01
    CALL_PROCEEDING = 0x02
    PROGRESS = 0x03
    SETUP = 0x05
    CONNECT = 0x07
    SETUP_ACKNOWLEDGE = 0x0D
    CONNECT_ACKNOWLEDGE = 0x0F
    DISCONNECT = 0x45
    RESTART = 0x46
    RELEASE = 0x4D
    RESTART_ACKNOWLEDGE = 0x4E
    RELEASE_COMPLETE = 0x5A
    NOTIFY = 0x6E
    STATUS_ENQUIRY = 0x75
    INFORMATION = 0x7B
    STATUS = 0x7D


# Q.931 §3 / EN 300 403 §3: the information elements each message must carry. The
# channel identification of SETUP is mandatory only network to user (checked by the
# endpoint); a RELEASE's cause is optional when it is not the first clearing message.
MANDATORY: dict[MessageType, tuple[IEId, ...]] = {
    MessageType.SETUP: (IEId.BEARER_CAPABILITY,),
    MessageType.DISCONNECT: (IEId.CAUSE,),
    MessageType.PROGRESS: (IEId.PROGRESS_INDICATOR,),
    MessageType.STATUS: (IEId.CAUSE, IEId.CALL_STATE),
    MessageType.RESTART: (IEId.RESTART_INDICATOR,),
    MessageType.RESTART_ACKNOWLEDGE: (IEId.RESTART_INDICATOR,),
    MessageType.NOTIFY: (IEId.NOTIFICATION_INDICATOR,),
}

# Identifiers of codeset 0 known to exist; the ones not decoded here are skipped
# without a STATUS, since they are not errors, only services the box does not offer.
_KNOWN = frozenset(int(i) for i in IEId)


class Problem(enum.Enum):
    """What is wrong with an information element, in the terms of Q.931 §5.8."""

    MISSING = "mandatory information element missing"  # §5.8.6.1, cause #96
    CONTENT = "invalid information element contents"  # §5.8.6.2 / §5.8.7.2, cause #100
    UNRECOGNIZED = "information element non-existent"  # §5.8.7.1, cause #99
    COMPREHENSION = "unrecognized element marked comprehension required"  # §5.8.7.1, #96


@dataclass(frozen=True)
class IEProblem:
    identifier: int
    problem: Problem


@dataclass(frozen=True)
class Fields:
    """The information elements of one message, decoded; absent ones are None or empty."""

    bearer: BearerCapability | None = None
    cause: Cause | None = None
    call_state: int | None = None
    channel: ChannelId | None = None
    progress: tuple[ProgressIndicator, ...] = ()
    notification: int | None = None
    display: str | None = None
    connected: PartyNumber | None = None
    calling: PartyNumber | None = None
    called: PartyNumber | None = None
    restart: RestartClass | None = None
    sending_complete: bool = False

    def present(self) -> frozenset[IEId]:
        """The identifiers of the elements this value carries."""
        ids = {
            IEId.BEARER_CAPABILITY: self.bearer,
            IEId.CAUSE: self.cause,
            IEId.CALL_STATE: self.call_state,
            IEId.CHANNEL_ID: self.channel,
            IEId.PROGRESS_INDICATOR: self.progress or None,
            IEId.NOTIFICATION_INDICATOR: self.notification,
            IEId.DISPLAY: self.display,
            IEId.CONNECTED_NUMBER: self.connected,
            IEId.CALLING_NUMBER: self.calling,
            IEId.CALLED_NUMBER: self.called,
            IEId.RESTART_INDICATOR: self.restart,
            IEId.SENDING_COMPLETE: self.sending_complete or None,
        }
        return frozenset(k for k, v in ids.items() if v is not None)


@dataclass(frozen=True)
class Message:
    """One decoded Q.931 message.

    ``flag`` is the call reference flag as carried: False when the sender is the
    side that allocated the call reference (Q.931 §4.3).
    """

    message_type: int
    call_ref: int
    flag: bool
    fields: Fields = field(default_factory=Fields)
    problems: tuple[IEProblem, ...] = ()

    @property
    def known_type(self) -> MessageType | None:
        try:
            return MessageType(self.message_type)
        except ValueError:
            return None

    @property
    def is_global(self) -> bool:
        return self.call_ref == GLOBAL_CALL_REF

    def problems_of(self, *kinds: Problem) -> list[IEProblem]:
        return [p for p in self.problems if p.problem in kinds]


def encode_message(message_type: int, call_ref: int, flag: bool, fields: Fields) -> bytes:
    """The octets of a message; elements go in ascending order of identifier (§4.5.1)."""
    if not 0 <= call_ref <= MAX_CALL_REF:
        raise ValueError(f"call reference {call_ref} does not fit in 15 bits")
    out = bytearray(
        (
            PROTOCOL_DISCRIMINATOR,
            CALL_REF_LENGTH,
            (0x80 if flag else 0) | (call_ref >> 8),
            call_ref & 0xFF,
            message_type,
        )
    )

    def put(identifier: IEId, contents: bytes) -> None:
        out.extend((identifier, len(contents)))
        out.extend(contents)

    f = fields
    if f.bearer is not None:
        put(IEId.BEARER_CAPABILITY, f.bearer.encode())
    if f.cause is not None:
        put(IEId.CAUSE, f.cause.encode())
    if f.call_state is not None:
        put(IEId.CALL_STATE, encode_call_state(f.call_state))
    if f.channel is not None:
        put(IEId.CHANNEL_ID, f.channel.encode())
    for progress in f.progress:
        put(IEId.PROGRESS_INDICATOR, progress.encode())
    if f.notification is not None:
        put(IEId.NOTIFICATION_INDICATOR, bytes((0x80 | f.notification,)))
    if f.display is not None:
        put(IEId.DISPLAY, encode_display(f.display))
    if f.connected is not None:
        put(IEId.CONNECTED_NUMBER, f.connected.encode(with_presentation=True))
    if f.calling is not None:
        put(IEId.CALLING_NUMBER, f.calling.encode(with_presentation=True))
    if f.called is not None:
        put(IEId.CALLED_NUMBER, f.called.encode(with_presentation=False))
    if f.restart is not None:
        put(IEId.RESTART_INDICATOR, encode_restart(f.restart))
    if f.sending_complete:
        out.append(IEId.SENDING_COMPLETE)
    return bytes(out)


def decode_message(data: bytes) -> Message:
    """Decode a message; raise :class:`MessageIgnored` when §5.8.1-§5.8.3.1 say ignore it."""
    if len(data) < 1 or data[0] != PROTOCOL_DISCRIMINATOR:
        raise MessageIgnored("not a Q.931 call control message (protocol discriminator)")
    if len(data) < 2:
        raise MessageIgnored("message too short for a call reference")  # §5.8.2
    if data[1] & 0xF0:
        raise MessageIgnored("call reference length octet with bits 5-8 set")  # §5.8.3.1
    if data[1] & 0x0F != CALL_REF_LENGTH:
        raise MessageIgnored(f"call reference of {data[1] & 0x0F} octets on a PRI")
    if len(data) < 5:
        raise MessageIgnored("message too short for a message type")  # §5.8.2
    flag = bool(data[2] & 0x80)
    call_ref = ((data[2] & 0x7F) << 8) | data[3]
    message_type = data[4]
    if message_type & 0x80 or message_type == 0:
        # Bit 8 is reserved for extension; 0 is the escape to national messages.
        return Message(message_type, call_ref, flag)
    values: dict[str, object] = {}
    progress: list[ProgressIndicator] = []
    problems: list[IEProblem] = []
    seen: set[int] = set()
    locked, shifted = 0, None
    pos = 5
    while pos < len(data):
        octet = data[pos]
        if octet & 0x80:
            pos += 1
            if octet & 0xF0 == 0x90:  # §4.5.2-§4.5.3 shift
                if octet & 0x08:
                    shifted = octet & 0x07
                elif octet & 0x07:
                    locked = octet & 0x07  # a locking shift to codeset 0 is not allowed
                continue
            identifier, contents = (octet if octet & 0xF0 == 0xA0 else octet & 0xF0), b""
        else:
            if pos + 1 >= len(data) or pos + 2 + data[pos + 1] > len(data):
                if (shifted if shifted is not None else locked) == 0:
                    problems.append(IEProblem(octet, Problem.CONTENT))  # truncated element
                break
            identifier, contents = octet, data[pos + 2 : pos + 2 + data[pos + 1]]
            pos += 2 + data[pos + 1]
        codeset = shifted if shifted is not None else locked
        shifted = None
        if codeset != 0:
            continue  # other codesets are never comprehension required: skipped
        if identifier not in _KNOWN:
            kind = (
                Problem.COMPREHENSION
                if comprehension_required(identifier)
                else (Problem.UNRECOGNIZED)
            )
            problems.append(IEProblem(identifier, kind))
            continue
        if identifier in seen and identifier != IEId.PROGRESS_INDICATOR:
            continue  # §5.8.5.2: only the first of a repeated element is used
        seen.add(identifier)
        try:
            _decode_element(IEId(identifier), bytes(contents), values, progress)
        except IEContentError:
            problems.append(IEProblem(identifier, Problem.CONTENT))
    fields = Fields(progress=tuple(progress[:2]), **values)  # type: ignore[arg-type]
    mtype = _known(message_type)
    if mtype is not None:
        present = fields.present()
        broken = {p.identifier for p in problems}
        for identifier in MANDATORY.get(mtype, ()):
            if identifier not in present and identifier not in broken:
                problems.append(IEProblem(identifier, Problem.MISSING))
    return Message(message_type, call_ref, flag, fields, tuple(problems))


def _known(message_type: int) -> MessageType | None:
    try:
        return MessageType(message_type)
    except ValueError:
        return None


def _decode_element(
    identifier: IEId,
    contents: bytes,
    values: dict[str, object],
    progress: list[ProgressIndicator],
) -> None:
    match identifier:
        case IEId.BEARER_CAPABILITY:
            values["bearer"] = BearerCapability.decode(contents)
        case IEId.CAUSE:
            values["cause"] = Cause.decode(contents)
        case IEId.CALL_STATE:
            values["call_state"] = decode_call_state(contents)
        case IEId.CHANNEL_ID:
            values["channel"] = ChannelId.decode(contents)
        case IEId.PROGRESS_INDICATOR:
            progress.append(ProgressIndicator.decode(contents))
        case IEId.NOTIFICATION_INDICATOR:
            values["notification"] = decode_notification(contents)
        case IEId.DISPLAY:
            values["display"] = decode_display(contents)
        case IEId.CONNECTED_NUMBER:
            values["connected"] = PartyNumber.decode(contents, with_presentation=True)
        case IEId.CALLING_NUMBER:
            values["calling"] = PartyNumber.decode(contents, with_presentation=True)
        case IEId.CALLED_NUMBER:
            values["called"] = PartyNumber.decode(contents, with_presentation=False)
        case IEId.RESTART_INDICATOR:
            values["restart"] = decode_restart(contents)
        case IEId.SENDING_COMPLETE:
            values["sending_complete"] = True
        case _:
            pass  # known to exist, not used by this endpoint
