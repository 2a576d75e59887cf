"""DSP benchmark: DTMF detection against spandsp, and the media engine's tick cost.

Prints, in one run:

* the cost of a full :meth:`MediaEngine.tick` (G.711 both ways, DTMF detection, tone
  playout and bridges) at 30, 120 and 480 channels: p50 and p99 CPU time per 20 ms
  tick, the share of one core, and the process's peak RSS so far;
* DTMF detection throughput, in channel-seconds of audio per CPU-second, of our
  batch detector and of spandsp's ``dtmf_rx`` (a small C program built from
  ``bench/spandsp_dtmf.c`` against libspandsp-dev in a temporary directory) on the
  same 480 channels x 60 s of mixed audio with digits, their ratio, and the digits
  each one found.

Run: ``python bench/dsp_bench.py [seconds]`` (seconds of audio per channel, 60). Each
detector runs three times, in turn with the other, and the best CPU time of each counts,
so a busy machine skews both alike.
"""

from __future__ import annotations

import os

# Tuning variables some shells set for other machines would skew the BLAS kernels we
# time; drop them for this process only, before numpy loads. The media tick runs on
# one thread, so BLAS gets one thread too (a caller may still choose otherwise).
for _name in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):
    os.environ.pop(_name, None)
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import resource  # noqa: E402
import shutil  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
from scipy import signal  # noqa: E402

from firmware.media.dtmf import DIGITS, DtmfDetector, generate_dtmf  # noqa: E402
from firmware.media.engine import MediaEngine  # noqa: E402
from firmware.media.levels import DBM0_RMS  # noqa: E402
from hal import g711  # noqa: E402
from hal.interface import FRAME_SAMPLES, SAMPLE_RATE, Law  # noqa: E402

CHANNELS = 480
ENGINE_SIZES = (30, 120, 480)
ENGINE_TICKS = 1500  # 30 s of audio per size
HELPER_SOURCE = Path(__file__).with_name("spandsp_dtmf.c")


def peak_rss_mb() -> float:
    """Peak resident set size of this process so far (Linux reports kilobytes)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def mixed_audio(
    n_channels: int, seconds: float, gap: tuple[float, float], rng: np.random.Generator
) -> tuple[np.ndarray, list[str]]:
    """(n_channels, samples) int16 of line noise, speech-like bursts and DTMF strings.

    Two channels in three carry speech-like sound (band-passed noise in syllables,
    -15 to -25 dBm0); every channel gets a string of 4 to 10 digits every ``gap`` s,
    at -8 to -22 dBm0 with 0 to 4 dB twist, 50 to 100 ms on and off, over silence.
    Returns the audio and the digits sent on each channel.
    """
    n = int(seconds * SAMPLE_RATE)
    audio = np.empty((n_channels, n), dtype=np.int16)
    sent: list[str] = []
    syllable = SAMPLE_RATE // 8  # 125 ms on/off steps of the speech envelope
    for first in range(0, n_channels, 32):
        rows = min(32, n_channels - first)
        noise = rng.standard_normal((rows, n)) * DBM0_RMS * 10 ** (-55 / 20)
        voice = signal.lfilter([1.0, 0.0, -1.0], [1.0, -1.3, 0.8], rng.standard_normal((rows, n)))
        envelope = rng.random((rows, n // syllable + 1)) < 0.55
        envelope &= (first + np.arange(rows))[:, None] % 3 != 0
        gain = DBM0_RMS * 10 ** (rng.uniform(-25, -15, (rows, 1)) / 20) / voice.std()
        block = noise + voice * gain * np.repeat(envelope, syllable, axis=1)[:, :n]
        for row in range(rows):
            digits = ""
            at = int(rng.uniform(0.5, 3.0) * SAMPLE_RATE)
            while True:
                text = "".join(rng.choice(list(DIGITS), int(rng.integers(4, 11))))
                tones = generate_dtmf(
                    text,
                    level_dbm0=float(rng.uniform(-22, -8)),
                    twist_db=float(rng.uniform(0, 4)),
                    on_ms=int(rng.integers(50, 101)),
                    off_ms=int(rng.integers(50, 101)),
                )
                if at + tones.size + SAMPLE_RATE // 2 > n:
                    break
                block[row, at - 400 : at + tones.size] = noise[row, at - 400 : at + tones.size]
                block[row, at : at + tones.size] += tones
                digits += text
                at += tones.size + int(rng.uniform(*gap) * SAMPLE_RATE)
            sent.append(digits)
        audio[first : first + rows] = np.clip(np.rint(block), -32768, 32767)
    return audio, sent


def run_centrala(audio: np.ndarray) -> tuple[float, list[str]]:
    """CPU seconds our detector spends on ``audio`` tick by tick, and its digits."""
    n_channels, n = audio.shape
    detector = DtmfDetector(n_channels, SAMPLE_RATE)
    found = [""] * n_channels
    used = 0.0
    for k in range(n // FRAME_SAMPLES):
        block = np.ascontiguousarray(audio[:, k * FRAME_SAMPLES : (k + 1) * FRAME_SAMPLES])
        start = time.process_time()
        events = detector.process(block, (k + 1) * FRAME_SAMPLES / SAMPLE_RATE)
        used += time.process_time() - start
        for ch, digit, _ in events:
            found[ch] += digit
    return used, found


def run_spandsp(audio: np.ndarray, folder: Path) -> tuple[float, list[str]] | str:
    """CPU seconds spandsp's dtmf_rx spends on ``audio``, and its digits; or why not."""
    gcc = shutil.which("gcc")
    if gcc is None:
        return "gcc not found"
    helper = folder / "spandsp_dtmf"
    build = subprocess.run(
        [gcc, "-O2", "-o", str(helper), str(HELPER_SOURCE), "-lspandsp"],
        capture_output=True,
        text=True,
    )
    if build.returncode != 0:
        return f"cannot build the spandsp helper (is libspandsp-dev installed?): {build.stderr}"
    samples = folder / "audio.raw"
    np.ascontiguousarray(audio).tofile(samples)
    n_channels, n = audio.shape
    done = subprocess.run(
        [str(helper), str(samples), str(n_channels), str(n)], capture_output=True, text=True
    )
    if done.returncode != 0:
        return f"the spandsp helper failed: {done.stderr}"
    lines = done.stdout.splitlines()
    used = float(lines[0].split()[1])
    return used, ["" if line == "-" else line for line in lines[1 : 1 + n_channels]]


