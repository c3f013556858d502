"""Per voice: first-audio latency, real-time factor and intelligibility (CER / WER).

For each offline voice (Kokoro-82M for Mandarin, Piper joe for English):

* first audio: ms from handing the reply text to the streaming provider to its first chunk
  (a clause or sentence piece), over the packs' replies; best and median of ``--runs``, and
  the process's CPU ms until then (all threads), which a shared machine inflates less;
* silences heard: each reply streamed as a session streams it (pieces synthesized one after
  another, long pauses shortened by engine.audio.pauses, each piece played from the moment it
  is ready or the piece before it ends) and measured as the realtime benchmark's client does
  (20 ms frames, RMS < 0.005): the longest silence in a reply's first 1.5 s and anywhere, a
  wait for a late piece included (nothing else runs here: the server's renderer does);
* RTF: synthesis seconds / seconds of audio, whole replies, on this CPU (and the process's CPU
  seconds per audio second, which a busy machine inflates less than the wall clock);
* CER (zh) or WER (en): the same replies transcribed by the project's ASR
  (engine.tts.intelligibility; the intelligibility test asserts on the same figures);
* prepared replies: how many of the packs' responses the prepared-replies cache holds for the
  voice (engine.tts.prepared, built by ``make setup``) and a cache hit's first-audio ms. Every
  other figure is LIVE synthesis: the cache is switched off for them;
* prepared openings (a separate line, never folded into the live figures): the packs'
  slot-filled replies whose first piece is their template's fixed opening (您的账户余额： …,
  engine.tts.prepared.fixed_openings, prepared here in memory), streamed with that piece from
  the store and the rest live, against all live, interleaved reply by reply: first audio and
  the silences heard.

Wall-clock figures are noisy on a shared machine: run on a quiet one, or read the best.

    .venv/bin/python benchmarks/tts.py [--runs 3] [--voices zh,en] [--no-asr]
        [--kokoro-decoder static|dynamic]   # Kokoro's decoder (tts.voices.zh.decoder)
        [--kokoro-opening first_clause|eager|paced]   # tts.voices.zh.opening

With the default opening ``first_clause`` the first audio includes the time its first piece is
held back so that the rest comes in time (engine.tts.kokoro_openings); ``eager`` is the same
pieces unheld.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from engine.audio.pauses import PauseLimiter  # noqa: E402
from engine.config import EngineConfig  # noqa: E402
from engine.hearing import Hearing  # noqa: E402
from engine.tts.intelligibility import pack_replies, report, speak_and_hear  # noqa: E402
from engine.tts.prepared import (  # noqa: E402
    PREPARED_PROVIDERS,
    PreparedStore,
    PreparedTTS,
    build_store,
    cache_dir,
    cache_file,
    fixed_openings,
    fixed_texts,
    voice_fingerprint,
)
from engine.voices import Voices  # noqa: E402


async def _first_audio_s(tts, text: str, language: str) -> tuple[float, float]:
    """Wall and process CPU seconds from the reply text to its first chunk."""
    t0, p0 = time.perf_counter(), time.process_time()
    async for _chunk in tts.synthesize(text, language):
        return time.perf_counter() - t0, time.process_time() - p0
    return float("nan"), float("nan")


#: The realtime client's silence measure (benchmarks/reply_audio.py): frame (s) and RMS.
FRAME_S, SILENT_RMS = 0.02, 0.005


async def _heard(tts, text: str, language: str) -> tuple[float, float, float]:
    """Stream ``text`` and play it on a simulated clock: (longest silence in its first 1.5 s
    ms, longest anywhere ms, first audio s)."""
    pauses, parts, t0 = PauseLimiter(), [], time.perf_counter()
    end_s = first_s = None
    async for chunk in tts.synthesize(text, language):
        ready_s = time.perf_counter() - t0
        pcm, _ = pauses.limit(np.frombuffer(chunk.pcm, np.int16), chunk.sample_rate)
        if end_s is None:
            end_s = first_s = ready_s
        elif ready_s > end_s:  # the piece came late: the visitor hears nothing meanwhile
            parts.append(np.zeros(round((ready_s - end_s) * chunk.sample_rate), np.int16))
            end_s = ready_s
        parts.append(pcm)
        end_s += pcm.size / chunk.sample_rate
    if not parts:
        return 0.0, 0.0, float("nan")
    audio = np.concatenate(parts).astype(np.float32) / 32768.0
    frame = round(FRAME_S * tts.sample_rate)
    n = audio.size // frame
    silent = np.sqrt(np.mean(audio[: n * frame].reshape(n, frame) ** 2, axis=1)) < SILENT_RMS
    first = longest = 0.0
    run = 0
    for i, quiet in enumerate([*silent, False]):
        if quiet:
            run += 1
            continue
        if run:
            longest = max(longest, run * FRAME_S * 1e3)
            if (i - run) * FRAME_S < 1.5:
                first = max(first, run * FRAME_S * 1e3)
        run = 0
    return first, longest, first_s


def silences(language: str, replies, tts) -> None:
    """Print the longest silences heard in the streamed replies (see the module docstring)."""
    rows = [asyncio.run(_heard(tts, r.text, language)) for r in replies]
    first, anywhere, started = zip(*rows, strict=True)
    print(
        f"{language} {type(tts).__name__}: silences heard (streamed, played as ready): "
        f"longest in the first 1.5 s median {statistics.median(first):.0f} ms max "
        f"{max(first):.0f} ({sum(g >= 200 for g in first)} of {len(rows)} replies >= 200 ms); "
        f"anywhere median {statistics.median(anywhere):.0f} max {max(anywhere):.0f} "
        f"({sum(g >= 350 for g in anywhere)} >= 350 ms); first audio median "
        f"{1000 * statistics.median(started):.0f} ms"
    )


def measure(
    language: str, runs: int, asr: bool, decoder: str | None = None, opening: str | None = None
) -> None:
    """Print the three figures for the configured offline voice of ``language`` (Kokoro with
    ``decoder`` and ``opening`` when given)."""
    config = EngineConfig()
    config.tts.prepared_replies = False  # live synthesis only: the cache never touches these
    voice = config.tts.voices.get(language)
    if voice is not None and voice.provider == "kokoro":
        voice.decoder = decoder or voice.decoder
        voice.opening = opening or voice.opening
    t0 = time.perf_counter()
    tts = Voices(config.tts).for_language(language)
    load_s = time.perf_counter() - t0
    replies = pack_replies(language)
    name = type(tts).__name__
    if voice is not None and voice.provider == "kokoro":
        name += f" (opening {voice.opening}, decoder {voice.decoder})"
    first_ms: list[float] = []
    first_cpu_ms: list[float] = []
    for _ in range(runs):
        for reply in replies:
            wall_s, cpu_s = asyncio.run(_first_audio_s(tts, reply.text, language))
            first_ms.append(1000 * wall_s)
            first_cpu_ms.append(1000 * cpu_s)
    silences(language, replies, tts)
    rtfs: list[float] = []
    cpu_rtfs: list[float] = []  # process CPU seconds per audio second (all threads)
    for reply in replies:
        c0, p0 = time.perf_counter(), time.process_time()
        chunks = tts.synthesize_all(reply.text, language)
        audio_s = sum(c.duration_s for c in chunks)
        rtfs.append((time.perf_counter() - c0) / audio_s)
        cpu_rtfs.append((time.process_time() - p0) / audio_s)
    print(f"{language} {name}: load + warm-up {load_s:.1f} s")
    print(
        f"{language} {name}: first audio ms  best {min(first_ms):.0f}  "
        f"median {statistics.median(first_ms):.0f}  worst {max(first_ms):.0f}  "
        f"({len(replies)} replies x {runs} runs; CPU ms median "
        f"{statistics.median(first_cpu_ms):.0f})"
    )
    print(
        f"{language} {name}: RTF  best {min(rtfs):.3f}  median {statistics.median(rtfs):.3f}  "
        f"worst {max(rtfs):.3f}  (CPU s per audio s: median {statistics.median(cpu_rtfs):.3f})"
    )
    prepared_line(language, voice, tts)
    if voice is not None and voice.provider in PREPARED_PROVIDERS:
        openings_line(language, tts)
    if asr:
        hearing = Hearing(config).asr_for(language)
        scores = speak_and_hear(tts, hearing, replies, language)
        metric = "CER" if language == "zh" else "WER"
        print(report(scores, f"{language} {name} {metric}"))


def prepared_line(language: str, voice, tts) -> None:
    """Print how many of the packs' responses in ``language`` are prepared for this voice and
    a cache hit's first-audio ms (median of the prepared ones, 3 rounds)."""
    from dialog.pack import known_packs, load_pack, pack_dir

    responses = sum(
        language in r.texts
        for d in known_packs()
        for r in load_pack(pack_dir(d)).responses.values()
    )
    fixed = fixed_texts(language)
    if voice is None or voice.provider not in PREPARED_PROVIDERS:
        print(f"{language}: prepared replies: none ({len(fixed)} fixed texts; voice is live)")
        return
    path = cache_file(cache_dir(), language, voice_fingerprint(voice, language))
    if not path.is_file():
        print(f"{language}: prepared replies: no cache for this voice ({path.name}; make setup)")
        return
    prepared = PreparedTTS(tts, PreparedStore.load(path))
    hits = [t for t in fixed if prepared.prepared(t, language) is not None]
    ms = [1000 * asyncio.run(_first_audio_s(prepared, t, language))[0] for t in hits * 3]
    print(
        f"{language}: prepared replies: {len(hits)} of {len(fixed)} fixed texts "
        f"(slot-free responses of {responses} and knowledge-base answers); a hit's first "
        f"audio median "
        f"{statistics.median(ms) if ms else float('nan'):.3f} ms, worst "
        f"{max(ms, default=float('nan')):.3f} ms"
    )


