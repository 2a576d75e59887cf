"""Per-port analog settings: validation naming the field, storage, and use by the ports."""

from __future__ import annotations

import asyncio

import pytest

from firmware.calls.analog import FxoPort, FxsPort, fxo_config, fxs_config
from firmware.media.tones import RING_CADENCES
from firmware.signaling.loopstart import AnswerDetection
from firmware.store import analog as analog_store
from firmware.store import sync
from firmware.store.models import ConfigError
from tests.analog.analog_support import make_box, run_until, save_port_settings


def test_a_port_without_settings_uses_the_defaults():
    settings = analog_store.validate_analog_port({"port": "FXS1"})
    assert settings == analog_store.AnalogPortSettings("fxs1")
    assert settings.disconnect_by == ("loop-current", "polarity", "tone", "silence")


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"port": "e1"}, "port"),
        ({"port": "fxs1", "ring_country": "Poland"}, "ring_country"),
        ({"port": "fxs1", "caller_id": "smoke"}, "caller_id"),
        ({"port": "fxs1", "flash_min": 0.5, "flash_max": 0.4}, "flash_max"),
        ({"port": "fxs1", "interdigit_timeout": "soon"}, "interdigit_timeout"),
        ({"port": "fxo1", "answer_detection": "guess"}, "answer_detection"),
        ({"port": "fxo1", "disconnect_by": "loop-current,psychic"}, "disconnect_by[1]"),
        ({"port": "fxo1", "max_silence": -1}, "max_silence"),
        ({"port": "fxo1", "disconnect_profile": "{not json"}, "disconnect_profile"),
        ({"port": "fxo1", "call_waiting": "perhaps"}, "call_waiting"),
    ],
)
def test_a_bad_value_is_refused_naming_its_field(data, field):
    with pytest.raises(ConfigError) as caught:
        analog_store.validate_analog_port(data)
    assert caught.value.field == field


def test_a_port_the_card_lacks_is_refused():
    with pytest.raises(ConfigError, match="not a port of this card"):
        analog_store.validate_analog_port({"port": "fxo3"}, ["fxo1", "fxs1"])


def test_settings_survive_the_store_and_a_learned_tone_is_kept_apart(tmp_path):
    conn = sync.connect(str(tmp_path / "box.db"))
    try:
        saved = analog_store.validate_analog_port({
            "port": "fxo1", "answer_detection": "progress", "disconnect_by": ["tone", "silence"],
            "max_call_duration": "0", "silence_disconnect": "30",
        })
        analog_store.save_analog_port(conn, saved)
        analog_store.save_disconnect_profile(conn, "fxo1", '{"freqs": [425.0]}')
        loaded = analog_store.get_analog_port(conn, "fxo1")
        assert loaded.answer_detection is analog_store.AnswerDetectionSetting.PROGRESS
        assert loaded.disconnect_by == ("tone", "silence")
        assert loaded.max_call_duration == 0.0
        assert loaded.disconnect_profile == '{"freqs": [425.0]}'
        assert analog_store.get_analog_port(conn, "fxs9") == analog_store.AnalogPortSettings("fxs9")
        assert analog_store.outside_prefix(conn) == "0"
    finally:
        conn.close()


def test_stored_settings_become_machine_configurations():
    fxo = fxo_config(analog_store.validate_analog_port(
        {"port": "fxo1", "answer_detection": "delay", "answer_delay": 3, "max_silence": 0}
    ))
    assert fxo.answer_detection is AnswerDetection.DELAY and fxo.no_polarity_answer_delay == 3
    assert fxo.max_silence is None and fxo.max_call_duration == 4 * 3600.0
    uk = fxs_config(analog_store.validate_analog_port({"port": "fxs1"}), "UK")
    assert uk.ring_cadence == RING_CADENCES["UK"]
    assert (uk.caller_id_standard, uk.caller_id_before_ring) == ("etsi", True)
    us = fxs_config(analog_store.validate_analog_port({"port": "fxs1", "ring_country": "US"}), "PL")
    assert us.ring_cadence == RING_CADENCES["US"] and us.caller_id_standard == "bell"


async def _reload_during_a_call(tmp_path) -> tuple[float, float, float]:
    box, card = make_box(tmp_path, fxs=1, fxo=1)
    await box.start(threaded=False)
    try:
        phone = card.phones["fxs1"]
        phone.off_hook()
        await box.run_for(0.2)
        save_port_settings(tmp_path, port="fxs1", flash_max=1.2)
        save_port_settings(tmp_path, port="fxo1", max_call_duration=99)
        await box.reload()
        fxs, fxo = box.manager.ports[1], box.manager.ports[0]
        assert isinstance(fxs, FxsPort) and isinstance(fxo, FxoPort)
        during = fxs.machine.config.flash_max
        phone.on_hook()
        await run_until(box, lambda: fxs.state == "idle", limit=3)
        after = fxs.machine.config.flash_max
        guard = fxo.machine.config.max_call_duration
    finally:
        await box.stop()
    return during, after, guard


def test_reloaded_settings_wait_for_the_call_on_the_port_to_end(tmp_path):
    during, after, guard = asyncio.run(_reload_during_a_call(tmp_path))
    assert during == 0.6 and after == 1.2
    assert guard == 99.0  # the idle line took its new settings at once
