"""The technician's D-channel trace: readable lines, pcap output, control commands."""

import asyncio
import base64

from e1_support import make_box, run_until

from firmware.calls.pri import DChannelTrace, describe_frame
from firmware.control.protocol import CommandError
from firmware.signaling.q931.ies import PartyNumber, Presentation
from firmware.signaling.q931.messages import Fields, MessageType, encode_message


def test_a_setup_reads_as_its_message_and_numbers():
    fields = Fields(called=PartyNumber("221234500"),
                    calling=PartyNumber("600100200", presentation=Presentation.RESTRICTED))
    message = encode_message(MessageType.SETUP, 5, False, fields)
    frame = bytes((0x02, 0x01, 0x00, 0x00)) + message
    text = describe_frame(frame)
    assert text.startswith("I N(S)=0 N(R)=0 | SETUP cref=5 (orig)")
    assert "called=221234500" in text and "calling=restricted 600100200" in text


def test_garbage_reads_as_an_invalid_frame_without_raising():
    assert describe_frame(b"\x01").startswith("invalid frame")
    assert "not a Q.931 message" in describe_frame(bytes((0x02, 0x01, 0x00, 0x00, 0x99)))


def test_trace_records_only_while_running_and_exports_pcap():
    trace = DChannelTrace(network=True, limit=2)
    trace.record(b"\x00\x01\x7f", sent=True, wall=1.0)
    assert trace.lines() == []
    trace.start(2.0)
    for wall in (3.0, 4.0, 5.0):
        trace.record(b"\x00\x01\x7f", sent=True, wall=wall)
    assert len(trace.lines()) == 2  # bounded
    pcap = trace.pcap()
    assert len(pcap) == 24 + 2 * (16 + 16 + 3)


async def trace_through_commands(tmp_path) -> dict:
    box, card = make_box(tmp_path, fxs=0, spans=1)
    await box.start(threaded=False)
    try:
        table = box.commands_table
        await table("span-trace-start", {"span": "span1"})
        operator = card.far_ends["span1"]
        await run_until(box, lambda: operator.link_up, limit=2)
        operator.call_in("999", "600100200")
        await box.run_for(0.5)
        lines = (await table("span-trace", {"span": "span1"}))["lines"]
        pcap = base64.b64decode((await table("span-trace-pcap", {"span": "span1"}))["pcap"])
        stopped = await table("span-trace-stop", {"span": "span1"})
        try:
            await table("span-trace", {"span": "span5"})
        except CommandError as exc:
            unknown = str(exc)
        return {"lines": lines, "pcap": pcap, "stopped": stopped, "unknown": unknown}
    finally:
        await box.stop()


def test_control_commands_start_read_and_download_a_live_trace(tmp_path):
    result = asyncio.run(trace_through_commands(tmp_path))
    text = "\n".join(result["lines"])
    assert "recv SABME P/F" in text and "sent UA P/F" in text  # the far end set the link up
    assert "recv I" in text and "SETUP" in text and "called=999" in text
    # The default catch-all DID route answers it.
    assert "sent I" in text and "CALL PROCEEDING" in text and "CONNECT" in text
    assert result["pcap"][:4] == bytes.fromhex("d4c3b2a1")
    assert result["stopped"]["frames"] == len(result["lines"])
    assert "no span 'span5'" in result["unknown"]