def openings_line(language: str, tts) -> None:
    """Print the prepared-openings figures (see the module docstring) for a Kokoro or Piper
    voice: slot-filled replies (the intelligibility sample's slot values) that open on a
    prepared piece, streamed prepared-opening vs all-live, interleaved."""
    from dialog.pack import known_packs, load_pack, pack_dir
    from dialog.templates import render
    from engine.tts.intelligibility import sample_slots

    slots = sample_slots(language)
    store = build_store(tts, fixed_openings(language), language, "benchmark")
    prepared = PreparedTTS(tts, store)
    texts = []
    for domain in known_packs():
        for response in load_pack(pack_dir(domain)).responses.values():
            if language in response.texts and "{" in response.texts[language]:
                text = render(response, language, slots).text
                if prepared.opening(text, language) is not None and text not in texts:
                    texts.append(text)
    if not texts:
        print(f"{language}: prepared openings: no slot-filled reply opens on one")
        return
    rows = {"opening": [], "live": []}
    for text in texts:
        rows["opening"].append(asyncio.run(_heard(prepared, text, language)))
        rows["live"].append(asyncio.run(_heard(tts, text, language)))
    for name, got in rows.items():
        first, anywhere, started = zip(*got, strict=True)
        print(
            f"{language}: prepared openings ({len(texts)} slot-filled replies, {name}): first "
            f"audio median {1000 * statistics.median(started):.0f} ms best "
            f"{1000 * min(started):.0f}; silences >= 200 ms in the first 1.5 s "
            f"{sum(g >= 200 for g in first)}, >= 350 ms anywhere {sum(g >= 350 for g in anywhere)}"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--voices", default="zh,en", help="languages, comma-separated")
    parser.add_argument("--no-asr", action="store_true", help="skip the CER/WER part")
    parser.add_argument("--kokoro-decoder", choices=("static", "dynamic"), default=None)
    parser.add_argument("--kokoro-opening", choices=("first_clause", "eager", "paced"))
    parser.add_argument(
        "--openings-only", action="store_true", help="only the prepared-openings lines"
    )
    args = parser.parse_args()
    if args.openings_only:
        config = EngineConfig()
        config.tts.prepared_replies = False
        for language in args.voices.split(","):
            openings_line(language.strip(), Voices(config.tts).for_language(language.strip()))
        return 0
    for language in args.voices.split(","):
        measure(
            language.strip(), args.runs, not args.no_asr, args.kokoro_decoder, args.kokoro_opening
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
