"""What a caller hears while waiting in a queue: hold music and announcements.

A caller who joins a queue first hears the prompts the call layer asks for (the
recording notice when the call will be recorded, then "please hold"), then the
queue's hold music: an uploaded prompt played in a loop, or the ringback tone.
Every ``announce_every`` seconds the music pauses for the caller's position and
estimated wait, read from the ACD's :meth:`~firmware.acd.service.Acd.position_and_wait`
and spoken with the number fragments of :mod:`firmware.ivr.numbers` in the
queue's language, and, where the queue offers it, how to ask for a call back.

Announcements say "estimated wait, in minutes: five" rather than "five minutes"
so the number fragments, which are in the neutral gender, fit every count in
Polish and French (where "minute" is feminine and "dwie"/"une" would be needed).

The phrases are shipped per language beside the number fragments
(``ivr/prompts/<lang>/queue-*.wav``), recorded with espeak-ng by running this
module; a technician may replace any of them by uploading a recording under
the same name.
"""

from __future__ import annotations

import logging
import math
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import numpy as np

from firmware.acd.service import Acd, WaitEstimate
from firmware.calls.timers import TimerHandle, Timers
from firmware.ivr.numbers import SayError, say_digits, say_number
from firmware.ivr.prompts import PromptLibrary
from firmware.media.engine import MediaEngine
from firmware.media.prompts import PromptError
from firmware.store.models import Language, Queue

log = logging.getLogger(__name__)

PLEASE_HOLD = "please-hold"
HOLD_TONE = "ringback"
# The tags the experience's own playout carries, so PromptFinished finds its way back.
TAG_SPEECH = "qx-speech"
TAG_MUSIC = "qx-music"

# What each phrase says, per language; the file is "<lang>/<name>.wav".
PHRASES: dict[Language, dict[str, str]] = {
    Language.PL: {
        "queue-position": "Twoje miejsce w kolejce:",
        "queue-wait": "Przewidywany czas oczekiwania, w minutach:",
        "queue-wait-short": "Przewidywany czas oczekiwania to mniej niż minuta.",
        "queue-callback-offer": "Jeśli wolisz, abyśmy oddzwonili, naciśnij",
        "queue-callback-ok": "Dziękujemy. Oddzwonimy, gdy nadejdzie Twoja kolej. Do usłyszenia.",
        "queue-callback-no-number": "Niestety nie znamy Twojego numeru i nie możemy oddzwonić.",
        "queue-callback-hello": (
            "Dzień dobry, oddzwaniamy w sprawie Twojego połączenia. "
            "Za chwilę połączymy Cię z konsultantem."
        ),
        "queue-recorded": "Ta rozmowa może być nagrywana.",
        "key-star": "gwiazdkę",
        "key-hash": "krzyżyk",
    },
    Language.EN: {
        "queue-position": "Your position in the queue is",
        "queue-wait": "Your estimated wait, in minutes, is",
        "queue-wait-short": "Your estimated wait is less than a minute.",
        "queue-callback-offer": "To be called back instead of waiting, press",
        "queue-callback-ok": "Thank you. We will call you back when it is your turn. Goodbye.",
        "queue-callback-no-number": "Sorry, we cannot call you back: your number is not known.",
        "queue-callback-hello": (
            "Hello, this is the call back you asked for. Please hold for the next agent."
        ),
        "queue-recorded": "This call may be recorded.",
        "key-star": "star",
        "key-hash": "hash",
    },
    Language.FR: {
        "queue-position": "Votre position dans la file d'attente est",
        "queue-wait": "Votre temps d'attente estimé, en minutes, est de",
        "queue-wait-short": "Votre temps d'attente estimé est de moins d'une minute.",
        "queue-callback-offer": "Pour être rappelé au lieu de patienter, appuyez sur",
        "queue-callback-ok": (
            "Merci. Nous vous rappellerons dès que ce sera votre tour. Au revoir."
        ),
        "queue-callback-no-number": (
            "Désolé, votre numéro est inconnu, nous ne pouvons pas vous rappeler."
        ),
        "queue-callback-hello": (
            "Bonjour, nous vous rappelons comme convenu. Un conseiller va vous répondre."
        ),
        "queue-recorded": "Cet appel peut être enregistré.",
        "key-star": "étoile",
        "key-hash": "dièse",
    },
}

# Countries whose callers hear French or Polish; everyone else hears English.
_COUNTRY_LANGUAGE = {"PL": Language.PL, "FR": Language.FR, "BE": Language.FR, "LU": Language.FR,
                     "MC": Language.FR}


