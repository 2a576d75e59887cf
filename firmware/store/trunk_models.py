"""Configuration of E1 spans, DID routes, trunk groups and outbound routes, with validators.

Like :mod:`firmware.store.models`, every front end turns raw values into these
models here, so a bad value gets the same error, naming the same field, in the
web UI, the REST API and the console.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from firmware.store.models import ConfigError, _flag, _text, _whole
from hal.span import MAX_LINE_BUILD_OUT, Framing, LineCode

SPAN_NAME = re.compile(r"span[1-9][0-9]?")
FXO_NAME = re.compile(r"fxo[1-9][0-9]{0,2}")
_DIGITS = re.compile(r"[0-9]{1,20}")
_PREFIX = re.compile(r"[0-9]{0,15}")
ANY_DID = "*"
MAX_CLOCK_PRIORITY = 99


class SpanRole(enum.StrEnum):
    """Which side of the ISDN interface the box plays on a span.

    TE (user side) faces an operator's exchange; NT (network side) makes the box
    the network for an older PBX plugged into it.
    """

    TE = "te"
    NT = "nt"


class Presentation(enum.StrEnum):
    """Whether the far end may show the calling number to the person called."""

    ALLOWED = "allowed"
    RESTRICTED = "restricted"


class DidDestinationKind(enum.StrEnum):
    """Where a DID route sends a call."""

    IVR = "ivr"
    QUEUE = "queue"
    EXTENSION = "extension"


@dataclass(frozen=True)
class SpanConfig:
    """One E1 span as the technician set it up."""

    id: int | None
    name: str
    role: SpanRole = SpanRole.TE
    framing: Framing = Framing.CCS
    crc4: bool = True
    line_code: LineCode = LineCode.HDB3
    clock_priority: int = 1
    line_build_out: int = 0

    @property
    def number(self) -> int:
        return int(self.name.removeprefix("span"))


@dataclass(frozen=True)
class DidRoute:
    """Calls to ``did`` go to ``destination`` ("ivr:<flow>", "queue:<queue>", "extension:<n>").

    The DID "*" catches every number no other route names.
    """

    id: int | None
    did: str
    destination: str


@dataclass(frozen=True)
class TrunkGroup:
    """Trunks (E1 spans, FXO lines) an outbound call tries, in this order."""

    id: int | None
    name: str
    members: tuple[str, ...]


@dataclass(frozen=True)
class OutboundRoute:
    """Numbers starting with ``prefix`` go out through ``trunk_group``.

    ``strip`` leading digits are removed and ``prepend`` put in front before
    dialling; the far end is shown ``calling_number`` (None: the trunk's own
    number), or nothing when ``restricted``.
    """

    id: int | None
    prefix: str
    trunk_group: str
    strip: int = 0
    prepend: str = ""
    calling_number: str | None = None
    restricted: bool = False

    @property
    def presentation(self) -> Presentation:
        return Presentation.RESTRICTED if self.restricted else Presentation.ALLOWED


@dataclass(frozen=True)
class TrunkConfig:
    """Everything the daemon needs for spans and their routes, read in one go."""

    spans: tuple[SpanConfig, ...] = ()
    did_routes: tuple[DidRoute, ...] = ()
    trunk_groups: tuple[TrunkGroup, ...] = ()
    outbound_routes: tuple[OutboundRoute, ...] = ()


def _choice(raw: object, field: str, kind: type[enum.StrEnum], default: enum.StrEnum) -> Any:
    if raw is None:
        return default
    value = raw.strip().lower() if isinstance(raw, str) else raw
    try:
        return kind(value)
    except ValueError:
        allowed = ", ".join(member.value for member in kind)
        raise ConfigError(field, f"must be one of {allowed}") from None


def _digits(raw: object, field: str, pattern: re.Pattern[str], what: str) -> str:
    if isinstance(raw, int) and not isinstance(raw, bool):
        raw = str(raw)
    if not isinstance(raw, str) or not pattern.fullmatch(raw.strip()):
        raise ConfigError(field, what)
    return raw.strip()


def validate_span(data: Mapping[str, Any], span_names: Collection[str] | None) -> SpanConfig:
    """A span's set-up from raw values; ``span_names`` are the card's spans when known."""
    raw_name = data.get("name")
    name = raw_name.strip().lower() if isinstance(raw_name, str) else raw_name
    if not isinstance(name, str) or not SPAN_NAME.fullmatch(name):
        raise ConfigError("name", "must be a span name such as span1")
    if span_names is not None and name not in span_names:
        known = ", ".join(sorted(span_names)) or "none"
        raise ConfigError("name", f"{name} is not a span of this card; its spans are: {known}")
    return SpanConfig(
        id=None,
        name=name,
        role=_choice(data.get("role"), "role", SpanRole, SpanRole.TE),
        framing=_choice(data.get("framing"), "framing", Framing, Framing.CCS),
        crc4=_flag(data.get("crc4"), "crc4", True),
        line_code=_choice(data.get("line_code"), "line_code", LineCode, LineCode.HDB3),
        clock_priority=_whole(
            data.get("clock_priority"), "clock_priority", 0, MAX_CLOCK_PRIORITY, 1
        ),
        line_build_out=_whole(
            data.get("line_build_out"), "line_build_out", 0, MAX_LINE_BUILD_OUT, 0
        ),
    )


def validate_did_route(
    data: Mapping[str, Any],
    flow_names: Collection[str],
    queue_names: Collection[str],
    extensions: Collection[str],
) -> DidRoute:
    """A DID route from raw values: a called number (or "*") to a destination."""
    raw_did = data.get("did")
    if raw_did is None or (isinstance(raw_did, str) and not raw_did.strip()):
        raise ConfigError("did", "is required")
    if isinstance(raw_did, str) and raw_did.strip() == ANY_DID:
        did = ANY_DID
    else:
        did = _digits(raw_did, "did", _DIGITS, "must be 1 to 20 digits, or * for any number")
    raw = data.get("destination")
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        raise ConfigError("destination", "is required")
    shape = "must be ivr:<flow name>, queue:<queue name> or extension:<number>"
    if not isinstance(raw, str):
        raise ConfigError("destination", shape)
    kind_text, colon, target = raw.strip().partition(":")
    target = target.strip()
    if not colon or not target or kind_text not in {k.value for k in DidDestinationKind}:
        raise ConfigError("destination", shape)
    kind = DidDestinationKind(kind_text)
    known: dict[DidDestinationKind, tuple[Collection[str], str]] = {
        DidDestinationKind.IVR: (flow_names, "no IVR flow named"),
        DidDestinationKind.QUEUE: (queue_names, "no queue named"),
        DidDestinationKind.EXTENSION: (extensions, "no agent has extension"),
    }
    names, problem = known[kind]
    if target not in names:
        raise ConfigError("destination", f"{problem} {target!r}")
    return DidRoute(None, did, f"{kind.value}:{target}")


def _members(raw: object) -> list[object]:
    if raw is None:
        return []
    if isinstance(raw, str):
        return [part for part in re.split(r"[\s,]+", raw) if part]
    if isinstance(raw, Sequence) and not isinstance(raw, bytes):
        return list(raw)
    raise ConfigError("members", "must be a list of trunk names such as span1, fxo1")


def validate_trunk_group(data: Mapping[str, Any], trunks: Collection[str] | None) -> TrunkGroup:
    """A trunk group from raw values; ``trunks`` are the spans and FXO lines of the card."""
    name = _text(data.get("name"), "name")
    members: list[str] = []
    for index, raw in enumerate(_members(data.get("members"))):
        field = f"members[{index}]"
        member = raw.strip().lower() if isinstance(raw, str) else None
        if member is None or not (SPAN_NAME.fullmatch(member) or FXO_NAME.fullmatch(member)):
            raise ConfigError(field, "must be a span (span1) or an FXO line (fxo1)")
        if trunks is not None and member not in trunks:
            known = ", ".join(sorted(trunks)) or "none"
            raise ConfigError(field, f"{member} is not on this card; its trunks are: {known}")
        if member in members:
            raise ConfigError(field, f"{member} is listed twice")
        members.append(member)
    if not members:
        raise ConfigError("members", "a trunk group needs at least one trunk")
    return TrunkGroup(None, name, tuple(members))


def validate_outbound_route(data: Mapping[str, Any], group_names: Collection[str]) -> OutboundRoute:
    """An outbound route from raw values; an empty prefix matches every number."""
    raw_prefix = data.get("prefix")
    prefix = "" if raw_prefix is None else _digits(
        raw_prefix, "prefix", _PREFIX, "must be up to 15 digits (empty: any number)"
    )
    group = _text(data.get("trunk_group"), "trunk_group")
    if group not in group_names:
        raise ConfigError("trunk_group", f"no trunk group named {group!r}")
    strip = _whole(data.get("strip"), "strip", 0, 15, 0)
    raw_prepend = data.get("prepend")
    prepend = "" if raw_prepend in (None, "") else _digits(
        raw_prepend, "prepend", _PREFIX, "must be up to 15 digits"
    )
    raw_calling = data.get("calling_number")
    calling = None if raw_calling in (None, "") else _digits(
        raw_calling, "calling_number", _DIGITS, "must be 1 to 20 digits, or empty"
    )
    presentation = _choice(
        data.get("presentation"), "presentation", Presentation, Presentation.ALLOWED
    )
    return OutboundRoute(
        None, prefix, group, strip, prepend, calling, presentation is Presentation.RESTRICTED
    )
