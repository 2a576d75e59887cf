"""The sound device's part in the daemon: music on hold and the paging extension.

Opened once at start-up from the ``[audio]`` settings (absent without error when
there is no sound device); configured from the store at start and on every
reload; ticked on the media thread, where it feeds the line-out and stops an
unheard line-in.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from firmware.calls.paging import Paging
from firmware.calls.transfer import PhoneCalls
from firmware.ivr.prompts import PromptLibrary
from firmware.media.engine import MediaEngine
from firmware.media.moh import MohError, MohSource, MusicOnHold, Playlist, load_playlist
from firmware.media.paging import PagingSink, RoutedSink
from firmware.media.prompts import PromptError
from firmware.media.recording import RecordingSink
from firmware.store.audio import AudioConfig, load_audio
from firmware.store.models import ConfigError
from hal.audio import AudioDevice, AudioSettings, open_audio
from hal.clock import Clock

log = logging.getLogger(__name__)


class AudioService:
    """Music on hold (``moh``, for the call side) and paging, over one optional sound device."""

    def __init__(
        self, settings: AudioSettings, clock: Clock, device: AudioDevice | None = None
    ) -> None:
        self.device = device if device is not None else open_audio(settings, clock)
        self.moh = MusicOnHold(self.device)
        has_out = self.device is not None and self.device.has_line_out
        self.paging_sink = PagingSink(self.device) if has_out and self.device else None
        self.paging: Paging | None = None
        self.config = AudioConfig()
        self._playlist_key: tuple[tuple[str, float], ...] | None = None

    def recording_sink(self, files: RecordingSink) -> RecordingSink:
        """The engine's recording sink: pages to the line-out, everything else to ``files``."""
        if self.paging_sink is None:
            return files
        return RoutedSink(files, self.paging_sink)

    async def configure(
        self, stations: PhoneCalls, engine: MediaEngine, publish: Callable[[dict], None],
        database: str, prompts_dir: Path,
    ) -> list[str]:
        """Apply the stored audio settings; call before the station handler's configure."""
        errors: list[str] = []
        try:
            config = await asyncio.to_thread(load_audio, database)
        except ConfigError as exc:
            errors.append(f"audio: {exc}")
            config = AudioConfig()
        self.config = config
        library = PromptLibrary(prompts_dir)
        tracks: list[tuple[str, Path]] = []
        for name in config.moh_playlist:
            try:
                tracks.append((name, library.path(name)))
            except PromptError as exc:
                errors.append(f"moh_playlist: {exc}")
        key = tuple((name, _mtime(path)) for name, path in tracks)
        playlist = None
        if key != self._playlist_key:
            playlist = await asyncio.to_thread(load_playlist, tracks)
            errors += [f"moh_playlist: {reason}" for reason in playlist.skipped]
            self._playlist_key = key
        source = MohSource(config.moh_source)
        try:
            self.moh.configure(source, playlist or self._current_playlist())
        except MohError as exc:
            errors.append(f"moh_source: {exc}")
            self.moh.configure(MohSource.FILES, playlist or self._current_playlist())
        if self.paging_sink is not None and config.paging_extension:
            if self.paging is None:
                self.paging = Paging(engine, publish)
            self.paging.extension = config.paging_extension
        else:
            self.paging = None
        stations.paging = self.paging
        for error in errors:
            log.error("configuration: %s", error)
        return errors

    def _current_playlist(self) -> Playlist:
        return self.moh.current_playlist

    def tick(self, now: float) -> None:
        """Media thread, every tick: feed the line-out, stop the line-in nobody hears."""
        if self.paging_sink is not None:
            self.paging_sink.pump(now)
        self.moh.expire(now)

    def view(self) -> dict[str, Any]:
        device = self.device
        return {
            "device": device.name if device is not None else None,
            "line_in": device is not None and device.has_line_in,
            "line_out": device is not None and device.has_line_out,
            "moh": self.moh.view(),
            "paging_extension": self.paging.extension if self.paging is not None else None,
            "paging": self.paging_sink.view() if self.paging_sink is not None else None,
        }

    def close(self) -> None:
        self.moh.close()
        if self.device is not None:
            self.device.close()


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0
