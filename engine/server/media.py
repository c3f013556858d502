"""One session's outbound media: the live transport's :class:`~engine.speaking.Outbox`.

:class:`SessionMedia` holds the reply-audio and avatar-video tracks on one media clock, the
avatar timeline they play, the echo guard fed by the audio sent, and how often the avatar is
rendered while the CPU has reply work. The turn runner queues reply audio here
(:meth:`SessionMedia.enqueue`), the session cuts it on barge-in (:meth:`SessionMedia.cut`), and
the render pacing follows the session's state events (:meth:`SessionMedia.observe`), never a
flag asked per frame.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from avatar import AvatarTimeline
from avatar.badge import BADGE_MATERIAL
from avatar.frame_renderer import FrameRenderer
from avatar.label import CornerLabel, legible_scale
from engine.config import ServerConfig
from engine.events import Event, StateChanged
from engine.server.audio_track import ReplyAudioTrack
from engine.server.clock import MEDIA_RATE_HZ, MediaClock
from engine.server.echo import EchoGuard
from engine.server.transcribing import InflightCounter
from engine.server.video_track import AvatarVideoTrack, pose_changed
from engine.speaking import Spans

if TYPE_CHECKING:
    from engine.reply import ReplyHandle

log = logging.getLogger(__name__)


class SessionMedia:
    """The outbound tracks of one session and the state behind them.

    Args:
        cfg: the ``server`` config section (echo guard, video size and rate).
        ai_label: the AI mark stamped on every video frame, one text or one per language
            (``avatar.ai_label``); :attr:`label` switches its language.
        renderer: this session's avatar backend (frames are rendered off the event loop).
        inflight: the process-wide ASR decode counter (the avatar idles at a lower frame rate
            while decodes run).
        clips: the avatar's animation clips, for the timeline.
        badges: the name badge texture per language (:func:`engine.show.badge_for`: uint8
            (H, W, 4) RGBA, or None to keep the model's own); None: the badge never changes.
        shown_height: the height (CSS px) the page shows the video at (the offer's
            ``video.shown_height``): the AI mark is drawn legible there; None: the default size.
    """

    def __init__(
        self,
        cfg: ServerConfig,
        ai_label: str | dict[str, str],
        renderer: FrameRenderer,
        inflight: InflightCounter,
        clips: Any = None,
        badges: Callable[[str], np.ndarray | None] | None = None,
        shown_height: int | None = None,
    ) -> None:
        self.clock = MediaClock()
        self._clips = clips
        self.timeline = self._new_timeline()
        self.echo = EchoGuard(threshold=cfg.echo_correlation) if cfg.echo_guard else None
        self.audio_out = ReplyAudioTrack(self.clock, on_sent=self._on_audio_sent)
        self._renderer = renderer
        self._inflight = inflight
        self._thinking = False  # the session prepares a reply (its state is ``thinking``)
        size = (renderer.width, renderer.height)  # the configured size or the offer's
        self._frame = np.empty((size[1], size[0], 3), np.uint8)
        self._last_pose: Any = None
        self._idle_skip = 0
        self.label = CornerLabel(ai_label, *size, scale=legible_scale(shown_height))
        self._badges = badges
        self.video_out = AvatarVideoTrack(
            self.clock,
            cfg.video_fps,
            self._render,
            size,
            self.label.apply,
            audio_lead=lambda: self.audio_out.lead_s,
        )
        self._set_idle(True)  # a session starts idle

    def _new_timeline(self) -> AvatarTimeline:
        if self._clips is None:
            return AvatarTimeline(MEDIA_RATE_HZ)
        return AvatarTimeline(MEDIA_RATE_HZ, clips=self._clips)

    # --- the Outbox of the turn runner ------------------------------------------------------

    @property
    def schedule_end(self) -> int:
        """Media sample at which audio queued now would start playing."""
        return self.audio_out.schedule_end

    def enqueue(self, reply_id: str, pcm: np.ndarray, on_start: Callable[[], None]) -> int:
        """Queue int16 (n,) 48 kHz reply audio; ``on_start`` runs when its first sample is
        sent. Returns its start sample."""
        return self.audio_out.enqueue(reply_id, pcm, on_start)

    async def deliver(self, handle: ReplyHandle, first_chunk_ns: int | None) -> Spans:
        """Wait for the reply's first sample to be sent: the ``send`` stage is first chunk
        queued → first sample sent (nothing when the reply had no audio)."""
        if first_chunk_ns is None:
            return {}
        t_first_s = await handle.first_audio
        return {"send": (first_chunk_ns, int(t_first_s * 1e9))}

    def played(self, end_sample: int) -> asyncio.Future[None]:
        """Resolves once media ``end_sample`` has been sent."""
        return self.audio_out.played(end_sample)

    def timings(self) -> dict[str, float | None]:
        """The ``avatar`` timing: mean time per rendered video frame so far (ms)."""
        return self.timings_extra()

    def cut(self) -> int:
        """Barge-in: drop the queued reply audio (the next frame is silence) and close the
        mouth. Returns the media sample where the reply was cut."""
        played = self.audio_out.next_sample
        self.audio_out.flush()
        self.audio_out.held = False
        self.timeline.clear(played)
        return played

    def hold(self, held: bool) -> None:
        """Silence the reply audio from the next frame on (``True``) while a possible barge-in
        is confirmed, or let it play again (``False``); the audio keeps its place on the media
        clock, so the avatar's lips stay in sync with what is heard after it."""
        self.audio_out.held = held

    # --- the session's side -----------------------------------------------------------------

    @property
    def language(self) -> str:
        """The language of the AI mark and the name badge now."""
        return self.label.language

    def set_language(self, language: str) -> None:
        """Show the AI mark and the avatar's name badge in ``language`` from the next frame
        on. A pooled renderer still wears the last session's badge: the session calls this
        when it starts, not only on a switch."""
        self.label.set_language(language)
        badge = self._badges(self.label.language) if self._badges is not None else None
        if badge is not None:
            self._renderer.set_texture(BADGE_MATERIAL, badge)

    def observe(self, event: Event) -> None:
        """Bus observer: render pacing follows the session's state (``thinking``), and while
        it is ``idle`` both tracks send less (silence in 60 ms packets, video at half rate)."""
        if isinstance(event, StateChanged):
            self._thinking = event.state == "thinking"
            self._set_idle(event.state == "idle")

    def _set_idle(self, idle: bool) -> None:
        self.audio_out.idle = idle
        self.video_out.idle = idle

    def set_listening(self, listening: bool) -> None:
        """The avatar's attentive face on (the visitor speaks) or off, from now."""
        self.timeline.set_listening(listening, self.now_sample())

    def now_sample(self) -> int:
        """The media sample playing now."""
        return self.clock.sample_at(asyncio.get_running_loop().time())

    def stop(self) -> None:
        """End both tracks (pending ``played`` futures are cancelled); logs where the video
        frames' time went (:meth:`AvatarVideoTrack.stage_summary`)."""
        if self.video_out.frames_sent:
            log.info("video stages %s", self.video_out.stage_summary())
        self.audio_out.flush()
        self.audio_out.stop()
        self.video_out.stop()

    def reset_timeline(self) -> None:
        """Drop the timeline's scheduled speech and expressions (at session end)."""
        self.timeline = self._new_timeline()

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
        if not self.timeline.is_speaking(sample) and (inflight.count or self._thinking):
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
