"""Each node type, driven through IvrSession input by input."""

from typing import Any

import pytest

from firmware.ivr.actions import (
    CancelTimer,
    Enqueue,
    Hangup,
    Lookup,
    Play,
    StartRecording,
    StartTimer,
    StopPlayout,
    StopRecording,
    Transfer,
)
from firmware.ivr.lookup import LookupResult
from firmware.ivr.schedule import FixedSchedule, ScheduleClock
from firmware.ivr.session import IvrSession
from firmware.store.models import validate_flow, validate_schedule
from hal.clock import ManualClock

QUEUES = ["sales", "support"]


def flow(nodes: dict[str, Any], start: str | None = None) -> dict[str, Any]:
    definition = {"start": start or next(iter(nodes)), "nodes": nodes}
    return validate_flow("t", definition, QUEUES).definition


def played(actions: list) -> list[str]:
    return [a.prompt for a in actions if isinstance(a, Play)]


def finish_prompts(session: IvrSession, actions: list) -> list:
    """Let every prompt play to its end, as the media engine would report."""
    out = list(actions)
    todo = [a for a in actions if isinstance(a, Play)]
    while todo:
        more = session.prompt_finished(todo.pop(0).tag)
        out += more
        todo += [a for a in more if isinstance(a, Play)]
    return out


COLLECT = {
    "ask": {
        "type": "collect", "prompt": "welcome", "variable": "account", "min_length": 4,
        "max_length": 6, "pattern": "[1-9][0-9]*", "retries": 2, "invalid_prompt": "invalid",
        "next": "done", "fail": "bye",
    },
    "done": {"type": "queue", "queue": "sales"},
    "bye": {"type": "hangup"},
}


def test_collect_stores_digits_ended_by_the_terminator():
    session = IvrSession(flow(COLLECT))
    actions = finish_prompts(session, session.start())
    assert isinstance(actions[-1], StartTimer)
    for key in "1234":
        session.digit(key)
    assert session.digit("#")[-1] == Enqueue("sales")
    assert session.variables["account"] == "1234"


def test_collect_ends_by_itself_at_the_longest_entry():
    session = IvrSession(flow(COLLECT))
    finish_prompts(session, session.start())
    for key in "12345":
        session.digit(key)
    assert session.digit("6")[-1] == Enqueue("sales")
    assert session.variables["account"] == "123456"


def test_collect_accepts_an_entry_ended_by_a_pause():
    session = IvrSession(flow(COLLECT))
    finish_prompts(session, session.start())
    for key in "98765":
        timer = session.digit(key)[-1]
    assert isinstance(timer, StartTimer)
    assert session.timer_expired(timer.tag) == [Enqueue("sales")]


def test_collect_refuses_short_or_mismatching_entries_then_fails():
    session = IvrSession(flow(COLLECT))
    finish_prompts(session, session.start())
    session.digit("1")
    notice = session.digit("#")
    assert played(notice) == ["invalid"]
    finish_prompts(session, notice)
    for key in "0123":  # leading zero: the pattern refuses it
        session.digit(key)
    assert session.digit("#")[-1] == Hangup("flow")
    assert session.path == ["ask", "bye"] and "account" not in session.variables


def test_collect_key_during_the_prompt_barges_in_and_counts():
    session = IvrSession(flow(COLLECT))
    session.start()
    assert session.digit("5")[:2] == [StopPlayout(), CancelTimer()]
    for key in "555":
        session.digit(key)
    session.digit("#")
    assert session.variables["account"] == "5555"


def branch(test: dict[str, Any]) -> dict[str, Any]:
    return flow({
        "check": {"type": "condition", **test, "then": "yes", "else": "no"},
        "yes": {"type": "queue", "queue": "sales"},
        "no": {"type": "queue", "queue": "support"},
    })


def test_condition_on_the_schedule_open_or_closed():
    definition = branch({"test": "schedule-open", "schedule": "office"})
    clock = ManualClock()
    for is_open, queue in ((True, "sales"), (False, "support")):
        session = IvrSession(definition, schedules={"office": FixedSchedule(is_open)}, clock=clock)
        assert session.start() == [Enqueue(queue)]


def test_condition_on_a_real_schedule_at_the_clock_s_wall_time():
    office = ScheduleClock(validate_schedule({
        "name": "office", "timezone": "Europe/Warsaw",
        "hours": {"mon": "08:00-16:00"}, "holidays": "2026-01-06 Epiphany",
    }))
    definition = branch({"test": "holiday", "schedule": "office"})
    epiphany_noon = 1_767_697_200.0  # 2026-01-06 12:00 in Warsaw
    session = IvrSession(
        definition, schedules={"office": office}, clock=ManualClock(epoch=epiphany_noon)
    )
    assert session.start() == [Enqueue("sales")]


def test_condition_on_the_caller_number():
    definition = branch({"test": "caller", "pattern": r"48600\d+"})
    assert IvrSession(definition, caller_number="48600111222").start() == [Enqueue("sales")]
    assert IvrSession(definition, caller_number="48700111222").start() == [Enqueue("support")]
    assert IvrSession(definition).start() == [Enqueue("support")]


