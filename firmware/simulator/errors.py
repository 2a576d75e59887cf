"""The one error a scenario can be refused with."""

from __future__ import annotations

from firmware.store.models import ConfigError


class ScenarioError(ConfigError):
    """A scenario value that cannot be simulated, with the path of its field.

    A subclass of :class:`ConfigError` so every front end that shows a
    configuration error ("inbound[0].handle_seconds.mean: must be a positive
    number") shows this one the same way.
    """
