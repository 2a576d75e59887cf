"""The dial plan of the box's phones: what a number dialled on an FXS phone reaches.

A phone has no "send" key, so the box must know when a number is complete: as soon
as it can be nothing else, the call goes ahead; while it could still grow, the
phone's interdigit timeout (or ``#``) ends it. Numbers are, in order of
precedence:

* emergency numbers of the box's country (112 everywhere in Europe, 999 too in the
  UK, 911 in the US), complete the moment they are dialled, with or without the
  outside-line prefix, and always reaching an exchange line (an extension that
  begins with one is refused, as it could never be dialled);
* the extensions of the configured agents (2 to 6 digits);
* the paging extension (``*80`` unless configured), when the box has a line-out;
* the outside-line prefix (``0`` unless configured) followed by a public number;
  where national numbers have a fixed length (Poland 9 digits, France 10…) the
  number is complete when it has that many digits, otherwise at the timeout.

Anything that cannot become one of these is INVALID at once, so the caller hears
that the number is unobtainable without waiting for the timeout.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping
from dataclasses import dataclass

_DIGITS = re.compile(r"[0-9*#]*")

# Emergency numbers by country (EU: Directive 2018/1972 art. 109, 112 everywhere;
# UK: 999 and 112; US: 911).
EMERGENCY_NUMBERS: dict[str, tuple[str, ...]] = {
    "PL": ("112", "997", "998", "999"),
    "DE": ("112", "110"),
    "FR": ("112",),
    "UK": ("999", "112"),
    "IT": ("112", "113", "115", "118"),
    "ES": ("112", "091"),
    "NL": ("112",),
    "US": ("911",),
}
DEFAULT_EMERGENCY = ("112",)

# National significant numbers of fixed length, dialled after the outside prefix
# (ITU-T E.164 national plans): the number is complete at this many digits unless
# it starts with an international or trunk prefix, whose length varies.
NATIONAL_LENGTH: dict[str, int] = {"PL": 9, "ES": 9, "FR": 10, "NL": 10, "US": 10}
# Poland and Spain have no trunk prefix, so a 0 after the outside prefix begins an
# international number; France and the Netherlands count their trunk 0 in the 10.
_VARIABLE_STARTS: dict[str, tuple[str, ...]] = {
    "PL": ("0",),
    "ES": ("0",),
    "FR": ("00",),
    "NL": ("00",),
    "US": ("011", "1"),
}


class DialPlanError(ValueError):
    """A dial plan that cannot work (an extension that clashes with the prefix)."""


class PagingExtensionError(DialPlanError):
    """The paging extension clashes with another number of the plan."""


class NumberKind(enum.Enum):
    """What a dialled number is, as far as the plan can tell yet."""

    INCOMPLETE = "incomplete"  # could still become something: keep collecting
    EXTENSION = "extension"
    PAGING = "paging"  # the overhead paging extension
    OUTSIDE = "outside"
    EMERGENCY = "emergency"
    INVALID = "invalid"


@dataclass(frozen=True)
class DialResult:
    """The plan's reading of a dialled number.

    ``target`` is the extension for EXTENSION and the number to send to the
    exchange (prefix removed) for OUTSIDE and EMERGENCY.
    """

    kind: NumberKind
    target: str = ""

    @property
    def complete(self) -> bool:
        return self.kind is not NumberKind.INCOMPLETE


class DialPlan:
    """The numbers a phone on this box can dial; pure and immutable once built."""

    def __init__(
        self,
        extensions: Mapping[str, str],
        *,
        outside_prefix: str | None = "0",
        country: str = "PL",
        paging: str | None = None,
    ) -> None:
        self.extensions = dict(extensions)
        self.paging = paging or None
        self.outside_prefix = outside_prefix or None
        self.country = country.upper()
        self.emergency = EMERGENCY_NUMBERS.get(self.country, DEFAULT_EMERGENCY)
        for extension in self.extensions:
            taken = [n for n in self.emergency if extension.startswith(n)]
            if taken:
                raise DialPlanError(
                    f"extension {extension} begins with the emergency number {taken[0]}; "
                    "it could never be reached"
                )
        prefix = self.outside_prefix
        if prefix is not None:
            if not prefix.isdigit():
                raise DialPlanError(f"the outside prefix must be digits, not {prefix!r}")
            clash = sorted(e for e in self.extensions if e.startswith(prefix))
            if clash:
                raise DialPlanError(
                    f"extension {clash[0]} begins with the outside prefix {prefix}; "
                    "change one of them"
                )
        if self.paging is not None:
            self._check_paging(self.paging)

    def _check_paging(self, paging: str) -> None:
        if not paging or "#" in paging or not _DIGITS.fullmatch(paging):
            raise PagingExtensionError(
                f"the paging extension must be digits or '*', not {paging!r}"
            )
        if paging in self.extensions:
            raise PagingExtensionError(
                f"the paging extension {paging} is also an agent's extension"
            )
        taken = [n for n in self.emergency if paging.startswith(n)]
        if taken:
            raise PagingExtensionError(
                f"the paging extension {paging} begins with the emergency number {taken[0]}"
            )
        prefix = self.outside_prefix
        if prefix is not None and paging.startswith(prefix):
            raise PagingExtensionError(
                f"the paging extension {paging} begins with the outside prefix {prefix}"
            )

    def __repr__(self) -> str:
        return (
            f"DialPlan({len(self.extensions)} extensions, prefix {self.outside_prefix!r}, "
            f"{self.country})"
        )

    def classify(self, digits: str, *, timed_out: bool = False) -> DialResult:
        """Read ``digits``; with ``timed_out`` (or ``#``) the caller has finished dialling."""
        if not _DIGITS.fullmatch(digits):
            return DialResult(NumberKind.INVALID)
        if not digits:
            return DialResult(NumberKind.INVALID if timed_out else NumberKind.INCOMPLETE)
        candidates = self._candidates(digits)
        exact = [c for c in candidates if c.complete]
        growing = [c for c in candidates if not c.complete]
        if exact and (exact[0].kind is NumberKind.EMERGENCY or timed_out or not growing):
            return exact[0]
        if growing and not timed_out:
            return DialResult(NumberKind.INCOMPLETE)
        if timed_out:
            outside = self._outside_on_timeout(digits)
            if outside is not None:
                return outside
        return DialResult(NumberKind.INVALID)

    def is_complete(self, digits: str) -> bool:
        """Whether dialling can stop now: the predicate the FXS machine asks after each digit."""
        return self.classify(digits).complete

    # -- inside --------------------------------------------------------------------

    def _candidates(self, digits: str) -> list[DialResult]:
        """Every reading of ``digits``: complete ones, and INCOMPLETE for each that may grow."""
        out: list[DialResult] = []
        prefix = self.outside_prefix or ""
        for number in self.emergency:
            for dialled in {number, prefix + number}:
                if dialled == digits:
                    out.append(DialResult(NumberKind.EMERGENCY, number))
                elif dialled.startswith(digits):
                    out.append(DialResult(NumberKind.INCOMPLETE))
        for extension in self.extensions:
            if extension == digits:
                out.append(DialResult(NumberKind.EXTENSION, extension))
            elif extension.startswith(digits):
                out.append(DialResult(NumberKind.INCOMPLETE))
        if self.paging is not None:
            if self.paging == digits:
                out.append(DialResult(NumberKind.PAGING, digits))
            elif self.paging.startswith(digits):
                out.append(DialResult(NumberKind.INCOMPLETE))
        if self.outside_prefix is not None:
            if prefix.startswith(digits):
                out.append(DialResult(NumberKind.INCOMPLETE))
            elif digits.startswith(prefix):
                number = digits[len(prefix):]
                length = self._fixed_length(number)
                if length is not None and len(number) >= length:
                    out.append(DialResult(NumberKind.OUTSIDE, number[:length]))
                elif "*" not in number and "#" not in number:
                    out.append(DialResult(NumberKind.INCOMPLETE))
        # Emergency numbers win over anything else that is complete.
        out.sort(key=lambda r: r.kind is not NumberKind.EMERGENCY)
        return out

    def _fixed_length(self, number: str) -> int | None:
        length = NATIONAL_LENGTH.get(self.country)
        if length is None:
            return None
        if any(number.startswith(s) for s in _VARIABLE_STARTS.get(self.country, ())):
            return None
        return length

    def _outside_on_timeout(self, digits: str) -> DialResult | None:
        prefix = self.outside_prefix
        if prefix is None or not digits.startswith(prefix):
            return None
        number = digits[len(prefix):]
        if not number or not number.isdigit():
            return None
        return DialResult(NumberKind.OUTSIDE, number)
