"""The span pages: set-up with explanations, live status in words, B-channels, the trace."""

import base64
import sys
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "webui"))

from webui_support import PASSWORD, FakeDaemon, make_app  # noqa: E402

from firmware.calls.pri import DChannelTrace  # noqa: E402
from firmware.store import sync, trunk_sync  # noqa: E402

PORTS = ["fxs1", "fxo1"] + [f"span1/b{ts}" for ts in (*range(1, 16), *range(17, 32))]
TRACE = DChannelTrace(network=False)
TRACE.start(1_700_000_000.0)
TRACE.record(bytes((0x00, 0x01, 0x7F)), sent=True, wall=1_700_000_000.5)  # SABME
TRACE.record(bytes((0x00, 0x01, 0x73)), sent=False, wall=1_700_000_000.52)  # UA

SPAN_VIEW: dict[str, Any] = {
    "name": "span1", "role": "te", "signalling": "ISDN PRI (CCS)", "dchannel": "down",
    "alarms": ["LOS"],
    "alarm_words": ["red alarm: loss of signal (LOS), nothing arrives on the receive pair"],
    "summary": "red alarm: loss of signal (LOS), nothing arrives on the receive pair",
    "clock_source": False, "counters": {"bpv": 12, "crc_errors": 3, "slips": None},
    "frames_in": 0, "frames_out": 4, "link_changes": 0,
    "trace": {"running": True, "frames": 2},
    "channels": [{"name": "span1/b1", "timeslot": 1, "state": "connected", "direction": "in",
                  "called": "221234500", "calling": "600100200", "call_id": "c1",
                  "q931_state": "U10"}],
}


class SpanDaemon(FakeDaemon):
    def answer(self, request_id: Any, cmd: str) -> dict[str, Any]:
        results: dict[str, dict[str, Any]] = {
            "spans": {"spans": [SPAN_VIEW]},
            "span-trace": {"span": "span1", "running": True, "total": 2, "lines": TRACE.lines()},
            "span-trace-start": {"span": "span1", "running": True},
            "span-trace-stop": {"span": "span1", "running": False, "frames": 2},
            "span-trace-pcap": {"span": "span1",
                                "pcap": base64.b64encode(TRACE.pcap()).decode()},
        }
        if cmd in results:
            return {"id": request_id, "ok": True, "result": results[cmd]}
        return super().answer(request_id, cmd)


@pytest.fixture
def app(tmp_path):
    app = make_app(tmp_path)
    conn = sync.connect(app.config["DATABASE"])
    sync.record_card_ports(conn, PORTS)
    conn.close()
    return app


@pytest.fixture
def client(app):
    client = app.test_client()
    response = client.post("/setup", data={"password": PASSWORD, "confirm": PASSWORD})
    assert response.status_code == 302
    return client


@pytest.fixture
def daemon(app):
    with SpanDaemon(Path(app.config["CONTROL_SOCKET"])) as fake:
        yield fake


def test_span_list_shows_the_card_spans_and_their_live_state(client, daemon):
    page = client.get("/spans").get_data(as_text=True)
    assert "span1" in page and "TE (faces an operator)" in page
    assert "red alarm: loss of signal" in page


def test_span_page_explains_alarms_counters_and_channels_in_plain_words(client, daemon):
    page = client.get("/spans/span1").get_data(as_text=True)
    assert "red alarm: loss of signal (LOS)" in page
    assert "D-channel (signalling link): <strong>down</strong>" in page
    assert "Bipolar violations (BPV)</td><td>12" in page
    assert "not counted" in page  # slips the backend cannot count are not shown as zero
    assert "221234500" in page and "U10" in page
    # The trace so far, readable: our SABME and the far end's UA.
    assert "sent SABME P/F" in page and "recv UA P/F" in page


def test_span_page_says_when_the_service_is_not_running(client):
    page = client.get("/spans/span1").get_data(as_text=True)
    assert "The service is not running" in page


def test_span_setup_is_saved_and_the_daemon_reloads(client, daemon, app):
    response = client.post("/spans/span1/edit", data={
        "role": "nt", "framing": "ccs", "crc4": "1", "line_code": "hdb3",
        "clock_priority": "0", "line_build_out": "0",
    })
    assert response.status_code == 302
    assert "reload" in daemon.commands
    conn = sync.connect(app.config["DATABASE"])
    try:
        span = trunk_sync.get_span(conn, "span1")
    finally:
        conn.close()
    assert span.role.value == "nt" and span.clock_priority == 0 and span.crc4


def test_span_setup_refuses_a_bad_value_beside_its_field(client, daemon, app):
    page = client.post("/spans/span1/edit", data={
        "role": "te", "framing": "ccs", "line_code": "hdb3",
        "clock_priority": "100", "line_build_out": "0",
    })
    assert page.status_code == 400
    assert "must be a whole number from 0 to 99" in page.get_data(as_text=True)
    assert "reload" not in daemon.commands


def test_form_explains_each_choice(client):
    page = client.get("/spans/span1/edit").get_data(as_text=True)
    for words in ("TE (user side)", "NT (network side)", "CRC-4", "HDB3", "Clock priority",
                  "Line build-out"):
        assert words in page


def test_unknown_span_is_not_found(client):
    assert client.get("/spans/span7").status_code == 404
    assert client.get("/spans/fxo1").status_code == 404


def test_trace_is_started_read_and_downloaded_as_pcap(client, daemon):
    assert client.post("/spans/span1/trace/start").status_code == 302
    assert "span-trace-start" in daemon.commands
    lines = client.get("/spans/span1/trace.json?since=0").get_json()["lines"]
    assert len(lines) == 2 and "SABME" in lines[0]
    download = client.get("/spans/span1/trace.pcap")
    assert download.mimetype == "application/vnd.tcpdump.pcap"
    data = download.get_data()
    assert data[:4] == bytes.fromhex("d4c3b2a1")  # pcap magic, little-endian
    assert int.from_bytes(data[20:24], "little") == 177  # LINKTYPE_LINUX_LAPD
