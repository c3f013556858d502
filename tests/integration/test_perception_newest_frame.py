"""The camera analysis takes the newest frame, not the oldest of a backlog (newcomer16 #4).

When the server's event loop falls behind (a loaded machine), aiortc's decoder thread keeps
putting decoded camera frames into the track's queue. The old stage read that queue one frame at
a time and analysed the first frame it read once the analyser was free: the oldest of the
backlog, as stale as the backlog was long. Now the backlog is read in one go and the newest
frame is analysed. Real MediaPipe models and aiortc's own receiving track; the backlog is put
into its queue the way its receiver does (a starved loop, made on purpose).
"""

from __future__ import annotations

import asyncio

import av
import numpy as np
import pytest
from aiortc.rtcrtpreceiver import RemoteStreamTrack

from engine.config import PerceptionConfig
from engine.observers import EventBus
from engine.perception.worker import PerceptionWorker
from engine.server.perception_stage import PerceptionStage
from tests.conftest import model_folder


@pytest.fixture(scope="module", autouse=True)
def perception_models() -> None:
    model_folder("mediapipe-face-landmarker")
    model_folder("mediapipe-gesture-recognizer")


class RecordingWorker(PerceptionWorker):
    """The real worker, noting the pts of each frame it is given."""

    def __init__(self, session_id: str) -> None:
        super().__init__(session_id)
        self.pts: list[int] = []

    async def analyse_frame(self, frame, t_ms, t_ns):
        self.pts.append(frame.pts)
        return await super().analyse_frame(frame, t_ms, t_ns)


def _frame(pts: int) -> av.VideoFrame:
    frame = av.VideoFrame.from_ndarray(np.full((240, 320, 3), pts, np.uint8), format="rgb24")
    frame.pts = pts
    return frame


async def _until(predicate, timeout_s: float = 60.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while not predicate():
        assert loop.time() < deadline, "timed out"
        await asyncio.sleep(0.01)


async def test_a_backlog_of_frames_is_read_at_once_and_its_newest_analysed() -> None:
    workers: list[RecordingWorker] = []

    def factory() -> RecordingWorker:
        workers.append(RecordingWorker("s1"))
        return workers[-1]

    tasks: set[asyncio.Task] = set()

    def spawn(coro, name):
        task = asyncio.create_task(coro, name=name)
        tasks.add(task)
        return task

    stage = PerceptionStage("s1", EventBus(), PerceptionConfig(), spawn, worker_factory=factory)
    stage.set_consent(True)
    await _until(lambda: stage.running)
    track = RemoteStreamTrack(kind="video")
    for pts in range(10):  # what the decoder thread queued while the loop was held up
        track._queue.put_nowait(_frame(pts))
    reader = asyncio.create_task(stage.run(track))
    await _until(lambda: stage.frames_analysed >= 1)
    assert workers[0].pts[0] == 9
    assert stage.frames_replaced == 9
    assert stage.last_wait_s < 0.5
    # a frame after the backlog, once the pacer wants one (5 fps at the slowest): analysed
    await asyncio.sleep(0.25)
    track._queue.put_nowait(_frame(10))
    await _until(lambda: stage.frames_analysed >= 2)
    assert workers[0].pts == [9, 10]
    track._queue.put_nowait(None)  # the track ends
    await asyncio.wait_for(reader, 10)
    await stage.close()
    for task in tasks:
        task.cancel()