@pytest.mark.parametrize(
    ("value", "operator", "other", "holds"),
    [
        ("120.50", "gt", "100", True),
        ("9", "lt", "10", True),  # numbers, not text: "9" > "10" as text
        ("abc", "eq", "abc", True),
        ("", "empty", None, True),
        ("PL123", "matches", "PL[0-9]+", True),
        ("5", "ge", "{limit}", False),
    ],
)
def test_condition_on_a_variable(value: str, operator: str, other: str | None, holds: bool):
    test: dict[str, Any] = {"test": "variable", "variable": "x", "operator": operator}
    if other is not None:
        test["value"] = other
    definition = flow({
        "set": {"type": "set", "variable": "x", "value": value, "next": "limit"},
        "limit": {"type": "set", "variable": "limit", "value": "7", "next": "check"},
        "check": {"type": "condition", **test, "then": "yes", "else": "no"},
        "yes": {"type": "queue", "queue": "sales"},
        "no": {"type": "queue", "queue": "support"},
    })
    assert IvrSession(definition).start() == [Enqueue("sales" if holds else "support")]


LOOKUP = {
    "ask": {
        "type": "lookup", "url": "http://crm.local/c?phone={caller}&x={missing}", "timeout": 2,
        "fields": {"name": "customer.name", "balance": "balance"},
        "next": "say", "fallback": "sorry",
    },
    "say": {"type": "say", "say": "amount", "value": "{balance}", "lang": "en",
            "currency": "EUR", "next": "queue"},
    "queue": {"type": "queue", "queue": "sales", "priority": 5},
    "sorry": {"type": "hangup", "prompt": "goodbye"},
}


def test_lookup_success_fills_variables_and_a_say_node_reads_them():
    session = IvrSession(flow(LOOKUP), caller_number="+48 600")
    [request] = session.start()
    assert request == Lookup("http://crm.local/c?phone=%2B48%20600&x=", 2.0,
                             {"name": "customer.name", "balance": "balance"}, request.tag)
    actions = session.lookup_finished(
        request.tag, LookupResult(True, {"name": "Anna", "balance": "21.5"})
    )
    assert session.variables["name"] == "Anna"
    actions = finish_prompts(session, actions)
    assert played(actions) == [
        "en/20", "en/1", "en/eur-many", "en/and", "en/50", "en/eur-sub-many"
    ]
    assert actions[-1] == Enqueue("sales", 5)


def test_lookup_failure_takes_the_fallback_and_a_stale_answer_is_ignored():
    session = IvrSession(flow(LOOKUP))
    [request] = session.start()
    assert session.lookup_finished("ivr99", LookupResult(True, {})) == []
    actions = session.lookup_finished(request.tag, LookupResult(False, problem="timeout"))
    assert played(actions) == ["goodbye"] and session.path == ["ask", "sorry"]
    assert "timeout" in session.notes[0]


def test_say_with_a_value_that_is_not_a_number_moves_on_silently():
    session = IvrSession(flow({
        "say": {"type": "say", "say": "number", "value": "{nothing}x", "next": "q"},
        "q": {"type": "queue", "queue": "sales"},
    }))
    assert session.start() == [Enqueue("sales")]
    assert "nothing said" in session.notes[0]


TRANSFER = {
    "xfer": {"type": "transfer", "destination": "extension", "number": "101", "fail": "vm"},
    "vm": {"type": "voicemail", "prompt": "please-hold", "max_seconds": 20, "mailbox": "desk"},
}


def test_transfer_connected_ends_the_flow():
    session = IvrSession(flow(TRANSFER))
    assert session.start() == [Transfer("extension", "101")]
    assert not session.finished
    session.transfer_connected()
    assert session.finished


def test_refused_transfer_goes_to_voicemail_which_records_after_the_beep_until_hash():
    session = IvrSession(flow(TRANSFER))
    session.start()
    [greeting] = session.transfer_failed("extension 101 is busy")
    assert greeting.prompt == "please-hold"
    [beep] = session.prompt_finished(greeting.tag)
    assert beep.prompt == "beep"
    record, timer = session.prompt_finished(beep.tag)
    assert record == StartRecording(record.tag, "desk") and timer.seconds == 20
    assert session.digit("5") == []  # only # ends a message
    assert session.digit("#") == [CancelTimer(), StopRecording(record.tag), Hangup("voicemail")]


def test_voicemail_ends_at_its_time_limit():
    session = IvrSession(flow({"vm": {"type": "voicemail", "next": "bye"},
                               "bye": {"type": "hangup"}}))
    [beep] = session.start()
    record, timer = session.prompt_finished(beep.tag)
    assert timer.seconds == 120
    assert session.timer_expired(timer.tag) == [StopRecording(record.tag), Hangup("flow")]


def test_refused_transfer_without_a_fail_branch_hangs_up():
    session = IvrSession(flow({"x": {"type": "transfer", "destination": "external",
                                     "number": "+48221234567"}}))
    session.start()
    assert session.transfer_failed("no outbound route") == [
        Hangup("transfer failed: no outbound route")
    ]


def test_play_node_with_speech_plays_its_rendered_prompt():
    session = IvrSession(flow({
        "hi": {"type": "play", "text": "Dzień dobry", "prompt": "tts-pl-0123", "next": "q"},
        "q": {"type": "queue", "queue": "support"},
    }))
    [hello] = session.start()
    assert hello.prompt == "tts-pl-0123"
    assert session.prompt_finished(hello.tag) == [Enqueue("support")]


def test_a_loop_through_say_nodes_that_say_nothing_is_cut_short():
    # Validation refuses loops of condition and set nodes; a say node that cannot say
    # its value also moves on at once, so the session guards against that loop too.
    session = IvrSession({"start": "a", "nodes": {
        "a": {"type": "say", "say": "number", "value": "x", "lang": "pl", "next": "b"},
        "b": {"type": "say", "say": "number", "value": "y", "lang": "pl", "next": "a"},
    }})
    assert session.start() == [Hangup("flow loops without waiting for the caller")]
