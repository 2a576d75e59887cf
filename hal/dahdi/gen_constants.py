"""Generate ``hal/dahdi/constants.py`` from DAHDI's own ``dahdi/user.h``.

ioctl request numbers encode the size of their argument struct, so a number typed
in by hand is wrong the day a struct changes. This script writes a small C program
(``constants_probe.c``, beside this file), compiles it against the installed
header, runs it, and turns what it prints into the Python module. Run it again
after a DAHDI upgrade::

    python -m hal.dahdi.gen_constants            # rewrite constants.py
    python -m hal.dahdi.gen_constants --check    # exit 1 if constants.py is stale

The header comes from Debian's ``dahdi-source``: ``/usr/include/dahdi/user.h``, or
else the driver tarball it ships under ``/usr/src`` (unpacked to a temporary folder).
"""

from __future__ import annotations

import argparse
import platform
import shutil
import subprocess
import sys
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
PROBE_C = HERE / "constants_probe.c"
CONSTANTS_PY = HERE / "constants.py"
SYSTEM_INCLUDE = Path("/usr/include")
SOURCE_TARBALL = Path("/usr/src/dahdi.tar.bz2")

# ioctl requests the backend issues.
IOCTLS = (
    "DAHDI_SPECIFY",
    "DAHDI_GET_BLOCKSIZE",
    "DAHDI_SET_BLOCKSIZE",
    "DAHDI_SETLAW",
    "DAHDI_GET_PARAMS",
    "DAHDI_SET_PARAMS",
    "DAHDI_HOOK",
    "DAHDI_GETEVENT",
    "DAHDI_GETGAINS",
    "DAHDI_SETGAINS",
    "DAHDI_ECHOCANCEL_PARAMS",
    "DAHDI_SETCADENCE",
    "DAHDI_SPANSTAT",
    "DAHDI_FLUSH",
    "DAHDI_GET_BUFINFO",
    "DAHDI_SET_BUFINFO",
)

# Plain integer constants: hook commands, laws, events, signalling, alarms, line config.
VALUES = (
    "ELAST",
    "DAHDI_ONHOOK", "DAHDI_OFFHOOK", "DAHDI_WINK", "DAHDI_FLASH", "DAHDI_START",
    "DAHDI_RING", "DAHDI_RINGOFF",
    "DAHDI_LAW_DEFAULT", "DAHDI_LAW_MULAW", "DAHDI_LAW_ALAW",
    "DAHDI_FLUSH_READ", "DAHDI_FLUSH_WRITE", "DAHDI_FLUSH_BOTH", "DAHDI_FLUSH_EVENT",
    "DAHDI_FLUSH_ALL",
    "DAHDI_MAX_CADENCE", "DAHDI_MAX_ECHOCANPARAMS", "DAHDI_MAX_BLOCKSIZE",
    "DAHDI_MAX_NUM_BUFS", "DAHDI_MAX_EVENTSIZE", "DAHDI_POLICY_IMMEDIATE",
    "DAHDI_EVENT_NONE", "DAHDI_EVENT_ONHOOK", "DAHDI_EVENT_RINGOFFHOOK",
    "DAHDI_EVENT_WINKFLASH", "DAHDI_EVENT_ALARM", "DAHDI_EVENT_NOALARM",
    "DAHDI_EVENT_ABORT", "DAHDI_EVENT_OVERRUN", "DAHDI_EVENT_BADFCS",
    "DAHDI_EVENT_DIALCOMPLETE", "DAHDI_EVENT_RINGERON", "DAHDI_EVENT_RINGEROFF",
    "DAHDI_EVENT_HOOKCOMPLETE", "DAHDI_EVENT_BITSCHANGED", "DAHDI_EVENT_PULSE_START",
    "DAHDI_EVENT_POLARITY", "DAHDI_EVENT_RINGBEGIN", "DAHDI_EVENT_EC_DISABLED",
    "DAHDI_EVENT_REMOVED", "DAHDI_EVENT_READ_OVERRUN", "DAHDI_EVENT_WRITE_UNDERRUN",
    "DAHDI_EVENT_PULSEDIGIT", "DAHDI_EVENT_DTMFDOWN", "DAHDI_EVENT_DTMFUP",
    "DAHDI_SIG_NONE", "DAHDI_SIG_FXSLS", "DAHDI_SIG_FXSGS", "DAHDI_SIG_FXSKS",
    "DAHDI_SIG_FXOLS", "DAHDI_SIG_FXOGS", "DAHDI_SIG_FXOKS", "DAHDI_SIG_EM",
    "DAHDI_SIG_CLEAR", "DAHDI_SIG_HDLCRAW", "DAHDI_SIG_HDLCFCS", "DAHDI_SIG_HARDHDLC",
    "DAHDI_SIG_CAS", "DAHDI_SIG_BROKEN",
    "DAHDI_ALARM_NONE", "DAHDI_ALARM_RECOVER", "DAHDI_ALARM_LOOPBACK",
    "DAHDI_ALARM_YELLOW", "DAHDI_ALARM_RED", "DAHDI_ALARM_BLUE", "DAHDI_ALARM_NOTOPEN",
    "DAHDI_ALARM_LOS", "DAHDI_ALARM_LFA", "DAHDI_ALARM_LMFA",
    "DAHDI_CONFIG_AMI", "DAHDI_CONFIG_B8ZS", "DAHDI_CONFIG_D4", "DAHDI_CONFIG_ESF",
    "DAHDI_CONFIG_CCS", "DAHDI_CONFIG_HDB3", "DAHDI_CONFIG_CRC4",
)

