"""Caller ID sent to the box's phones: type I on ringing (per country), type II in a call."""

from __future__ import annotations

import asyncio

import pytest

from firmware.calls.analog import FxsPort
from firmware.media.fsk import decode_caller_id
from firmware.signaling.loopstart.events import CallerInfo
from tests.analog.analog_support import make_box, run_until, save_port_settings


async def _queue_call_rings_a_phone(tmp_path, caller_id: str | None) -> dict:
    if caller_id is not None:
        for port in ("fxs1", "fxs2"):
            save_port_settings(tmp_path, port=port, caller_id=caller_id)
    box, card = make_box(tmp_path, fxs=2, fxo=1)
    await box.start(threaded=False)
    try:
        caller = card.pstn.call_in("fxo1", "600100200", "Jan Kowalski")
        await run_until(box, lambda: caller.state == "connected", limit=12)
        await box.run_for(5.0)
        caller.dial("2")
        phones = card.phones
        await run_until(box, lambda: any(p.rings for p in phones.values()), limit=10)
        started = box.clock.now()
        name = next(n for n, p in phones.items() if p.rings)
        phone = phones[name]
        await run_until(box, lambda: phone.rings >= 2, limit=12)
        heard = phone.heard_on_hook()
    finally:
        await box.stop()
    return {"decoded": decode_caller_id(heard), "first_ring_after": started}


@pytest.mark.parametrize(
    "mode", ["etsi-after-ring", "etsi-before-ring", "bell", None], ids=str
)
def test_a_ringing_phone_receives_the_callers_number_and_name(tmp_path, mode):
    result = asyncio.run(_queue_call_rings_a_phone(tmp_path, mode))
    [cid] = result["decoded"]
    assert cid.number == "600100200" and cid.name == "Jan Kowalski"


def test_caller_id_can_be_switched_off_per_phone(tmp_path):
    result = asyncio.run(_queue_call_rings_a_phone(tmp_path, "off"))
    assert result["decoded"] == []


async def _call_waiting(tmp_path, acknowledges: bool) -> dict:
    box, card = make_box(tmp_path, fxs=2, fxo=1)
    await box.start(threaded=False)
    try:
        a, b = card.phones["fxs1"], card.phones["fxs2"]
        b.acknowledges_cas = acknowledges
        a.off_hook()
        await box.run_for(0.3)
        a.dial("102")
        await run_until(box, lambda: b.ringing, limit=3)
        b.off_hook()
        await box.run_for(1.0)
        port = box.manager.ports[2]
        assert isinstance(port, FxsPort)
        b.clear_heard()
        port.call_waiting(box.clock.now(), CallerInfo("600100200", "Jan Kowalski"))
        await box.run_for(2.0)
        result = {"ack": port.last_waiting_ack, "acks": b.cas_acks,
                  "decoded": decode_caller_id(b.heard()), "state": port.state}
    finally:
        await box.stop()
    return result


def test_type_two_caller_id_is_sent_once_the_phone_acknowledges_the_alert(tmp_path):
    result = asyncio.run(_call_waiting(tmp_path, acknowledges=True))
    assert result["acks"] == 1 and result["ack"] is True
    assert [c.number for c in result["decoded"]] == ["600100200"]
    assert result["state"] == "connected"


def test_type_two_caller_id_is_not_sent_to_a_phone_that_does_not_acknowledge(tmp_path):
    result = asyncio.run(_call_waiting(tmp_path, acknowledges=False))
    assert result["acks"] == 0 and result["ack"] is False
    assert result["decoded"] == []
