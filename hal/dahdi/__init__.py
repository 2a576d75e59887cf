"""The DAHDI backend: analog and E1 cards through the Linux DAHDI driver.

:class:`DahdiCard` is the HAL card over analog channels; :class:`SpanStatusReader`
reads E1 span status; :class:`DChannel` carries a PRI span's LAPD frames;
:mod:`hal.dahdi.system_conf` writes ``/etc/dahdi/system.conf`` and runs ``dahdi_cfg``.
"""

from hal.dahdi.card import CARD_REMOVED, ChannelSetup, DahdiCard
from hal.dahdi.channel import ChannelGone, DahdiChannel, DahdiError, HookCommand
from hal.dahdi.dchannel import DChannel
from hal.dahdi.span import SpanError, SpanStatus, SpanStatusReader

__all__ = [
    "CARD_REMOVED", "ChannelGone", "ChannelSetup", "DChannel", "DahdiCard", "DahdiChannel",
    "DahdiError", "HookCommand", "SpanError", "SpanStatus", "SpanStatusReader",
]
