"""``centrala simulate SCENARIO.yaml [--json]``: run a scenario and print its KPIs.

Returns 0 with the figures on stdout, or 2 with one sentence on stderr for a
scenario that cannot be read or is refused (naming the bad field).
"""

from __future__ import annotations

import argparse
import json
import sys

from firmware.simulator.errors import ScenarioError
from firmware.simulator.report import simulation_report
from firmware.simulator.scenario import load_scenario
from firmware.simulator.world import simulate


def simulate_main(argv: list[str]) -> int:
    """Run the scenario file named in ``argv`` (``[SCENARIO, "--json"]``); the exit code."""
    parser = argparse.ArgumentParser(
        prog="centrala simulate", description="run a call-center scenario on the real ACD"
    )
    parser.add_argument("scenario", help="YAML scenario file")
    parser.add_argument("--json", action="store_true", help="print the KPIs as one JSON object")
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse has printed the usage error
        return int(exc.code or 0)
    try:
        scenario = load_scenario(args.scenario)
    except ScenarioError as exc:
        print(f"centrala simulate: {args.scenario}: {exc}", file=sys.stderr)
        return 2
    except (OSError, UnicodeDecodeError) as exc:
        print(f"centrala simulate: cannot read {args.scenario}: {exc}", file=sys.stderr)
        return 2
    result = simulate(scenario)
    if result.unfinished:
        print(
            f"centrala simulate: {result.unfinished} callers were still in the box "
            "a day after the last arrival and are not counted",
            file=sys.stderr,
        )
    report = simulation_report(result)
    if args.json:
        print(json.dumps(report))
    else:
        _print_table(report)
    return 0


def _print_table(report: dict) -> None:
    print(f"{'queue':<20} {'offered':>8} {'answered':>8} {'abandoned':>9} "
          f"{'SL':>7} {'ASA':>8} {'AHT':>8} {'max wait':>9} {'EWT error':>9}")
    for name, q in report["queues"].items():
        print(
            f"{name:<20} {q['offered']:>8} {q['answered']:>8} {q['abandoned']:>9} "
            f"{_percent(q['service_level']):>7} {_secs(q['asa']):>8} {_secs(q['aht']):>8} "
            f"{_secs(q['max_wait']):>9} {_secs(q['ewt_mae']):>9}"
        )
    print(f"agent occupancy: {_percent(report['agents']['occupancy'])}")


def _percent(value: float | None) -> str:
    return "-" if value is None else f"{value * 100:.1f}%"


def _secs(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}s"
