"""Each distribution draws what the scenario says, and refuses what it cannot mean."""

import math

import numpy as np
import pytest

from firmware.simulator.distributions import Distribution, SampleStream, parse_distribution
from firmware.simulator.errors import ScenarioError

DRAWS = 200_000


def draws(spec):
    return parse_distribution(spec, "x").sample(np.random.default_rng(11), DRAWS)


# (scenario mapping, true mean, true standard deviation)
CASES = [
    ({"dist": "exponential", "mean": 180}, 180.0, 180.0),
    ({"dist": "uniform", "min": 30, "max": 90}, 60.0, 60 / math.sqrt(12)),
    ({"dist": "lognormal", "mean": 200, "sd": 120}, 200.0, 120.0),
    ({"dist": "gamma", "mean": 150, "shape": 2.5}, 150.0, 150 / math.sqrt(2.5)),
    ({"dist": "fixed", "value": 42}, 42.0, 0.0),
]


@pytest.mark.parametrize("spec, mean, sd", CASES, ids=[c[0]["dist"] for c in CASES])
def test_sample_mean_is_within_five_standard_errors_of_the_stated_mean(spec, mean, sd):
    values = draws(spec)
    assert abs(values.mean() - mean) <= 5 * sd / math.sqrt(DRAWS) + 1e-9
    assert parse_distribution(spec, "x").mean == mean


@pytest.mark.parametrize("spec, mean, sd", CASES, ids=[c[0]["dist"] for c in CASES])
def test_sample_spread_matches_the_distribution(spec, mean, sd):
    values = draws(spec)
    assert values.min() >= 0
    assert values.std() == pytest.approx(sd, rel=0.03, abs=1e-9)


def test_uniform_stays_within_its_bounds():
    values = draws({"dist": "uniform", "min": 30, "max": 90})
    assert values.min() >= 30 and values.max() <= 90


def test_same_generator_seed_gives_the_same_draws():
    spec = Distribution.gamma(100.0, 2.0)
    first = spec.sample(np.random.default_rng(5), 1000)
    again = spec.sample(np.random.default_rng(5), 1000)
    assert np.array_equal(first, again)


def test_sample_stream_hands_out_the_same_sequence_as_consecutive_batches():
    spec = Distribution.exponential(10.0)
    stream = SampleStream(spec, np.random.default_rng(3), block=7)
    one_by_one = [stream.draw() for _ in range(21)]
    rng = np.random.default_rng(3)
    batches = np.concatenate([spec.sample(rng, 7) for _ in range(3)])
    assert one_by_one == batches.tolist()


@pytest.mark.parametrize(
    "spec, path, message",
    [
        ({"dist": "exponential", "mean": -5}, "x.mean", "must be a positive number"),
        ({"dist": "exponential", "mean": 0}, "x.mean", "must be a positive number"),
        ({"dist": "exponential", "mean": "3m"}, "x.mean", "must be a positive number"),
        ({"dist": "exponential", "mean": True}, "x.mean", "must be a positive number"),
        ({"dist": "exponential"}, "x.mean", "is required"),
        ({"dist": "exponential", "mean": 5, "sd": 1}, "x.sd", "is not a parameter"),
        ({"dist": "weibull", "mean": 5}, "x.dist", "must be one of exponential, uniform"),
        ({"mean": 5}, "x.dist", "is required"),
        ({"dist": "uniform", "min": 50, "max": 10}, "x.max", "must not be less than min"),
        ({"dist": "uniform", "min": -1, "max": 10}, "x.min", "zero or more"),
        ({"dist": "lognormal", "mean": 100, "sd": 0}, "x.sd", "must be a positive number"),
        ({"dist": "gamma", "mean": 100, "shape": -2}, "x.shape", "above 0"),
        ({"dist": "fixed", "value": float("inf")}, "x.value", "zero or more"),
        (180, "x", "must be a distribution such as"),
    ],
)
def test_bad_distribution_is_refused_with_the_field_path(spec, path, message):
    with pytest.raises(ScenarioError) as caught:
        parse_distribution(spec, "x")
    assert caught.value.field == path
    assert message in caught.value.message
