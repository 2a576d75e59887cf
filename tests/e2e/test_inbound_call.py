"""One real call through every layer, on the sim card and an injected clock.

An exchange line rings with caller ID, the caller picks "2" by DTMF in the
audio, the support queue rings an agent's phone, the agent answers, audio
crosses the bridge both ways, the caller hangs up, and the CDR and the queue
log say so.
"""

import asyncio

import numpy as np

from firmware.box import Box
from firmware.media.dtmf import DtmfDetector
from firmware.settings import CardSettings, DaemonSettings
from firmware.store import sync
from hal.clock import ManualClock
from hal.sim.card import SimCard


def detected_digits(samples: np.ndarray) -> str:
    """Digits our receiver finds in a recording, fed in 20 ms frames like the engine."""
    detector = DtmfDetector(1)
    usable = len(samples) // 160 * 160
    found = []
    for i, frame in enumerate(samples[:usable].reshape(-1, 160)):
        found += [d for _, d, _ in detector.process(frame[None, :], (i + 1) * 0.02)]
    return "".join(found)


async def run_until(box: Box, condition, limit: float, step: float = 0.1) -> None:
    waited = 0.0
    while not condition():
        if waited >= limit:
            raise AssertionError(f"condition not met within {limit} s of box time")
        await box.run_for(step)
        waited += step


def make_box(tmp_path):
    clock = ManualClock()
    settings = DaemonSettings(data_dir=tmp_path, card=CardSettings(fxs=2, fxo=1))
    card = SimCard(clock, fxs=2, fxo=1, law=settings.card.law)
    return Box(settings, clock, card), card


async def inbound_call_scenario(tmp_path) -> dict:
    box, card = make_box(tmp_path)
    events: list[dict] = []
    box.listeners.append(events.append)
    await box.start(threaded=False)
    try:
        call = card.pstn.call_in("fxo1", "600100200", "Jan Kowalski")
        await run_until(box, lambda: call.state == "connected", limit=12)
        started = next(e for e in events if e["type"] == "call-started")
        assert started["caller_number"] == "600100200"
        assert started["caller_name"] == "Jan Kowalski"

        # The greeting plays; the caller presses 2 during the menu.
        await box.run_for(5.0)
        call.dial("2")
        phones = card.phones
        await run_until(box, lambda: any(p.ringing for p in phones.values()), limit=10)
        ringing = [name for name, p in phones.items() if p.ringing]
        assert len(ringing) == 1
        agent_phone = phones[ringing[0]]
        queued = next(e for e in events if e["type"] == "call-queued")
        assert queued["queue"] == "support"

        await box.run_for(1.5)
        agent_phone.off_hook()
        await run_until(box, lambda: any(e["type"] == "call-connected" for e in events), limit=2)
        await box.run_for(0.5)

        # Audio crosses the bridge both ways: digits sent by one side are heard by the other.
        call.clear_heard()
        agent_phone.clear_heard()
        agent_phone.dial("5")
        call.dial("7")
        await box.run_for(1.0)
        heard_by_caller = detected_digits(call.heard())
        heard_by_agent = detected_digits(agent_phone.heard())

        call.hang_up()
        await run_until(box, lambda: any(e["type"] == "call-ended" for e in events), limit=3)
        await box.run_for(1.0)
        agent_phone.on_hook()
        await box.run_for(1.0)
        status = box.status()
    finally:
        await box.stop()
    conn = sync.connect(str(tmp_path / "centrala.db"))
    return {
        "heard_by_caller": heard_by_caller,
        "heard_by_agent": heard_by_agent,
        "agent_port": ringing[0],
        "status": status,
        "cdr": sync.list_cdr(conn),
        "queue_log": list(reversed(sync.list_queue_log(conn))),
    }


def test_inbound_call_reaches_an_agent_with_audio_both_ways_and_is_recorded(tmp_path):
    result = asyncio.run(inbound_call_scenario(tmp_path))
    assert result["heard_by_caller"] == "5"
    assert result["heard_by_agent"] == "7"

    [cdr] = result["cdr"]
    assert cdr.caller_number == "600100200" and cdr.caller_name == "Jan Kowalski"
    assert cdr.port == "fxo1" and cdr.queue == "support"
    assert cdr.agent is not None and cdr.disposition == "answered"
    assert cdr.answer is not None and cdr.billsec > 1.0 and cdr.duration > cdr.billsec

    events = [(e.event, e.queue) for e in result["queue_log"]]
    assert events[0] == ("enter", "support")
    assert ("ring", "support") in events
    assert events[-2:] == [("answer", "support"), ("complete", "support")]
    complete = result["queue_log"][-1]
    assert complete.agent == cdr.agent and complete.data.endswith("|caller")

    status = result["status"]
    assert status["calls"] == []
    assert [p["state"] for p in status["ports"]] == ["idle"] * 3
    assert {a["state"] for a in status["agents"]} == {"available"}
    assert status["media"]["errors"] == 0 and status["media"]["call_errors"] == 0