# Structs whose bytes the backend packs or parses: every field's offset, and the size.
STRUCTS: dict[str, tuple[str, ...]] = {
    "dahdi_params": (
        "channo", "spanno", "chanpos", "sigtype", "sigcap", "rxisoffhook", "rxbits",
        "txbits", "txhooksig", "rxhooksig", "curlaw", "idlebits", "name", "prewinktime",
        "preflashtime", "winktime", "flashtime", "starttime", "rxwinktime", "rxflashtime",
        "debouncetime", "pulsebreaktime", "pulsemaketime", "pulseaftertime", "chan_alarms",
    ),
    "dahdi_gains": ("chan", "rxgain", "txgain"),
    "dahdi_echocanparams": ("tap_length", "param_count"),
    "dahdi_echocanparam": ("name", "value"),
    "dahdi_ring_cadence": ("ringcadence",),
    "dahdi_bufferinfo": (
        "txbufpolicy", "rxbufpolicy", "numbufs", "bufsize", "readbufs", "writebufs",
    ),
    "dahdi_spaninfo": (
        "spanno", "name", "desc", "alarms", "txlevel", "rxlevel", "bpvcount", "crc4count",
        "ebitcount", "fascount", "fecount", "cvcount", "becount", "prbs", "errsec",
        "irqmisses", "syncsrc", "numchans", "totalchans", "totalspans", "lbo", "lineconfig",
        "lboname", "location", "manufacturer", "devicetype", "irq", "linecompat", "spantype",
    ),
}


class GeneratorError(Exception):
    """The header or a C compiler is missing, or the probe failed."""


@dataclass(frozen=True)
class Probe:
    """What the compiled probe printed, and which header it was built against."""

    ioctls: dict[str, int]
    values: dict[str, int]
    sizes: dict[str, int]
    offsets: dict[str, dict[str, int]]
    dahdi_version: str


def probe_source() -> str:
    """The C program: one ``kind name value`` line per number we need."""
    lines = [
        "/* Written by hal/dahdi/gen_constants.py: prints the DAHDI numbers the backend uses. */",
        "#include <stddef.h>",
        "#include <stdio.h>",
        "#include <dahdi/user.h>",
        "",
        "int main(void)",
        "{",
    ]
    for name in IOCTLS:
        lines.append(f'\tprintf("ioctl {name} %lu\\n", (unsigned long)({name}));')
    for name in VALUES:
        lines.append(f'\tprintf("value {name} %ld\\n", (long)({name}));')
    for struct_name, fields in STRUCTS.items():
        lines.append(
            f'\tprintf("size {struct_name} %zu\\n", sizeof(struct {struct_name}));'
        )
        for field in fields:
            lines.append(
                f'\tprintf("offset {struct_name}.{field} %zu\\n", '
                f"offsetof(struct {struct_name}, {field}));"
            )
    lines += ["\treturn 0;", "}", ""]
    return "\n".join(lines)


def find_include_dir(workdir: Path) -> tuple[Path, str]:
    """The folder holding ``dahdi/user.h``, and the DAHDI version it belongs to."""
    version = _package_version()
    if (SYSTEM_INCLUDE / "dahdi" / "user.h").is_file():
        return SYSTEM_INCLUDE, version
    if SOURCE_TARBALL.is_file():
        with tarfile.open(SOURCE_TARBALL) as tar:
            wanted = [
                m for m in tar.getmembers()
                if "/include/dahdi/" in m.name or m.name.endswith("/.version")
            ]
            tar.extractall(workdir, members=wanted, filter="data")
        headers = sorted(workdir.rglob("include/dahdi/user.h"))
        if headers:
            if version == "unknown":
                stamps = sorted(workdir.rglob(".version"))
                version = stamps[0].read_text().strip() if stamps else version
            return headers[0].parent.parent, version
    raise GeneratorError(
        "dahdi/user.h not found: install Debian's dahdi-source "
        f"(it provides {SYSTEM_INCLUDE}/dahdi/user.h and {SOURCE_TARBALL})"
    )


