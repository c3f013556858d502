"""Which language a session's visitor speaks: detected once, early, and reused (sans-IO).

With the session language on ``auto``, decoding a Mandarin turn without knowing its language
costs an English decode first (tiny.en, to keep English turns fast), then a language
detection, then the Mandarin decode. :class:`SpokenLanguage` keeps what was detected for the
rest of the session, and asks for the detection *early*: once the first turn has
``detect_after_ms`` of speech (during the turn, on the first second or so of it; see
:meth:`engine.hearing.Hearing.detect_language`), so the final decode at the end of the turn
already knows which model to run. A decode that comes back empty or unsure forgets the language
(a visitor who switches is detected again). No clocks, threads or I/O: the session passes the
speech duration and the results in.

Adopting it in a session: ``spoken = hearing.spoken_language(session_language)``; decode with
``hearing.transcribe_for(spoken, audio, control)``; on each partial-decode point of a turn
(``PartialDue``: its span's length is the speech so far), ``if spoken.detection_due(ms)`` run
``hearing.detect_language(audio[: 3 s])`` on the ASR executor and pass the result to
``spoken.detected``; a new ``SpokenLanguage`` when the visitor changes the language setting.
"""

from __future__ import annotations

from dataclasses import dataclass

from engine.asr.whisper import Transcript

#: A detection at or above this probability (among the configured languages) is kept.
MIN_DETECTION_PROB = 0.7
#: A decode whose mean token log-probability is below this forgets the language (the same
#: bound the realtime session used for its sticky language).
UNSURE_LOGPROB = -0.9


@dataclass(slots=True)
class SpokenLanguage:
    """One session's spoken language.

    Attributes:
        configured: the session's language setting, ``auto``, ``en`` or ``zh``.
        detect_after_ms: speech (ms) in a turn before the early detection is due.
        language: the language in force (the configured one, or the detected one under
            ``auto``); None while unknown.
        detections: detections noted so far (one per session while nothing is forgotten).
    """

    configured: str = "auto"
    detect_after_ms: float = 1000.0
    language: str | None = None
    detections: int = 0
    _pending: bool = False

    def __post_init__(self) -> None:
        if self.configured != "auto":
            self.language = self.configured

    def detection_due(self, speech_ms: float) -> bool:
        """Should a detection start now (the turn has ``speech_ms`` of speech so far)?
        True at most once until :meth:`detected` answers; never when the language is set."""
        if self.configured != "auto" or self.language is not None or self._pending:
            return False
        if speech_ms < self.detect_after_ms:
            return False
        self._pending = True
        return True

    def detected(self, probs: dict[str, float]) -> str | None:
        """Note a detection's result.

        Args:
            probs: language → probability among the languages the session can hear.

        Returns:
            The language now in force, or None when the detection was unsure (below
            :data:`MIN_DETECTION_PROB`) — the next turn asks again.
        """
        self._pending = False
        if not probs or self.configured != "auto":
            return self.language
        best = max(probs, key=probs.__getitem__)
        if probs[best] / (sum(probs.values()) or 1.0) >= MIN_DETECTION_PROB:
            self.language = best
            self.detections += 1
        return self.language

    def heard(self, transcript: Transcript) -> None:
        """Note a decode made in :attr:`language`: an empty or unsure one forgets it
        (``auto`` only); one made without a language teaches it."""
        if self.configured != "auto":
            return
        unsure = transcript.avg_logprob is not None and transcript.avg_logprob < UNSURE_LOGPROB
        if not transcript.text or unsure:
            self.language = None
        elif self.language is None:
            self.language = transcript.language

    def forget(self) -> None:
        """Drop what was detected (end of session, or the visitor changed the setting)."""
        self.language = self.configured if self.configured != "auto" else None
        self._pending = False
