"""Pauses inside a spoken reply, kept short: silence runs of synthesized speech are shortened
as the reply's pieces are queued (sans-IO).

A reply is synthesized piece by piece (sentences, the first cut at a clause). Each piece
starts and ends with some silence, and voices pause inside sentences too: Piper after
"Sorry," (~280 ms), Kokoro at a Chinese comma (~300 ms) and ~600 ms after every sentence, so
joined pieces can leave a visitor listening to half a second of nothing. Heard at the client,
a silence that long sounds like a stall. :class:`PauseLimiter` keeps every silence run —
inside a piece and across the join with the piece before — at most ``max_pause_ms`` long,
and at most ``first_max_pause_ms`` in the reply's first ``first_window_ms`` (where a pause
reads as "the avatar hesitates"). It keeps the run's two ends (the voice's own fade-out and
fade-in) and drops its middle, and moves the piece's visemes with the audio so the lips stay
on the words. The silence *before* the reply's first sound is cut to ``lead_in_ms`` (its
fade-in): the voices open each piece with 10-60 ms of it (Piper 0-60 ms, Kokoro 10-40 ms
measured), and there it is not a pause but time the visitor waits for the answer.

Silence is measured the way the issue's client measures it: the RMS of short frames (10 ms
here, finer than the client's 20 ms so a run is cut where it really is) below
``silence_rms`` (full scale 1.0), a little above the client's 0.005 so that what Opus makes of
the quietest frames still counts.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from avatar.visemes import VisemeCue, VisemeTrack

#: Frame for the silence measure (seconds).
FRAME_S = 0.01


@dataclass(slots=True)
class PauseLimiter:
    """Shortens the silences of one reply's pieces, in order (one instance per reply).

    Attributes:
        max_pause_ms: longest silence kept anywhere (the issue: none of 350 ms or more).
        first_max_pause_ms: longest silence kept in the reply's first ``first_window_ms``
            (the issue: none of 200 ms or more in the first 1.5 s).
        first_window_ms: the reply's opening, where the shorter limit applies.
        silence_rms: frame RMS (full scale 1.0) below which a frame is silent.
        lead_in_ms: longest silence kept before the reply's first sound (its end, the voice's
            fade-in; one 10 ms frame).
        emitted_ms: reply audio handed out so far (after shortening).
        trailing_ms: silence at the end of what was handed out (the next piece's join).
        sounded: some sound has been handed out (the lead-in is behind).
    """

    max_pause_ms: float = 260.0
    first_max_pause_ms: float = 140.0
    first_window_ms: float = 1600.0
    silence_rms: float = 0.008
    lead_in_ms: float = 10.0
    emitted_ms: float = 0.0
    trailing_ms: float = 0.0
    sounded: bool = False

    def limit(
        self, pcm: np.ndarray, sample_rate: int, track: VisemeTrack | None = None
    ) -> tuple[np.ndarray, VisemeTrack | None]:
        """The next piece with its long silences shortened.

        Args:
            pcm: int16 (n,) mono samples of the piece.
            sample_rate: Hz of ``pcm`` (and of ``track``'s cues).
            track: the piece's visemes, counted in samples from its start (or None).

        Returns:
            The shortened int16 samples and the visemes moved with them (cues that fell inside
            a removed stretch shrink; none is dropped unless it lay wholly inside one).
        """
        frame = max(1, round(sample_rate * FRAME_S))
        silent = _silent_frames(pcm, frame, self.silence_rms)
        keep = np.ones(pcm.size, bool)
        i, n = 0, silent.size
        while i < n:
            if not silent[i]:
                i += 1
                continue
            j = i
            while j < n and silent[j]:
                j += 1
            start, stop = i * frame, min(pcm.size, j * frame)
            if i == 0 and not self.sounded:
                lead = round(self.lead_in_ms * sample_rate / 1000.0)
                keep[start : max(start, stop - lead)] = False
            else:
                self._shorten(keep, start, stop, sample_rate, joined=i == 0)
            i = j
        self.sounded = self.sounded or not silent.all()
        out = pcm[keep]
        moved = _move_track(track, keep) if track is not None else None
        tail = _trailing_silence(out, frame, self.silence_rms)
        piece_ms = out.size * 1000.0 / sample_rate
        self.trailing_ms = (
            self.trailing_ms + piece_ms if tail == out.size else tail * 1000.0 / sample_rate
        )
        self.emitted_ms += piece_ms
        return out, moved

    def heard_s(self, pcm: np.ndarray, sample_rate: int) -> float:
        """Seconds ``pcm`` (int16, mono) plays once its silences are shortened: from its first
        to its last sounding whole 10 ms frame, plus the pause this limiter keeps at a join in
        the reply's opening (``first_max_pause_ms``). 0 for a silent piece."""
        frame = max(1, round(sample_rate * FRAME_S))
        whole = pcm[: pcm.size // frame * frame]
        loud = np.flatnonzero(~_silent_frames(whole, frame, self.silence_rms))
        if loud.size == 0:
            return 0.0
        return (loud[-1] + 1 - loud[0]) * FRAME_S + self.first_max_pause_ms / 1e3

    def _shorten(
        self, keep: np.ndarray, start: int, stop: int, sample_rate: int, *, joined: bool
    ) -> None:
        """Mark the middle of the silent run ``[start, stop)`` as dropped, keeping at most the
        limit in force (less what the previous piece already ended with, at a join)."""
        at_ms = self.emitted_ms + start * 1000.0 / sample_rate
        limit_ms = self.first_max_pause_ms if at_ms < self.first_window_ms else self.max_pause_ms
        before_ms = self.trailing_ms if joined else 0.0
        allowed = max(0, round((limit_ms - before_ms) * sample_rate / 1000.0))
        if stop - start <= allowed:
            return
        head = allowed // 2
        keep[start + head : stop - (allowed - head)] = False


def _silent_frames(pcm: np.ndarray, frame: int, threshold: float) -> np.ndarray:
    """bool (ceil(n / frame),): frames whose RMS (full scale 1.0) is below ``threshold``."""
    n = -(-pcm.size // frame)
    padded = np.zeros(n * frame, np.float32)
    padded[: pcm.size] = pcm.astype(np.float32) / 32768.0
    rms = np.sqrt(np.mean(padded.reshape(n, frame) ** 2, axis=1))
    return rms < threshold


def _trailing_silence(pcm: np.ndarray, frame: int, threshold: float) -> int:
    """Samples of silence at the end of ``pcm`` (whole frames)."""
    silent = _silent_frames(pcm, frame, threshold)
    if silent.size == 0:
        return 0
    loud = np.flatnonzero(~silent)
    if loud.size == 0:
        return pcm.size
    return max(0, pcm.size - (int(loud[-1]) + 1) * frame)


def _move_track(track: VisemeTrack, keep: np.ndarray) -> VisemeTrack:
    """``track`` with each cue's samples mapped through the kept samples (dropped ones
    removed); cues that become empty are left out."""
    kept_before = np.concatenate([[0], np.cumsum(keep)])  # kept samples before index i

    def at(sample: int) -> int:
        return int(kept_before[min(max(sample, 0), keep.size)])

    cues = []
    for cue in track.cues:
        start, end = at(cue.start_sample), at(cue.end_sample)
        if end > start:
            cues.append(VisemeCue(cue.viseme, start, end))
    return VisemeTrack(track.sample_rate, tuple(cues))
