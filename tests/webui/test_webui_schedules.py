"""Schedule forms, and the voicemail list with play, download and delete."""

import sqlite3
from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient

from firmware.media.prompts import save_wav
from firmware.store import sync
from firmware.store.models import VoicemailMessage

FORM = {
    "name": "office", "timezone": "Europe/Warsaw",
    "hours_mon": "08:00-16:00", "hours_tue": "08:00-12:00, 13:00-16:00", "hours_sat": "",
    "holidays": "2026-12-24 Christmas Eve\n05-01 Labour Day",
}


def test_a_schedule_is_created_from_the_form(client: FlaskClient, logged_in, db):
    assert client.post("/schedules/new", data=FORM).status_code == 302
    [schedule] = sync.list_schedules(db)
    assert schedule.hours[0] == ((480, 960),) and schedule.hours[1] == ((480, 720), (780, 960))
    assert schedule.hours[5] == ()
    assert {(h.date, h.name) for h in schedule.holidays} == {
        ("2026-12-24", "Christmas Eve"), ("05-01", "Labour Day")}
    page = client.get("/schedules").get_data(as_text=True)
    assert "08:00-12:00, 13:00-16:00" in page and "closed" in page


def test_a_bad_value_is_shown_beside_its_field_and_nothing_is_saved(client, logged_in, db):
    page = client.post("/schedules/new", data={**FORM, "hours_tue": "16:00-08:00"})
    assert page.status_code == 400
    text = page.get_data(as_text=True)
    assert 'id="hours_tue-error"' in text and "close after it opens" in text
    assert sync.list_schedules(db) == []
    page = client.post("/schedules/new", data={**FORM, "timezone": "Europe/Atlantis"})
    assert page.status_code == 400 and 'id="timezone-error"' in page.get_data(as_text=True)


def test_a_schedule_used_by_a_flow_cannot_be_deleted_and_renaming_follows(client, logged_in, db):
    client.post("/schedules/new", data=FORM)
    [schedule] = sync.list_schedules(db)
    flow = sync.save_flow(db, "hours", {"start": "c", "nodes": {
        "c": {"type": "condition", "test": "schedule-open", "schedule": "office",
              "then": "bye", "else": "bye"},
        "bye": {"type": "hangup"},
    }})
    client.post(f"/schedules/{schedule.id}/delete")
    assert len(sync.list_schedules(db)) == 1
    client.post(f"/schedules/{schedule.id}/edit", data={**FORM, "name": "shop"})
    assert sync.get_flow(db, flow.id).definition["nodes"]["c"]["schedule"] == "shop"
    assert sync.load_config(db).schedules[0].name == "shop"


def message(db: sqlite3.Connection, path: Path) -> VoicemailMessage:
    return sync.add_voicemail(db, VoicemailMessage(
        None, "c7", "sales", "main", "600100200", 1_767_225_600.0, 3.5, str(path)))


def test_voicemail_is_listed_played_downloaded_and_deleted(client, logged_in, db, app: Flask):
    folder = Path(app.config["DATABASE"]).parent / "voicemail"
    folder.mkdir()
    wav = folder / "vm-c7-ivr2.wav"
    save_wav(wav, [0, 1000, -1000] * 100)
    saved = message(db, wav)
    page = client.get("/voicemail").get_data(as_text=True)
    assert "600100200" in page and "sales" in page and "0:03" in page
    played = client.get(f"/voicemail/{saved.id}/play")
    assert played.status_code == 200 and played.mimetype == "audio/wav"
    assert played.data == wav.read_bytes()
    download = client.get(f"/voicemail/{saved.id}/download")
    assert "attachment" in download.headers["Content-Disposition"]
    assert client.post(f"/voicemail/{saved.id}/delete").status_code == 302
    assert sync.list_voicemail(db) == [] and not wav.exists()


def test_voicemail_never_serves_a_file_outside_the_data_directory(client, logged_in, db, tmp_path):
    outside = tmp_path.parent / "elsewhere.wav"
    save_wav(outside, [0] * 100)
    saved = message(db, outside)
    assert client.get(f"/voicemail/{saved.id}/play").status_code == 404
    assert "file missing" in client.get("/voicemail").get_data(as_text=True)
    client.post(f"/voicemail/{saved.id}/delete")
    assert outside.exists()
