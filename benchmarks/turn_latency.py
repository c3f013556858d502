"""Per-stage latency of one full turn, for each English clip of ../shared/data.

Runs one ``dhe converse`` session with every English clip as one visitor turn (real
faster-whisper, dialog, sandbox bank, Piper, OpenGL rendering, H.264/AAC muxing) and prints,
per turn and as medians: ASR ms and real-time factor (decode time / speech duration), dialog ms,
TTS first-audio ms and RTF (synthesis time / reply audio duration), and render fps.

    .venv/bin/python benchmarks/turn_latency.py [--data ../shared/data] [--out var/bench.mp4]
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from engine.config import load_config  # noqa: E402
from engine.converse import TAIL_MS, converse, prepare_inputs  # noqa: E402
from engine.events import Event, TTSAudio  # noqa: E402


class ReplyAudio:
    """Observer summing reply audio per turn (samples at 48 kHz)."""

    def __init__(self) -> None:
        self.samples: dict[str, int] = {}

    def __call__(self, event: Event) -> None:
        if isinstance(event, TTSAudio):
            turn = event.reply_id.rsplit("-r", 1)[0]
            self.samples[turn] = self.samples.get(turn, 0) + event.num_samples


def main() -> int:
    """Parse the flags, run one converse session over the labelled English clips and print
    the turn latencies; returns the exit status (2 without English clips)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=str(REPO.parent / "shared" / "data"))
    parser.add_argument("--out", default=str(REPO / "var" / "bench_turns.mp4"))
    args = parser.parse_args()
    data = Path(args.data)
    with (data / "audio" / "transcripts.tsv").open(encoding="utf-8", newline="") as fh:
        rows = [r for r in csv.DictReader(fh, delimiter="\t") if r["language"] == "en"]
    if not rows:
        print(f"no English clips under {data}", file=sys.stderr)
        return 2
    turns = prepare_inputs([("audio", str(data / "audio" / r["file"])) for r in rows])
    speech_s = [t.audio.size / 16000 for t in turns if t.audio is not None]
    audio = ReplyAudio()
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    doc = asyncio.run(
        converse(
            turns,
            config=load_config(),
            domain="bank",
            language="en",
            demo=True,
            out_path=out,
            progress=lambda m: print(m, file=sys.stderr),
            observers=[audio],
        )
    )
    wall = time.perf_counter() - t0
    reply_s = [n / 48000 for n in audio.samples.values()]
    print_turns([Path(r["file"]).name for r in rows], doc["turns"], speech_s, reply_s)
    print_render(doc)
    print(f"session wall time {wall:.1f} s for {len(rows)} turns; video {doc['output']}")
    return 0


def print_turns(
    names: list[str], records: list[dict], speech_s: list[float], reply_s: list[float]
) -> None:
    """Print one line per turn and the medians: ASR ms and RTF (decode time / speech seconds),
    dialog ms, TTS first-audio ms and RTF (synthesis time / reply audio seconds)."""
    header = f"{'clip':44s} {'asr ms':>7s} {'asr RTF':>7s} {'dialog':>7s} {'tts 1st':>7s} {'tts RTF':>7s}"
    print(header)
    cols: dict[str, list[float]] = {k: [] for k in ("asr", "asr_rtf", "dialog", "first", "tts_rtf")}
    for name, turn, clip_s, reply_len in zip(names, records, speech_s, reply_s, strict=False):
        t = turn["timings_ms"]
        values = {
            "asr": t["asr"] or 0.0,
            "asr_rtf": (t["asr"] or 0.0) / 1000 / clip_s,
            "dialog": t["dialog"] or 0.0,
            "first": t["tts_first_audio_ms"] or 0.0,
            "tts_rtf": (t["tts"] or 0.0) / 1000 / max(reply_len, 1e-6),
        }
        for k, v in values.items():
            cols[k].append(v)
        print(
            f"{name[:44]:44s} {values['asr']:7.0f} {values['asr_rtf']:7.3f} "
            f"{values['dialog']:7.1f} {values['first']:7.0f} {values['tts_rtf']:7.3f}"
        )
    med = {k: statistics.median(v) for k, v in cols.items()}
    print(
        f"{'median':44s} {med['asr']:7.0f} {med['asr_rtf']:7.3f} {med['dialog']:7.1f} "
        f"{med['first']:7.0f} {med['tts_rtf']:7.3f}"
    )


def print_render(doc: dict) -> None:
    """Print the frames rendered during the turns (the video at 25 fps, less its final tail),
    the rendering seconds and the fps they give, and the encode + mux seconds."""
    import av

    with av.open(doc["output"]) as container:
        frames = container.streams.video[0].frames
    frames -= round(TAIL_MS * 25 / 1000)  # the final tail is rendered after the last turn
    render_s = sum((t["timings_ms"]["avatar"] or 0.0) for t in doc["turns"]) / 1000
    encode_s = sum((t["timings_ms"]["send"] or 0.0) for t in doc["turns"]) / 1000
    print(
        f"render: {frames} frames during turns, {render_s:.2f} s rendering during turns "
        f"-> {frames / max(render_s, 1e-6):.1f} fps; "
        f"encode+mux {encode_s:.2f} s"
    )


if __name__ == "__main__":
    sys.exit(main())
