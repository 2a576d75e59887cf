"""The committed DAHDI constants still match dahdi/user.h (recompiled when it is installed)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from hal.dahdi import constants, gen_constants

HEADER_PRESENT = Path("/usr/include/dahdi/user.h").is_file() or Path(
    "/usr/src/dahdi.tar.bz2"
).is_file()
COMPILER = shutil.which("cc") or shutil.which("gcc")

needs_header = pytest.mark.skipif(
    not (HEADER_PRESENT and COMPILER),
    reason="dahdi/user.h (Debian dahdi-source) or a C compiler is not installed",
)


@needs_header
def test_committed_constants_match_the_installed_header() -> None:
    probe = gen_constants.run_probe(write_source=False)
    for name, value in {**probe.ioctls, **probe.values}.items():
        assert getattr(constants, name) == value, name
    for struct_name, size in probe.sizes.items():
        assert getattr(constants, f"SIZEOF_{struct_name.upper()}") == size, struct_name
    for struct_name, offsets in probe.offsets.items():
        assert getattr(constants, f"OFFSETS_{struct_name.upper()}") == offsets, struct_name


def test_committed_probe_source_is_what_the_generator_writes() -> None:
    assert gen_constants.PROBE_C.read_text() == gen_constants.probe_source()


def test_every_generated_name_is_in_the_module() -> None:
    for name in (*gen_constants.IOCTLS, *gen_constants.VALUES):
        assert isinstance(getattr(constants, name), int), name
    for struct_name, fields in gen_constants.STRUCTS.items():
        offsets = getattr(constants, f"OFFSETS_{struct_name.upper()}")
        assert tuple(offsets) == fields


def test_probe_output_is_parsed_into_its_parts() -> None:
    text = "ioctl DAHDI_HOOK 1074059783\nvalue DAHDI_RING 5\nsize dahdi_gains 516\n" \
        "offset dahdi_gains.txgain 260\n"
    probe = gen_constants.parse_probe_output(text, "9.9")
    assert probe.ioctls == {"DAHDI_HOOK": 0x4004DA07}
    assert probe.values == {"DAHDI_RING": 5}
    assert probe.sizes == {"dahdi_gains": 516}
    assert probe.offsets["dahdi_gains"] == {"txgain": 260}
    with pytest.raises(gen_constants.GeneratorError):
        gen_constants.parse_probe_output("bogus X 1\n", "9.9")
