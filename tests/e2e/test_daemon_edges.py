"""The daemon's behaviour at its edges: bad configuration, bad control input, bad settings."""

import asyncio
import json
import socket

from firmware.box import Box
from firmware.cli import main
from firmware.settings import CardSettings, DaemonSettings
from firmware.store import sync
from hal.clock import ManualClock
from hal.sim.card import SimCard


def _box(tmp_path, fxs=2, fxo=1):
    clock = ManualClock()
    settings = DaemonSettings(data_dir=tmp_path, card=CardSettings(fxs=fxs, fxo=fxo))
    return Box(settings, clock, SimCard(clock, fxs=fxs, fxo=fxo))


def test_agent_on_a_port_the_card_lacks_is_reported_at_start_and_the_rest_works(tmp_path):
    conn = sync.connect(str(tmp_path / "centrala.db"))
    sync.seed_defaults(conn, ["fxs1", "fxs2", "fxs9"], ["fxo1"])
    conn.close()

    async def scenario():
        box = _box(tmp_path)
        await box.start(threaded=False)
        try:
            status = box.status()
            card = box.card
            call = card.pstn.call_in("fxo1", "501002003")
            for _ in range(100):
                await box.run_for(0.1)
                if call.state == "connected":
                    break
            return status, call.state
        finally:
            await box.stop()

    status, call_state = asyncio.run(scenario())
    [error] = status["config_errors"]
    assert "unknown port 'fxs9'" in error and "Agent 3" in error
    assert [a["name"] for a in status["agents"]] == ["Agent 1", "Agent 2"]
    assert call_state == "connected"


def _exchange(path: str, lines: list[bytes]) -> list[dict]:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(2.0)
        sock.connect(path)
        reader = sock.makefile("rb")
        answers = []
        for line in lines:
            sock.sendall(line)
            answers.append(json.loads(reader.readline()))
        return answers


def test_malformed_control_line_gets_a_json_error_and_the_daemon_lives_on(tmp_path):
    async def scenario():
        box = _box(tmp_path)
        await box.start(threaded=False)
        try:
            path = str(box.settings.socket_path)
            answers = await asyncio.to_thread(
                _exchange, path,
                [b"{not json\n", b'["status"]\n', b'{"cmd": "explode"}\n',
                 b'{"cmd": "status", "id": 7}\n', b'{"cmd": "reload"}\n'],
            )
            await box.run_for(0.2)
            return answers, box.runner.errors
        finally:
            await box.stop()

    answers, media_errors = asyncio.run(scenario())
    assert [a["ok"] for a in answers] == [False, False, False, True, True]
    assert "unknown command 'explode'" in answers[2]["error"]
    assert answers[3]["id"] == 7 and answers[3]["result"]["ports"][0]["name"] == "fxo1"
    assert answers[4]["result"]["reloaded"] is True
    assert media_errors == 0


def test_run_with_a_bad_settings_file_exits_with_a_clear_message(tmp_path, capsys):
    path = tmp_path / "centrala.toml"
    path.write_text('[card]\nbackend = "carrier-pigeon"\n')
    assert main(["run", "--config", str(path)]) == 2
    err = capsys.readouterr().err
    assert "card.backend" in err and "carrier-pigeon" in err
