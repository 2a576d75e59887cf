"""What waiting callers hear: hold music from an upload, then their own position and the offer."""

from __future__ import annotations

import asyncio
from pathlib import Path

import numpy as np
import pytest

from firmware.acd.service import WaitEstimate
from firmware.calls.queue_experience import announcement, phrase
from firmware.media.prompts import save_wav
from firmware.store.models import ConfigError, Language, validate_queue
from tests.queue_calls.queue_calls_support import (
    find_prompt,
    make_box,
    prompt_audio,
    run_until,
    tone,
    tone_share,
)

MUSIC_HZ = 523.0


async def _two_waiting_callers(tmp_path: Path) -> dict:
    box, card = make_box(
        tmp_path, language="en", announce_every=12, callback_digit="*", hold_music="music",
        members=("Agent 1",),
    )
    (tmp_path / "prompts").mkdir()
    save_wav(tmp_path / "prompts" / "music.wav", tone(MUSIC_HZ, 3.0))
    events: list[dict] = []
    box.listeners.append(events.append)
    await box.start(threaded=False)
    try:
        await box.commands_table("agent_pause", {"agent": "Agent 1", "reason": "lunch"})
        first = card.pstn.call_in("fxo1", "600100100")
        await run_until(box, lambda: any(e["type"] == "call-queued" for e in events), 15)
        second = card.pstn.call_in("fxo2", "600200200")
        await run_until(
            box, lambda: sum(e["type"] == "call-queued" for e in events) == 2, limit=15
        )
        first.clear_heard()
        second.clear_heard()
        await run_until(
            box, lambda: sum(e["type"] == "queue-announcement" for e in events) == 2, limit=15
        )
        before = second.heard()
        await box.run_for(9.0)
        heard_first, heard_second = first.heard(), second.heard()
        announced = [e for e in events if e["type"] == "queue-announcement"]
    finally:
        await box.stop()
    return {"before": before, "first": heard_first, "second": heard_second,
            "announced": announced}


def test_waiting_callers_hear_hold_music_and_their_own_position(tmp_path: Path) -> None:
    result = asyncio.run(_two_waiting_callers(tmp_path))
    # Between "please hold" and the first announcement: the uploaded music, looped.
    assert tone_share(result["before"][-8000:], MUSIC_HZ) > 0.8
    assert sorted(e["position"] for e in result["announced"]) == [1, 2]

    def score(heard: np.ndarray, name: str) -> float:
        return find_prompt(heard, prompt_audio(name))[0]

    for heard, own, other in ((result["first"], "en/1", "en/2"),
                              (result["second"], "en/2", "en/1")):
        assert score(heard, "en/queue-position") > 0.9
        assert score(heard, own) > 0.9
        assert score(heard, other) < score(heard, own) - 0.2
        # The queue offers callback: how to ask for it follows, with the key's name.
        assert score(heard, "en/queue-callback-offer") > 0.9
        assert score(heard, "en/key-star") > 0.9
        # Nobody works the queue (the only agent is paused): no wait is guessed.
        assert score(heard, "en/queue-wait") < 0.6
        assert score(heard, "en/queue-wait-short") < 0.6
    # After the announcement, the music again.
    assert tone_share(result["second"][-8000:], MUSIC_HZ) > 0.8


def test_announcement_rounds_the_wait_up_to_whole_minutes_in_the_queue_language() -> None:
    pl = Language.PL
    assert announcement(WaitEstimate("q", 3, 5, 61.0), pl) == [
        phrase(pl, "queue-position"), "pl/3", phrase(pl, "queue-wait"), "pl/2"]
    assert announcement(WaitEstimate("q", 1, 1, 20.0), Language.FR, position=False) == [
        phrase(Language.FR, "queue-wait-short")]
    assert announcement(WaitEstimate("q", 21, 30, 600.0), Language.EN, callback_key="5") == [
        "en/queue-position", "en/20", "en/1", "en/queue-wait", "en/10",
        "en/queue-callback-offer", "en/5"]
    assert announcement(WaitEstimate("q", 2, 2, None), Language.EN, callback_key="#") == [
        "en/queue-position", "en/2", "en/queue-callback-offer", "en/key-hash"]


def test_every_phrase_an_announcement_names_is_shipped() -> None:
    from firmware.calls.queue_experience import PHRASES

    for lang, phrases in PHRASES.items():
        for name in phrases:
            assert len(prompt_audio(phrase(lang, name))) > 2000


@pytest.mark.parametrize(
    ("field", "value"),
    [("announce_every", "5"), ("callback_digit", "12"), ("callback_digit", "A"),
     ("language", "de"), ("record_percent", "101"), ("hold_music", "../etc/passwd")],
)
def test_queue_call_settings_refuse_bad_values_naming_the_field(field: str, value: str) -> None:
    with pytest.raises(ConfigError) as caught:
        validate_queue({"name": "q", field: value}, [])
    assert caught.value.field == field


def test_queue_call_settings_default_to_no_announcement_callback_or_recording() -> None:
    queue = validate_queue({"name": "q"}, [])
    assert (queue.announce_every, queue.callback_digit, queue.record_percent) == (0.0, "", 0)
    assert (queue.hold_music, queue.language, queue.record_notice) == ("", "", "")
