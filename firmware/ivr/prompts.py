"""The prompt library: recordings shipped with the firmware, and the box's own uploads.

Uploaded prompts in the data directory override the shipped ones of the same
name, so a technician can re-record the greeting without touching the flow.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from firmware.media.prompts import PromptError, load_prompt

SHIPPED = Path(__file__).with_name("prompts")


class PromptLibrary:
    """Named prompts as 8 kHz int16 arrays, loaded once and cached."""

    def __init__(self, upload_dir: Path | None = None) -> None:
        self._dirs = [d for d in (upload_dir, SHIPPED) if d is not None]
        self._cache: dict[str, np.ndarray] = {}

    def names(self) -> set[str]:
        found: set[str] = set()
        for folder in self._dirs:
            if folder.is_dir():
                found.update(p.stem for p in folder.glob("*.wav"))
        return found

    def get(self, name: str) -> np.ndarray:
        if name not in self._cache:
            for folder in self._dirs:
                path = folder / f"{name}.wav"
                if path.is_file():
                    self._cache[name] = load_prompt(path)
                    break
            else:
                raise PromptError(f"no prompt named {name!r}")
        return self._cache[name]

    def forget(self) -> None:
        """Drop cached audio after uploads change (on reload)."""
        self._cache.clear()
