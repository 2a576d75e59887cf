"""Random durations of the simulated world: talk times, patience, answer delays.

Every distribution is given by the figures a manager knows (a mean, a standard
deviation, a range) rather than by a textbook parametrisation, and draws whole
batches from a numpy Generator so one seed reproduces a whole run.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from firmware.simulator.errors import ScenarioError

# No simulated duration is longer than a year; larger figures are typing mistakes.
_LONGEST = 366 * 86400.0
# A gamma shape beyond this is a fixed duration in all but name.
_LARGEST_SHAPE = 1e6


class Kind(enum.StrEnum):
    """The distributions a scenario can name."""

    EXPONENTIAL = "exponential"
    UNIFORM = "uniform"
    LOGNORMAL = "lognormal"
    GAMMA = "gamma"
    FIXED = "fixed"


@dataclass(frozen=True)
class Distribution:
    """A distribution of durations in seconds.

    ``a`` and ``b`` are the figures the scenario gave: exponential (mean, -),
    uniform (min, max), lognormal (mean, sd), gamma (mean, shape), fixed
    (value, -). Build one with :func:`parse_distribution` or the class
    methods, which check them.
    """

    kind: Kind
    a: float
    b: float = 0.0

    @classmethod
    def exponential(cls, mean: float) -> Distribution:
        return parse_distribution({"dist": "exponential", "mean": mean}, "distribution")

    @classmethod
    def uniform(cls, low: float, high: float) -> Distribution:
        return parse_distribution({"dist": "uniform", "min": low, "max": high}, "distribution")

    @classmethod
    def lognormal(cls, mean: float, sd: float) -> Distribution:
        return parse_distribution({"dist": "lognormal", "mean": mean, "sd": sd}, "distribution")

    @classmethod
    def gamma(cls, mean: float, shape: float) -> Distribution:
        return parse_distribution({"dist": "gamma", "mean": mean, "shape": shape}, "distribution")

    @classmethod
    def fixed(cls, value: float) -> Distribution:
        return parse_distribution({"dist": "fixed", "value": value}, "distribution")

    @property
    def mean(self) -> float:
        """The expected value, which Erlang C and the capacity page need."""
        if self.kind is Kind.UNIFORM:
            return (self.a + self.b) / 2
        return self.a

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        """``size`` independent durations (float64 seconds, never negative)."""
        if self.kind is Kind.EXPONENTIAL:
            return rng.exponential(self.a, size)
        if self.kind is Kind.UNIFORM:
            return rng.uniform(self.a, self.b, size)
        if self.kind is Kind.LOGNORMAL:
            # The normal's parameters from the lognormal's own mean and sd:
            # sigma^2 = ln(1 + sd^2/mean^2), mu = ln(mean) - sigma^2/2.
            sigma2 = math.log1p((self.b / self.a) ** 2)
            return rng.lognormal(math.log(self.a) - sigma2 / 2, math.sqrt(sigma2), size)
        if self.kind is Kind.GAMMA:
            return rng.gamma(self.b, self.a / self.b, size)
        return np.full(size, self.a)


class SampleStream:
    """Draws from one distribution one at a time, fetched from numpy in blocks.

    Used where the number of draws is not known in advance (one answer delay
    per ring); the block keeps numpy's per-call cost off every ring while the
    sequence stays fixed by the seed.
    """

    def __init__(self, distribution: Distribution, rng: np.random.Generator, block: int = 256):
        self._distribution = distribution
        self._rng = rng
        self._block = block
        self._values: list[float] = []
        self._next = 0

    def draw(self) -> float:
        if self._next == len(self._values):
            self._values = self._distribution.sample(self._rng, self._block).tolist()
            self._next = 0
        value = self._values[self._next]
        self._next += 1
        return value


# The parameters each distribution takes, in the order of Distribution.a, .b.
_PARAMETERS: dict[Kind, tuple[str, ...]] = {
    Kind.EXPONENTIAL: ("mean",),
    Kind.UNIFORM: ("min", "max"),
    Kind.LOGNORMAL: ("mean", "sd"),
    Kind.GAMMA: ("mean", "shape"),
    Kind.FIXED: ("value",),
}
_EXAMPLE = "a distribution such as {dist: exponential, mean: 180}"


def parse_distribution(raw: object, path: str) -> Distribution:
    """A distribution from its scenario mapping; errors name ``path`` and the field."""
    if not isinstance(raw, Mapping):
        raise ScenarioError(path, f"must be {_EXAMPLE}")
    kind_raw = raw.get("dist")
    if kind_raw is None:
        raise ScenarioError(f"{path}.dist", "is required")
    try:
        kind = Kind(kind_raw) if isinstance(kind_raw, str) else None
    except ValueError:
        kind = None
    if kind is None:
        allowed = ", ".join(k.value for k in Kind)
        raise ScenarioError(f"{path}.dist", f"must be one of {allowed}")
    names = _PARAMETERS[kind]
    for key in raw:
        if key != "dist" and key not in names:
            raise ScenarioError(
                f"{path}.{key}", f"is not a parameter of the {kind.value} distribution"
            )
    values = {name: raw.get(name) for name in names}
    for name, value in values.items():
        if value is None:
            raise ScenarioError(f"{path}.{name}", "is required")
    if kind is Kind.UNIFORM:
        low = seconds_value(values["min"], f"{path}.min", positive=False)
        high = seconds_value(values["max"], f"{path}.max", positive=False)
        if high < low:
            raise ScenarioError(f"{path}.max", "must not be less than min")
        return Distribution(kind, low, high)
    if kind is Kind.FIXED:
        return Distribution(kind, seconds_value(values["value"], f"{path}.value", positive=False))
    mean = seconds_value(values["mean"], f"{path}.mean", positive=True)
    if kind is Kind.EXPONENTIAL:
        return Distribution(kind, mean)
    if kind is Kind.LOGNORMAL:
        return Distribution(kind, mean, seconds_value(values["sd"], f"{path}.sd", positive=True))
    shape = values["shape"]
    if (
        isinstance(shape, bool)
        or not isinstance(shape, int | float)
        or not 0 < shape <= _LARGEST_SHAPE
    ):
        raise ScenarioError(
            f"{path}.shape", f"must be a number above 0, at most {_LARGEST_SHAPE:g}"
        )
    return Distribution(kind, mean, float(shape))


def seconds_value(raw: Any, path: str, positive: bool) -> float:
    """A finite number of seconds: above zero, or zero or more when not ``positive``."""
    problem = "must be a positive number" if positive else "must be a number of zero or more"
    if isinstance(raw, bool) or not isinstance(raw, int | float):
        raise ScenarioError(path, problem)
    value = float(raw)
    if not math.isfinite(value) or value < 0 or (positive and value == 0):
        raise ScenarioError(path, problem)
    if value > _LONGEST:
        raise ScenarioError(path, f"must be at most {_LONGEST:.0f} seconds")
    return value
