"""A remote agent logging in to a nailed-up line from their phone: extension, PIN, done.

The built-in "agent-login" flow, as a sans-I/O machine in the manner of
:class:`~firmware.ivr.session.IvrSession`: prompt ends, digits, timer expiries
and the PIN check's answer go in; actions come out. The caller on the line types
their extension (skipped when the box called them, so it knows whom it called)
and their PIN, each ended by ``#``, by its length limit or by a pause; three
wrong or missing entries and the line is told goodbye.

Checking the PIN is the host's business (:class:`CheckPin` out,
:meth:`AgentLogin.pin_checked` in): the hash is slow on purpose and is checked
off the event loop.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from firmware.ivr.actions import CancelTimer, Play, StartTimer, StopPlayout

# The agent's extension and PIN as the store accepts them (models._EXTENSION, agent_pins._PIN).
EXTENSION_MAX = 6
PIN_MAX = 8
TERMINATOR = "#"
# Seconds the machine waits for the first key after a prompt, and between keys.
FIRST_KEY_SECONDS = 10.0
NEXT_KEY_SECONDS = 5.0
ATTEMPTS = 3

PROMPT_EXTENSION = "remote-login-extension"
PROMPT_PIN = "remote-login-pin"
PROMPT_REFUSED = "remote-login-refused"


class Step(enum.Enum):
    EXTENSION = "extension"
    PIN = "pin"
    CHECKING = "checking"
    DONE = "done"


@dataclass(frozen=True)
class CheckPin:
    """Ask the host whether ``pin`` is the PIN of the agent with ``extension``."""

    extension: str
    pin: str


@dataclass(frozen=True)
class LoggedIn:
    """The PIN matched: ``agent`` owns this line from now on."""

    agent: str


@dataclass(frozen=True)
class Refused:
    """Too many wrong or missing entries: the line is to be told goodbye."""

    reason: str


LoginAction = Play | StartTimer | CancelTimer | StopPlayout | CheckPin | LoggedIn | Refused


class AgentLogin:
    """One login on one line; ``extension`` is given when the box called a known agent.

    ``language`` is the prompt folder ("pl", "en", "fr") the phrases are taken from.
    """

    def __init__(self, language: str, extension: str | None = None) -> None:
        self._language = language
        self._known = extension
        self.extension = extension or ""
        self.step = Step.PIN if extension else Step.EXTENSION
        self.failures = 0
        self._digits = ""
        self._tag = 0
        self._prompting = False

    def start(self) -> list[LoginAction]:
        return self._ask()

    # -- inputs ----------------------------------------------------------------------------

    def prompt_finished(self, tag: str) -> list[LoginAction]:
        if not self._prompting:
            return []
        if tag == self._notice():
            return self._ask()  # the "do not match" notice ended: ask again
        if tag != self._current():
            return []
        self._prompting = False
        if self.step in (Step.EXTENSION, Step.PIN):
            return [StartTimer(FIRST_KEY_SECONDS, self._current())]
        return []

    def digit(self, digit: str) -> list[LoginAction]:
        if self.step not in (Step.EXTENSION, Step.PIN):
            return []
        # A key barges into the prompt, as in a menu.
        actions: list[LoginAction] = [CancelTimer()]
        if self._prompting:
            self._prompting = False
            actions.append(StopPlayout())
        limit = EXTENSION_MAX if self.step is Step.EXTENSION else PIN_MAX
        if digit == TERMINATOR:
            return actions + self._entered()
        self._digits += digit
        if len(self._digits) >= limit:
            return actions + self._entered()
        return [*actions, StartTimer(NEXT_KEY_SECONDS, self._current())]

    def timer_expired(self, tag: str) -> list[LoginAction]:
        if tag != self._current() or self.step not in (Step.EXTENSION, Step.PIN):
            return []
        if self._digits:
            return self._entered()  # a pause after some keys ends the entry
        return self._failed("no entry")

    def pin_checked(self, agent: str | None) -> list[LoginAction]:
        """The host's answer to :class:`CheckPin`: the agent's name, or None for no match."""
        if self.step is not Step.CHECKING:
            return []
        if agent is None:
            return self._failed("extension and PIN do not match")
        self.step = Step.DONE
        return [LoggedIn(agent)]

    # -- inside ----------------------------------------------------------------------------

    def _entered(self) -> list[LoginAction]:
        entry, self._digits = self._digits, ""
        if not entry:
            return self._failed("empty entry")
        if self.step is Step.EXTENSION:
            self.extension = entry
            self.step = Step.PIN
            return self._ask()
        self.step = Step.CHECKING
        return [CheckPin(self.extension, entry)]

    def _failed(self, reason: str) -> list[LoginAction]:
        self.failures += 1
        self._digits = ""
        if self.failures >= ATTEMPTS:
            self.step = Step.DONE
            return [Refused(reason)]
        self.extension = self._known or ""
        self.step = Step.PIN if self._known else Step.EXTENSION
        self._tag += 1
        self._prompting = True
        # The notice; its end asks the first question again.
        return [Play(self._phrase(PROMPT_REFUSED), self._notice())]

    def _ask(self) -> list[LoginAction]:
        self._tag += 1
        self._prompting = True
        prompt = PROMPT_EXTENSION if self.step is Step.EXTENSION else PROMPT_PIN
        return [Play(self._phrase(prompt), self._current())]

    def _phrase(self, name: str) -> str:
        return f"{self._language}/{name}"

    def _current(self) -> str:
        return f"login-{self._tag}"

    def _notice(self) -> str:
        return f"login-refused-{self._tag}"
