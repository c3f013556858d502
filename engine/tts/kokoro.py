"""Kokoro-82M (offline neural voice, ONNX) speaking Mandarin, with phoneme-timed visemes.

Kokoro-82M (hexgrad, Apache-2.0 weights; StyleTTS 2 + iSTFTNet, 24 kHz) runs on onnxruntime
from the int8 ONNX export of kokoro-onnx (MIT). The text goes through the Mandarin front end of
:mod:`engine.tts.zh_g2p` (numbers and letters said as words, misaki phonemes); each phoneme
character is one input token.

The graph is cut in two at load time (:func:`split_graph`): the predictor gives per-token
durations, the pitch and energy tracks and the aligned text features; the pitch is leaned
towards the Mandarin tones for a voice that is not a native Mandarin speaker
(:mod:`engine.tts.zh_tones`); the decoder renders the audio. Each duration unit is exactly
:data:`SAMPLES_PER_UNIT` output samples (600 = two 300-sample hops at 24 kHz), so the viseme
track is cut from the same numbers that placed the sound, sample-exact, as Piper's alignments
are for English (moved :data:`AUDIO_LEAD_UNITS` earlier: the decoder's sound runs that far
ahead of its durations).

The model predicts ~0.4 s of silence before a piece's speech and ~1 s after it (the last
phoneme alone ~29 duration units, 0.72 s, most of them silent, then the final mark's pause),
and the decoder's residual blocks normalise each channel over the whole piece's time axis
(StyleTTS 2's AdaIN, an instance norm), so dropping frames re-renders the voice, not just
shortens it. Decoding only up to 100 ms after the last predicted sound made the voiced part
15-24 % quieter and different throughout (correlation 0.92-0.93 with the whole render,
请出示您的身份证件完成身份验证 / 您的预约已取消) and cut synthesis CPU 19 %, but the Mandarin
ASR's CER over the intelligibility replies rose 12.7 -> 14.3 % (您的预约已取消 heard as
您的预热以取笑). Cutting a reply's first clause again after its opening 3-4 characters
(您的预约 | 已取消) cost more: 15.4 %; both together 16.0 %, and 15.4 % with 0.6 s of silence
put back between the pieces before the ASR heard them (so not the ASR joining pieces). What
works: the decoder's norms weighted per frame (:mod:`engine.tts.kokoro_graph`), the last
phoneme rendered for :data:`TAIL_UNITS` units and the frames left out counted on the kept ones,
so the norms see nearly the whole piece's statistics (level 0.98-1.00, correlation
0.97-0.985): CER 12.7 -> 12.6 % on the intelligibility replies (same run, under load), ~20 %
less decoder CPU on a typical first clause. The engine shortens the remaining silences after
rendering (:mod:`engine.audio.pauses`).

Where the short opening loses (each piece of the split replies also transcribed alone): a
clause's REST said as an utterance of its own (光临海港银行 alone heard as 光里海的影响), and
the opening said alone, which the model ends as an utterance (its last tone token lengthened to
~30 units, 0.75 s, with or without a comma after it; 请说出 | 或输入 heard as 请说除). Cutting
the rest out of a render of the whole clause (sample-exact) recovers the first, not the second:
CER 10.3 -> 11.4 % on a sample the test does not score, for ~27 % less first-piece CPU; so
the first piece stays a whole clause.

The phoneme tokens, their cut into runs of at most :data:`MAX_TOKENS` and the viseme track
from per-token sample counts are :mod:`engine.tts.kokoro_tokens`. One run at a time per voice
(a lock); :meth:`KokoroTTS.warm_up` synthesizes two short phrases so the first reply does not
pay onnxruntime's first-run allocation or jieba's dictionary load.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from avatar.visemes import VisemeTrack
from engine.tts.base import SentenceTTS, TTSChunk, TTSError
from engine.tts.kokoro_decoder import static_decoder
from engine.tts.kokoro_graph import (
    shorten_tail,
    split_graph,
    square_by_product,
    weigh_norms,
)
from engine.tts.kokoro_openings import DEFAULT_OPENING, HOLDS, OPENINGS
from engine.tts.kokoro_tokens import (
    MAX_TOKENS,
    SAMPLE_RATE_HZ,
    SAMPLES_PER_UNIT,
    Token,
    estimated_track,
    runs,
    to_tokens,
    zh_track,
)
from engine.tts.pacing import Pace
from engine.tts.sentences import SplitConfig, spoken_weight
from engine.tts.zh_durations import rhyme_floor, stretch
from engine.tts.zh_g2p import to_phonemes
from engine.tts.zh_tones import PITCH_RANGE, tone_f0, widen_pitch

#: Leading silence kept before the first phoneme (units of 25 ms): the model pads ~0.4 s.
LEAD_UNITS = 2
#: The decoder's sound runs this many duration units ahead of the durations (measured on
#: pauses: the energy of punctuation frames is lowest with the track moved 1 unit earlier).
AUDIO_LEAD_UNITS = 1
#: Duration units (25 ms) of a piece's last phoneme the decoder renders by default: the model
#: gives it ~29, of which the sound takes the first few (engine.tts.kokoro_graph).
TAIL_UNITS = 8

#: onnxruntime's intra-op threads busy-wait between operators unless told not to. The server
#: shares its cores with the renderer and the ASR, so they sleep instead ("0"): on the shared
#: 2-core machine (load 23) CPU per audio second fell 0.90 -> 0.58 and the wall-clock RTF
#: 10.1 -> 4.8 (medians, 2 threads, three clauses x 2; with spinning a quiet machine gave
#: 0.84 CPU s per audio s at RTF 0.42).
SPIN = "0"
#: The same with spinning asked for (``tts.voices.zh.spin``, a kiosk with cores to spare):
#: ``benchmarks/kokoro_session_options.py`` measured 0.90x the wall time for 1.10x the CPU on
#: a quiet machine, but 1.26-1.59x the wall time on a loaded one. Same audio, bit for bit.
SPIN_ON = "1"
#: The onnxruntime session setting :data:`SPIN` / :data:`SPIN_ON` are values of.
SPIN_KEY = "session.intra_op.allow_spinning"
#: Files of a Kokoro model folder (`dhe models kokoro-82m`): the model, its phoneme
#: vocabulary, and voice packs in either or both of two forms: an ``.npz`` of (510, 1, 256)
#: arrays (kokoro-onnx's form), and a folder of raw little-endian float32 510 × 256 files, one
#: per speaker (kokoro-js's form, e.g. ``voices/zf_xiaoxiao.bin``).
MODEL_FILE = "kokoro-v1.0.int8.onnx"
VOCAB_FILE = "vocab.json"
VOICES_FILE = "voices.npz"
VOICES_DIR = "voices"
#: The default speaker (``tts.voices.zh.speaker`` in assets/config/default.yaml names it too):
#: the native Mandarin speaker the project's Mandarin ASR understood best reading the packs'
#: replies, chosen on templates the intelligibility test does not score (63 replies: CER 11.2 %
#: against ``zf_xiaoyi``'s 11.9 %, 17 replies over 15 % against 24; README, Voices), and a male
#: voice like the default avatar and Piper's English ``joe``.
DEFAULT_SPEAKER = "zm_yunxi"
#: Name prefixes of Kokoro v1.0's native Mandarin voice packs (female, male). Their style
#: vectors steer the pitch predictor to Mandarin tones already: the tone reshaping of
#: :mod:`engine.tts.zh_tones` is off for them unless asked for.
NATIVE_PREFIXES = ("zf_", "zm_")
#: The language each Kokoro v1.0 voice pack speaks, by its name's first letter (``zm_yunxi``:
#: Mandarin; ``jm_kumo``: Japanese), as Kokoro's VOICES.md (hexgrad/Kokoro-82M) names them:
#: a/b American/British English, e Spanish, f French, h Hindi, i Italian, j Japanese,
#: p Brazilian Portuguese, z Mandarin.
VOICE_LANGUAGES = {
    "a": "en", "b": "en", "e": "es", "f": "fr", "h": "hi", "i": "it", "j": "ja", "p": "pt",
    "z": "zh",
}  # fmt: skip


def voices_for(names: Iterable[str], languages: Iterable[str]) -> list[str]:
    """The voice packs among ``names`` that speak one of ``languages`` (``"zh"``…), sorted:
    what an unknown-voice error offers (it listed the Japanese packs for a Mandarin voice,
    dialogfix18 #4). A pack of another language can still be named (``jm_kumo`` for Mandarin,
    with the tone reshaping); it is only not offered."""
    wanted = set(languages)
    return sorted(n for n in names if VOICE_LANGUAGES.get(n[:1]) in wanted)


def unknown_voice(voice: str, names: Iterable[str], languages: Iterable[str]) -> str:
    """The message for a voice pack ``voice`` not among ``names``: the packs of
    ``languages`` it could be (:func:`voices_for`), or that the folder has none of them."""
    languages = sorted(set(languages))
    usable = voices_for(names, languages)
    if not usable:
        return f"unknown Kokoro voice {voice!r}; the model has no voice for {', '.join(languages)}"
    return f"unknown Kokoro voice {voice!r}; have {', '.join(usable)}"


#: Style vector size of a Kokoro-82M voice pack (one row per phoneme count up to MAX_TOKENS).
STYLE_DIM = 256


@dataclass(frozen=True, slots=True)
class _Run:
    """One model run: float audio (n,) and the token symbols with their sample counts."""

    audio: np.ndarray
    symbols: list[str]
    counts: list[int]


class KokoroTTS(SentenceTTS):
    """Kokoro-82M behind the :class:`~engine.tts.base.TTSProvider` interface (Mandarin).

    Args:
        model_dir: folder with :data:`MODEL_FILE`, :data:`VOCAB_FILE` and :data:`VOICES_FILE`.
        voice: name of a voice pack (:func:`load_voice_packs`), e.g. ``zf_xiaoxiao``.
        length_scale: > 1 slower, < 1 faster (0.5-2.0); the model's speed is its inverse.
        threads: onnxruntime intra-op threads (None: one per core).
        tones: reshape the predicted pitch to Mandarin tone contours (see
            :mod:`engine.tts.zh_tones`); None: only for a voice that is not a native Mandarin
            speaker (:data:`NATIVE_PREFIXES`), e.g. the Japanese ``jm_kumo``.
        opening: how a reply is cut into pieces and when its first piece plays
            (:mod:`engine.tts.kokoro_openings`): ``first_clause`` (the default: the first
            clause alone, held back while the next piece would come late), ``eager`` (the
            same, never held: a silence after it on a slow CPU) or ``paced`` (clauses grouped:
            no stall, the first audio latest: on 2 cores 2.34 s instead of 1.36 s from the end
            of the visitor's speech to the first audio at the client, p50, language ``zh``,
            quiet machine, before the hold).
        decoder: ``static`` (the default: convolutions quantized statically by ``dhe models``,
            :mod:`engine.tts.kokoro_static`; quiet machine, 23 pack replies: RTF median 0.41 ->
            0.28, first audio median 817 -> 679 ms, CER 12.4 -> 12.2 %) or ``dynamic`` (the
            pinned export's own decoder).
        pitch_range: scale of the pitch track's excursions in log F0 for a voice that
            predicts its own tones (``tones`` off; :func:`engine.tts.zh_tones.widen_pitch`):
            1.0 is the model's own contour.
        tail_units: duration units (25 ms) of a piece's last phoneme that the decoder renders,
            the rest of its predicted silence left out with the norms weighted to match
            (:func:`engine.tts.kokoro_graph.shorten_tail`); None renders all of it.
        spin: let onnxruntime's intra-op threads busy-wait between operators
            (:data:`SPIN_ON`; default off, :data:`SPIN`): a little faster on a machine with
            idle cores, much slower on a busy one. Same audio either way.

    Raises:
        TTSError: ``model-not-found`` (a file is missing), ``model-invalid`` (unreadable model,
            vocabulary or voices), ``bad-setting`` (unknown voice, length_scale out of range).
    """

    sample_rate: int = SAMPLE_RATE_HZ
    languages: frozenset[str] = frozenset({"zh"})
    split_config: SplitConfig = OPENINGS[DEFAULT_OPENING]
    hold_pace: Pace | None = HOLDS[DEFAULT_OPENING]

    def __init__(
        self,
        model_dir: Path,
        voice: str = DEFAULT_SPEAKER,
        length_scale: float | None = None,
        threads: int | None = None,
        tones: bool | None = None,
        opening: str = DEFAULT_OPENING,
        decoder: str = "static",
        pitch_range: float = PITCH_RANGE,
        tail_units: int | None = TAIL_UNITS,
        spin: bool = False,
    ) -> None:
        model_dir = Path(model_dir)
        if opening not in OPENINGS:
            raise TTSError("bad-setting", f"unknown opening {opening!r}; have {sorted(OPENINGS)}")
        self.split_config, self.hold_pace = OPENINGS[opening], HOLDS[opening]
        if not 0.5 <= pitch_range <= 3.0:
            raise TTSError("bad-setting", f"pitch_range must be 0.5-3.0, got {pitch_range}")
        if tail_units is not None and tail_units < 1:
            raise TTSError("bad-setting", f"tail_units must be >= 1 or None, got {tail_units}")
        paths = [model_dir / f for f in (MODEL_FILE, VOCAB_FILE)]
        for path in paths:
            if not path.is_file():
                raise TTSError("model-not-found", f"Kokoro file not found: {path}")
        try:
            self._vocab: dict[str, int] = json.loads(paths[1].read_text("utf-8"))["vocab"]
            voices = load_voice_packs(model_dir)
        except (OSError, ValueError, KeyError) as exc:
            raise TTSError(
                "model-invalid", f"cannot read Kokoro voices in {model_dir}: {exc}"
            ) from exc
        if voice not in voices:
            raise TTSError("bad-setting", unknown_voice(voice, voices, self.languages))
        try:
            import onnxruntime as ort

            predictor, own = split_graph(paths[0].read_bytes())
            graph = square_by_product(
                weigh_norms(own if decoder == "dynamic" else static_decoder(model_dir, decoder))
            )
            options = session_options(threads, spin)
            self._predictor = ort.InferenceSession(
                predictor, options, providers=["CPUExecutionProvider"]
            )
            self._decoder = ort.InferenceSession(graph, options, providers=["CPUExecutionProvider"])
        except TTSError:
            raise
        except Exception as exc:  # onnx/onnxruntime loader errors → one code
            raise TTSError("model-invalid", f"cannot load Kokoro from {model_dir}: {exc}") from exc
        self.voice = voice
        self.spin = spin
        self._style = voices[voice]  # (510, 256)
        self._lock = threading.Lock()
        self._speed = 1.0 / _check_scale(length_scale)
        self.pitch_range = float(pitch_range)
        #: Units of a piece's last phoneme the decoder renders (engine.tts.kokoro_graph); None:
        #: all of its predicted silence.
        self.tail_units = tail_units
        #: Reshape the pitch track to Mandarin tones (engine.tts.zh_tones); off: the model's own.
        self.tones = not voice.startswith(NATIVE_PREFIXES) if tones is None else tones

    def with_length_scale(self, length_scale: float | None) -> KokoroTTS:
        """A view of this voice speaking slower (> 1) or faster (< 1); shares the loaded model.

        Raises:
            TTSError: ``bad-setting`` when outside 0.5-2.0.
        """
        other = object.__new__(KokoroTTS)
        other.__dict__.update(self.__dict__)
        other._speed = 1.0 / _check_scale(length_scale)
        return other

    def warm_up(self) -> None:
        """Synthesize two short phrases (~0.5 s of CPU on 2 cores) so the first reply does not
        pay onnxruntime's first-run allocation; also loads jieba's dictionary (~1 s). The
        second one's make time is the speed a prepared first piece is held by until a live
        reply measures it (:attr:`~engine.tts.base.SentenceTTS.per_cost_s`)."""
        for phrase in ("您好。", "请问有什么可以帮您？"):
            t_s = time.monotonic()
            self.synthesize_sentence(phrase, "zh")
            if self.hold_pace is not None:
                cost = self.hold_pace.cost(spoken_weight(phrase))
                self.per_cost_s = (time.monotonic() - t_s) / cost

    def estimate_track(self, sentence: str, language: str) -> VisemeTrack:
        """Visemes of ``sentence`` from its phonemes alone, without running the model (~1 ms):
        vowels weigh 2, consonants 1, word gaps 0.3 and punctuation 4 (a pause), in units of
        one duration step. Online voices stretch this track to their own audio's length.

        Raises:
            TTSError: ``unsupported-language``.
        """
        self.check_language(language)
        return estimated_track(["^", *(s for s, _ in self._tokens(sentence)), "$"])

    def token_count(self, sentence: str) -> int:
        """Phoneme tokens of ``sentence``: the model's input length (~1 ms of G2P; a Han
        character is 2-6 tokens, a Latin letter's name 2-8). The first piece's hold sizes a
        piece's cost by its spoken weight all the same (see
        :data:`engine.tts.kokoro_openings.ZH_HOLD_PACE`); ``benchmarks/kokoro_pace.py``
        compares the two."""
        return len(self._tokens(sentence))

    def _tokens(self, sentence: str) -> list[Token]:
        return to_tokens(self._vocab, to_phonemes(sentence))

    def _run(self, tokens: list[Token]) -> _Run:
        """One model run over at most :data:`MAX_TOKENS` tokens (blocking): predictor, tone
        contours on the pitch track, the shortest rhymes lengthened
        (:mod:`engine.tts.zh_durations`), the last phoneme's silence shortened, decoder."""
        symbols = ["^", *(s for s, _ in tokens), "$"]
        style = self._style[len(tokens) - 1][None, :]
        ids = np.array([[0, *(t for _, t in tokens), 0]], dtype=np.int64)
        speed = np.array([self._speed], dtype=np.float32)
        try:
            with self._lock:
                units, pitch, energy, aligned = self._predictor.run(
                    None, {"tokens": ids, "style": style, "speed": speed}
                )
                units = np.asarray(units).reshape(-1).astype(int)
                if self.tones:
                    pitch = tone_f0(symbols, units, pitch)[None, :]
                else:
                    pitch = widen_pitch(pitch, self.pitch_range)[None, :]
                units, aligned, pitch, energy = stretch(
                    units, aligned, pitch, energy, rhyme_floor(symbols, units)
                )
                units, feed = shorten_tail(
                    symbols, units, aligned, pitch, energy, self.tail_units or int(units.max())
                )
                (audio,) = self._decoder.run(None, {**feed, "style": style})
        except Exception as exc:  # onnxruntime raises bare Exception subclasses
            raise TTSError("synthesis-failed", f"Kokoro failed: {exc}") from exc
        audio = np.asarray(audio, dtype=np.float32).reshape(-1)
        if len(units) != len(symbols) or int(units.sum()) * SAMPLES_PER_UNIT != len(audio):
            raise TTSError(
                "synthesis-failed",
                f"Kokoro durations ({units.sum()} units) do not match {len(audio)} samples",
            )
        return _Run(audio, symbols, [int(u) * SAMPLES_PER_UNIT for u in units])

    def synthesize_sentence(self, sentence: str, language: str) -> TTSChunk:
        """Synthesize one sentence; see :meth:`SentenceTTS.synthesize_sentence`.

        Returns:
            int16 PCM at 24 kHz and visemes cut from the model's own per-phoneme durations;
            leading silence trimmed to :data:`LEAD_UNITS` units. Text with nothing to say
            gives an empty chunk.

        Raises:
            TTSError: ``unsupported-language``, ``synthesis-failed``.
        """
        self.check_language(language)
        made = [self._run(piece) for piece in runs(self._tokens(sentence))]
        symbols = [s for r in made for s in r.symbols]
        counts = [c for r in made for c in r.counts]
        audio = np.concatenate([r.audio for r in made]) if made else np.zeros(0, np.float32)
        lead = max(0, counts[0] - LEAD_UNITS * SAMPLES_PER_UNIT) if counts else 0
        if lead:
            audio, counts = audio[lead:], [counts[0] - lead, *counts[1:]]
        shift = min(AUDIO_LEAD_UNITS * SAMPLES_PER_UNIT, counts[0]) if counts else 0
        if shift:  # move the track onto the sound: first cue shorter, last one longer
            counts = [counts[0] - shift, *counts[1:-1], counts[-1] + shift]
        track = zh_track(symbols, counts)
        pcm = (np.clip(audio, -1.0, 1.0) * 32767.0).astype("<i2").tobytes()
        return TTSChunk(pcm=pcm, sample_rate=self.sample_rate, visemes=track, text=sentence)


