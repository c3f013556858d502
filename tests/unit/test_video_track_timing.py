"""The live video track poses each frame at the middle of the interval it is on screen, as the
MP4's frames are (:func:`engine.show.frame_sample`): posed at the interval's start, the mouth
followed the sound half a frame late on average (newcomer12 #11 measured the MP4s one frame
late before both moved to the middle)."""

from __future__ import annotations

import asyncio

import numpy as np
import pytest
from aiortc.mediastreams import MediaStreamError

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
    """A frame's work (render, conversion) and aiortc's encode and send after it are what the
    lead allows for: at least the render's 30 ms here."""

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
    assert len(track.pipeline_s) >= 3  # the producer makes frames ahead of the asks
    assert min(track.pipeline_s) >= 0.03
    assert 0.04 + 0.03 <= track.lead_s <= 0.04 + MAX_VIDEO_PIPELINE_S


async def test_a_rendered_frame_after_resent_ones_is_led_by_the_render_time() -> None:
    """Idle frames mostly resend the last image (a few ms to send), speech renders every one
    (here 30 ms). Each kind is led by its own pipeline: one median over both left the render
    time out of the lead for the first ~12 rendered frames of every reply, each picture that
    much after its sound."""
    calls = 0
    leads: list[float] = []  # the lead each frame's work started with

    def render(sample: int) -> asyncio.Future[np.ndarray] | None:
        nonlocal calls
        calls += 1
        leads.append(track.lead_s)
        if 1 < calls <= 7:  # resent: the pose did not move
            return None

        async def slow() -> np.ndarray:
            await asyncio.sleep(0.03)
            return np.zeros((SIZE[1], SIZE[0], 3), np.uint8)

        return asyncio.ensure_future(slow())

    clock = MediaClock()
    clock.ensure_started(asyncio.get_running_loop().time())
    track = AvatarVideoTrack(clock, FPS, render, SIZE, audio_lead=lambda: AUDIO_LEAD_S)
    for _ in range(10):
        await track.recv()
    track.stop()
    assert len(track.pipeline_s) >= 3 and len(track.resent_s) == 6
    assert min(track.pipeline_s) >= 0.03
    # frames 3-8 follow a resent frame: led by the resent frames' pipeline, not the render's
    assert all(lead < AUDIO_LEAD_S + 0.03 for lead in leads[2:8]), leads
    # frame 9 follows the first rendered frame of the "reply": led by the render time at once
    assert all(lead >= AUDIO_LEAD_S + 0.03 for lead in leads[8:10]), leads


def _slow_render(render_s: float):
    """A render that takes ``render_s`` off the loop (as the GL thread does)."""

    def render(sample: int) -> asyncio.Future[np.ndarray]:
        async def slow() -> np.ndarray:
            await asyncio.sleep(render_s)
            return np.zeros((SIZE[1], SIZE[0], 3), np.uint8)

        return asyncio.ensure_future(slow())

    return render


async def test_the_next_frame_is_rendered_while_the_last_one_is_encoded() -> None:
    """aiortc's sender encodes and sends a frame (here 30 ms) before it asks for the next; a
    render takes 30 ms. One after another they took 60 ms a frame (~16 fps of 25); with the
    frame made ahead the sender gets one every 40 ms (18.5 fps allowed for timer slip on a loaded
    host)."""
    clock = MediaClock()
    loop = asyncio.get_running_loop()
    clock.ensure_started(loop.time())
    track = AvatarVideoTrack(clock, FPS, _slow_render(0.03), SIZE)
    t0, sent = loop.time(), 0
    while loop.time() - t0 < 1.5:
        await track.recv()
        sent += 1
        await asyncio.sleep(0.03)  # the encode and send
    track.stop()
    # one after another it can never pass 1 / 60 ms = 16.7 fps, however quiet the host
    assert sent / (loop.time() - t0) >= 18.5, (sent, track.frames_dropped)


async def test_frames_leave_at_their_time_and_the_stalest_gives_way() -> None:
    """Each frame goes to the sender at its deadline less the audio's lead (never early, the
    median within 15 ms; lip sync), and when the sender falls behind (a 100 ms encode) the
    frames it could not take in time are skipped: the one it gets is a frame late at most
    (one of eight allowed the loop's timer slip)."""
    clock = MediaClock()
    loop = asyncio.get_running_loop()
    start = clock.ensure_started(loop.time())
    track = AvatarVideoTrack(clock, FPS, _slow_render(0.005), SIZE, audio_lead=lambda: 0.04)
    offsets = []
    for _ in range(12):
        frame = await track.recv()
        index = round(frame.pts * FPS / 90_000)
        offsets.append(loop.time() - (start + index / FPS - 0.04))
    # never early; late only by the loop's timer slip (tens of ms now and then on a loaded host)
    assert min(offsets[2:]) >= -0.002 and float(np.median(offsets[2:])) <= 0.015, offsets
    late = []
    for _ in range(8):
        frame = await track.recv()
        index = round(frame.pts * FPS / 90_000)
        late.append(loop.time() - (start + index / FPS - 0.04))
        await asyncio.sleep(0.1)
    track.stop()
    assert track.frames_dropped > 0
    # without the drop the ready frames were 2-3 frames stale (median ~70 ms)
    assert float(np.median(late)) <= 1.0 / FPS + 0.01, late
    assert sum(t > 1.0 / FPS + 0.01 for t in late) <= 1, late
    with pytest.raises(MediaStreamError):
        await track.recv()


async def test_a_failed_render_reaches_the_sender_instead_of_a_hang() -> None:
    """The producer runs apart from the sender's asks: a render that fails (its renderer closed
    at the session's end, injected here on purpose) is raised by the next ``recv``, as it was
    when the sender's own ask rendered, not left as a frame that never comes."""

    def render(sample: int) -> asyncio.Future[np.ndarray]:
        failed: asyncio.Future[np.ndarray] = asyncio.get_running_loop().create_future()
        failed.set_exception(RuntimeError("renderer closed"))
        return failed

    clock = MediaClock()
    clock.ensure_started(asyncio.get_running_loop().time())
    track = AvatarVideoTrack(clock, FPS, render, SIZE)
    with pytest.raises(RuntimeError, match="renderer closed"):
        await asyncio.wait_for(track.recv(), 2.0)
    track.stop()