def queue_language(queue: Queue | None, country: str) -> Language:
    """The language a queue speaks: its own, else the box country's."""
    if queue is not None and queue.language:
        return Language(queue.language)
    return _COUNTRY_LANGUAGE.get(country, Language.EN)


def phrase(lang: Language, name: str) -> str:
    """The prompt name of a shipped phrase in ``lang``."""
    if name not in PHRASES[lang]:
        raise KeyError(f"no phrase {name!r}")
    return f"{lang.value}/{name}"


def say_key(key: str, lang: Language) -> list[str]:
    """A telephone key as the caller is told to press it."""
    if key == "*":
        return [phrase(lang, "key-star")]
    if key == "#":
        return [phrase(lang, "key-hash")]
    return say_digits(key, lang)


def announcement(
    estimate: WaitEstimate,
    lang: Language,
    *,
    position: bool = True,
    wait: bool = True,
    callback_key: str = "",
) -> list[str]:
    """The prompts of one announcement: position, estimated wait, callback offer.

    The wait is rounded up to whole minutes (a caller told "two" who waits
    ninety seconds is pleased; one told "one" who waits ninety is not); under
    a minute it is said as such. Without an estimate (no call handled yet, or
    nobody working the queue) the wait is left out rather than guessed.
    """
    prompts: list[str] = []
    if position:
        prompts += [phrase(lang, "queue-position"), *say_number(estimate.position, lang)]
    if wait and estimate.ewt is not None:
        if estimate.ewt < 60.0:
            prompts.append(phrase(lang, "queue-wait-short"))
        else:
            minutes = min(math.ceil(estimate.ewt / 60.0), 999)
            prompts += [phrase(lang, "queue-wait"), *say_number(minutes, lang)]
    if callback_key:
        prompts += [phrase(lang, "queue-callback-offer"), *say_key(callback_key, lang)]
    return prompts


@dataclass
class _Waiting:
    """A caller the experience is playing to."""

    call_id: str
    channel: int
    queue: str
    offer_callback: bool
    speech: list[str] = field(default_factory=list)
    speaking: bool = False
    then: Callable[[float], None] | None = None
    timer: TimerHandle | None = None



class MusicSource(Protocol):
    """The box's music on hold, as the queue plays it (see firmware.media.moh)."""

    @property
    def available(self) -> bool: ...

    def frame(self, now: float) -> np.ndarray: ...