def _package_version() -> str:
    if shutil.which("dpkg-query") is None:
        return "unknown"
    done = subprocess.run(
        ["dpkg-query", "-W", "-f=${Version}", "dahdi-source"],
        capture_output=True, text=True, check=False,
    )
    return done.stdout.strip() if done.returncode == 0 and done.stdout.strip() else "unknown"


def run_probe(write_source: bool = True) -> Probe:
    """Compile and run the probe against the installed header."""
    compiler = shutil.which("cc") or shutil.which("gcc")
    if compiler is None:
        raise GeneratorError("no C compiler (cc or gcc) on this machine")
    source = probe_source()
    with tempfile.TemporaryDirectory(prefix="dahdi-probe-") as tmp:
        work = Path(tmp)
        include_dir, version = find_include_dir(work)
        c_file = PROBE_C if write_source else work / PROBE_C.name
        c_file.write_text(source)
        exe = work / "probe"
        build = subprocess.run(
            [compiler, "-std=gnu11", "-Wall", "-I", str(include_dir), "-o", str(exe),
             str(c_file)],
            capture_output=True, text=True, check=False,
        )
        if build.returncode != 0:
            raise GeneratorError(f"the probe did not compile:\n{build.stderr}")
        out = subprocess.run([str(exe)], capture_output=True, text=True, check=True).stdout
    return parse_probe_output(out, version)


def parse_probe_output(text: str, version: str) -> Probe:
    """Turn the probe's lines into a :class:`Probe`."""
    ioctls: dict[str, int] = {}
    values: dict[str, int] = {}
    sizes: dict[str, int] = {}
    offsets: dict[str, dict[str, int]] = {name: {} for name in STRUCTS}
    for line in text.splitlines():
        kind, name, number = line.split()
        if kind == "ioctl":
            ioctls[name] = int(number)
        elif kind == "value":
            values[name] = int(number)
        elif kind == "size":
            sizes[name] = int(number)
        elif kind == "offset":
            struct_name, field = name.split(".")
            offsets[struct_name][field] = int(number)
        else:
            raise GeneratorError(f"unexpected probe line {line!r}")
    return Probe(ioctls, values, sizes, offsets, version)


def render(probe: Probe) -> str:
    """The text of ``constants.py``."""
    out = [
        '"""DAHDI ioctl numbers, constants and struct layouts, generated from dahdi/user.h.',
        "",
        f"DAHDI version: {probe.dahdi_version} (Debian dahdi-source).",
        f"Generated on {platform.machine()} by ``python -m hal.dahdi.gen_constants``, which",
        "compiles hal/dahdi/constants_probe.c against the header and records what it prints.",
        "Do not edit by hand; run the generator again after a DAHDI upgrade. The structs used",
        "hold only int, __u32 and char fields, so sizes and offsets are the same on every",
        "Linux ABI the box runs on (x86_64, arm64, armhf).",
        '"""',
        "",
        "# ruff: noqa: E501",
        "",
        "# ioctl requests",
    ]
    out += [f"{name} = 0x{value:08X}" for name, value in probe.ioctls.items()]
    out += ["", "# constants"]
    out += [f"{name} = {value}" for name, value in probe.values.items()]
    out += ["", "# struct sizes (bytes)"]
    out += [f"SIZEOF_{name.upper()} = {value}" for name, value in probe.sizes.items()]
    out += ["", "# struct field offsets (bytes)"]
    for struct_name, fields in probe.offsets.items():
        body = ", ".join(f'"{field}": {offset}' for field, offset in fields.items())
        out.append(f"OFFSETS_{struct_name.upper()} = {{{body}}}")
    out.append("")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare, do not write")
    args = parser.parse_args(argv)
    try:
        probe = run_probe(write_source=not args.check)
    except GeneratorError as exc:
        print(f"gen_constants: {exc}", file=sys.stderr)
        return 2
    text = render(probe)
    if args.check:
        stale = CONSTANTS_PY.read_text() != text
        print("constants.py is stale" if stale else "constants.py is up to date")
        return 1 if stale else 0
    CONSTANTS_PY.write_text(text)
    print(f"wrote {CONSTANTS_PY.name} and {PROBE_C.name} (DAHDI {probe.dahdi_version})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
