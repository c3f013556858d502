"""The live video track poses each frame at the middle of the interval it is on screen, as the
MP4's frames are (:func:`engine.show.frame_sample`): posed at the interval's start, the mouth
followed the sound half a frame late on average (newcomer12 #11 measured the MP4s one frame
late before both moved to the middle)."""

from __future__ import annotations

import asyncio

import numpy as np
import pytest

from engine.server.clock import (
    AUDIO_LEAD_S,
    MAX_VIDEO_PIPELINE_S,
    MEDIA_RATE_HZ,
    MediaClock,
    plan_video_frame,
    video_lead,
)
from engine.server.video_track import AvatarVideoTrack

FPS, SIZE = 25, (64, 64)


async def test_each_frame_shows_the_pose_at_the_middle_of_its_interval() -> None:
    asked: list[int] = []

    def render(sample: int) -> asyncio.Future[np.ndarray]:
        asked.append(sample)
        done: asyncio.Future[np.ndarray] = asyncio.get_running_loop().create_future()
        done.set_result(np.full((SIZE[1], SIZE[0], 3), len(asked), np.uint8))
        return done

    clock = MediaClock()
    clock.ensure_started(asyncio.get_running_loop().time())
    track = AvatarVideoTrack(clock, FPS, render, SIZE)
    for _ in range(3):
        await track.recv()
    track.stop()
    per_frame = MEDIA_RATE_HZ // FPS  # 1920 samples, 40 ms
    assert len(asked) == 3
    # a frame whose time passed while the machine was busy is skipped, so only the phase is
    # fixed: half a frame (960 samples, 20 ms) into each interval
    assert [s % per_frame for s in asked] == [per_frame // 2] * 3, asked


def test_a_frame_leaves_with_the_audio_of_its_media_time() -> None:
    """A receiver lines the tracks up by when each left (aiortc's RTCP sender reports pair a
    packet's RTP timestamp with its send time). Audio of media time t leaves at
    ``deadline(t) - AUDIO_LEAD_S``; a video frame whose work (render, conversion, encode) takes
    ``pipeline`` must start that much earlier still. Started at its deadline, it left
    lead + pipeline after its sound: the mouth +60 ms behind the voice at a WebRTC client."""
    clock = MediaClock()
    start = clock.ensure_started(100.0)
    pipeline = 0.03
    lead = video_lead(AUDIO_LEAD_S, [0.02, pipeline, 0.05])  # the median: 30 ms
    for index in (3, 10, 250):
        now = start + index / FPS - 0.2  # the frame before left well ahead
        slot = plan_video_frame(now, start, FPS, index, lead)
        assert slot.index == index and slot.dropped == 0
        video_leaves = now + slot.wait_s + pipeline
        audio_leaves = clock.deadline(index * MEDIA_RATE_HZ // FPS) - AUDIO_LEAD_S
        assert video_leaves == pytest.approx(audio_leaves, abs=1e-9)
    # a frame is late (skipped) once its early start has passed by a whole frame
    late = plan_video_frame(start + 10 / FPS - lead + 1.0 / FPS, start, FPS, 10, lead)
    assert late.index == 11 and late.dropped == 1


def test_the_pipeline_the_lead_allows_for_is_bounded() -> None:
    assert video_lead(0.0, []) == 0.0
    assert video_lead(0.01, [5.0, 5.0]) == pytest.approx(0.01 + MAX_VIDEO_PIPELINE_S)


async def test_the_track_measures_its_pipeline_and_leads_by_it_and_the_audio() -> None:
    """The time from a frame's work starting to aiortc asking for the next frame (it sends a
    frame's packets first) is what the lead allows for: at least the render's 30 ms here."""

    async def slow(sample: int) -> np.ndarray:
        await asyncio.sleep(0.03)
        return np.zeros((SIZE[1], SIZE[0], 3), np.uint8)

    clock = MediaClock()
    clock.ensure_started(asyncio.get_running_loop().time())
    track = AvatarVideoTrack(
        clock, FPS, lambda s: asyncio.ensure_future(slow(s)), SIZE, audio_lead=lambda: 0.04
    )
    for _ in range(4):
        await track.recv()
    track.stop()
    assert len(track.pipeline_s) == 3
    assert min(track.pipeline_s) >= 0.03
    assert 0.04 + 0.03 <= track.lead_s <= 0.04 + MAX_VIDEO_PIPELINE_S


async def test_a_rendered_frame_after_resent_ones_is_led_by_the_render_time() -> None:
    """Idle frames mostly resend the last image (a few ms to send), speech renders every one
    (here 30 ms). Each kind is led by its own pipeline: one median over both left the render
    time out of the lead for the first ~12 rendered frames of every reply, each picture that
    much after its sound."""
    calls = 0

    def render(sample: int) -> asyncio.Future[np.ndarray] | None:
        nonlocal calls
        calls += 1
        if 1 < calls <= 7:  # resent: the pose did not move
            return None

        async def slow() -> np.ndarray:
            await asyncio.sleep(0.03)
            return np.zeros((SIZE[1], SIZE[0], 3), np.uint8)

        return asyncio.ensure_future(slow())

    clock = MediaClock()
    clock.ensure_started(asyncio.get_running_loop().time())
    track = AvatarVideoTrack(clock, FPS, render, SIZE, audio_lead=lambda: AUDIO_LEAD_S)
    leads = []
    for _ in range(10):
        await track.recv()
        leads.append(track.lead_s)
    track.stop()
    assert len(track.pipeline_s) == 3 and len(track.resent_s) == 6
    assert min(track.pipeline_s) >= 0.03
    # frames 3-7 follow a resent frame: led by the resent frames' pipeline, not the render's
    assert all(lead < AUDIO_LEAD_S + 0.03 for lead in leads[2:7])
    # frame 9 follows the first rendered frame of the "reply": led by the render time at once
    assert all(lead >= AUDIO_LEAD_S + 0.03 for lead in leads[8:])
