"""The reports' tooltips and docs/kpi.md say the same thing, and state seconds split by period."""

from pathlib import Path

import pytest

from firmware.kpi.agent_states import state_seconds_between
from firmware.kpi.definitions import DEFINITIONS
from firmware.kpi.occupancy import occupancy_from_states
from firmware.kpi.queues import KpiError
from firmware.store.models import AgentState, AgentStateEntry

DOC = Path(__file__).resolve().parents[2] / "docs" / "kpi.md"


@pytest.mark.parametrize("name", sorted(DEFINITIONS))
def test_every_tooltip_is_written_word_for_word_in_the_kpi_document(name):
    assert DEFINITIONS[name] in DOC.read_text(encoding="utf-8")


def test_state_seconds_are_split_exactly_at_period_boundaries():
    log = [
        AgentStateEntry(50, "a1", "available"),
        AgentStateEntry(150, "a1", "on-call"),
        AgentStateEntry(330, "a1", "wrap-up"),
        AgentStateEntry(340, "a1", "paused", "break"),
        AgentStateEntry(100, "a2", "available"),
    ]
    first, second, third = state_seconds_between(log, [0, 100, 200, 400])
    assert first == {AgentState.AVAILABLE: 50}
    assert second == {AgentState.AVAILABLE: 50 + 100, AgentState.ON_CALL: 50}
    assert third == {
        AgentState.AVAILABLE: 200, AgentState.ON_CALL: 130,
        AgentState.WRAPUP: 10, AgentState.PAUSED: 60,
    }
    assert occupancy_from_states(third) == pytest.approx(140 / 340)


def test_boundaries_that_do_not_increase_are_refused():
    with pytest.raises(KpiError, match="increase"):
        state_seconds_between([], [0, 100, 100])