def session_options(threads: int | None = None, spin: bool = False):
    """onnxruntime session options for Kokoro's two sessions: ``threads`` intra-op threads
    (None or 0: one per core) that busy-wait between operators only when ``spin``
    (:data:`SPIN_ON`, else :data:`SPIN`).

    Returns:
        ``onnxruntime.SessionOptions``.
    """
    import onnxruntime as ort

    options = ort.SessionOptions()
    if threads:
        options.intra_op_num_threads = threads
    options.add_session_config_entry(SPIN_KEY, SPIN_ON if spin else SPIN)
    return options


def load_voice_packs(model_dir: Path) -> dict[str, np.ndarray]:
    """Every voice pack of a Kokoro model folder by speaker name (``voices.npz`` and
    ``voices/*.bin``; see :data:`VOICES_DIR`).

    Returns:
        Speaker name → float32 (:data:`MAX_TOKENS`, :data:`STYLE_DIM`) style rows, row ``n - 1``
        for an input of ``n`` phoneme tokens; empty when the folder has none.

    Raises:
        OSError: a file cannot be read.
        ValueError: a pack is not 510 × 256 values.
    """
    packs: dict[str, np.ndarray] = {}
    npz = model_dir / VOICES_FILE
    if npz.is_file():
        with np.load(npz) as data:
            packs.update(
                {n: data[n].astype(np.float32).reshape(MAX_TOKENS, -1) for n in data.files}
            )
    for path in sorted((model_dir / VOICES_DIR).glob("*.bin")):
        packs[path.stem] = np.fromfile(path, dtype="<f4").reshape(MAX_TOKENS, STYLE_DIM)
    for name, pack in packs.items():
        if pack.shape != (MAX_TOKENS, STYLE_DIM):
            raise ValueError(f"voice pack {name} has shape {pack.shape}")
    return packs


def _check_scale(length_scale: float | None) -> float:
    if length_scale is None:
        return 1.0
    if not 0.5 <= length_scale <= 2.0:
        raise TTSError("bad-setting", f"length_scale must be 0.5-2.0, got {length_scale}")
    return float(length_scale)
