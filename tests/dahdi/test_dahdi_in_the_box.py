"""The daemon on DAHDI: system.conf written and applied, channels opened as ports."""

from __future__ import annotations

from pathlib import Path

import pytest
from pytest_mock import MockerFixture

from firmware.box import open_card
from firmware.settings import SettingsError, parse_settings
from hal.clock import ManualClock
from hal.interface import Law


def test_dahdi_backend_writes_system_conf_runs_dahdi_cfg_and_opens_the_lines(
    tmp_path: Path, mocker: MockerFixture
) -> None:
    ran: list[list[str]] = []
    mocker.patch(
        "hal.dahdi.system_conf.subprocess.run",
        side_effect=lambda args, **kw: ran.append(args) or mocker.MagicMock(
            returncode=0, stdout="", stderr=""
        ),
    )
    # The channels themselves open through the driver, as the card tests prove byte by byte.
    opened = mocker.patch("hal.dahdi.card.DahdiCard")
    conf = tmp_path / "system.conf"
    settings = parse_settings(
        {"card": {"backend": "dahdi", "fxo_channels": [1, 2], "fxs_channels": [3, 4],
                  "system_conf": str(conf)}},
        tmp_path,
    )
    clock = ManualClock()
    assert open_card(settings, clock) is opened.return_value
    opened.assert_called_once_with(clock, [1, 2, 3, 4], law=Law.ALAW)
    text = conf.read_text()
    # DAHDI names the far end: our exchange lines are fxsks, our phones fxoks.
    for line in ("fxsks=1", "fxsks=2", "fxoks=3", "fxoks=4", "loadzone=pl"):
        assert line in text.splitlines(), line
    assert [args[1] for args in ran] == ["-t", "-c"]


def test_dahdi_backend_needs_its_channels(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="fxo_channels"):
        parse_settings({"card": {"backend": "dahdi"}}, tmp_path)
    with pytest.raises(SettingsError, match="fxs_channels"):
        parse_settings({"card": {"backend": "dahdi", "fxs_channels": [0]}}, tmp_path)
