"""The ``centrala`` command: the daemon, the demo, and DSP tools."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys
from pathlib import Path

from firmware import __version__


def main(argv: list[str] | None = None) -> int:
    # The media tick's small matrix products are slower, not faster, when BLAS
    # spreads them over threads that compete with the tick itself; set before
    # numpy is first imported.
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    parser = argparse.ArgumentParser(prog="centrala", description="Centrala call-center box")
    parser.add_argument("--version", action="version", version=f"centrala {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug messages")
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="run the daemon, as systemd starts it")
    run.add_argument("--config", required=True, help="TOML file with the start-up settings")

    console = sub.add_parser("console", help="the serial console on a UART")
    console.add_argument("--config", required=True, help="the daemon's TOML settings file")
    console.add_argument("--port", default="/dev/ttyS0", help="serial port (default /dev/ttyS0)")
    console.add_argument("--baud", type=int, default=115200, help="speed (default 115200)")

    demo = sub.add_parser("demo", help="the whole box on simulated hardware, with traffic")
    demo.add_argument("--data", default="var", help="state directory (default ./var)")
    demo.add_argument("--port", type=int, default=8080, help="web UI port (default 8080)")
    demo.add_argument("--no-web", action="store_true", help="do not start the web UI")
    demo.add_argument("--seed", type=int, default=None, help="seed of the synthetic traffic")

    # pri-dut parses its own flags (it must ignore unknown ones with a warning).
    sub.add_parser("pri-dut", help="our ISDN PRI user side over $PRI_SOCKET (interop tests)")

    # simulate parses its own arguments too: SCENARIO.yaml [--json].
    sub.add_parser("simulate", help="run the ACD on a scenario in virtual time, print KPIs")

    dsp = sub.add_parser("dsp", help="signal tools")
    dsp_sub = dsp.add_subparsers(dest="tool", required=True)
    dtmf = dsp_sub.add_parser("dtmf", help="print the DTMF digits in a WAV file")
    dtmf.add_argument("file")
    cid = dsp_sub.add_parser("cid", help="print the caller-ID messages in a WAV file as JSON")
    cid.add_argument("file")

    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["pri-dut"]:
        from firmware.pri.dut import pri_dut_main

        return pri_dut_main(argv[1:])
    if argv[:1] == ["simulate"]:
        from firmware.simulator.cli import simulate_main

        return simulate_main(argv[1:])
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    if args.command == "dsp":
        from firmware.media.cli import cid_command, dtmf_command

        try:
            return dtmf_command(args.file) if args.tool == "dtmf" else cid_command(args.file)
        except BrokenPipeError:  # the reader (e.g. head) stopped early: not an error
            sys.stderr.close()
            return 0
    if args.command == "run":
        return _run(args.config)
    if args.command == "console":
        return _console(args.config, args.port, args.baud)
    return _demo(Path(args.data), args.port, not args.no_web, args.seed)


def _run(config: str) -> int:
    from firmware.box import run_daemon
    from firmware.settings import SettingsError, load_settings
    from hal.clock import MonotonicClock

    try:
        settings = load_settings(config)
    except SettingsError as exc:
        print(f"centrala: bad settings: {exc}", file=sys.stderr)
        return 2
    return asyncio.run(_until_signalled(lambda stop: run_daemon(settings, MonotonicClock(), stop)))


def _console(config: str, port: str, baud: int) -> int:
    import threading

    from firmware.console.commands import CommandContext
    from firmware.console.port import serve
    from firmware.settings import SettingsError, load_settings
    from hal.clock import MonotonicClock

    try:
        settings = load_settings(config)
    except SettingsError as exc:
        print(f"centrala: bad settings: {exc}", file=sys.stderr)
        return 2
    context = CommandContext(str(settings.database), str(settings.socket_path))
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        serve(port, context, MonotonicClock(), stop, baud)
    except KeyboardInterrupt:
        pass
    except OSError as exc:
        print(f"centrala: cannot open {port}: {exc}", file=sys.stderr)
        return 1
    return 0


def _demo(data: Path, port: int, web: bool, seed: int | None) -> int:
    from firmware.demo import run_demo

    return asyncio.run(_until_signalled(lambda stop: run_demo(data, port, web, seed, stop)))


async def _until_signalled(start) -> int:  # type: ignore[no-untyped-def]
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    result = await start(stop)
    return int(result or 0)


if __name__ == "__main__":
    sys.exit(main())
