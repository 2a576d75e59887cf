"""The paging extension: a phone that dials it speaks on the loudspeakers until it hangs up.

The phone's channel is recorded (mono) under a ``page-`` key, which the media
engine's :class:`~firmware.media.paging.RoutedSink` sends to the line-out
instead of a file; hanging up resets the channel, which ends the recording and
so the page. While one page runs, another phone dialling the extension hears
busy tone.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Callable, Mapping

from firmware.calls.analog import FxsPort
from firmware.calls.dialplan import DialPlan, DialPlanError, PagingExtensionError
from firmware.media.engine import MediaEngine, MediaError
from firmware.media.paging import PAGE_KEY_PREFIX

log = logging.getLogger(__name__)


class Paging:
    """Pages from the box's phones; the station handler asks it about its extension."""

    def __init__(
        self, engine: MediaEngine, publish: Callable[[dict], None], extension: str | None = None
    ) -> None:
        self._engine = engine
        self._publish = publish
        self.extension = extension or None
        self._pages: dict[str, str] = {}  # port name -> recording key
        self._ids = itertools.count(1)

    def usable_extension(
        self, extensions: Mapping[str, str], outside_prefix: str | None, country: str
    ) -> tuple[str | None, list[str]]:
        """The paging extension if the dial plan can hold it, and the errors if it cannot.

        A clash (with an agent's extension, the outside prefix, an emergency
        number) switches paging off and is reported, so the rest of the plan works.
        """
        if self.extension is None:
            return None, []
        # Without the prefix too: a prefix that clashes with an extension is switched
        # off by the station handler, and paging must still be checked against the rest.
        for prefix in (outside_prefix, None):
            try:
                DialPlan(extensions, outside_prefix=prefix, country=country,
                         paging=self.extension)
            except PagingExtensionError as exc:
                message = f"dial_plan: {exc}; paging is off"
                log.error("%s", message)
                return None, [message]
            except DialPlanError:
                continue
            break
        return self.extension, []

    @property
    def active(self) -> list[str]:
        """Ports paging now."""
        return list(self._pages)

    def start(self, port: FxsPort, now: float) -> None:
        """``port`` dialled the paging extension: connect it to the line-out, or busy."""
        key = f"{PAGE_KEY_PREFIX}{port.info.name}-{next(self._ids)}"
        try:
            self._engine.start_recording(port.channel, key, stereo=False)
        except MediaError as exc:
            log.info("%s cannot page: %s", port.info.name, exc)
            port.release(now)
            return
        self._pages[port.info.name] = key
        port.call_id = key
        port.connect(now)
        self._publish({"type": "paging-started", "port": port.info.name, "agent": port.agent})

    def hung_up(self, port: FxsPort, now: float) -> bool:
        """End ``port``'s page if it was paging; False if it was not."""
        key = self._pages.pop(port.info.name, None)
        if key is None:
            return False
        port.call_id = None
        self._engine.reset(port.channel)  # ends the recording, so the page
        self._publish({"type": "paging-ended", "port": port.info.name})
        return True
