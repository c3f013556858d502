"""Where a Mandarin decode's time goes, and what the decoder settings would change (CPU ms).

The live Mandarin turn waits for one decode of Whisper ``base`` (:mod:`engine.asr.windowed`:
an 8 s encoder window, speech + 2 s when longer, greedy, no timestamps) that starts ~0.15 s
into the pause. This script splits that decode into its parts — log-mel features, encoder,
the decoder's first step (prompt + cross-attention keys/values) and each further token — and
measures the variants one might try to shorten it, each against the configured decode:

* ``window speech+1 min 6`` / ``min 4`` — an encoder window sized to the speech;
* ``threads 1`` / ``threads 2`` — CTranslate2's ``intra_threads`` (0, the default, is the
  configured one);
* ``float32`` — CTranslate2's compute type instead of ``int8``;
* ``prefix`` — the final decode continuing a partial decode's tokens (here: the whole
  decode's tokens but the last two, forced as a prefix after ``<|notimestamps|>``), as a decode
  that ran during the speech would hand them over.

Per variant it prints the CPU time (median; the machine may be shared, CPU time is the
steadier figure), the character error rate and how many transcripts end with a sentence mark
(the end-of-turn text rule, :func:`engine.audio.turn_text.text_complete`, reads it).

Clips: ``--clips synth`` (default) speaks in-domain Mandarin questions (every 6th of the packs'
``eval/dev.csv``, written for this project) with the default Kokoro voice — settings are chosen
on these; ``--clips shared`` reads the zh clips of ../shared/data (reporting only).

Usage::

    .venv/bin/python benchmarks/asr_decode.py [--clips synth|shared] [--limit 24] [--runs 3]
"""

from __future__ import annotations

import argparse
import csv
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from engine.asr import windowed  # noqa: E402
from engine.asr.whisper import ASRSettings, WhisperASR  # noqa: E402
from engine.audio.turn_text import SENTENCE_ENDS  # noqa: E402
from engine.config import EngineConfig  # noqa: E402
from engine.tts.intelligibility import cer_zh  # noqa: E402

SHARED = REPO.parent / "shared" / "data"
RATE_HZ = 16_000


@dataclass(frozen=True, slots=True)
class Clip:
    """One Mandarin utterance: float32 16 kHz ``audio`` and its ``reference`` text
    (``""``: none)."""

    name: str
    audio: np.ndarray
    reference: str


def synth_clips(limit: int) -> list[Clip]:
    """Every 6th Mandarin question of the packs' dev sets, spoken by the default Kokoro voice."""
    from engine.show import resample_pcm
    from engine.tts.kokoro import KokoroTTS
    from engine.voices import model_folder

    texts: list[str] = []
    for domain in ("bank", "tax"):
        path = REPO / "assets" / "domains" / domain / "eval" / "dev.csv"
        with path.open(encoding="utf-8") as fh:
            rows = [r["text"] for r in csv.DictReader(fh)]
        texts += [t for t in rows if any("\u4e00" <= ch <= "\u9fff" for ch in t)][::6]
    tts = KokoroTTS(model_folder("kokoro-82m"))
    clips = []
    for text in texts[:limit]:
        pcm = b"".join(chunk.pcm for chunk in tts.synthesize_all(text, "zh"))
        audio = resample_pcm(pcm, tts.sample_rate, RATE_HZ).astype(np.float32) / 32768.0
        clips.append(Clip(text, audio, text))
    return clips


def shared_clips(limit: int) -> list[Clip]:
    """The zh clips of ../shared/data, their speech span ± 150 ms (as ``benchmarks/asr.py``)."""
    from benchmarks.asr import speech
    from engine.audio.decode import load_audio

    with (SHARED / "audio" / "transcripts.tsv").open(encoding="utf-8", newline="") as fh:
        rows = [r for r in csv.DictReader(fh, delimiter="\t") if r["language"] == "zh"]
    return [
        Clip(r["file"], speech(load_audio(SHARED / "audio" / r["file"])), r["reference"])
        for r in rows[:limit]
    ]


