"""``centrala simulate SCENARIO.yaml --json``: the figures on stdout, errors on stderr."""

import json

from firmware.simulator.cli import simulate_main

SCENARIO = """\
seed: 7
duration: 2h
agents:
  - {count: 4, prefix: s, skills: {sales: 5}}
  - {name: lena, skills: {sales: 3, support: 8}}
queues:
  - {name: sales, strategy: round-robin, service_level_seconds: 20, wrapup_seconds: 10}
  - {name: support, strategy: ring-all, service_level_seconds: 30}
inbound:
  - {queue: sales, calls_per_hour: 60,
     handle_seconds: {dist: exponential, mean: 180},
     patience_seconds: {dist: exponential, mean: 120}}
  - {queue: support, calls_per_hour: 10,
     handle_seconds: {dist: gamma, mean: 240, shape: 2},
     patience_seconds: none}
"""


def test_json_output_has_every_queue_and_the_issue_keys(tmp_path, capsys):
    path = tmp_path / "center.yaml"
    path.write_text(SCENARIO)
    assert simulate_main([str(path), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert set(report) == {"queues", "agents"}
    assert set(report["queues"]) == {"sales", "support"}
    for figures in report["queues"].values():
        assert set(figures) == {
            "offered", "answered", "abandoned", "service_level", "asa", "aht", "max_wait",
            "ewt_mae",
        }
        assert figures["offered"] >= figures["answered"] + figures["abandoned"]
        assert 0 <= figures["service_level"] <= 1
    assert 0 < report["agents"]["occupancy"] < 1


def test_same_file_prints_the_same_figures(tmp_path, capsys):
    path = tmp_path / "center.yaml"
    path.write_text(SCENARIO)
    simulate_main([str(path), "--json"])
    first = capsys.readouterr().out
    simulate_main([str(path), "--json"])
    assert capsys.readouterr().out == first


def test_without_json_a_table_is_printed(tmp_path, capsys):
    path = tmp_path / "center.yaml"
    path.write_text(SCENARIO)
    assert simulate_main([str(path)]) == 0
    out = capsys.readouterr().out
    assert "support" in out and "occupancy" in out


def test_bad_scenario_exits_2_naming_the_field(tmp_path, capsys):
    path = tmp_path / "center.yaml"
    path.write_text(SCENARIO.replace("mean: 180", "mean: -180"))
    assert simulate_main([str(path), "--json"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "inbound[0].handle_seconds.mean: must be a positive number" in captured.err


def test_missing_file_exits_2_with_a_sentence(tmp_path, capsys):
    assert simulate_main([str(tmp_path / "nowhere.yaml"), "--json"]) == 2
    assert "cannot read" in capsys.readouterr().err


def test_missing_argument_is_a_usage_error(capsys):
    assert simulate_main([]) == 2
    assert "usage" in capsys.readouterr().err
