"""Our user side against our network side, joined by a fake D-channel, on a manual clock."""

from __future__ import annotations

from pri_support import Cable

from firmware.signaling.q921.events import ReleaseIndication
from firmware.signaling.q931 import CallState, SetupRequest
from firmware.signaling.q931.events import (
    CallActive,
    CallConnected,
    CallDisconnecting,
    CallReleased,
    IncomingCall,
)
from firmware.signaling.q931.ies import PartyNumber


def test_link_comes_up_and_stays_up_through_an_hour_of_polls() -> None:
    cable = Cable()
    cable.start()
    assert cable.te.link_up and cable.nt.link_up
    cable.run_for(3600.0)
    assert cable.te.link_up and cable.nt.link_up
    assert cable.of(ReleaseIndication) == []
    assert cable.carried > 700  # T203 polls and their answers kept flowing


def test_thirty_calls_from_the_network_are_answered_and_cleared() -> None:
    cable = Cable()
    cable.start()
    refs = []
    for n in range(30):
        ref, out = cable.nt.calls.setup(SetupRequest(PartyNumber(str(100 + n))), 0.0)
        refs.append(ref)
        cable.deliver(cable.nt, cable.nt.submit(out, 0.0))
    offered = cable.of(IncomingCall, "te")
    assert sorted(c.channel for c in offered) == sorted(set(range(1, 32)) - {16})
    for call in offered:
        cable.deliver(cable.te, cable.te.submit(cable.te.calls.connect(call.ref, 0.5), 0.5))
    assert len(cable.of(CallConnected, "nt")) == 30 and len(cable.of(CallActive, "te")) == 30
    assert all(c.state is CallState.U10 for c in cable.te.calls.calls.values())
    cable.run_for(60.0)  # a minute of conversation: the link polls on both sides
    now = cable.clock.now()
    for ref in refs:
        cable.deliver(cable.nt, cable.nt.submit(cable.nt.calls.disconnect(ref, now), now))
    for event in cable.of(CallDisconnecting, "te"):
        cable.deliver(cable.te, cable.te.submit(cable.te.calls.release(event.ref, now), now))
    assert len(cable.of(CallReleased, "te")) == 30 and len(cable.of(CallReleased, "nt")) == 30
    assert cable.te.calls.calls == {} and cable.nt.calls.calls == {}
    assert len(cable.te.calls.free_channels()) == 30


def test_thirty_calls_from_the_user_side_get_thirty_channels() -> None:
    cable = Cable()
    cable.start()
    for n in range(30):
        _, out = cable.te.calls.setup(SetupRequest(PartyNumber(str(n))), 0.0)
        cable.deliver(cable.te, cable.te.submit(out, 0.0))
    for call in cable.of(IncomingCall, "nt"):
        cable.deliver(cable.nt, cable.nt.submit(cable.nt.calls.connect(call.ref, 0.1), 0.1))
    channels = [e.channel for e in cable.of(CallConnected, "te")]
    assert sorted(channels) == sorted(set(range(1, 32)) - {16})


def test_calls_survive_a_lossy_d_channel() -> None:
    lost = iter(range(10_000))
    cable = Cable(drop=lambda sender, frame: next(lost) % 5 == 3)  # every fifth frame lost
    cable.start()
    cable.run_for(5.0)
    for n in range(10):
        now = cable.clock.now()
        _, out = cable.te.calls.setup(SetupRequest(PartyNumber(str(n))), now)
        cable.deliver(cable.te, cable.te.submit(out, now))
    answered: set = set()
    for _ in range(40):
        cable.run_for(0.25)
        for call in cable.of(IncomingCall, "nt"):
            if call.ref not in answered and call.ref in cable.nt.calls.calls:
                answered.add(call.ref)
                now = cable.clock.now()
                cable.deliver(cable.nt, cable.nt.submit(cable.nt.calls.connect(call.ref, now), now))
    assert len(cable.of(CallConnected, "te")) == 10
    assert len(cable.of(IncomingCall, "nt")) == 10  # retransmitted frames were not delivered twice
    assert cable.of(CallReleased) == []
