"""Renderer cost per frame over a speaking minute: wall and CPU milliseconds per avatar and size.

Usage: ``python benchmarks/render.py [--seconds 60] [--sizes 512x512,432x768]
[--models default,ict,robot,vrm] [--antialias fxaa|off|msaa] [--worst 5] [--pair A,B]``

``--pair A,B`` draws every pose with two renderers in one process, A then B, frame by frame (an
A/B comparison that a loaded machine's drift between runs does not bias): per size, each
model's line, then B's mean CPU over A's and how many frames B took longer.

Each model speaks for ``--seconds`` at 25 fps on the avatar timeline (the engine's own: blinks,
gaze, breathing, head motion, a happy phase and a nod): seeded phrases of 2–5 s of Oculus
visemes 60–160 ms long, with 0.4–0.9 s pauses. CPU time is the process's (``time.process_time``:
every thread, llvmpipe's rasteriser threads included); wall time is what one frame takes with
the machine as it is. ``ict`` and ``robot`` read ../shared/data/avatar; ``vrm`` is the small
skinned VRM 1.0 the tests write. Prints one line per model and size, then for the frames
with the most CPU the boxes they redrew (x0, y0, x1, y1 and pixels, one draw pass each) and
where their CPU went: the GL thread's stages (:class:`avatar.frame_stages.FrameStages`), the
rest of the process (llvmpipe's rasteriser threads), Python's garbage collections during the
frame (generation and ms) and the page faults it took:

    default 512x512: cpu mean 9.8 p95 12.1 max 15.0 ms | wall mean 7.2 p95 9.0 max 11.3 ms | 1500 frames, 12 unchanged
      frame 581 cpu 15.0 ms: (40, 370, 470, 448) 33540 px + (156, 12, 352, 320) 60368 px
        gl thread 6.1 (pose 1.2 morph 0.4 runs 0.3 lock 0.0 draw 3.2 resolve 0.9 copy 0.1) | rasteriser 8.9 | gc none | faults 0
"""

from __future__ import annotations

import argparse
import dataclasses
import gc
import itertools
import random
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from avatar import DEFAULT_AVATAR_PATH, Renderer, load_avatar, screen_box  # noqa: E402
from avatar.frame_stages import FrameStages  # noqa: E402
from avatar.timeline import AvatarTimeline  # noqa: E402
from avatar.visemes import OCULUS_VISEMES, VisemeCue, VisemeTrack  # noqa: E402

SR = 48_000
FPS = 25
SHARED = ROOT.parent / "shared" / "data" / "avatar"


def model_path(name: str, tmp: Path) -> Path:
    """The file of a model name (``default``, ``ict``, ``robot``, ``vrm``) or a path."""
    if name == "default":
        return DEFAULT_AVATAR_PATH
    if name == "ict":
        return SHARED / "ict_facekit_head_arkit53_morphs.glb"
    if name == "robot":
        return SHARED / "robot_expressive_skinned_cc0.glb"
    if name == "vrm":
        from tests.gltf_scenes import vrm_head

        return vrm_head(tmp / "head.vrm", "1")
    return Path(name)


def speaking_timeline(seconds: float, clips, seed: int = 3) -> AvatarTimeline:
    """A timeline that speaks for ``seconds``: seeded phrases and pauses (module docstring)."""
    rng = random.Random(seed)
    tl = AvatarTimeline(SR, seed=seed, clips=clips)
    spoken = [v for v in OCULUS_VISEMES if v != "sil"]
    t = 0.3
    while t < seconds:
        phrase = rng.uniform(2.0, 5.0)
        cues, at = [], 0
        while at < phrase * SR:
            length = int(rng.uniform(0.06, 0.16) * SR)
            cues.append(VisemeCue(rng.choice(spoken), at, at + length))
            at += length
        tl.add_speech(VisemeTrack(at, tuple(cues)), int(t * SR))
        t += phrase + rng.uniform(0.4, 0.9)
    tl.set_emotion("happy", int(seconds * 0.3 * SR))
    tl.set_emotion("neutral", int(seconds * 0.5 * SR))
    tl.gesture("nod", int(seconds * 0.6 * SR))
    return tl