class Decoder:
    """The configured Mandarin decode, done by hand so its parts can be timed."""

    def __init__(self, threads: int = 0, compute_type: str = "int8") -> None:
        from faster_whisper.tokenizer import Tokenizer
        from faster_whisper.transcribe import get_suppressed_tokens

        cfg = EngineConfig().asr
        settings = ASRSettings(cpu_threads=threads, compute_type=compute_type, device="cpu")
        self.model = WhisperASR(cfg.models["zh"], settings)._model
        self.window_s = cfg.window_s["zh"]
        tok = Tokenizer(self.model.hf_tokenizer, True, task="transcribe", language="zh")
        previous = tok.encode(" " + cfg.prompts["zh"].strip())
        self.tokenizer = tok
        self.prompt = self.model.get_prompt(tok, previous, without_timestamps=True)
        self.suppress = get_suppressed_tokens(tok, (-1,))

    def frames(self, audio: np.ndarray) -> int:
        """The configured window (mel frames) for ``audio``."""
        return windowed.window_frames(audio.size, self.window_s)

    def encode(self, audio: np.ndarray, frames: int) -> tuple[object, float, float]:
        """(encoder output, features CPU ms, encoder CPU ms)."""
        from faster_whisper.audio import pad_or_trim

        c0 = time.process_time()
        features = self.model.feature_extractor(audio)
        c1 = time.process_time()
        out = self.model.encode(pad_or_trim(features, frames))
        return out, (c1 - c0) * 1000, (time.process_time() - c1) * 1000

    def generate(self, encoded: object, prefix: list[int], steps: int) -> tuple[list[int], float]:
        """(tokens after the prompt, prefix included; decoder CPU ms) for at most ``steps``
        new tokens."""
        c0 = time.process_time()
        result = self.model.model.generate(
            encoded,
            [self.prompt + prefix],
            beam_size=1,
            max_length=len(self.prompt) + len(prefix) + steps,
            suppress_blank=not prefix,
            suppress_tokens=self.suppress,
        )[0]
        cpu_ms = (time.process_time() - c0) * 1000
        tokens = result.sequences_ids[0]
        return (tokens if tokens[: len(prefix)] == prefix else prefix + tokens), cpu_ms

    def text(self, tokens: list[int]) -> str:
        """The decoded text, Simplified (as :class:`~engine.asr.whisper.WhisperASR` writes it)."""
        from engine.asr.whisper import to_simplified

        return to_simplified(self.tokenizer.decode(tokens)).strip()


def best_of(runs: int, cost_at: int, fn: Callable[..., tuple], *args: object) -> tuple:
    """The run of ``fn(*args)`` whose element ``cost_at`` (CPU ms) is least, of ``runs``."""
    return min((fn(*args) for _ in range(runs)), key=lambda r: r[cost_at])


def looks_wrong(dec: Decoder, tokens: list[int], audio: np.ndarray) -> bool:
    """The short-window guard of :func:`engine.asr.windowed.decode_windowed`: the token budget
    reached, a loop-like compression ratio, or a phrase said twice in a row."""
    budget = int(audio.size / RATE_HZ * windowed.TOKENS_PER_S) + windowed.TOKENS_EXTRA
    text = dec.text(tokens)
    ratio = windowed.compression_ratio(text)
    return len(tokens) >= budget or ratio > 2.4 or windowed.repeats_itself(text)


def decode_once(
    dec: Decoder, audio: np.ndarray, frames: int, runs: int
) -> tuple[list[int], object, dict[str, float]]:
    """Tokens, encoder output and CPU ms per part (best of ``runs``) of one decode; a decode
    that :func:`looks_wrong` is decoded again on the full 30 s window, as the engine does
    (its CPU is counted as ``retry``)."""
    enc, feat_ms, enc_ms = best_of(runs, 2, dec.encode, audio, frames)
    tokens, dec_ms = best_of(runs, 1, dec.generate, enc, [], 200)
    ms = {"features": feat_ms, "encoder": enc_ms, "decoder": dec_ms, "retry": 0.0}
    if frames < windowed.FULL_WINDOW_FRAMES and looks_wrong(dec, tokens, audio):
        full, f_ms, e_ms = dec.encode(audio, windowed.FULL_WINDOW_FRAMES)
        tokens, d_ms = dec.generate(full, [], 200)
        ms["retry"] = f_ms + e_ms + d_ms
    return tokens, enc, ms


