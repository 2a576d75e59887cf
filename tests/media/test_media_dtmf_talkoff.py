"""DTMF talk-off: speech in Polish, French and English, and music, must not dial digits.

Speech is made on the fly with espeak-ng (several voices, speeds and pitches, a few
minutes in all) into pytest's temporary directory; music is built with numpy as
chords and arpeggios of notes with harmonics, vibrato and decays. Both go through
G.711 as they would on a line, all segments as channels of one detector.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from scipy import signal
from scipy.io import wavfile

from firmware.media.dtmf import DtmfDetector, generate_dtmf
from firmware.media.levels import DBM0_RMS
from hal import g711
from hal.interface import Law

RATE = 8000
TICK = 160

TEXTS = {
    "pl": [
        "Dzień dobry, dodzwonili się Państwo do biura obsługi klienta firmy Centrala. "
        "Wszyscy nasi konsultanci są w tej chwili zajęci. Prosimy pozostać na linii, "
        "połączymy Państwa z pierwszym wolnym konsultantem. Rozmowa może być nagrywana.",
        "W sprawie reklamacji proszę wybrać jeden, w sprawie faktur dwa, a w sprawie "
        "nowych zamówień trzy. Nasze biuro jest czynne od poniedziałku do piątku, "
        "w godzinach od ósmej do szesnastej, a w soboty od dziewiątej do trzynastej.",
        "Chrząszcz brzmi w trzcinie w Szczebrzeszynie. Zażółć gęślą jaźń. "
        "Przesyłka numer czterdzieści siedem, osiemset dziewięćdziesiąt dwa "
        "została wysłana wczoraj i dotrze do Państwa w ciągu dwóch dni roboczych.",
        "Proszę podać numer klienta, a następnie potwierdzić krzyżykiem. "
        "Jeżeli nie znają Państwo numeru, proszę pozostać na linii. "
        "Dziękujemy za cierpliwość i życzymy miłego dnia.",
    ],
    "fr": [
        "Bonjour, vous êtes bien au service client. Tous nos conseillers sont "
        "actuellement en ligne. Merci de patienter, votre appel va être traité "
        "dans quelques instants. Cet appel peut être enregistré.",
        "Pour une réclamation, tapez un. Pour une question sur votre facture, "
        "tapez deux. Pour parler à un conseiller, restez en ligne. Nos bureaux sont "
        "ouverts du lundi au vendredi, de huit heures trente à dix-huit heures.",
        "Les sanglots longs des violons de l'automne blessent mon coeur d'une "
        "langueur monotone. Votre colis numéro quatre-vingt-dix-sept, trois cent "
        "vingt-deux a été expédié hier et arrivera jeudi prochain.",
        "Veuillez saisir votre numéro de client suivi de la touche dièse. "
        "Si vous ne connaissez pas votre numéro, restez en ligne. Merci de votre "
        "confiance, et excellente journée.",
    ],
    "en": [
        "Hello, thank you for calling customer service. All of our agents are busy "
        "helping other callers. Please stay on the line and your call will be "
        "answered in turn. Calls may be recorded for training purposes.",
        "For billing, press one. For technical support, press two. To hear these "
        "options again, press star. Our office is open Monday to Friday from "
        "eight in the morning until six in the evening, and Saturdays until noon.",
        "The quick brown fox jumps over the lazy dog. She sells sea shells by the "
        "sea shore. Your order number four hundred and seventy two, nine thousand "
        "and eighty one, was shipped yesterday and should arrive on Thursday.",
        "Please enter your account number followed by the pound key. If you do not "
        "know your account number, stay on the line. Thank you for your patience, "
        "and have a wonderful day.",
    ],
}

# (voice variant, words per minute, pitch 0..99): men, women, slow and fast talkers.
VOICES = [("", 150, 50), ("+f3", 175, 70), ("+m3", 125, 35), ("+f2", 210, 85)]


def espeak(text: str, voice: str, speed: int, pitch: int, folder: Path) -> np.ndarray:
    """Speak ``text`` with espeak-ng and return it at 8 kHz as float samples."""
    source = folder / "text.txt"
    source.write_text(text, encoding="utf-8")
    out = folder / "speech.wav"
    cmd = ["espeak-ng", "-v", voice, "-s", str(speed), "-p", str(pitch), "-w", str(out)]
    done = subprocess.run([*cmd, "-f", str(source)], capture_output=True, timeout=60)
    if done.returncode != 0:
        pytest.skip(f"espeak-ng cannot speak with voice {voice!r}: {done.stderr.decode()}")
    rate, samples = wavfile.read(out)
    return signal.resample_poly(samples.astype(np.float64), RATE, rate)


def at_level(audio: np.ndarray, level_dbm0: float) -> np.ndarray:
    """Scale ``audio`` so its mean power over the louder half of 20 ms frames is the level."""
    frames = audio[: audio.size // TICK * TICK].reshape(-1, TICK)
    power = np.mean(frames**2, axis=1)
    active = np.mean(power[power >= np.median(power)])
    return audio * DBM0_RMS * 10 ** (level_dbm0 / 20) / np.sqrt(active)


@pytest.fixture(scope="module")
def speech(tmp_path_factory: pytest.TempPathFactory) -> list[np.ndarray]:
    """Every text in every voice of its language, at 8 kHz, levels from -8 to -26 dBm0."""
    if shutil.which("espeak-ng") is None:
        pytest.skip("espeak-ng is not installed; the talk-off tests need it to make speech")
    folder = tmp_path_factory.mktemp("speech")
    levels = [-8.0, -14.0, -20.0, -26.0]
    clips = []
    for language, texts in TEXTS.items():
        for n, text in enumerate(texts):
            for v, (variant, speed, pitch) in enumerate(VOICES):
                audio = espeak(text, language + variant, speed, pitch, folder)
                clips.append(at_level(audio, levels[(n + v) % len(levels)]))
    return clips


def detect_channels(clips: list[np.ndarray], law: Law) -> list[str]:
    """Run each clip through G.711 as one channel of one detector; digits per channel."""
    length = max(c.size for c in clips) + 800
    length += (-length) % TICK
    audio = np.zeros((len(clips), length))
    for row, clip in enumerate(clips):
        audio[row, : clip.size] = clip
    linear = g711.decode(g711.encode(np.clip(audio, -32768, 32767), law), law)
    detector = DtmfDetector(len(clips))
    found = [""] * len(clips)
    for k in range(length // TICK):
        block = linear[:, k * TICK : (k + 1) * TICK]
        for ch, digit, _ in detector.process(block, (k + 1) * TICK / RATE):
            found[ch] += digit
    return found


@pytest.mark.parametrize("law", [Law.ALAW, Law.ULAW])
def test_polish_french_and_english_speech_dials_no_digits(speech, law):
    minutes = sum(c.size for c in speech) / RATE / 60
    assert minutes > 4.0  # enough speech for the result to mean something
    assert detect_channels(speech, law) == [""] * len(speech)


def test_digits_over_speech_are_still_found(speech):
    # The same speech carries digits 6 dB above it: the detector is not deaf to this audio.
    rng = np.random.default_rng(5)
    clips = []
    for clip in speech[::4]:
        tones = generate_dtmf("4#", level_dbm0=-8.0, twist_db=2.0, on_ms=60, off_ms=200)
        at = int(rng.integers(0, clip.size - tones.size))
        quiet = at_level(clip, -17.0)
        quiet[at : at + tones.size] += tones
        clips.append(quiet)
    assert detect_channels(clips, Law.ALAW) == ["4#"] * len(clips)


def equal_tempered(midi: np.ndarray) -> np.ndarray:
    return 440.0 * 2.0 ** ((midi - 69) / 12.0)


def note(freq: float, seconds: float, timbre: np.ndarray, vibrato: float) -> np.ndarray:
    """One note: harmonics weighted by ``timbre``, a little vibrato, attack and decay."""
    t = np.arange(int(seconds * RATE)) / RATE
    wobble = 1.0 + vibrato * np.sin(2 * np.pi * 5.5 * t)
    phase = 2 * np.pi * freq * np.cumsum(wobble) / RATE
    harmonics = np.arange(1, timbre.size + 1)
    wave = np.sin(np.outer(harmonics, phase)).T @ timbre
    envelope = np.minimum(1.0, t / 0.01) * np.exp(-t / (0.3 + seconds))
    return wave * envelope


def music(seconds: float, rng: np.random.Generator) -> np.ndarray:
    """Chords, arpeggios and melodies over three octaves, with several instruments."""
    timbres = [
        np.array([1.0, 0.5, 0.33, 0.25, 0.2]),  # bright, string-like
        np.array([1.0, 0.0, 0.33, 0.0, 0.2]),  # hollow, clarinet-like
        np.array([1.0, 0.3, 0.1]),  # soft, flute-like
        np.array([1.0, 0.7, 0.5, 0.4, 0.3, 0.2, 0.1]),  # piano-like
    ]
    out = np.zeros(int((seconds + 3.0) * RATE))  # room for the last phrase to ring out
    at = 0
    while at < seconds * RATE:
        kind = rng.integers(3)
        root = int(rng.integers(55, 80))  # G3..G#5
        timbre = timbres[rng.integers(len(timbres))]
        vibrato = float(rng.uniform(0.0, 0.006))
        if kind == 0:  # block chord of three or four notes
            shape = [0, 4, 7, 12] if rng.random() < 0.5 else [0, 3, 7, 10]
            length = float(rng.uniform(0.3, 1.2))
            for step in shape[: int(rng.integers(3, 5))]:
                freq = float(equal_tempered(np.array(root + step)))
                sound = note(freq, length, timbre, vibrato)
                out[at : at + sound.size] += sound
            at += int(length * RATE)
        elif kind == 1:  # arpeggio: notes overlap as they ring on
            step_s = float(rng.uniform(0.06, 0.18))
            for step in [0, 4, 7, 12, 16, 12, 7, 4][: int(rng.integers(4, 9))]:
                freq = float(equal_tempered(np.array(root + step)))
                sound = note(freq, 3 * step_s, timbre, vibrato)
                out[at : at + sound.size] += sound
                at += int(step_s * RATE)
        else:  # two-voice melody in thirds and sixths
            for _ in range(int(rng.integers(4, 10))):
                length = float(rng.uniform(0.1, 0.4))
                pitch = root + int(rng.choice([0, 2, 4, 5, 7, 9, 11, 12]))
                for interval in (0, int(rng.choice([3, 4, 8, 9]))):
                    freq = float(equal_tempered(np.array(pitch + interval)))
                    sound = note(freq, length, timbre, vibrato)
                    out[at : at + sound.size] += sound
                at += int(length * RATE)
    return out[: int(seconds * RATE)]


@pytest.mark.parametrize("law", [Law.ALAW, Law.ULAW])
def test_chords_and_arpeggios_dial_no_digits(law):
    rng = np.random.default_rng(1977)
    clips = [at_level(music(20.0, rng), float(rng.uniform(-24.0, -8.0))) for _ in range(12)]
    assert detect_channels(clips, law) == [""] * len(clips)
