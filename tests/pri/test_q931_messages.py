"""Q.931 information elements and messages, octet by octet."""

from __future__ import annotations

import pytest

from firmware.signaling.q931.ies import (
    BearerCapability,
    Cause,
    ChannelId,
    ChannelSelection,
    IEContentError,
    IEId,
    Location,
    NumberingPlan,
    PartyNumber,
    Presentation,
    ProgressIndicator,
    RestartClass,
    Screening,
    TypeOfNumber,
)
from firmware.signaling.q931.messages import (
    Fields,
    MessageIgnored,
    MessageType,
    Problem,
    decode_message,
    encode_message,
)


def test_speech_alaw_bearer_capability_octets() -> None:
    assert BearerCapability().encode() == bytes.fromhex("8090a3")
    assert BearerCapability.decode(bytes.fromhex("8090a3")) == BearerCapability()


def test_exclusive_channel_identification_of_time_slot_17() -> None:
    assert ChannelId((17,)).encode() == bytes.fromhex("a98391")
    decoded = ChannelId.decode(bytes.fromhex("a18385"))
    assert decoded == ChannelId((5,), exclusive=False)
    assert ChannelId.decode(bytes.fromhex("a3")).selection is ChannelSelection.ANY


@pytest.mark.parametrize(
    "octets",
    ["89", "ad8381", "a98385ff", "a99381", "a9"],
    ids=["basic rate", "D-channel", "bad extension", "slot map", "no channel octets"],
)
def test_badly_coded_channel_identification_is_a_content_error(octets: str) -> None:
    with pytest.raises(IEContentError):
        ChannelId.decode(bytes.fromhex(octets))


def test_calling_number_carries_presentation_and_screening_in_octet_3a() -> None:
    number = PartyNumber(
        "5551234",
        TypeOfNumber.NATIONAL,
        NumberingPlan.ISDN,
        Presentation.RESTRICTED,
        Screening.NETWORK_PROVIDED,
    )
    octets = number.encode(with_presentation=True)
    assert octets == bytes.fromhex("21a3") + b"5551234"
    assert PartyNumber.decode(octets, with_presentation=True) == number


def test_called_number_has_type_and_plan_only() -> None:
    number = PartyNumber("100", TypeOfNumber.SUBSCRIBER, NumberingPlan.ISDN)
    assert number.encode(with_presentation=False) == bytes.fromhex("c1") + b"100"
    with pytest.raises(IEContentError):
        PartyNumber.decode(bytes.fromhex("41a3") + b"1", with_presentation=False)


def test_cause_with_diagnostic_and_with_recommendation_octet() -> None:
    assert Cause(96, Location.USER, b"\x04").encode() == bytes.fromhex("80e004")
    assert Cause.decode(bytes.fromhex("028090")) == Cause(16, Location.PUBLIC_LOCAL)


def test_progress_indicator_in_band_information() -> None:
    assert ProgressIndicator(8, Location.PUBLIC_LOCAL).encode() == bytes.fromhex("8288")


def test_setup_encodes_in_ascending_identifier_order() -> None:
    fields = Fields(
        bearer=BearerCapability(),
        channel=ChannelId((1,)),
        calling=PartyNumber(
            "5551234", presentation=Presentation.ALLOWED, screening=Screening.USER_NOT_SCREENED
        ),
        called=PartyNumber("100"),
        sending_complete=True,
    )
    data = encode_message(MessageType.SETUP, 1, False, fields)
    assert data == bytes.fromhex(
        "080200010504038090a31803a983816c09018035353531323334700481313030a1"
    )
    msg = decode_message(data)
    assert msg.known_type is MessageType.SETUP and msg.call_ref == 1 and not msg.flag
    assert msg.fields == fields and msg.problems == ()


def test_restart_message_on_the_global_call_reference() -> None:
    data = encode_message(
        MessageType.RESTART, 0, False, Fields(restart=RestartClass.ALL_INTERFACES)
    )
    assert data == bytes.fromhex("0802000046790187")
    assert decode_message(data).is_global


@pytest.mark.parametrize(
    "octets",
    ["09020001 05", "08", "0812000105", "0801 0105", "08020001"],
    ids=["protocol discriminator", "too short", "length bits 5-8", "1-octet ref", "no type"],
)
def test_messages_that_5_8_says_to_ignore(octets: str) -> None:
    with pytest.raises(MessageIgnored):
        decode_message(bytes.fromhex(octets.replace(" ", "")))


def test_problems_are_recorded_not_raised() -> None:
    msg = decode_message(
        bytes.fromhex("08020001 05 0101ff 1803 a98390 7b0100 0402 80".replace(" ", ""))
    )
    kinds = {(p.identifier, p.problem) for p in msg.problems}
    assert (0x01, Problem.COMPREHENSION) in kinds
    assert (0x7B, Problem.UNRECOGNIZED) in kinds
    assert (IEId.BEARER_CAPABILITY, Problem.CONTENT) in kinds  # truncated at the end
    assert msg.fields.channel == ChannelId((16,))


def test_missing_mandatory_element_is_reported() -> None:
    msg = decode_message(bytes.fromhex("0802000145"))
    assert [(p.identifier, p.problem) for p in msg.problems] == [(IEId.CAUSE, Problem.MISSING)]


def test_elements_of_other_codesets_are_skipped() -> None:
    # Locking shift to codeset 6, then an element 0x01 that would otherwise need comprehension.
    msg = decode_message(bytes.fromhex("08020001450802809096010100"))
    assert msg.problems == () and msg.fields.cause == Cause(16)


def test_repeated_element_keeps_the_first() -> None:
    msg = decode_message(bytes.fromhex("080200014508028090080280a2"))
    assert msg.fields.cause == Cause(16)
