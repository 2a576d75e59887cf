"""Console span views against a real box on sim spans, through its control socket.

The box runs stepped on a ManualClock; each console command runs in a worker
thread, so the box's loop answers it over the real socket while box time stands.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "e1"))

import pytest  # noqa: E402
from e1_support import make_box, run_until  # noqa: E402

from firmware.console.commands import CommandContext, CommandFailed, run_command  # noqa: E402
from hal.sim.span import SimCallState  # noqa: E402
from hal.span import SpanAlarm  # noqa: E402


async def console(ctx: CommandContext, line: str) -> str:
    try:
        return await asyncio.to_thread(run_command, ctx, line.split())
    except CommandFailed as exc:
        return f"error: {exc}"


async def session(tmp_path: Path) -> dict[str, str]:
    box, card = make_box(tmp_path, fxs=2, spans=2)
    out: dict[str, str] = {}
    await box.start(threaded=False)
    try:
        ctx = CommandContext(str(box.settings.database), str(box.settings.socket_path))
        out["trace on"] = await console(ctx, "trace span1 on")
        operator = card.far_ends["span1"]
        await run_until(box, lambda: operator.link_up, limit=2)
        call = operator.call_in("221234567", "600100200")
        await run_until(box, lambda: call.state is SimCallState.CONNECTED, limit=2)
        card.sim_span("span1").count_errors(bpv=12, crc_errors=3, slips=0)
        card.set_span_alarms("span2", [SpanAlarm.LOS])
        await box.run_for(2.0)
        out["spans"] = await console(ctx, "spans")
        out["span"] = await console(ctx, "span span1")
        out["show"] = await console(ctx, "trace span1 show")
        out["off"] = await console(ctx, "trace span1 off")
        out["span2 trace"] = await console(ctx, "trace span2")
        out["unknown span"] = await console(ctx, "span span7")
        out["unknown trace"] = await console(ctx, "trace span7 on")
        out["bad trace"] = await console(ctx, "trace span1 maybe")
        call.hang_up()
        await run_until(box, lambda: call.finished, limit=2)
    finally:
        await box.stop()
    return out


@pytest.fixture(scope="module")
def out(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """One console session against one box; each test reads the part it proves."""
    return asyncio.run(session(tmp_path_factory.mktemp("box")))


def test_console_shows_spans_channels_and_the_decoded_trace(out):
    assert out["trace on"].startswith("tracing the D-channel of span1")

    spans = out["spans"].splitlines()
    assert spans[0].split() == ["span", "role", "D-channel", "clock", "BPV", "CRC", "errors",
                                "slips", "in", "use"]
    assert spans[1].split()[:4] == ["span1", "TE", "up", "yes"]
    assert spans[1].split()[4:6] == ["12", "3"] and spans[1].endswith("1/30")
    assert spans[2].split()[:2] == ["span2", "TE"] and spans[2].endswith("0/30")
    assert "span1: in service: no alarm" in out["spans"]
    assert ("span2: red alarm: loss of signal (LOS), nothing arrives on the receive pair"
            in out["spans"])

    span = out["span"]
    assert "span1: TE, ISDN PRI (CCS), D-channel up" in span
    assert "counters: bipolar violations 12, CRC-4 errors 3, slips 0" in span
    b1 = next(line for line in span.splitlines() if line.startswith("b1 "))
    assert b1.split()[:6] == ["b1", "1", "connected", "in", "221234567", "600100200"]
    assert b1.split()[-1] == "U10"  # Q.931 active
    b2 = next(line for line in span.splitlines() if line.startswith("b2 "))
    assert b2.split()[:3] == ["b2", "2", "idle"]

    show = out["show"].splitlines()
    assert show[0].startswith("trace of span1 running")
    text = "\n".join(show[1:])
    assert "SABME P/F" in text and "recv UA P/F" in text
    assert "recv I N(S)=0" in text and "SETUP" in text and "called=221234567" in text
    assert "sent I" in text and "CONNECT" in text
    assert out["off"].startswith("trace of span1 stopped with")
    assert out["span2 trace"] == (
        "trace of span2 stopped, no frames yet; start it with 'trace span2 on'"
    )


def test_console_names_an_unknown_span_and_a_bad_trace_word(out):
    assert out["unknown span"] == "error: no span 'span7'; this box has: span1, span2"
    assert "no span 'span7'" in out["unknown trace"]
    assert out["bad trace"] == "error: usage: trace NAME on|off|show (e.g. trace span1 on)"


def test_console_says_when_the_service_is_down(tmp_path):
    ctx = CommandContext(str(tmp_path / "centrala.db"), str(tmp_path / "absent.sock"))
    for line in ("spans", "span span1", "trace span1 on", "trace span1 show"):
        try:
            run_command(ctx, line.split())
        except CommandFailed as exc:
            assert "daemon not running" in str(exc)
        else:
            raise AssertionError(f"{line} did not fail")
