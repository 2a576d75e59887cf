"""Answering-machine detection accuracy on a synthesised, labelled corpus.

Machine answers are espeak-ng greetings of various lengths ("Hello, you have reached
the office of ... please leave a message after the tone") followed by a beep;
human answers are short ("hello?", "yes, speaking", "halo?", and a few longer
business-like ones such as "Anna Kowalska speaking") followed by the silence of a
person waiting for the caller. The beep follows the greeting after 0.2 to 1.2 s.
Both come in English, Polish and French voices, male and female, at several
speeds, at speech levels from -30 to -12 dBm0, with white line noise from -65 to
-45 dBm0, through an A-law round trip.
All answers run as the channels of one detector, tick by tick, as in the box.

Prints the confusion matrix, the accuracy and the mean decision time.
Run: ``python bench/amd_accuracy.py [answers_per_class] [seed]`` (default 60, 1).
"""

from __future__ import annotations

import io
import shutil
import subprocess
import sys
import wave

import numpy as np
from scipy import signal

from firmware.media.amd import AmdDecision, AmdResult, AnsweringMachineDetector
from firmware.media.levels import DBM0_RMS, dbm0_to_peak
from hal import g711
from hal.interface import Law

RATE = 8000
SECONDS = 9.0

VOICES = {"en": ("en-gb", "en-us"), "pl": ("pl",), "fr": ("fr-fr",)}
VARIANTS = ("", "+m3", "+f2", "+f4")

HUMAN = {
    "en": ("Hello?", "Yes, speaking.", "Hello, yes?", "Hi, who's this?", "Anna Kowalska speaking."),
    "pl": ("Halo?", "Tak, słucham.", "Słucham?", "Halo, tak?", "Kowalska, słucham państwa."),
    "fr": ("Allô?", "Oui, j'écoute.", "Oui, allô?", "Allô, oui?", "Marie Dupont, j'écoute."),
}
MACHINE = {
    "en": (
        "Please leave a message after the tone.",
        "Hi, this is Anna. Leave a message.",
        "Hello, you have reached the office of Anna Kowalska. "
        "Please leave a message after the tone.",
        "Hello, you have reached the sales department of Centrala. Nobody can take "
        "your call right now. Please leave your name and number after the tone, "
        "and we will call you back.",
    ),
    "pl": (
        "Proszę zostawić wiadomość po sygnale.",
        "Dzień dobry, tu Anna. Zostaw wiadomość.",
        "Dzień dobry, dodzwoniłeś się do biura Anny Kowalskiej. "
        "Proszę zostawić wiadomość po sygnale.",
        "Dzień dobry, tu dział sprzedaży firmy Centrala. Nie możemy teraz odebrać. "
        "Proszę zostawić imię i numer telefonu po sygnale, oddzwonimy.",
    ),
    "fr": (
        "Laissez un message après le bip.",
        "Bonjour, c'est Marie. Laissez un message.",
        "Bonjour, vous êtes bien au bureau de Marie Dupont. "
        "Merci de laisser un message après le bip sonore.",
        "Bonjour, vous êtes au service commercial de Centrala. Nous ne pouvons pas "
        "répondre pour le moment. Laissez votre nom et votre numéro après le bip, "
        "nous vous rappellerons.",
    ),
}
BEEP_FREQS = (440.0, 800.0, 1000.0, 1400.0)


def speak(text: str, voice: str, speed: int, pitch: int) -> np.ndarray:
    """espeak-ng's rendering of ``text``, resampled from 22050 to 8000 Hz."""
    cmd = ["espeak-ng", "-v", voice, "-s", str(speed), "-p", str(pitch), "--stdout", text]
    raw = subprocess.run(cmd, capture_output=True, check=True).stdout
    with wave.open(io.BytesIO(raw)) as wav:
        rate = wav.getframerate()
        x = np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2").astype(np.float64)
    return signal.resample_poly(x, RATE, rate) if rate != RATE else x


def at_level(x: np.ndarray, level_dbm0: float) -> np.ndarray:
    """Scale so that the active part (above 1 % of the peak) has ``level_dbm0``."""
    active = x[np.abs(x) > 0.01 * np.max(np.abs(x))]
    return x * (DBM0_RMS * 10 ** (level_dbm0 / 20) / np.sqrt(np.mean(active**2)))


