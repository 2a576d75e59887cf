"""Web UI: the queue's waiting, callback and recording settings; recordings; supervision."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from firmware.store import recordings as store
from firmware.store import sync
from firmware.store.models import Cdr
from firmware.store.recordings import CallRecording, SupervisionEntry
from tests.webui.webui_support import PASSWORD, PORTS, FakeDaemon, make_app

WAITING = {
    "name": "support", "strategy": "longest-idle", "ring_timeout": "15", "retry_delay": "2",
    "max_wait": "600", "hold_music": "welcome", "announce_every": "45",
    "announce_position": "1", "language": "fr", "callback_digit": "#", "record_percent": "25",
    "record_notice": "",
}


@pytest.fixture
def app(tmp_path: Path) -> Flask:
    app = make_app(tmp_path)
    conn = sync.connect(app.config["DATABASE"])
    sync.record_card_ports(conn, PORTS)
    conn.close()
    return app


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    client = app.test_client()
    response = client.post("/setup", data={"password": PASSWORD, "confirm": PASSWORD})
    assert response.status_code == 302
    return client


@pytest.fixture
def db(app: Flask) -> Iterator[sqlite3.Connection]:
    conn = sync.connect(app.config["DATABASE"])
    yield conn
    conn.close()


def test_queue_form_saves_waiting_callback_and_recording_settings(
    client: FlaskClient, db: sqlite3.Connection
) -> None:
    assert client.post("/queues/new", data=WAITING).status_code == 302
    [queue] = sync.list_queues(db)
    assert (queue.hold_music, queue.announce_every, queue.language) == ("welcome", 45.0, "fr")
    # The wait checkbox was not ticked: it is off, the position one on.
    assert (queue.announce_position, queue.announce_wait) == (True, False)
    assert (queue.callback_digit, queue.record_percent, queue.record_notice) == ("#", 25, "")
    form = client.get(f"/queues/{queue.id}/edit").get_data(as_text=True)
    assert '<option value="welcome" selected>' in form
    assert '<option value="#" selected>' in form
    assert 'name="announce_position" value="1" checked' in form


@pytest.mark.parametrize(
    ("field", "value", "shown"),
    [("announce_every", "3", 'id="announce_every-error">must be 0'),
     ("record_percent", "150", 'id="record_percent-error">must be a whole number from 0 to 100'),
     ("callback_digit", "99", 'id="callback_digit-error">must be one key')],
)
def test_queue_form_shows_a_bad_setting_beside_its_field_and_saves_nothing(
    client: FlaskClient, db: sqlite3.Connection, field: str, value: str, shown: str
) -> None:
    saved = sync.save_queue(db, {"name": "support"})
    response = client.post(f"/queues/{saved.id}/edit", data={**WAITING, field: value})
    assert response.status_code == 400
    assert shown in response.get_data(as_text=True)
    assert sync.get_queue(db, saved.id) == saved


def _recorded(app: Flask, db: sqlite3.Connection) -> tuple[CallRecording, Path]:
    folder = Path(app.config["DATABASE"]).parent / "recordings"
    folder.mkdir()
    path = folder / "call-c7.wav"
    path.write_bytes(b"RIFF" + b"\0" * 100)
    db.execute(
        "INSERT INTO cdr (call_id, start, answer, end, port, direction, caller_number, "
        "caller_name, destination, queue, agent, disposition, duration, billsec) "
        "VALUES ('c7', 1000, 1010, 1070, 'fxo1', 'in', '600100200', NULL, 'queue:support', "
        "'support', 'Anna', 'answered', 70, 60)"
    )
    recording = store.add_recording(db, CallRecording(
        None, "c7", "support", "Anna", "600100200", 1010.0, 60.0, 104, str(path)))
    return recording, path


def test_recordings_are_listed_with_their_call_played_downloaded_and_deleted(
    app: Flask, client: FlaskClient, db: sqlite3.Connection
) -> None:
    recording, path = _recorded(app, db)
    page = client.get("/recordings").get_data(as_text=True)
    assert "c7" in page and "600100200" in page and "in on fxo1, answered" in page
    assert f"/recordings/{recording.id}/play" in page
    played = client.get(f"/recordings/{recording.id}/play")
    assert played.status_code == 200 and played.mimetype == "audio/wav"
    saved = client.get(f"/recordings/{recording.id}/download")
    assert "attachment" in saved.headers["Content-Disposition"]
    played.close()
    saved.close()
    client.post(f"/recordings/{recording.id}/delete")
    assert store.list_recordings(db) == [] and not path.exists()
    assert client.get(f"/recordings/{recording.id}/play").status_code == 404


def test_a_recording_row_pointing_outside_the_folder_is_never_served(
    app: Flask, client: FlaskClient, db: sqlite3.Connection, tmp_path: Path
) -> None:
    secret = tmp_path / "centrala.db"
    recording = store.add_recording(db, CallRecording(
        None, "c8", None, None, None, 1.0, 1.0, 1, str(secret)))
    assert client.get(f"/recordings/{recording.id}/download").status_code == 404


def test_recording_limits_are_saved_and_a_bad_one_shown_beside_its_field(
    client: FlaskClient, db: sqlite3.Connection
) -> None:
    client.post("/recordings/limits", data={"retention_days": "30", "quota_mb": "2048"})
    assert store.get_limits(db) == store.RecordingLimits(30, 2048)
    refused = client.post("/recordings/limits", data={"retention_days": "0", "quota_mb": "5"})
    assert refused.status_code == 400
    assert 'id="retention_days-error">must be a whole number from 1 to 3650' in \
        refused.get_data(as_text=True)
    assert store.get_limits(db) == store.RecordingLimits(30, 2048)


class SupervisingDaemon(FakeDaemon):
    """Answers the supervision commands as the daemon does."""

    CALL = {"id": "c3", "port": "fxo1", "direction": "in", "caller_number": "600100200",
            "caller_name": None, "state": "connected", "queue": "support", "agent": "Anna",
            "duration": 42.0}

    def answer(self, request_id: Any, cmd: str) -> dict[str, Any]:
        results = {
            "calls": {"calls": [self.CALL]},
            "supervisions": {"supervisions": [], "callbacks": []},
            "supervise": {"supervisor": "102", "port": "fxs2", "call_id": "c3",
                          "mode": "whisper", "state": "ringing"},
        }
        if cmd in results:
            return {"id": request_id, "ok": True, "result": results[cmd]}
        if cmd == "supervise-stop":
            return {"id": request_id, "ok": False, "error": "'102' is not supervising a call"}
        return super().answer(request_id, cmd)


def test_supervision_page_rings_the_supervisor_and_shows_refusals_and_the_log(
    app: Flask, client: FlaskClient, db: sqlite3.Connection
) -> None:
    sync.save_agent(db, {"name": "Bob", "extension": "102", "port": "fxs2", "logged_in": "1"})
    store.add_supervision(db, SupervisionEntry(1000.0, "102", "c1", "Anna", "barge", "start"))
    with SupervisingDaemon(Path(app.config["CONTROL_SOCKET"])) as daemon:
        page = client.get("/supervision").get_data(as_text=True)
        assert "c3" in page and '<option value="102">102 (Bob, fxs2)</option>' in page
        assert "barge" in page  # the log
        done = client.post("/supervision/start", data={
            "supervisor": "102", "call_id": "c3", "mode": "whisper"}, follow_redirects=True)
        assert "Ringing 102: pick up to whisper on call c3." in done.get_data(as_text=True)
        refused = client.post("/supervision/stop", data={"supervisor": "102"},
                              follow_redirects=True)
        assert "Not done: &#39;102&#39; is not supervising a call" in \
            refused.get_data(as_text=True)
        asked = [c for c in daemon.commands if c.startswith("supervise")]
        assert asked == ["supervise", "supervise-stop"]


def test_supervision_page_without_the_service_says_so(client: FlaskClient) -> None:
    page = client.get("/supervision").get_data(as_text=True)
    assert "The service is not running." in page


def test_cdr_rows_are_found_per_call(db: sqlite3.Connection) -> None:
    for start, direction in ((1.0, "in"), (50.0, "out")):
        db.execute(
            "INSERT INTO cdr (call_id, start, answer, end, port, direction, disposition, "
            "duration, billsec) VALUES ('c9', ?, NULL, ?, 'fxo1', ?, 'answered', 1, 0)",
            (start, start + 1, direction),
        )
    legs = store.cdrs_of_calls(db, ["c9", "c10"])
    assert [c.direction.value for c in legs["c9"]] == ["in", "out"]
    assert all(isinstance(c, Cdr) for c in legs["c9"]) and "c10" not in legs
