"""The errors of the Q.931 code.

As in h11, the peer's faults and our own are told apart. A
:class:`RemoteProtocolError` describes a message from the line that cannot be
used; the endpoint catches every one and answers as Q.931 §5.8 says (ignore,
STATUS, RELEASE COMPLETE), so none ever leaves a receive path. A
:class:`LocalProtocolError` is raised to the layer above when it asks for
something the call's state does not allow; the endpoint is then unchanged.
"""

from __future__ import annotations


class Q931Error(Exception):
    """Base of every error raised by the Q.931 code."""


class RemoteProtocolError(Q931Error):
    """A message or information element from the peer breaks the coding rules."""


class LocalProtocolError(Q931Error):
    """The layer above asked for something illegal in the current call state."""


class ConfigError(Q931Error, ValueError):
    """A Q.931 timer or channel set that cannot work."""
