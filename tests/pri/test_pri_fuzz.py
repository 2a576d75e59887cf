"""Random and mutated frames from the line never raise out of the protocol machines."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pri_support import Cable

from firmware.pri.dchannel import DChannel
from firmware.signaling.q921 import DataLink, Side
from firmware.signaling.q931 import Q931Endpoint, SetupRequest
from firmware.signaling.q931.events import IncomingCall
from firmware.signaling.q931.ies import PartyNumber

SIDES = st.sampled_from([Side.USER, Side.NETWORK])

# Real traffic to mutate: frames of a call set up and cleared, and its Q.931 messages.
_SAMPLE = Cable()
_SAMPLE_FRAMES: list[bytes] = []
_SAMPLE.drop = lambda sender, frame: _SAMPLE_FRAMES.append(frame) or False
_SAMPLE.start()
_ref, _out = _SAMPLE.te.calls.setup(SetupRequest(PartyNumber("100")), 0.0)
_SAMPLE.deliver(_SAMPLE.te, _SAMPLE.te.submit(_out, 0.0))
for _call in _SAMPLE.of(IncomingCall, "nt"):
    _SAMPLE.deliver(_SAMPLE.nt, _SAMPLE.nt.submit(_SAMPLE.nt.calls.connect(_call.ref, 0.1), 0.1))
_SAMPLE.deliver(_SAMPLE.te, _SAMPLE.te.submit(_SAMPLE.te.calls.disconnect(_ref, 1.0), 1.0))
SAMPLE_FRAMES = tuple(_SAMPLE_FRAMES)
SAMPLE_MESSAGES = tuple(f[4:] for f in SAMPLE_FRAMES if len(f) > 4 and not f[2] & 1)


@st.composite
def mutated(draw: st.DrawFn, pool: tuple[bytes, ...]) -> bytes:
    data = bytearray(draw(st.sampled_from(pool)))
    for _ in range(draw(st.integers(1, 4))):
        op = draw(st.integers(0, 2))
        pos = draw(st.integers(0, max(0, len(data) - 1)))
        if op == 0 and data:
            data[pos] = draw(st.integers(0, 255))
        elif op == 1:
            data[pos:pos] = draw(st.binary(min_size=1, max_size=4))
        elif data:
            del data[pos : pos + draw(st.integers(1, 3))]
    return bytes(data)


FRAMES = st.lists(st.one_of(st.binary(max_size=300), mutated(SAMPLE_FRAMES)), max_size=30)
MESSAGES = st.lists(st.one_of(st.binary(max_size=120), mutated(SAMPLE_MESSAGES)), max_size=30)
FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FUZZ
@given(side=SIDES, data=FRAMES, establish=st.booleans())
def test_random_frames_never_raise_out_of_the_data_link(
    side: Side, data: list[bytes], establish: bool
) -> None:
    link = DataLink(side)
    if establish:
        link.receive(b"\x02\x01\x7f" if side is Side.USER else b"\x00\x01\x7f", 0.0)
    now = 0.0
    for frame in data:
        now += 0.3
        link.receive(frame, now)
        link.handle_timer(now)


@FUZZ
@given(side=SIDES, data=MESSAGES)
def test_random_messages_never_raise_out_of_the_q931_endpoint(
    side: Side, data: list[bytes]
) -> None:
    endpoint = Q931Endpoint(side)
    endpoint.setup(SetupRequest(PartyNumber("1"), channel=1), 0.0)
    now = 0.0
    for message in data:
        now += 1.0
        endpoint.receive(message, now)
        endpoint.handle_timer(now)


@FUZZ
@given(data=st.lists(mutated(SAMPLE_FRAMES), max_size=40))
def test_mutated_traffic_never_raises_out_of_a_d_channel_in_a_call(data: list[bytes]) -> None:
    cable = Cable()
    cable.start()
    _, out = cable.te.calls.setup(SetupRequest(PartyNumber("100")), 0.0)
    cable.deliver(cable.te, cable.te.submit(out, 0.0))
    for n, frame in enumerate(data):
        target: DChannel = cable.te if n % 2 else cable.nt
        cable.deliver(target, target.receive_frame(frame, cable.clock.now()))
        cable.run_for(0.5)
