from firmware.ivr.actions import CancelTimer, Enqueue, Hangup, Play, StartTimer, StopPlayout
from firmware.ivr.session import IvrSession

MAIN = {
    "start": "greeting",
    "nodes": {
        "greeting": {"type": "play", "prompt": "welcome", "next": "menu"},
        "menu": {
            "type": "menu", "prompt": "menu-sales-support",
            "choices": {"1": "sales", "2": "support"},
            "timeout": 5, "retries": 3, "invalid_prompt": "invalid", "timeout_prompt": "no-input",
            "fail": "sales",
        },
        "sales": {"type": "queue", "queue": "sales"},
        "support": {"type": "queue", "queue": "support"},
    },
}


def _to_menu() -> tuple[IvrSession, str]:
    session = IvrSession(MAIN)
    [greeting] = session.start()
    assert greeting.prompt == "welcome"
    [menu] = session.prompt_finished(greeting.tag)
    assert isinstance(menu, Play) and menu.prompt == "menu-sales-support"
    return session, menu.tag


def test_greeting_then_menu_then_choice_reaches_its_queue():
    session, tag = _to_menu()
    [timer] = session.prompt_finished(tag)
    assert isinstance(timer, StartTimer) and timer.seconds == 5
    assert session.digit("2") == [StopPlayout(), CancelTimer(), Enqueue("support")]
    assert session.finished and session.path == ["greeting", "menu", "support"]


def test_digit_during_menu_prompt_barges_in():
    session, _ = _to_menu()
    assert session.digit("1")[-1] == Enqueue("sales")


def test_digits_during_greeting_are_ignored():
    session = IvrSession(MAIN)
    session.start()
    assert session.digit("1") == []
    assert not session.finished


def test_invalid_digit_plays_notice_then_menu_again():
    session, _ = _to_menu()
    actions = session.digit("7")
    assert actions[:2] == [StopPlayout(), CancelTimer()]
    notice = actions[2]
    assert notice.prompt == "invalid"
    [menu] = session.prompt_finished(notice.tag)
    assert menu.prompt == "menu-sales-support"


def test_timeouts_exhaust_retries_and_take_the_fail_branch():
    session, tag = _to_menu()
    for attempt in range(3):
        [timer] = session.prompt_finished(tag)
        actions = session.timer_expired(timer.tag)
        if attempt < 2:
            [notice] = actions
            assert notice.prompt == "no-input"
            [menu] = session.prompt_finished(notice.tag)
            tag = menu.tag
    assert actions == [Enqueue("sales")]


def test_stale_timer_and_prompt_tags_are_ignored():
    session, tag = _to_menu()
    [timer] = session.prompt_finished(tag)
    session.digit("9")  # invalid: a new notice plays, the old timer is stale
    assert session.timer_expired(timer.tag) == []
    assert session.prompt_finished(tag) == []


def test_hangup_node_plays_its_prompt_first():
    flow = {"start": "bye", "nodes": {"bye": {"type": "hangup", "prompt": "goodbye"}}}
    session = IvrSession(flow)
    [play] = session.start()
    assert play.prompt == "goodbye" and not session.finished
    assert session.prompt_finished(play.tag) == [Hangup("flow")]
