"""ACD settings in the web UI and the agent state API: errors shown, nothing half saved."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from webui_support import FakeDaemon

from firmware.store import sync

ANNA = {"name": "Anna", "extension": "101", "port": "fxs1", "logged_in": "1"}
SALES = {
    "name": "sales", "strategy": "skills-based", "ring_timeout": "15", "retry_delay": "2",
    "max_wait": "600", "service_level": "30", "wrapup": "20", "autopause_rings": "3",
    "skills": "sales:6, polish:4", "skill_widen_after": "45", "skill_widen_step": "2",
    "max_length": "10", "exit_destination": "queue:support", "refuse_empty": "1",
    "leave_empty": "1", "overflow_queue": "support", "overflow_after": "90",
    "overflow_predicted": "1", "priority_callers": "600100200:7\n+48500600700:3",
}


class AgentDaemon(FakeDaemon):
    """A fake daemon that also answers the agent state commands."""

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self.asked: list[str] = []

    def answer(self, request_id: Any, cmd: str) -> dict[str, Any]:
        states = {"agent_pause": "paused", "agent_unpause": "available",
                  "agent_login": "available", "agent_logout": "logged-out"}
        if cmd in states:
            result = {"agent": "Anna", "state": states[cmd], "reason": None,
                      "after_call": states[cmd]}
            return {"id": request_id, "ok": True, "result": result}
        return super().answer(request_id, cmd)


@pytest.fixture
def agent_daemon(app: Flask) -> Iterator[AgentDaemon]:
    with AgentDaemon(Path(app.config["CONTROL_SOCKET"])) as fake:
        yield fake


def test_queue_form_saves_every_acd_setting_and_shows_it_again(
    client: FlaskClient, logged_in, db: sqlite3.Connection
) -> None:
    sync.save_agent(db, ANNA)
    sync.save_queue(db, {"name": "support"})
    response = client.post("/queues/new", data=SALES)
    assert response.status_code == 302, response.get_data(as_text=True)
    queue = next(q for q in sync.list_queues(db) if q.name == "sales")
    assert (queue.strategy.value, queue.service_level, queue.wrapup) == ("skills-based", 30, 20)
    assert queue.skills == (("polish", 4), ("sales", 6))
    assert (queue.skill_widen_after, queue.skill_widen_step, queue.autopause_rings) == (45, 2, 3)
    assert (queue.max_length, queue.exit_destination) == (10, "queue:support")
    assert (queue.join_empty, queue.leave_empty) == (False, True)
    assert (queue.overflow_queue, queue.overflow_after, queue.overflow_predicted) == (
        "support", 90, True)
    assert queue.priority_callers == (("+48500600700", 3), ("600100200", 7))

    form = client.get(f"/queues/{queue.id}/edit").get_data(as_text=True)
    assert 'value="polish:4, sales:6"' in form
    assert '<option value="queue:support" selected>' in form
    assert 'name="refuse_empty" value="1" checked' in form
    assert "600100200:7" in form


def test_queue_form_with_a_bad_acd_setting_shows_it_and_changes_nothing(
    client: FlaskClient, logged_in, db: sqlite3.Connection
) -> None:
    sync.save_queue(db, {"name": "support"})
    saved = sync.save_queue(db, {"name": "sales", "wrapup": 5})
    cases = [
        ("skills", "sales:11", 'id="skills-error">must be a whole number from 1 to 10'),
        ("wrapup", "900", 'id="wrapup-error">must be a number from 0 to 600'),
        ("priority_callers", "600100200", 'id="priority_callers-error">'),
        ("overflow_queue", "sales", 'id="overflow_queue-error">must be another queue'),
    ]
    for field, value, shown in cases:
        response = client.post(f"/queues/{saved.id}/edit", data={**SALES, field: value})
        assert response.status_code == 400, field
        page = response.get_data(as_text=True)
        assert shown in page, field
        assert sync.get_queue(db, saved.id) == saved


def test_agent_skills_are_saved_and_a_bad_level_is_shown_beside_them(
    client: FlaskClient, logged_in, db: sqlite3.Connection
) -> None:
    assert client.post("/agents/new", data={**ANNA, "skills": "sales:7, polish:3"}).status_code \
        == 302
    (agent,) = sync.list_agents(db)
    assert agent.skills == (("polish", 3), ("sales", 7))
    assert "polish 3, sales 7" in client.get("/agents").get_data(as_text=True)
    response = client.post(f"/agents/{agent.id}/edit", data={**ANNA, "skills": "sales:zero"})
    assert response.status_code == 400
    assert 'id="skills-error">must be a whole number from 1 to 10' in response.get_data(
        as_text=True)
    assert sync.get_agent(db, agent.id) == agent


def test_pause_reasons_are_edited_and_a_bad_list_changes_nothing(
    client: FlaskClient, logged_in, db: sqlite3.Connection
) -> None:
    page = client.get("/agents/pause-reasons").get_data(as_text=True)
    assert "lunch" in page and page.count('class="field') == page.count('class="help"')
    assert client.post("/agents/pause-reasons",
                       data={"pause_reasons": "lunch\ncoaching"}).status_code == 302
    assert sync.pause_reasons(db) == ("lunch", "coaching")
    response = client.post("/agents/pause-reasons", data={"pause_reasons": "lunch\nno-answer"})
    assert response.status_code == 400
    assert "no-answer is reserved for the automatic pause" in response.get_data(as_text=True)
    assert sync.pause_reasons(db) == ("lunch", "coaching")


def test_pause_api_checks_the_reason_and_asks_the_service(
    client: FlaskClient, logged_in, db: sqlite3.Connection, agent_daemon: AgentDaemon
) -> None:
    agent = sync.save_agent(db, ANNA)
    bad = client.post(f"/api/v1/agents/{agent.id}/pause", json={"reason": "gym"})
    assert bad.status_code == 400 and bad.json["field"] == "reason"
    assert "agent_pause" not in agent_daemon.commands
    paused = client.post(f"/api/v1/agents/{agent.id}/pause", json={"reason": "lunch"})
    assert paused.status_code == 200 and paused.json["state"] == "paused"
    assert client.post(f"/api/v1/agents/{agent.id}/unpause").json["state"] == "available"
    assert agent_daemon.commands[-2:] == ["agent_pause", "agent_unpause"]
    assert client.post("/api/v1/agents/99/unpause").status_code == 404


def test_logout_api_is_saved_even_while_the_service_is_down(
    client: FlaskClient, logged_in, db: sqlite3.Connection
) -> None:
    agent = sync.save_agent(db, ANNA)
    response = client.post(f"/api/v1/agents/{agent.id}/logout")
    assert response.status_code == 200
    assert response.json["logged_in"] is False and response.json["state"] is None
    assert sync.get_agent(db, agent.id).logged_in is False
    assert client.post(f"/api/v1/agents/{agent.id}/pause",
                       json={"reason": "lunch"}).status_code == 503
