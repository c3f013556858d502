"""Camera perception cost per frame at 640×480, and what a live session reaches.

Offline: each MediaPipe model alone, and the whole frame (both models + the perception core),
in the streaming (video) mode the live stage uses. Frames are real: the labelled
sad-then-happy clip of ../shared/data (a face; a hand over the face for a while), letterboxed
from 640×360 to 640×480. For each figure it prints the best and median wall time per frame
over ``--runs`` passes and the process CPU time per frame (all of MediaPipe's threads), and the
analysis rate the pacer would reach at its default CPU share.

Live (unless ``--no-live``): ``dhe serve`` on loopback and an aiortc visitor whose camera
(640×480, 15 fps) shows that clip, then labelled pictures. It prints the analysis rate (frames
analysed per second, from the server's ``dhe_perception_frames`` counter) while the avatar is
idle and while it speaks a long answer, and the detection delays a visitor experiences: face
shown → ``presence`` event, open palm shown → the avatar stopped, face gone → session ended
(``perception.absent_after_s`` set to 2 s here), thumbs up shown → ``gesture`` event.

On a shared machine wall times are noisy: compare CPU times, or rerun on a quiet machine.

Usage::

    .venv/bin/python benchmarks/perception.py [--frames 60] [--runs 3] [--no-live]

Prints figures; decides nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import av
import mediapipe as mp
import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from engine.perception.core import Perceiver  # noqa: E402
from engine.perception.mediapipe_models import MediaPipePerception  # noqa: E402
from engine.perception.pacing import FramePacer  # noqa: E402
from tests.support.camera import CameraTrack, Scene, blank, clip, still  # noqa: E402
from tests.support.server_process import ServerProcess  # noqa: E402
from tests.support.visitor import VisitorClient  # noqa: E402

SHARED = REPO.parent / "shared" / "data"
CLIP = SHARED / "video" / "video_woman_sad_then_happy_expressions_20s.mp4"
WIDTH, HEIGHT = 640, 480


def _frames(count: int) -> list[np.ndarray]:
    """``count`` frames spread over the clip, letterboxed to 640×480 RGB."""
    with av.open(str(CLIP)) as container:
        decoded = [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]
    picks = np.linspace(0, len(decoded) - 1, count).astype(int)
    out = []
    for i in picks:
        frame = decoded[i]
        h, w = frame.shape[:2]
        canvas = np.zeros((HEIGHT, WIDTH, 3), np.uint8)
        y0 = (HEIGHT - h) // 2
        canvas[y0 : y0 + h, :w] = frame[:, :WIDTH]
        out.append(canvas)
    return out


def _measure(name: str, frames: list[np.ndarray], runs: int, make: Callable) -> float:
    """Time ``make()``'s per-frame function over the frames ``runs`` times; print; return
    the median wall ms."""
    walls, cpus = [], []
    for _ in range(runs):
        per_frame = make()
        start_wall, start_cpu = time.perf_counter(), time.process_time()
        for i, rgb in enumerate(frames):
            per_frame(rgb, i * 100)
        walls.append((time.perf_counter() - start_wall) * 1000 / len(frames))
        cpus.append((time.process_time() - start_cpu) * 1000 / len(frames))
    median = statistics.median(walls)
    print(
        f"{name:34s} wall best {min(walls):6.1f} ms  median {median:6.1f} ms   "
        f"cpu median {statistics.median(cpus):6.1f} ms per frame"
    )
    return median


async def _frames_analysed(client: VisitorClient) -> float:
    assert client._http is not None
    async with client._http.get(f"{client.base_url}/metrics") as resp:
        text = await resp.text()
    return float(re.search(r"^dhe_perception_frames_total (\S+)$", text, re.M).group(1))


async def _until(client: VisitorClient, predicate, after: float, timeout: float = 30.0) -> float:
    """Seconds from ``after`` (loop time) to the first event matching ``predicate``."""
    message = await client.wait_event(predicate, timeout=timeout, after=after)
    return next(t for t, m in client.received.events if m is message) - after


def _state(name: str):
    return lambda m: m.get("type") == "state" and m.get("state") == name


async def _watched(url: str) -> tuple[VisitorClient, CameraTrack]:
    """A visitor with an empty room in front of the camera, media flowing, consent given."""
    camera = CameraTrack(blank((WIDTH, HEIGHT)))
    client = VisitorClient(url, decode_video=False, camera=camera)
    await client.connect()
    while not client.received.encoded_video:
        await asyncio.sleep(0.05)
    await client.send_event({"type": "camera", "consent": True})
    await asyncio.sleep(2.0)  # the models load
    return client, camera


async def _rate(client: VisitorClient, seconds: float) -> float:
    """Frames analysed per second over the next ``seconds``."""
    loop = asyncio.get_running_loop()
    n0, t0 = await _frames_analysed(client), loop.time()
    await asyncio.sleep(seconds)
    return (await _frames_analysed(client) - n0) / (loop.time() - t0)


async def _live_session(url: str, face: Scene) -> dict[str, float]:
    """One visitor: arrives, is greeted, asks a long question, stops the answer with an open
    palm, comes back and walks away; then a second visitor shows a thumbs up."""
    figures: dict[str, float] = {}
    client, camera = await _watched(url)
    try:
        t = camera.show(face)
        figures["face shown → presence"] = await _until(
            client, lambda m: m.get("type") == "presence", t
        )
        await client.wait_event(_state("speaking"), timeout=30)  # the greeting
        await client.wait_event(_state("idle"), timeout=60)
        figures["fps idle (face in view)"] = await _rate(client, 3.0)
        t = asyncio.get_running_loop().time()
        await client.send_event({"type": "text", "text": "When are you open?"})
        await client.wait_event(_state("speaking"), timeout=30, after=t)
        figures["fps while speaking"] = await _rate(client, 3.0)
        t = camera.show(clip(SHARED / "video" / "video_open_palm_hand_8s.mp4", start_s=1.5))
        figures["open palm shown → avatar stopped"] = await _until(client, _state("interrupted"), t)
        camera.show(face)
        await asyncio.sleep(3.0)
        t = camera.show(blank((WIDTH, HEIGHT)))
        figures["face gone → session ended (2 s dwell)"] = await _until(client, _state("ended"), t)
    finally:
        await client.close()
    client, camera = await _watched(url)
    try:
        t = camera.show(still(SHARED / "images" / "gestures" / "gesture_thumbs_up_single_hand.jpg"))
        thumb = lambda m: m.get("type") == "gesture" and m.get("name") == "Thumb_Up"  # noqa: E731
        figures["thumbs up shown → gesture event"] = await _until(client, thumb, t)
    finally:
        await client.close()
    return figures


def _live(runs: int) -> None:
    """The live figures over ``runs`` sessions (best and median of each)."""
    server = ServerProcess(env={"DHE_PERCEPTION__ABSENT_AFTER_S": "2"}, ready_timeout_s=600.0)
    url = server.start()
    face = clip(CLIP, end_s=10.0)
    try:
        results = [asyncio.run(_live_session(url, face)) for _ in range(runs)]
    finally:
        server.stop()
    print(f"live session over loopback, camera 640x480 15 fps, {runs} sessions:")
    for name in results[0]:
        values = [r[name] for r in results]
        unit, scale = ("fps", 1.0) if name.startswith("fps") else ("ms", 1000.0)
        best = max(values) if unit == "fps" else min(values)
        print(
            f"  {name:40s} best {best * scale:7.1f} {unit}  "
            f"median {statistics.median(values) * scale:7.1f} {unit}"
        )


def main() -> int:
    """Parse the flags and print the analysis cost per frame (and the live figures unless
    ``--no-live``); returns the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=60)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--no-live", action="store_true", help="skip the live session figures")
    args = parser.parse_args()
    if not CLIP.is_file():
        print(f"needs {CLIP} (the shared test data)", file=sys.stderr)
        return 2
    frames = _frames(args.frames)
    print(f"{len(frames)} frames at {WIDTH}x{HEIGHT}, {args.runs} runs, video (tracking) mode")
    models = MediaPipePerception(mode="video")
    try:
        clock = {"t": 0}

        def fresh(fn: Callable) -> Callable:
            def make() -> Callable:
                def per_frame(rgb: np.ndarray, _t: int) -> None:
                    clock["t"] += 100  # MediaPipe's video mode needs rising timestamps
                    fn(rgb, clock["t"])

                return per_frame

            return make

        def image(rgb: np.ndarray) -> mp.Image:
            return mp.Image(image_format=mp.ImageFormat.SRGB, data=rgb)

        _measure(
            "FaceLandmarker (478 + blendshapes)",
            frames,
            args.runs,
            fresh(lambda rgb, t: models.observe_faces(image(rgb), t)),
        )
        _measure(
            "GestureRecognizer (canned head)",
            frames,
            args.runs,
            fresh(lambda rgb, t: models.observe_hands(image(rgb), t)),
        )
        perceiver = Perceiver("bench")
        whole = _measure(
            "whole frame (both + core)",
            frames,
            args.runs,
            fresh(lambda rgb, t: perceiver.step(models.observe(rgb, t))),
        )
    finally:
        models.close()
    pacer = FramePacer()
    pacer.analysed(0, whole)
    print(f"pacer at cpu_share {pacer.cpu_share}: {pacer.fps:.1f} fps (bounds 5–15)")
    if not args.no_live:
        _live(args.runs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
