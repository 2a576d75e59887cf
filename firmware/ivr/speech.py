"""Text-to-speech for flows, done when a flow is saved and never while a caller waits.

espeak-ng renders the text once into the prompt library (the data directory's
prompt folder), under a name made from the language and the text, so saving
the same text again reuses the file and a call only ever plays a WAV. A box
without espeak-ng refuses the text with a clear error naming the node, and a
technician can record the prompt instead.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from firmware.media.prompts import PromptError, load_prompt, save_wav
from firmware.store.models import ConfigError, Language

ESPEAK = "espeak-ng"
_VOICES = {Language.PL: "pl", Language.EN: "en-gb", Language.FR: "fr-fr"}
_WORDS_PER_MINUTE = "150"
_TIMEOUT_SECONDS = 30.0
_EDGE_SECONDS = 0.03  # kept before the first and after the last audible sample
_TARGET_PEAK = 0.5  # of full scale: about -6 dBFS, comfortably loud without clipping


class SpeechError(Exception):
    """Speech could not be made (no espeak-ng, or it failed), with the reason in a sentence."""


def available() -> bool:
    """Whether this box can turn text into speech."""
    return shutil.which(ESPEAK) is not None


def record_phrases(
    phrases: Mapping[Language, Mapping[str, str]], dest: Path, only_missing: bool = True
) -> int:
    """Record a table of phrases into ``dest/<lang>/<name>.wav``; returns how many were made.

    The shipped prompts are made this way once, at development time, and committed.
    """
    made = 0
    for lang, table in phrases.items():
        for name, text in sorted(table.items()):
            path = dest / lang.value / f"{name}.wav"
            if only_missing and path.is_file():
                continue
            synthesize(text, lang, path)
            made += 1
    return made


def synthesize(text: str, lang: Language, dest: Path) -> None:
    """Speak ``text`` in ``lang`` into ``dest`` (8 kHz 16-bit WAV, silence trimmed)."""
    program = shutil.which(ESPEAK)
    if program is None:
        raise SpeechError("text-to-speech needs espeak-ng, which is not installed on this box")
    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp) / "speech.wav"
        try:
            # The text goes in on stdin, so one starting with "-" is never taken as an option.
            done = subprocess.run(
                [program, "-v", _VOICES[lang], "-s", _WORDS_PER_MINUTE, "-w", str(raw), "--stdin"],
                input=text.encode(),
                capture_output=True,
                timeout=_TIMEOUT_SECONDS,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise SpeechError(f"espeak-ng could not be run: {exc}") from None
        if done.returncode != 0:
            problem = done.stderr.decode(errors="replace").strip() or f"exit {done.returncode}"
            raise SpeechError(f"espeak-ng failed: {problem}")
        try:
            samples = load_prompt(raw)
        except PromptError as exc:
            raise SpeechError(f"espeak-ng made unusable audio: {exc}") from None
    dest.parent.mkdir(parents=True, exist_ok=True)
    save_wav(dest, _trim_and_level(samples))


def _trim_and_level(samples: np.ndarray) -> np.ndarray:
    audio = samples.astype(np.float64)
    peak = float(np.max(np.abs(audio))) if audio.size else 0.0
    if peak == 0.0:
        return samples
    loud = np.flatnonzero(np.abs(audio) > peak * 0.02)
    edge = int(_EDGE_SECONDS * 8000)
    audio = audio[max(0, loud[0] - edge) : loud[-1] + edge + 1]
    scaled = audio * (_TARGET_PEAK * 32767.0 / peak)
    return np.clip(np.round(scaled), -32768, 32767).astype(np.int16)


def speech_prompt_name(text: str, lang: Language) -> str:
    """The prompt name a text renders to: the same text always gives the same name."""
    digest = hashlib.sha256(f"{lang.value}\n{text.strip()}".encode()).hexdigest()
    return f"tts-{lang.value}-{digest[:16]}"


def render_flow_speech(definition: object, prompt_dir: Path) -> object:
    """The definition with every play node's text rendered to a prompt it then names.

    Anything not shaped like a flow is returned as it is, for the validator to
    refuse with its own message. Raises ConfigError at the node's text field
    when speech cannot be made.
    """
    if not isinstance(definition, Mapping) or not isinstance(definition.get("nodes"), Mapping):
        return definition
    nodes: dict[Any, Any] = {}
    for node_id, node in definition["nodes"].items():
        if (
            isinstance(node, Mapping)
            and node.get("type") == "play"
            and isinstance(node.get("text"), str)
            and node["text"].strip()
        ):
            path = f"definition.nodes.{node_id}.text"
            try:
                lang = Language(node.get("lang") or Language.PL)
            except ValueError:
                allowed = ", ".join(x.value for x in Language)
                raise ConfigError(
                    f"definition.nodes.{node_id}.lang", f"must be one of {allowed}"
                ) from None
            name = speech_prompt_name(node["text"], lang)
            target = prompt_dir / f"{name}.wav"
            if not target.is_file():
                try:
                    synthesize(node["text"].strip(), lang, target)
                except SpeechError as exc:
                    raise ConfigError(path, f"{exc}; record a prompt and pick it instead") from None
            node = {**node, "prompt": name, "lang": lang.value}
        nodes[node_id] = node
    return {**definition, "nodes": nodes}
