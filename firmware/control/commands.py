"""A table of named commands that serves as the control server's handler.

The server knows only ``subscribe``; every other command belongs to the daemon.
This table gives the daemon one place to declare them, and checks the name and
the arguments at the edge, so a typo from a script gets "unknown command" or
"unexpected argument" instead of a traceback in the log.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from typing import Any

from firmware.control.protocol import SUBSCRIBE, CommandError

Command = Callable[..., Awaitable[dict[str, Any]]]


class CommandTable:
    """Maps command names to coroutine functions taking the request's arguments by name.

    Use an instance as the ``handler`` of :class:`~firmware.control.server.ControlServer`::

        commands = CommandTable()

        @commands.command("status")
        async def status() -> dict[str, Any]: ...
    """

    def __init__(self) -> None:
        self._commands: dict[str, tuple[Command, inspect.Signature]] = {}

    def add(self, name: str, func: Command) -> None:
        """Register ``func`` as the command ``name``."""
        if name == SUBSCRIBE:
            raise ValueError(f"{SUBSCRIBE!r} is answered by the server itself")
        if name in self._commands:
            raise ValueError(f"a command named {name!r} is already registered")
        self._commands[name] = (func, inspect.signature(func))

    def command(self, name: str) -> Callable[[Command], Command]:
        """Decorator form of :meth:`add`."""

        def register(func: Command) -> Command:
            self.add(name, func)
            return func

        return register

    @property
    def names(self) -> list[str]:
        return sorted(self._commands)

    async def __call__(self, cmd: str, args: dict[str, Any]) -> dict[str, Any]:
        try:
            func, signature = self._commands[cmd]
        except KeyError:
            raise CommandError(
                f"unknown command {cmd!r}; known: {', '.join(self.names) or 'none'}"
            ) from None
        try:
            bound = signature.bind(**args)
        except TypeError as exc:
            raise CommandError(f"bad arguments for {cmd!r}: {exc}") from None
        return await func(*bound.args, **bound.kwargs)
