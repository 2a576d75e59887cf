"""system.conf from the box's lines, checked against hand-written files, and dahdi_cfg runs."""

from __future__ import annotations

import subprocess
from collections.abc import Sequence
from pathlib import Path

import pytest

from hal.dahdi.system_conf import (
    AnalogPort,
    BoxLines,
    DChannelMode,
    E1Span,
    Framing,
    LineCode,
    SystemConfError,
    apply,
    channel_list,
    render,
)
from hal.interface import PortKind

EXPECTED = Path(__file__).parent / "expected"


def four_port_card() -> BoxLines:
    return BoxLines(
        country="PL",
        analog=(
            AnalogPort(1, PortKind.FXO, 1),
            AnalogPort(2, PortKind.FXO, 2),
            AnalogPort(3, PortKind.FXS, 1),
            AnalogPort(4, PortKind.FXS, 2, echo_canceller=False),
        ),
    )


def mixed_box() -> BoxLines:
    return BoxLines(
        country="de",
        echo_canceller="oslec",
        analog=(AnalogPort(1, PortKind.FXO, 1),)
        + tuple(AnalogPort(n + 1, PortKind.FXS, n) for n in (1, 2, 3)),
        spans=(
            E1Span(2, first_channel=5, timing=1),
            E1Span(3, first_channel=36, timing=2, crc4=False, dchannel=DChannelMode.DCHAN,
                   echo_canceller=False),
            E1Span(4, first_channel=67, timing=0, framing=Framing.CAS, coding=LineCode.AMI,
                   crc4=False),
        ),
    )


class Runner:
    """Stands in for subprocess.run: records each dahdi_cfg call and what the file held."""

    def __init__(self, fail_on: str | None = None) -> None:
        self.calls: list[list[str]] = []
        self.seen: list[str] = []
        self.fail_on = fail_on

    def __call__(self, args: Sequence[str]) -> subprocess.CompletedProcess[str]:
        self.calls.append(list(args))
        self.seen.append(Path(args[-1]).read_text())
        if self.fail_on and self.fail_on in args:
            return subprocess.CompletedProcess(args, 1, "", "line 9: Invalid span")
        return subprocess.CompletedProcess(args, 0, "", "")


def test_four_port_analog_card_matches_the_hand_written_file() -> None:
    assert render(four_port_card()) == (EXPECTED / "analog_4port.conf").read_text()


def test_mixed_analog_and_e1_box_matches_the_hand_written_file() -> None:
    assert render(mixed_box()) == (EXPECTED / "mixed_analog_e1.conf").read_text()


def test_channel_lists_use_ranges() -> None:
    assert channel_list([5, 6, 7, 9, 11, 12]) == "5-7,9,11-12"
    assert channel_list([3]) == "3"


def test_apply_checks_with_dahdi_cfg_then_writes_and_applies(tmp_path: Path) -> None:
    target = tmp_path / "dahdi" / "system.conf"
    runner = Runner()
    text = apply(four_port_card(), target, runner=runner)
    assert target.read_text() == text
    check, run = runner.calls
    assert check[:3] == ["dahdi_cfg", "-t", "-c"] and check[3] != str(target)
    assert run == ["dahdi_cfg", "-c", str(target)]
    assert runner.seen == [text, text]
    assert [p.name for p in target.parent.iterdir()] == ["system.conf"]


def test_a_file_dahdi_cfg_rejects_changes_nothing(tmp_path: Path) -> None:
    target = tmp_path / "system.conf"
    target.write_text("# the working configuration\n")
    with pytest.raises(SystemConfError, match="checking system.conf: line 9: Invalid span"):
        apply(mixed_box(), target, runner=Runner(fail_on="-t"))
    assert target.read_text() == "# the working configuration\n"
    assert [p.name for p in tmp_path.iterdir()] == ["system.conf"]


def test_missing_dahdi_cfg_is_a_clear_error(tmp_path: Path) -> None:
    def absent(args: Sequence[str]) -> subprocess.CompletedProcess[str]:
        raise FileNotFoundError(2, "No such file or directory", "dahdi_cfg")

    with pytest.raises(SystemConfError, match="dahdi package installed"):
        apply(four_port_card(), tmp_path / "system.conf", runner=absent)
    assert not (tmp_path / "system.conf").exists()


@pytest.mark.parametrize(
    ("box", "message"),
    [
        (BoxLines("XX"), "country: no DAHDI tone zone for 'XX'"),
        (BoxLines("PL", echo_canceller="best"), "echo_canceller: 'best'"),
        (BoxLines("PL", analog=(AnalogPort(1, PortKind.FXO, 1), AnalogPort(1, PortKind.FXS, 1))),
         "fxs1: channel 1 is already used by analog port fxo1"),
        (BoxLines("PL", spans=(E1Span(1, 1, timing=1), E1Span(2, 32, timing=1))),
         "span 2: timing priority 1 is already span 1's"),
        (BoxLines("PL", analog=(AnalogPort(5, PortKind.FXO, 1),), spans=(E1Span(1, 1),)),
         "span 1: channel 5 is already used by analog port fxo1"),
        (BoxLines("PL", spans=(E1Span(1, 1, line_build_out=9),)), "line_build_out is 0…7"),
    ],
)
def test_impossible_descriptions_are_refused_naming_the_field(box: BoxLines, message: str) -> None:
    with pytest.raises(SystemConfError, match=message.replace("(", r"\(").replace(")", r"\)")):
        render(box)
