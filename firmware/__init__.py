"""The Centrala daemon: media, signaling, calls and the call-center applications."""

__version__ = "0.1.0"
