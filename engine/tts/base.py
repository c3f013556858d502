"""The TTS provider interface: one async generator per service, sentence-streamed.

A provider turns reply text into :class:`TTSChunk` s, one per sentence (see
:mod:`engine.tts.sentences`), each with its PCM and the viseme track that goes with it. The
first sentence is yielded as soon as it is synthesized (a slow voice may hold it until the
rest can keep up: :attr:`SentenceTTS.hold_pace`); blocking inference runs on a worker
thread (``asyncio.to_thread``) so the event loop never waits on ONNX or espeak-ng, and the
next sentence is synthesized while the caller handles the current one.

Vendors live in their own modules (``piper.py``, ``espeak.py``); GPL code is imported there
only.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np

from avatar.visemes import VisemeTrack
from engine.audio.pauses import PauseLimiter
from engine.tts.pacing import Pace, opening_hold_s
from engine.tts.sentences import SplitConfig, split_sentences, spoken_weight

log = logging.getLogger(__name__)


class TTSError(Exception):
    """A TTS failure with a stable ``code`` (e.g. ``model-not-found``, ``synthesis-failed``,
    ``unsupported-language``, ``engine-unavailable``) and a human-readable ``message``."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


@dataclass(frozen=True, slots=True)
class TTSChunk:
    """The audio of one sentence and its visemes.

    Attributes:
        pcm: int16 mono little-endian samples, ``len(pcm) == 2 * num_samples``.
        sample_rate: Hz of ``pcm``.
        visemes: cues counted in samples from this chunk's first sample, same ``sample_rate``.
        text: the sentence spoken.
    """

    pcm: bytes
    sample_rate: int
    visemes: VisemeTrack
    text: str

    @property
    def num_samples(self) -> int:
        """Length of ``pcm`` in samples."""
        return len(self.pcm) // 2

    @property
    def duration_s(self) -> float:
        """Length of ``pcm`` in seconds."""
        return self.num_samples / self.sample_rate


@runtime_checkable
class TTSProvider(Protocol):
    """What the engine needs from a TTS service.

    ``synthesize`` is an async generator: ``async for chunk in tts.synthesize(text, "en")``.
    Closing it early (barge-in) stops synthesis after the sentence in flight.
    """

    sample_rate: int
    languages: frozenset[str]

    def synthesize(self, text: str, language: str) -> AsyncIterator[TTSChunk]:
        """Yield one :class:`TTSChunk` per sentence of ``text``, first sentence first.

        Raises:
            TTSError: on any failure (``unsupported-language``, ``synthesis-failed`` ...).
        """
        ...


