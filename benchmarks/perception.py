"""Camera perception cost per frame at 640×480: each MediaPipe model alone, and the whole
frame (both models + the perception core), in the streaming (video) mode the live stage uses.

Frames are real: the labelled sad-then-happy clip of ../shared/data (a face; a hand over the
face for a while), letterboxed from 640×360 to 640×480. For each figure it prints the best and
median wall time per frame over ``--runs`` passes and the process CPU time per frame (all of
MediaPipe's threads), and the analysis rate the pacer would reach at its default CPU share.
On a shared machine wall times are noisy: compare CPU times, or rerun on a quiet machine.

Usage::

    .venv/bin/python benchmarks/perception.py [--frames 60] [--runs 3]

Prints figures; decides nothing.
"""

from __future__ import annotations

import argparse
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

CLIP = REPO.parent / "shared" / "data" / "video" / "video_woman_sad_then_happy_expressions_20s.mp4"
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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=60)
    parser.add_argument("--runs", type=int, default=3)
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
    return 0


if __name__ == "__main__":
    sys.exit(main())
