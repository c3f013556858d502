"""Lip sync of a recorded MP4: how far the avatar's mouth lags (or leads) its sound, in ms.

Usage: ``python benchmarks/lip_sync.py [--mp4 a.mp4 b.mp4 ...]``

Without ``--mp4`` it renders ``dhe avatar preview`` clips (the project's voices, English and
Mandarin, 512x512, the default avatar) into a temporary folder and measures those. The
measurement reads only the file, as a viewer sees it: the mouth's opening per video frame (dark
pixels in the mouth box of the default avatar's head-and-shoulders framing) against the RMS of
the audio on screen with that frame (placed by the streams' timestamps, so an audio start offset
in the mux counts), Pearson-correlated at lags of -3..+3 frames; the best lag is refined to a
fraction of a frame by a parabola through the peak and its neighbours. Positive: the mouth moves
after its sound. ITU-R BT.1359 puts the threshold of detectability at sound 45 ms before the
picture (125 ms after it). Prints one line per clip:

    en 512x512: lag +8 ms (best whole-frame lag 0) | corr -1 0.54 0 0.79 +1 0.68 | 96 frames
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np

#: The mouth box of the default avatar in its head-and-shoulders framing (fractions of the
#: frame: y0, y1, x0, x1), and the luma (0-255) below which a pixel counts as the open mouth's
#: inside. Read off rendered frames (the lips at rest lie inside; brows, nose and chin outside).
MOUTH_BOX = (0.365, 0.44, 0.44, 0.56)
DARK_LUMA = 90.0
MAX_LAG_FRAMES = 3

TEXTS = {
    "en": "Our branch is open Monday to Friday from nine to five. Please bring your card.",
    "zh": "我们的营业时间是周一到周五，上午九点到下午五点。请带上您的银行卡。",
}


@dataclass(frozen=True, slots=True)
class LipSync:
    """One clip's measurement.

    Attributes:
        lag_ms: mouth after sound (ms), refined between whole frames; negative: mouth first.
        best_lag: the whole-frame lag (frames) with the highest correlation.
        corr: Pearson correlation per whole-frame lag, ``-MAX_LAG_FRAMES..MAX_LAG_FRAMES``.
        frames: video frames measured.
    """

    lag_ms: float
    best_lag: int
    corr: dict[int, float]
    frames: int


def mouth_opening(rgb: np.ndarray) -> float:
    """The mouth's opening in an RGB uint8 (H, W, 3) frame: pixels of :data:`MOUTH_BOX` darker
    than :data:`DARK_LUMA` (mean of R, G, B)."""
    h, w, _ = rgb.shape
    y0, y1, x0, x1 = MOUTH_BOX
    box = rgb[int(h * y0) : int(h * y1), int(w * x0) : int(w * x1)].astype(np.float64)
    return float((box.mean(axis=2) < DARK_LUMA).sum())


def mouth_and_sound(path: Path) -> tuple[np.ndarray, np.ndarray, float]:
    """Per video frame of an MP4: the mouth's opening (dark pixels) and the sound's RMS.

    Returns:
        (opening float64 (F,), rms float64 (F,), fps): the RMS is over the audio samples whose
        timestamps fall on screen with the frame, ``[pts, pts + 1/fps)``.

    Raises:
        ValueError: the file has no video or no audio stream.
    """
    with av.open(str(path)) as c:
        if not c.streams.video or not c.streams.audio:
            raise ValueError(f"{path}: needs a video and an audio stream")
        fps = float(c.streams.video[0].average_rate)
        opening, times = [], []
        for f in c.decode(video=0):
            opening.append(mouth_opening(f.to_ndarray(format="rgb24")))
            times.append(float(f.pts * f.time_base))
    with av.open(str(path)) as c:
        rate = c.streams.audio[0].rate
        chunks, first = [], None
        for f in c.decode(audio=0):
            if first is None:
                first = float(f.pts * f.time_base)
            chunks.append(f.to_ndarray().mean(axis=0))
    audio = np.concatenate(chunks).astype(np.float64)
    per_frame = round(rate / fps)
    rms = np.zeros(len(times))
    for i, t in enumerate(times):
        s = max(0, round((t - (first or 0.0)) * rate))
        seg = audio[s : s + per_frame]
        rms[i] = np.sqrt((seg**2).mean()) if seg.size else 0.0
    return np.array(opening), rms, fps


def lag_of(opening: np.ndarray, rms: np.ndarray, fps: float) -> LipSync:
    """Cross-correlate the mouth's opening with the sound (see the module docstring).

    Raises:
        ValueError: fewer than ``4 * MAX_LAG_FRAMES`` frames, or a flat signal.
    """
    n = min(opening.size, rms.size)
    if n < 4 * MAX_LAG_FRAMES or np.ptp(opening[:n]) == 0 or np.ptp(rms[:n]) == 0:
        raise ValueError("too short or flat to measure a lag")
    corr: dict[int, float] = {}
    for lag in range(-MAX_LAG_FRAMES, MAX_LAG_FRAMES + 1):
        mouth = opening[max(0, lag) : n + min(0, lag)]
        sound = rms[max(0, -lag) : n + min(0, -lag)]
        corr[lag] = float(np.corrcoef(mouth, sound)[0, 1])
    best = max(corr, key=corr.__getitem__)
    frac = 0.0
    if abs(best) < MAX_LAG_FRAMES:
        a, b, c = corr[best - 1], corr[best], corr[best + 1]
        bend = a - 2 * b + c
        frac = 0.5 * (a - c) / bend if bend < 0 else 0.0
    return LipSync((best + frac) * 1000.0 / fps, best, corr, n)


def measure(path: Path) -> LipSync:
    """:func:`lag_of` an MP4 file (:func:`mouth_and_sound`)."""
    return lag_of(*mouth_and_sound(path))


def render_clip(text: str, lang: str, out: Path, size: int = 512) -> Path:
    """``dhe avatar preview --text TEXT --lang LANG --size SIZExSIZE --out OUT``."""
    from engine.avatar_preview import PreviewRequest, run_preview
    from engine.config import EngineConfig

    req = PreviewRequest(None, "neutral", None, text, lang, size, size, None, False, out)
    return run_preview(req, EngineConfig())


def line(name: str, m: LipSync) -> str:
    """One printed line per clip (see the module docstring)."""
    near = " ".join(f"{k:+d} {m.corr[k]:.2f}" for k in (-1, 0, 1))
    return (
        f"{name}: lag {m.lag_ms:+.0f} ms (best whole-frame lag {m.best_lag:+d}) | corr {near}"
        f" | {m.frames} frames"
    )


def main(argv: list[str] | None = None) -> int:
    """Render (or read) the clips and print their lags."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mp4", nargs="*", type=Path, help="measure these files instead")
    args = ap.parse_args(argv)
    if args.mp4:
        for path in args.mp4:
            print(line(path.name, measure(path)))
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        for lang, text in TEXTS.items():
            out = render_clip(text, lang, Path(tmp) / f"{lang}.mp4")
            print(line(f"{lang} 512x512", measure(out)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
