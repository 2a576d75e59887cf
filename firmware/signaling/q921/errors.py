"""The errors of the Q.921 (LAPD) data link machine.

Nothing that comes from the line raises out of the machine: a frame that is
invalid in the sense of Q.921 §5.8.4 is discarded, and a frame that breaks the
procedures is handled as the recommendation says (error indication, re-establishment).
:class:`RemoteProtocolError` is only raised by the frame decoder, and the
machine catches it; :class:`LocalProtocolError` tells the layer above that it asked for
something the link's state does not allow.
"""

from __future__ import annotations


class Q921Error(Exception):
    """Base of every error raised by the Q.921 code."""


class RemoteProtocolError(Q921Error):
    """The peer sent a frame that cannot be used (Q.921 §5.8.4 invalid frame)."""


class LocalProtocolError(Q921Error):
    """The layer above made a request that the data link cannot honour now.

    The machine is left exactly as it was.
    """


class ConfigError(Q921Error, ValueError):
    """A data link parameter (timer, counter, window) that cannot work."""