class QueueExperience:
    """Hold music and announcements for every waiting caller.

    The call manager tells it when a caller starts waiting (:meth:`start`),
    passes it the PromptFinished events of its tags (:meth:`prompt_finished`)
    and tells it when the wait is over (:meth:`stop`: an agent answered, the
    caller left). A prompt that cannot be loaded is skipped with one log line,
    so a missing upload never leaves a caller in silence: the music falls back
    to the ringback tone.
    """

    def __init__(
        self,
        engine: MediaEngine,
        prompts: PromptLibrary,
        timers: Timers,
        acd: Acd,
        publish: Callable[[dict], None],
    ) -> None:
        self._engine = engine
        self._prompts = prompts
        self._timers = timers
        self._acd = acd
        self._publish = publish
        self._queues: dict[str, Queue] = {}
        self._country = "PL"
        self._waiting: dict[str, _Waiting] = {}
        # The box's own music on hold (sound device line-in or playlist), shared by
        # every waiting caller of a queue without a hold-music prompt of its own.
        self.music_on_hold: MusicSource | None = None

    def configure(self, queues: Sequence[Queue], country: str) -> None:
        """Use these queues' settings from now on (callers already waiting included)."""
        self._queues = {q.name: q for q in queues}
        self._country = country

    def language(self, queue: str) -> Language:
        return queue_language(self._queues.get(queue), self._country)

    def is_waiting(self, call_id: str) -> bool:
        return call_id in self._waiting

    # -- the call manager's side ------------------------------------------------------

    def start(
        self,
        call_id: str,
        channel: int,
        queue: str,
        now: float,
        *,
        first: Sequence[str] = (PLEASE_HOLD,),
        offer_callback: bool = False,
    ) -> None:
        """The caller waits in ``queue`` on ``channel``: ``first`` prompts, then hold music."""
        self.stop(call_id)
        waiting = _Waiting(call_id, channel, queue, offer_callback)
        self._waiting[call_id] = waiting
        config = self._queues.get(queue)
        if config is not None and config.announce_every > 0:
            self._arm(waiting, now + config.announce_every)
        self._speak(waiting, list(first), None)

    def say(
        self, call_id: str, prompts: Sequence[str], then: Callable[[float], None] | None = None
    ) -> bool:
        """Interrupt the music to play ``prompts``; then call ``then`` (or resume the music).

        False if the caller is not waiting here.
        """
        waiting = self._waiting.get(call_id)
        if waiting is None:
            return False
        self._speak(waiting, list(prompts), then)
        return True

    def stop(self, call_id: str) -> None:
        """The wait is over; the playout itself is left to whoever takes the call on."""
        waiting = self._waiting.pop(call_id, None)
        if waiting is not None and waiting.timer is not None:
            waiting.timer.cancel()

    def prompt_finished(self, call_id: str, tag: str, now: float) -> bool:
        """A prompt ended on the caller's channel; False if it was not one of ours."""
        waiting = self._waiting.get(call_id)
        if waiting is None or tag not in (TAG_SPEECH, TAG_MUSIC):
            return False
        if tag == TAG_MUSIC and not waiting.speaking:
            self._music(waiting)
        elif tag == TAG_SPEECH and waiting.speaking:
            self._next(waiting, now)
        return True

    # -- inside ------------------------------------------------------------------------

    def _arm(self, waiting: _Waiting, when: float) -> None:
        waiting.timer = self._timers.call_at(when, lambda t, w=waiting: self._announce(w, t))

    def _announce(self, waiting: _Waiting, now: float) -> None:
        if self._waiting.get(waiting.call_id) is not waiting:
            return
        config = self._queues.get(waiting.queue)
        if config is None or config.announce_every <= 0:
            return
        self._arm(waiting, now + config.announce_every)
        estimate = self._acd.position_and_wait(waiting.call_id, now)
        if estimate is None or waiting.speaking or self._ringing(waiting):
            return  # out of the queue, still hearing the last words, or an agent is ringing
        lang = self.language(waiting.queue)
        key = config.callback_digit if waiting.offer_callback else ""
        try:
            prompts = announcement(
                estimate, lang, position=config.announce_position, wait=config.announce_wait,
                callback_key=key,
            )
        except SayError as exc:
            log.error("call %s: announcement not made: %s", waiting.call_id, exc)
            return
        if not prompts:
            return
        self._publish({
            "type": "queue-announcement", "call_id": waiting.call_id, "queue": waiting.queue,
            "position": estimate.position, "ewt": estimate.ewt,
        })
        self._speak(waiting, prompts, None)

    def _ringing(self, waiting: _Waiting) -> bool:
        line = self._acd.waiting.get(waiting.queue, ())
        return any(e.call_id == waiting.call_id and e.ringing for e in line)

    def _speak(
        self, waiting: _Waiting, prompts: list[str], then: Callable[[float], None] | None
    ) -> None:
        waiting.speech = prompts
        waiting.then = then
        waiting.speaking = True
        self._next(waiting, None)

    def _next(self, waiting: _Waiting, now: float | None) -> None:
        """Play the next prompt that loads; at the end, ``then`` or the music."""
        while waiting.speech:
            name = waiting.speech.pop(0)
            try:
                audio = self._prompts.get(name)
            except PromptError as exc:
                log.error("call %s: prompt skipped: %s", waiting.call_id, exc)
                continue
            self._engine.play_prompt(waiting.channel, audio, TAG_SPEECH)
            return
        waiting.speaking = False
        then, waiting.then = waiting.then, None
        if then is not None and now is not None:
            then(now)
        elif then is not None:
            # Nothing could be played: carry on at the next timer run, never re-entrantly.
            self._timers.call_at(0.0, then)
        else:
            self._music(waiting)

    def _music(self, waiting: _Waiting) -> None:
        config = self._queues.get(waiting.queue)
        name = config.hold_music if config is not None else ""
        if name:
            try:
                self._engine.play_prompt(waiting.channel, self._prompts.get(name), TAG_MUSIC)
                return
            except PromptError as exc:
                log.error("queue %s: hold music %s", waiting.queue, exc)
        moh = self.music_on_hold
        if moh is not None and moh.available:
            self._engine.play_stream(waiting.channel, moh)
            return
        self._engine.play_tone(waiting.channel, HOLD_TONE)


if __name__ == "__main__":
    from firmware.ivr.speech import SpeechError, record_phrases

    try:
        count = record_phrases(PHRASES, Path(__file__).parents[1] / "ivr" / "prompts")
    except SpeechError as exc:
        sys.exit(f"queue phrases: {exc}")
    print(f"{count} queue phrases recorded")
