"""One session's outbound media: the reply-audio and avatar-video tracks on one media clock, the
avatar timeline they play, the echo guard fed by the audio sent, and how often the avatar is
rendered while the CPU has reply work.

:class:`~engine.server.session.Session` owns one :class:`SessionMedia` and exposes its parts under
the names it always had (``session.clock``, ``session.timeline``, ``session.audio_out`` …).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import numpy as np

from avatar import AvatarTimeline, Renderer
from avatar.label import CornerLabel
from engine.config import ServerConfig
from engine.server.clock import MEDIA_RATE_HZ, MediaClock
from engine.server.echo import EchoGuard
from engine.server.listening import InflightCounter
from engine.server.tracks import AvatarVideoTrack, ReplyAudioTrack, pose_changed


class SessionMedia:
    """The outbound tracks of one session and the state behind them.

    Args:
        cfg: the ``server`` config section (echo guard, video size and rate).
        ai_label: the AI mark stamped on every video frame, one text or one per language
            (``avatar.ai_label``); :attr:`label` switches its language.
        renderer: this session's renderer (frames are rendered on its GL thread).
        inflight: the process-wide ASR decode counter (the avatar idles at a lower frame rate
            while decodes run).
        thinking: true while the session is preparing a reply (same effect as a decode).
    """

    def __init__(
        self,
        cfg: ServerConfig,
        ai_label: str | dict[str, str],
        renderer: Renderer,
        inflight: InflightCounter,
        thinking: Callable[[], bool],
    ) -> None:
        self.clock = MediaClock()
        self.timeline = AvatarTimeline(MEDIA_RATE_HZ)
        self.echo = EchoGuard(threshold=cfg.echo_correlation) if cfg.echo_guard else None
        self.audio_out = ReplyAudioTrack(self.clock, on_sent=self._on_audio_sent)
        self._renderer = renderer
        self._inflight = inflight
        self._thinking = thinking
        self._frame = np.empty((cfg.video_height, cfg.video_width, 3), np.uint8)
        self._last_pose: Any = None
        self._idle_skip = 0
        size = (cfg.video_width, cfg.video_height)
        self.label = CornerLabel(ai_label, *size)
        self.video_out = AvatarVideoTrack(
            self.clock, cfg.video_fps, self._render, size, self.label.apply
        )

    def reset_timeline(self) -> None:
        """Drop the timeline's scheduled speech and expressions (at session end)."""
        self.timeline = AvatarTimeline(MEDIA_RATE_HZ)

    def timings_extra(self) -> dict[str, float | None]:
        """Mean time per rendered video frame so far (ms), for the ``avatar`` timing; ``None``
        before the first frame."""
        done = self.video_out.frames_rendered
        return {"avatar": round(self.video_out.render_ms_total / done, 1) if done else None}

    def _on_audio_sent(self, deadline_s: float, pcm: np.ndarray) -> None:
        if self.echo is not None:
            self.echo.note_outbound(deadline_s, pcm, MEDIA_RATE_HZ)

    def _render(self, sample: int) -> asyncio.Future[np.ndarray] | None:
        pose = self.timeline.pose_at(sample)
        if not pose_changed(pose, self._last_pose):
            return None
        inflight = self._inflight
        if not self.timeline.is_speaking(sample) and (inflight.count or self._thinking()):
            # The avatar only idles while the CPU has reply work: during a final decode (the
            # critical path of a reply, ~0.3-0.6 s) the last image is repeated; during partials
            # and while the reply's first audio is prepared, 1 frame in 3 is rendered. The
            # track still sends 25 fps.
            if inflight.finals:
                return None
            self._idle_skip = (self._idle_skip + 1) % 3
            if self._idle_skip:
                return None
        self._last_pose = pose
        return asyncio.wrap_future(self._renderer.submit(pose, self._frame))