def decoder_parts(dec: Decoder, enc: object, tokens: list[int], runs: int) -> dict[str, float]:
    """The decoder's first step alone, and the decode with all but 2 tokens forced (CPU ms)."""
    _, first_ms = best_of(runs, 1, dec.generate, enc, [], 1)
    _, prefix_ms = best_of(runs, 1, dec.generate, enc, tokens[:-2], 200)
    return {"first step": first_ms, "decoder, all but 2 tokens forced": prefix_ms}


def sized_window(min_s: float, tail_s: float) -> Callable[[np.ndarray], int]:
    """A window of the speech plus ``tail_s``, at least ``min_s`` (mel frames)."""
    return lambda a: min(
        3000, max(round(min_s * 100), a.size * 100 // RATE_HZ + 1 + round(tail_s * 100))
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clips", choices=("synth", "shared"), default="synth")
    parser.add_argument("--limit", type=int, default=24)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    clips = (synth_clips if args.clips == "synth" else shared_clips)(args.limit)
    base = Decoder()
    variants: dict[str, tuple[Decoder, Callable[[np.ndarray], int]]] = {
        "configured": (base, base.frames),
        "window speech+1 min 6": (base, sized_window(6.0, 1.0)),
        "window speech+1 min 4": (base, sized_window(4.0, 1.0)),
        "threads 1": (Decoder(threads=1), base.frames),
        "threads 2": (Decoder(threads=2), base.frames),
        "float32": (Decoder(compute_type="float32"), base.frames),
    }
    parts: dict[str, list[float]] = {}
    rows: dict[str, list[tuple[float, str, str, bool]]] = {}
    for clip in clips:
        for name, (dec, frames) in variants.items():
            tokens, enc, ms = decode_once(dec, clip.audio, frames(clip.audio), args.runs)
            row = (sum(ms.values()), dec.text(tokens), clip.reference, ms["retry"] > 0)
            rows.setdefault(name, []).append(row)
            if name == "configured":
                ms |= decoder_parts(dec, enc, tokens, args.runs)
                ms |= {"tokens": len(tokens), "speech s": clip.audio.size / RATE_HZ}
                for key, value in ms.items():
                    parts.setdefault(key, []).append(value)
        print(f"  {clip.name[:40]}: {rows['configured'][-1][1]}", flush=True)
    print(f"\n{len(clips)} clips ({args.clips}); configured decode, medians (CPU ms):")
    for key, values in parts.items():
        print(f"  {key:34s} {statistics.median(values):7.1f}")
    per_token = [
        (d - f) / max(1, n - 1)
        for d, f, n in zip(parts["decoder"], parts["first step"], parts["tokens"], strict=True)
    ]
    print(f"  {'decoder per further token':34s} {statistics.median(per_token):7.1f}")
    print("\nvariant                   CPU ms median  mean    CER  ends with a mark  30 s retries")
    for name, result in rows.items():
        cpu = [r[0] for r in result]
        scored = [cer_zh(r[2], r[1]) for r in result if r[2]]
        cer = f"{statistics.mean(scored):6.1%}" if scored else "     -"
        marks = sum(r[1].rstrip()[-1:] in SENTENCE_ENDS for r in result)
        retries = sum(r[3] for r in result)
        median, mean = statistics.median(cpu), statistics.mean(cpu)
        print(
            f"  {name:23s} {median:8.0f} {mean:6.0f}  {cer}  {marks:6d}/{len(result):<10d} {retries}"
        )


if __name__ == "__main__":
    main()