class SentenceTTS(ABC):
    """Base for offline providers that synthesize one sentence at a time (blocking).

    Subclasses implement :meth:`synthesize_sentence`; this class supplies sentence splitting,
    the thread hand-off, one-sentence look-ahead and :meth:`synthesize_all`.

    A slow voice sets :attr:`hold_pace`: the first piece is then handed out only once the rest
    is predicted to be made before the audio ahead of it runs out
    (:func:`~engine.tts.pacing.opening_hold_s`), or once the second piece is ready, whichever
    comes first, so a late piece is heard as a wait before the reply, not a stall inside it.
    """

    sample_rate: int
    languages: frozenset[str]
    split_config: SplitConfig = SplitConfig()
    #: The voice's timing for holding the first piece back (None: never held).
    hold_pace: Pace | None = None
    #: Seconds of synthesis per unit of :meth:`Pace.cost` on the last live first piece (the
    #: machine's speed then; None until one is made), for a first piece made ahead of time.
    per_cost_s: float | None = None

    @abstractmethod
    def synthesize_sentence(self, sentence: str, language: str) -> TTSChunk:
        """Synthesize one sentence (blocking; called on a worker thread).

        Raises:
            TTSError: synthesis failed.
        """

    def check_language(self, language: str) -> None:
        """Raise ``TTSError('unsupported-language')`` unless ``language`` is spoken here."""
        if language not in self.languages:
            raise TTSError(
                "unsupported-language",
                f"{type(self).__name__} speaks {sorted(self.languages)}, not {language!r}",
            )

    def split(self, text: str) -> list[str]:
        """Sentences of ``text`` in speaking order (:func:`split_sentences`)."""
        return split_sentences(text, self.split_config)

    async def synthesize(
        self, text: str, language: str, first: TTSChunk | None = None
    ) -> AsyncIterator[TTSChunk]:
        """Yield one chunk per sentence as soon as it is ready (see :class:`TTSProvider`).

        Args:
            text: the reply.
            language: its language code.
            first: the first piece's chunk made ahead of time (a prepared opening,
                :mod:`engine.tts.prepared`); used only when ``text`` has more than one piece
                and its first piece is ``first.text``, else everything is made live. The
                second piece is then made at once and the first held by the voice's speed
                measured on its last live first piece (:attr:`hold_pace`), or until the
                second is ready when none was measured yet.
        """
        self.check_language(language)
        sentences = self.split(text)
        if not sentences:
            return
        if first is not None and (len(sentences) < 2 or sentences[0] != first.text):
            first = None
        t0_s = time.monotonic()
        if first is None:
            pending = asyncio.ensure_future(
                asyncio.to_thread(self._timed, sentences[0], language, 0, t0_s)
            )
        else:
            pending = asyncio.get_running_loop().create_future()
            pending.set_result(first)
        try:
            for i in range(len(sentences)):
                chunk = await pending
                if i + 1 < len(sentences):
                    pending = asyncio.ensure_future(
                        asyncio.to_thread(self._timed, sentences[i + 1], language, i + 1, t0_s)
                    )
                    if i == 0 and self.hold_pace is not None:
                        made_s = None if first is not None else time.monotonic() - t0_s
                        await self._hold(pending, sentences, chunk, made_s)
                yield chunk
        finally:
            if not pending.done():
                pending.cancel()
                with contextlib.suppress(asyncio.CancelledError, TTSError):
                    await pending

    async def _hold(
        self, second: asyncio.Future, sentences: list[str], first: TTSChunk, made_s: float | None
    ) -> None:
        """Wait as :func:`~engine.tts.pacing.opening_hold_s` says (the first piece took
        ``made_s`` to make), or until ``second`` is ready. ``made_s`` None: the first piece
        was made ahead of time and the second has just started; its make time is predicted
        from :attr:`per_cost_s` (none yet: wait for the second piece)."""
        assert self.hold_pace is not None
        weights = [spoken_weight(s) for s in sentences]
        cost = self.hold_pace.cost(weights[0])
        if made_s is not None:
            self.per_cost_s = made_s / cost
        elif self.per_cost_s is None:
            await asyncio.wait({second})
            return
        first_make_s = made_s if made_s is not None else self.per_cost_s * cost
        hold_s = opening_hold_s(weights, first_make_s, heard_s(first), self.hold_pace)
        if hold_s > 0:
            t_s = time.monotonic()
            await asyncio.wait({second}, timeout=hold_s)
            log.debug(
                "first piece held %.0f ms (predicted %.0f ms) after %.0f ms to make it",
                *((time.monotonic() - t_s) * 1e3, hold_s * 1e3, first_make_s * 1e3),
            )

    def _timed(self, sentence: str, language: str, index: int, t0_s: float) -> TTSChunk:
        """:meth:`synthesize_sentence`, logged (debug) with its start and end in ms after the
        reply's synthesis began at monotonic ``t0_s`` (short figures: the log masks long
        digit runs)."""
        start_ms = (time.monotonic() - t0_s) * 1e3
        chunk = self.synthesize_sentence(sentence, language)
        end_ms = (time.monotonic() - t0_s) * 1e3
        log.debug(
            "piece %d synthesized %.0f-%.0f ms into the reply, %.2f s of audio: %s",
            *(index, start_ms, end_ms, chunk.duration_s, sentence),
        )
        return chunk

    def synthesize_all(self, text: str, language: str) -> list[TTSChunk]:
        """Synthesize every sentence of ``text`` on the calling thread (batch use).

        Raises:
            TTSError: as :meth:`synthesize_sentence`, or ``unsupported-language``.
        """
        self.check_language(language)
        return [self.synthesize_sentence(s, language) for s in self.split(text)]


def heard_s(chunk: TTSChunk, limiter: PauseLimiter | None = None) -> float:
    """Seconds ``chunk`` plays once its silences are shortened
    (:meth:`~engine.audio.pauses.PauseLimiter.heard_s`, a default limiter unless given)."""
    return (limiter or PauseLimiter()).heard_s(np.frombuffer(chunk.pcm, "<i2"), chunk.sample_rate)


class LanguageRouterTTS:
    """Routes each reply to the provider for its language (e.g. Piper for en, espeak for zh).

    Args:
        providers: language code → provider; every provider must share one sample rate.

    Raises:
        ValueError: no providers, or their sample rates differ.
    """

    def __init__(self, providers: Mapping[str, TTSProvider]) -> None:
        if not providers:
            raise ValueError("LanguageRouterTTS needs at least one provider")
        rates = {p.sample_rate for p in providers.values()}
        if len(rates) != 1:
            raise ValueError(f"providers disagree on sample rate: {sorted(rates)}")
        self._providers = dict(providers)
        self.sample_rate: int = rates.pop()
        self.languages: frozenset[str] = frozenset(self._providers)

    async def synthesize(self, text: str, language: str) -> AsyncIterator[TTSChunk]:
        """Delegate to the provider registered for ``language``.

        Raises:
            TTSError: ``unsupported-language`` when none is registered, or the provider's own.
        """
        provider = self._providers.get(language)
        if provider is None:
            raise TTSError(
                "unsupported-language", f"no TTS for {language!r}; have {sorted(self.languages)}"
            )
        async for chunk in provider.synthesize(text, language):
            yield chunk