def agreement(found: list[str], sent: list[str]) -> str:
    total = sum(len(f) for f in found)
    exact = sum(f == s for f, s in zip(found, sent, strict=True))
    return f"{total} digits, {exact}/{len(sent)} channels exactly as sent"


def bench_dtmf(seconds: float, rounds: int, gap: tuple[float, float], name: str) -> None:
    rng = np.random.default_rng(2024)
    audio, sent = mixed_audio(CHANNELS, seconds, gap, rng)
    channel_seconds = CHANNELS * audio.shape[1] / SAMPLE_RATE
    print(f"DTMF detection, {name}: {CHANNELS} channels x {seconds:g} s of speech-like audio "
          f"and noise, a string of 4-10 digits every {gap[0]:g}-{gap[1]:g} s on every channel")
    print(f"  digits sent         {sum(len(s) for s in sent)}")
    ours: list[float] = []
    theirs: list[float] = []
    their_found: list[str] | None = None
    why_not = ""
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(rounds):
            used, found = run_centrala(audio)
            ours.append(used)
            result = run_spandsp(audio, Path(tmp))
            if isinstance(result, str):
                why_not = result
            else:
                theirs.append(result[0])
                their_found = result[1]
    ours_rate = channel_seconds / min(ours)
    print(f"  Centrala  {min(ours):8.3f} CPU s  {ours_rate:10.0f} channel-s per CPU-s  "
          f"found {agreement(found, sent)}")
    if their_found is None:
        print(f"  spandsp   not measured: {why_not}")
        return
    theirs_rate = channel_seconds / min(theirs)
    print(f"  spandsp   {min(theirs):8.3f} CPU s  {theirs_rate:10.0f} channel-s per CPU-s  "
          f"found {agreement(their_found, sent)}")
    same = sum(a == b for a, b in zip(found, their_found, strict=True))
    print(f"  channels where both found the same digits: {same}/{CHANNELS}")
    print(f"  ratio Centrala / spandsp (throughput per channel): {ours_rate / theirs_rate:.2f}")


def engine_traffic(n_channels: int, rng: np.random.Generator) -> np.ndarray:
    """250 ticks of received G.711 A-law: digits on every fourth channel, speech-like noise."""
    ticks = 250
    n = ticks * FRAME_SAMPLES
    linear = rng.standard_normal((n_channels, n)) * DBM0_RMS * 10 ** (-30 / 20)
    tones = generate_dtmf("1234567890*#", level_dbm0=-12.0, on_ms=80, off_ms=80)
    linear[::4, 400 : 400 + tones.size] += tones
    codes = g711.encode(np.clip(np.rint(linear), -32768, 32767).astype(np.int16), Law.ALAW)
    return codes.reshape(n_channels, ticks, FRAME_SAMPLES).transpose(1, 0, 2).copy()


def bench_engine() -> None:
    print(f"Media engine tick (G.711 both ways + DTMF + tone playout + bridges), "
          f"{ENGINE_TICKS} ticks each")
    rng = np.random.default_rng(7)
    for n_channels in ENGINE_SIZES:
        engine = MediaEngine(n_channels, Law.ALAW)
        # Half the channels in bridged pairs, a quarter hearing a tone, a quarter idle.
        for a in range(0, n_channels // 2, 2):
            engine.bridge(a, a + 1)
        names = ("ringback", "busy", "dial", "congestion")
        for ch in range(n_channels // 2, 3 * n_channels // 4):
            engine.play_tone(ch, names[ch % len(names)])
        traffic = engine_traffic(n_channels, rng)
        costs = np.empty(ENGINE_TICKS)
        digits = 0
        for k in range(ENGINE_TICKS):
            rx = traffic[k % len(traffic)]
            start = time.process_time()
            _, events = engine.tick(rx, (k + 1) * FRAME_SAMPLES / SAMPLE_RATE)
            costs[k] = time.process_time() - start
            digits += len(events)
        p50, p99 = np.percentile(costs, [50, 99]) * 1000.0
        print(f"  {n_channels:4d} channels: p50 {p50:6.3f} ms  p99 {p99:6.3f} ms  "
              f"({p50 / 20.0:5.1%} of one core at p50)  events {digits}  "
              f"peak RSS {peak_rss_mb():.0f} MB")


def main() -> int:
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 60.0
    if seconds < 5:
        print("give at least 5 seconds of audio per channel", file=sys.stderr)
        return 2
    blas = {k: os.environ[k] for k in sorted(os.environ) if k.startswith("OPENBLAS")}
    print(f"numpy {np.__version__}, Python {sys.version.split()[0]}, {blas}")
    bench_engine()
    print("DTMF detectors fed 20 ms ticks; best CPU time of 3 rounds each, taken in turn")
    bench_dtmf(seconds, 3, (10.0, 20.0), "typical IVR traffic")
    bench_dtmf(seconds, 3, (4.0, 8.0), "heavy traffic")
    print(f"peak RSS {peak_rss_mb():.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
