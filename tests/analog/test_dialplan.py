"""The dial plan knows when a number dialled on a phone is complete, and what it reaches."""

from __future__ import annotations

import pytest

from firmware.calls.dialplan import DialPlan, DialPlanError, DialResult, NumberKind

PLAN = DialPlan({"101": "fxs1", "102": "fxs2", "2001": "fxs3"}, outside_prefix="0", country="PL")


@pytest.mark.parametrize(
    ("digits", "expected"),
    [
        ("1", DialResult(NumberKind.INCOMPLETE)),
        ("10", DialResult(NumberKind.INCOMPLETE)),
        ("101", DialResult(NumberKind.EXTENSION, "101")),
        ("2001", DialResult(NumberKind.EXTENSION, "2001")),
        ("0", DialResult(NumberKind.INCOMPLETE)),
        ("022600112", DialResult(NumberKind.INCOMPLETE)),
        ("0226001122", DialResult(NumberKind.OUTSIDE, "226001122")),
        ("112", DialResult(NumberKind.EMERGENCY, "112")),
        ("0112", DialResult(NumberKind.EMERGENCY, "112")),
        ("999", DialResult(NumberKind.EMERGENCY, "999")),
        ("5", DialResult(NumberKind.INVALID)),
        ("103", DialResult(NumberKind.INVALID)),
        ("1*", DialResult(NumberKind.INVALID)),
    ],
)
def test_dial_plan_reads_each_number_as_it_is_dialled(digits, expected):
    assert PLAN.classify(digits) == expected
    assert PLAN.is_complete(digits) is expected.complete


def test_international_numbers_wait_for_the_interdigit_timeout():
    assert PLAN.classify("00420123456789") == DialResult(NumberKind.INCOMPLETE)
    assert PLAN.classify("00420123456789", timed_out=True) == DialResult(
        NumberKind.OUTSIDE, "0420123456789"
    )


def test_a_partial_extension_at_the_timeout_is_invalid():
    assert PLAN.classify("10", timed_out=True).kind is NumberKind.INVALID
    assert PLAN.classify("", timed_out=True).kind is NumberKind.INVALID


def test_an_extension_that_prefixes_a_longer_one_waits_for_the_timeout():
    plan = DialPlan({"20": "fxs1", "201": "fxs2"}, country="PL")
    assert plan.classify("20").kind is NumberKind.INCOMPLETE
    assert plan.classify("20", timed_out=True) == DialResult(NumberKind.EXTENSION, "20")
    assert plan.classify("201") == DialResult(NumberKind.EXTENSION, "201")


@pytest.mark.parametrize(
    ("country", "number", "kind"),
    [
        ("US", "911", NumberKind.EMERGENCY),
        ("US", "112", NumberKind.INVALID),
        ("UK", "999", NumberKind.EMERGENCY),
        ("UK", "112", NumberKind.EMERGENCY),
        ("DE", "112", NumberKind.EMERGENCY),
    ],
)
def test_emergency_numbers_follow_the_country(country, number, kind):
    plan = DialPlan({"201": "fxs1"}, outside_prefix="9", country=country)
    assert plan.classify(number).kind is kind


def test_national_numbers_of_fixed_length_complete_by_country():
    us = DialPlan({}, outside_prefix="9", country="US")
    assert us.classify("92125550100") == DialResult(NumberKind.OUTSIDE, "2125550100")
    assert us.classify("912125550100").kind is NumberKind.INCOMPLETE  # 1 + area code
    de = DialPlan({}, outside_prefix="0", country="DE")
    assert de.classify("0301234567").kind is NumberKind.INCOMPLETE  # variable length


def test_an_extension_clashing_with_the_prefix_or_an_emergency_number_is_refused():
    with pytest.raises(DialPlanError, match="outside prefix"):
        DialPlan({"05": "fxs1"}, outside_prefix="0")
    with pytest.raises(DialPlanError, match="emergency number 112"):
        DialPlan({"1120": "fxs1"})


def test_without_an_outside_prefix_only_extensions_and_emergencies_are_numbers():
    plan = DialPlan({"101": "fxs1"}, outside_prefix=None)
    assert plan.classify("0226001122", timed_out=True).kind is NumberKind.INVALID
    assert plan.classify("112").kind is NumberKind.EMERGENCY