def measure(
    path: Path, width: int, height: int, seconds: float, antialias: str, worst: int = 5
) -> str:
    """The figures line of one model and size, then the boxes of its ``worst`` frames."""
    avatar = load_avatar(path)
    msaa = 4 if antialias == "msaa" else 0
    timeline = speaking_timeline(seconds, avatar.clips)
    poses = [timeline.pose_at(i * SR // FPS) for i in range(int(seconds * FPS))]
    unchanged = sum(a == b for a, b in itertools.pairwise(poses))
    cpu, wall, redrawn, stages, collections, faults = [], [], [], [], [], []
    gc_log = GcLog()
    with Renderer(avatar, width, height, msaa=msaa, fxaa=antialias == "fxaa") as renderer:
        out = np.empty((height, width, 3), np.uint8)
        renderer.render(poses[0], out)
        gc.callbacks.append(gc_log)
        for pose in poses:
            f0 = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
            c0, w0 = time.process_time(), time.perf_counter()
            renderer.render(pose, out)
            cpu.append((time.process_time() - c0) * 1e3)
            wall.append((time.perf_counter() - w0) * 1e3)
            faults.append(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - f0)
            redrawn.append(renderer.redrawn)
            stages.append(renderer.stages)
            collections.append(gc_log.take())
        gc.callbacks.remove(gc_log)

    def stats(ms: list[float]) -> str:
        p95 = float(np.percentile(ms, 95))
        return f"mean {statistics.fmean(ms):.1f} p95 {p95:.1f} max {max(ms):.1f} ms"

    lines = [f"cpu {stats(cpu)} | wall {stats(wall)} | {len(poses)} frames, {unchanged} unchanged"]
    for k in sorted(range(len(cpu)), key=cpu.__getitem__, reverse=True)[:worst]:
        boxes = " + ".join(f"{b} {screen_box.area(b)} px" for b in redrawn[k])
        lines.append(f"  frame {k} cpu {cpu[k]:.1f} ms: {boxes or 'nothing'}")
        lines.append(f"    {where(stages[k], cpu[k], collections[k], faults[k])}")
    return "\n".join(lines)


def measure_pair(a: Path, b: Path, width: int, height: int, seconds: float) -> str:
    """Both models' figures over the same poses, each frame drawn by A then by B (``--pair``)."""
    avatars = [load_avatar(a), load_avatar(b)]
    timeline = speaking_timeline(seconds, avatars[0].clips)
    poses = [timeline.pose_at(i * SR // FPS) for i in range(int(seconds * FPS))]
    cpu: list[list[float]] = [[], []]
    renderers = [Renderer(av, width, height) for av in avatars]
    try:
        outs = [np.empty((height, width, 3), np.uint8) for _ in renderers]
        for r, out in zip(renderers, outs, strict=True):
            r.render(poses[0], out)
        for pose in poses:
            for k, (r, out) in enumerate(zip(renderers, outs, strict=True)):
                c0 = time.process_time()
                r.render(pose, out)
                cpu[k].append((time.process_time() - c0) * 1e3)
    finally:
        for r in renderers:
            r.close()
    lines = []
    for name, ms in zip((a.name, b.name), cpu, strict=True):
        p95, mx = float(np.percentile(ms, 95)), max(ms)
        lines.append(f"  {name}: cpu mean {statistics.fmean(ms):.2f} p95 {p95:.2f} max {mx:.1f} ms")
    ratio = statistics.fmean(cpu[1]) / statistics.fmean(cpu[0])
    slower = sum(y > x for x, y in zip(*cpu, strict=True))
    lines.append(f"  B/A mean {ratio:.3f}, B slower in {slower} of {len(poses)} frames")
    return "\n".join(lines)


class GcLog:
    """A ``gc.callbacks`` entry noting each collection's generation and milliseconds."""

    def __init__(self) -> None:
        self._start = 0.0
        self._done: list[tuple[int, float]] = []

    def __call__(self, phase: str, info: dict) -> None:
        if phase == "start":
            self._start = time.perf_counter()
        else:
            self._done.append((info["generation"], (time.perf_counter() - self._start) * 1e3))

    def take(self) -> list[tuple[int, float]]:
        """The collections since the last call."""
        done, self._done = self._done, []
        return done


def where(stages: FrameStages, cpu_ms: float, collections, faults: int) -> str:
    """One frame's CPU by stage: the GL thread's, the rest of the process's (rasteriser
    threads), its garbage collections and page faults."""
    parts = " ".join(
        f"{f.name.removesuffix('_ms').removesuffix('_wait')} {getattr(stages, f.name):.1f}"
        for f in dataclasses.fields(stages)
    )
    gcs = " ".join(f"gen{g} {ms:.1f} ms" for g, ms in collections) or "none"
    rest = cpu_ms - stages.total_ms
    return (
        f"gl thread {stages.total_ms:.1f} ({parts}) | rasteriser {rest:.1f} | gc {gcs}"
        f" | faults {faults}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--sizes", default="512x512,432x768")
    parser.add_argument("--models", default="default,ict,robot,vrm")
    parser.add_argument("--antialias", choices=("fxaa", "off", "msaa"), default="fxaa")
    parser.add_argument("--worst", type=int, default=5, help="frames whose boxes to print")
    parser.add_argument("--pair", help="A,B: two models drawn frame by frame in one process")
    args = parser.parse_args()
    sizes = [tuple(int(v) for v in s.split("x")) for s in args.sizes.split(",")]
    if args.pair:
        with tempfile.TemporaryDirectory() as tmp:
            a, b = (model_path(n, Path(tmp)) for n in args.pair.split(","))
            for width, height in sizes:
                print(f"pair {width}x{height}:\n{measure_pair(a, b, width, height, args.seconds)}")
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.models.split(","):
            path = model_path(name, Path(tmp))
            if not path.is_file():
                print(f"{name}: skipped, {path} not found")
                continue
            for width, height in sizes:
                line = measure(path, width, height, args.seconds, args.antialias, args.worst)
                print(f"{name} {width}x{height}: {line}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