def answer(rng: np.random.Generator, machine: bool) -> np.ndarray:
    """One labelled answer: lead-in silence, speech (and beep), silence, line noise."""
    lang = str(rng.choice(list(VOICES)))
    voice = str(rng.choice(VOICES[lang])) + str(rng.choice(VARIANTS))
    texts = MACHINE[lang] if machine else HUMAN[lang]
    speech = speak(
        str(rng.choice(texts)), voice, int(rng.integers(140, 200)), int(rng.integers(30, 70))
    )
    speech = at_level(speech, float(rng.uniform(-30.0, -12.0)))
    parts = [np.zeros(int(rng.uniform(0.2, 1.2) * RATE)), speech]
    if machine:
        parts.append(np.zeros(int(rng.uniform(0.2, 1.2) * RATE)))
        n = int(rng.uniform(0.3, 0.8) * RATE)
        beep = dbm0_to_peak(float(rng.uniform(-20.0, -8.0))) * np.sin(
            2 * np.pi * float(rng.choice(BEEP_FREQS)) * np.arange(n) / RATE
        )
        parts.append(beep)
    out = np.zeros(int(SECONDS * RATE))
    audio = np.concatenate(parts)[: out.size]
    out[: audio.size] = audio
    noise_rms = DBM0_RMS * 10 ** (float(rng.uniform(-65.0, -45.0)) / 20)
    out += rng.normal(0.0, noise_rms, out.size)
    linear = np.clip(np.rint(out), -32768, 32767).astype(np.int16)
    return g711.decode(g711.encode(linear, Law.ALAW), Law.ALAW)


def run(audio: np.ndarray) -> list[AmdDecision | None]:
    """Every row of ``audio`` as one channel of a detector started at time 0."""
    n = audio.shape[0]
    detector = AnsweringMachineDetector(n)
    for ch in range(n):
        detector.start(ch, 0.0)
    decisions: list[AmdDecision | None] = [None] * n
    for k in range(audio.shape[1] // 160):
        for event in detector.process(audio[:, k * 160 : (k + 1) * 160], (k + 1) * 0.02):
            if isinstance(event, AmdDecision):
                decisions[event.channel] = event
    return decisions


def main() -> int:
    per_class = int(sys.argv[1]) if len(sys.argv) > 1 else 60
    seed = int(sys.argv[2]) if len(sys.argv) > 2 else 1
    if shutil.which("espeak-ng") is None:
        print("espeak-ng is not installed: it makes the corpus (apt install espeak-ng)")
        return 1
    rng = np.random.default_rng(seed)
    labels = [False] * per_class + [True] * per_class
    audio = np.stack([answer(rng, machine) for machine in labels])
    decisions = run(audio)

    results = (AmdResult.HUMAN, AmdResult.MACHINE, AmdResult.UNSURE)
    matrix = np.zeros((2, 3), dtype=np.int64)
    times: dict[bool, list[float]] = {False: [], True: []}
    for machine, decision in zip(labels, decisions, strict=True):
        result = decision.result if decision else AmdResult.UNSURE
        matrix[int(machine), results.index(result)] += 1
        if decision:
            times[machine].append(decision.decision_time)
    correct = int(matrix[0, 0] + matrix[1, 1])
    total = len(labels)
    decided = int(matrix[:, :2].sum())
    print(
        f"AMD on {total} synthesised answers ({per_class} human, {per_class} machine; "
        "en/pl/fr voices; speech -30..-12 dBm0; noise -65..-45 dBm0; A-law)"
    )
    print(f"{'':>16}{'-> human':>10}{'-> machine':>12}{'-> unsure':>11}")
    for row, name in enumerate(("human", "machine")):
        print(f"{name:>16}{matrix[row, 0]:>10}{matrix[row, 1]:>12}{matrix[row, 2]:>11}")
    print(f"accuracy: {correct / total:.1%} ({correct}/{total})")
    if decided:
        print(f"accuracy of decided answers: {correct / decided:.1%} ({correct}/{decided})")
    every = times[False] + times[True]
    print(
        "mean decision time: "
        f"human {np.mean(times[False]) if times[False] else float('nan'):.2f} s, "
        f"machine {np.mean(times[True]) if times[True] else float('nan'):.2f} s, "
        f"all {np.mean(every) if every else float('nan'):.2f} s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
