"""Figures from the full ACD's events: measured wrap-up, exits, overflow and transfers."""

import pytest

from firmware.kpi.occupancy import occupancy
from firmware.kpi.queues import QueueTargets, queue_kpis
from firmware.store.models import QueueLogEntry


def entry(time, call, event, agent=None, data=None, queue="sales"):
    return QueueLogEntry(time, call, queue, agent, event, data)


# c1: answered at 10 after an overflow, talks 100, wrap-up measured 12 (configured 30);
# c2: turned away full; c3: nobody logged in; c4: moved to another queue after 5 s;
# c5: answered at 20, talks 50, still in wrap-up when the log ends.
LOG = [
    entry(0, "c1", "enter"), entry(4, "c1", "overflow", data="help"),
    entry(5, "c1", "ring", "a1"), entry(10, "c1", "answer", "a1", "10.0"),
    entry(110, "c1", "complete", "a1", "10.0|100.0|agent"),
    entry(122, "c1", "wrapup", "a1", "12.0"),
    entry(1, "c2", "enter"), entry(1, "c2", "exit-full", data="0.0"),
    entry(2, "c3", "enter"), entry(2, "c3", "exit-empty", data="0.0"),
    entry(3, "c4", "enter"), entry(8, "c4", "transfer", data="help|5.0"),
    entry(8, "c4", "enter", queue="help"),
    entry(15, "c5", "enter"), entry(20, "c5", "answer", "a2", "5.0"),
    entry(70, "c5", "complete", "a2", "5.0|50.0|caller"),
]
TARGETS = {"sales": QueueTargets(service_level_seconds=20, wrapup_seconds=30)}


def test_exits_count_as_offered_and_against_the_service_level():
    sales = queue_kpis(LOG, TARGETS)["sales"]
    assert (sales.offered, sales.answered, sales.exited, sales.abandoned) == (5, 2, 3, 0)
    assert sales.service_level == pytest.approx(2 / 5)
    assert queue_kpis(LOG, TARGETS)["help"].waiting == 1


def test_aht_uses_the_measured_wrapup_and_the_configured_one_until_it_ends():
    sales = queue_kpis(LOG, TARGETS)["sales"]
    assert sales.aht == pytest.approx(((100 + 12) + (50 + 30)) / 2)


def test_occupancy_uses_the_measured_wrapup():
    busy = occupancy(LOG, 1000.0, 0.0, 1000.0, TARGETS)
    assert busy == pytest.approx(((122 - 10) + (100 - 20)) / 1000.0)
