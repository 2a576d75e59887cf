"""The prompt library: recordings shipped with the firmware, and the box's own uploads.

Uploaded prompts in the data directory override the shipped ones of the same
name, so a technician can re-record the greeting without touching the flow.
Fragments for reading out numbers, amounts and dates live one folder down,
per language, and are named "<lang>/<word>" (see :mod:`firmware.ivr.numbers`).
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from firmware.media.prompts import PromptError, load_prompt

SHIPPED = Path(__file__).with_name("prompts")
# Names become paths: only these shapes are looked up, so none can climb out.
_NAME = re.compile(r"(?:(?:pl|en|fr)/)?[A-Za-z0-9][A-Za-z0-9_-]{0,63}")


class PromptLibrary:
    """Named prompts as 8 kHz int16 arrays, loaded once and cached."""

    def __init__(self, upload_dir: Path | None = None) -> None:
        self.upload_dir = upload_dir
        self._dirs = [d for d in (upload_dir, SHIPPED) if d is not None]
        self._cache: dict[str, np.ndarray] = {}

    def names(self) -> set[str]:
        """Prompts a flow can name (fragments excluded)."""
        found: set[str] = set()
        for folder in self._dirs:
            if folder.is_dir():
                found.update(p.stem for p in folder.glob("*.wav"))
        return found

    def path(self, name: str) -> Path:
        """The file that plays for ``name``: an upload if there is one, else the shipped one."""
        if not _NAME.fullmatch(name):
            raise PromptError(f"{name!r} is not a prompt name")
        for folder in self._dirs:
            candidate = folder / f"{name}.wav"
            if candidate.is_file():
                return candidate
        raise PromptError(f"no prompt named {name!r}")

    def get(self, name: str) -> np.ndarray:
        if name not in self._cache:
            self._cache[name] = load_prompt(self.path(name))
        return self._cache[name]

    def forget(self) -> None:
        """Drop cached audio after uploads change (on reload)."""
        self._cache.clear()
