"""The engine configuration's sections: one pydantic model per top-level key of the YAML
(``asr``, ``vad``, ``tts``, ``avatar``, ``dialog``, ``sandbox``, ``privacy``, ``perception``),
with their defaults, bounds and cross-field checks; how the engine is served (``server``,
``cluster``) is :mod:`engine.config_serving`.

What the settings *are* lives here; :mod:`engine.config` assembles them into
:class:`~engine.config.EngineConfig`, applies the ``DHE_*`` environment over the YAML and turns
validation errors into messages that name the setting (and the variable, when it came from the
environment). Import the sections from :mod:`engine.config`, which re-exports them.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from connectors.config import SandboxConfig
from dialog.llm import LLMSettings

if TYPE_CHECKING:
    from engine.perception.core import PerceptionSettings
    from engine.perception.pacing import FramePacer


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ASRConfig(_Section):
    """Speech recognition (faster-whisper). Model values: manifest name, folder, or hub name."""

    models: dict[str, str] = Field(
        default_factory=lambda: {"en": "whisper-tiny.en", "zh": "whisper-base"}
    )
    device: Literal["auto", "cpu", "cuda"] = "auto"
    #: CTranslate2's quantization types (``ctranslate2.get_supported_compute_types``; ``int8``
    #: becomes ``int8_float16`` on CUDA): anything else failed only when the model loaded.
    compute_type: Literal[
        "default",
        "auto",
        "int8",
        "int8_float32",
        "int8_float16",
        "int8_bfloat16",
        "int16",
        "float16",
        "bfloat16",
        "float32",
    ] = "int8"
    beam_size: int = Field(1, ge=1, le=10)
    allow_download: bool = False
    #: Shortest encoder window (s) per language: short utterances are not padded to
    #: Whisper's 30 s (engine.asr.windowed; a loop-looking decode falls back to 30 s).
    #: Languages not listed always use 30 s. Mandarin on ``base``: mean CER over the labelled
    #: clips 5.6 % at 8, 12, 14 and 20 s, 9.1-10.8 % at 10 and 16 s (one clip flips one word),
    #: 9.1 % at 30 s; 12 s costs ~0.48 s of CPU per clip against ~0.64 s at 20 s, 8 s
    #: (a question of up to 6 s plus the 2 s tail) ~50-110 ms less than 12 s.
    #: Each value 4-30 s (newcomer #17: ``{en: 0}`` was accepted): below 4 s the window is the
    #: speech plus the 2 s tail alone, which makes Whisper loop (engine.asr.windowed's
    #: docstring), and 30 s is Whisper's own window (the setting off).
    window_s: dict[str, Annotated[float, Field(ge=4.0, le=30.0)]] = Field(
        default_factory=lambda: {"en": 10.0, "zh": 8.0}
    )
    #: Language detection (``auto``) reads the first ``detect_window_s - 2`` s of speech over
    #: an encoder window of this many seconds (30: faster-whisper's full-window detection).
    detect_window_s: float = Field(5.0, ge=3.0, le=30.0)
    #: Speech (ms) in a session's first turn after which its language is detected, during
    #: the turn (engine.asr.language.SpokenLanguage).
    detect_after_ms: float = Field(1000.0, ge=300.0, le=10_000.0)
    #: Decoder prompt per language ("" for none); see engine.asr.whisper.ASRSettings.
    prompts: dict[str, str] = Field(default_factory=lambda: {"zh": "以下是普通话的句子。"})
    #: Decoder prompt per language for a turn that answers a question waiting for digits (a
    #: card's tail, a one-time code; dialog.session.DialogSession.awaited_answer), e.g.
    #: :data:`DIGITS_PROMPT_EXAMPLE_ZH`. None by default: that example read 23 of the 25 tails
    #: ``benchmarks/digit_answers.py`` chose it on, but 8 of 16 fresh ones, against 9 of 16 for
    #: the default prompt with the digits slot's homophone reading alone, and its echo can
    #: stand in for an answer; the homophone reading is on at every digits question.
    digits_prompts: dict[str, str] = Field(default_factory=dict)


#: A Mandarin digits prompt (``asr.digits_prompts.zh``): digit strings written as an answer
#: should be, none of them an answer the tests use (5390, 628714).
DIGITS_PROMPT_EXAMPLE_ZH = "以下是普通话的句子。尾号是五三九零，验证码是六二八七一四。"


class VADConfig(_Section):
    """Silero VAD and endpointing."""

    threshold: float = Field(0.5, gt=0.0, lt=1.0)
    min_speech_ms: float = Field(200.0, ge=32.0)
    endpoint_silence_ms: float = Field(500.0, ge=100.0, le=5000.0)
    pad_ms: float = Field(150.0, ge=0.0, le=1000.0)
    #: Semantic end-of-turn (engine.audio.turn_policy): the turn model — a `dhe models` name,
    #: a path to a Smart Turn v3 ONNX file, or "off" (the silence timeout alone ends turns).
    turn_model: str = "smart-turn-v3.2"
    #: Pause (ms) at which the model is asked; a turn it judges complete ends there.
    turn_check_ms: float = Field(200.0, ge=32.0, le=2000.0)
    #: Shortest pause (ms) that ends a turn judged complete: pauses up to 0.4 s inside a
    #: sentence never end it.
    turn_min_pause_ms: float = Field(420.0, ge=0.0, le=2000.0)
    #: Model probability at or above which the turn is complete.
    turn_complete_threshold: float = Field(0.5, gt=0.0, lt=1.0)
    #: Pause (ms) that ends a turn judged incomplete (by the model and, with the text rule, the
    #: transcript); null: the silence timeout (``server.endpoint_silence_ms`` live).
    turn_incomplete_silence_ms: float | None = Field(900.0, ge=100.0, le=5000.0)
    #: onnxruntime threads per check (~21 ms with 2 on a 2-core CPU).
    turn_model_threads: int = Field(1, ge=1, le=8)
    #: The speculative transcript must agree with the model (a finished sentence ends with
    #: "." "?" "。" "？", a clause pause with "," or nothing) before a turn ends early or waits
    #: longer (engine.audio.turn_policy); false: the model alone decides.
    turn_text_rule: bool = True
    #: A live turn of this many seconds of continuous speech is ended and answered (a busy hall
    #: must not block every answer); onsets then need a pause first.
    max_turn_s: float = Field(20.0, ge=2.0, le=28.0)


class VoiceConfig(_Section):
    """One TTS voice: ``provider`` and a voice (manifest name, path, or provider voice name).

    * ``piper``: ``voice`` is a manifest name or an ``.onnx`` path; ``speaker`` picks a speaker
      of a multi-speaker voice.
    * ``kokoro``: ``voice`` is a manifest name (``kokoro-82m``) or a model folder; ``speaker``
      names the voice pack (default: ``engine.tts.kokoro.DEFAULT_SPEAKER``).
    * ``espeak``: ``voice`` is an espeak-ng voice (``cmn-latn-pinyin``).
    * ``edge`` (online, e.g. ``zh-CN-XiaoxiaoNeural``) and ``openai`` (a speech server on the
      operator's network, ``POST {url}/audio/speech`` with ``model`` and ``voice``; the key in
      the environment variable named by ``api_key_env``) are spoken under ``deadline_s`` per
      sentence, with ``fallback`` (default: the built-in offline voice of the language) when
      the service is slow or unreachable (engine.tts.online).
    """

    provider: Literal["piper", "kokoro", "espeak", "edge", "openai"] = "piper"
    voice: str = "piper-en_US-joe-medium"
    speaker: str | None = None
    length_scale: float | None = Field(None, gt=0.2, lt=4.0)
    #: kokoro: how a reply is cut into pieces (engine.tts.kokoro_openings): ``first_clause``
    #: speaks the first clause alone and holds it back while the next piece would come late
    #: (the wait before the reply, not after its first clause), ``eager`` the same unheld (the
    #: first audio soonest; on 2 cores a silence of 0.3-0.8 s follows the first clause),
    #: ``paced`` groups clauses so each piece is made before the audio ahead of it runs out
    #: (no stall; the first audio latest).
    opening: Literal["paced", "first_clause", "eager"] = "first_clause"
    #: kokoro: ``static`` (the default) runs the decoder whose convolutions ``dhe models``
    #: quantized statically (engine.tts.kokoro_static: RTF 0.41 -> 0.28, quiet machine);
    #: ``dynamic`` the pinned export's own decoder.
    decoder: Literal["static", "dynamic"] = "static"
    #: kokoro: let onnxruntime's threads busy-wait between operators (engine.tts.kokoro.SPIN_ON)
    #: for a kiosk with cores to spare: measured 0.90x the wall time for 1.10x the CPU on a
    #: quiet 2-core machine, but 1.26-1.59x the wall time under load
    #: (benchmarks/kokoro_session_options.py). Same audio. Default off.
    spin: bool = False
    deadline_s: float = Field(2.0, gt=0.1, le=30.0)
    fallback: VoiceConfig | None = None
    url: str = ""  # openai: base URL, e.g. "http://tts.bank.internal:8000/v1"
    model: str = ""  # openai: the server's model name
    api_key_env: str = ""  # openai: name of the environment variable holding the key
    response_format: Literal["wav", "mp3", "pcm", "opus", "aac", "flac"] = "wav"

    @model_validator(mode="after")
    def _spin_is_kokoros(self) -> VoiceConfig:
        """``spin`` is a setting of Kokoro's onnxruntime sessions: asked of another provider
        it would do nothing, so it is an error that names the provider."""
        if self.spin and self.provider != "kokoro":
            raise ValueError(f"spin is a kokoro setting; this voice's provider is {self.provider}")
        return self


def offline_voice(language: str) -> VoiceConfig:
    """The built-in offline voice of ``language`` (Mandarin: Kokoro-82M; else Piper English)."""
    if language == "zh":
        return VoiceConfig(provider="kokoro", voice="kokoro-82m")  # the default speaker
    return VoiceConfig(provider="piper", voice="piper-en_US-joe-medium")


class TTSConfig(_Section):
    """Text to speech per reply language."""

    voices: dict[str, VoiceConfig] = Field(
        default_factory=lambda: {"en": offline_voice("en"), "zh": offline_voice("zh")}
    )
    #: Speak the packs' fixed replies (no slot field) and knowledge-base answers from audio
    #: prepared at setup (engine.tts.prepared; Kokoro Mandarin first audio ~680 ms live, a few
    #: ms prepared);
    #: false: every reply is synthesized live.
    prepared_replies: bool = True

    @field_validator("voices", mode="before")
    @classmethod
    def _over_built_in_voices(cls, value: object) -> object:
        """Voices set in a file change only what they name, as ``DHE_TTS__VOICES__…``
        variables do: a language left out keeps its built-in voice (:func:`offline_voice`),
        and an entry naming no other provider changes the fields it sets of that language's
        built-in voice (``zh: {speaker: zm_yunyang}`` is Kokoro with another speaker; it used
        to be a voice of the field defaults, Piper's English joe, and no English voice)."""
        if not isinstance(value, dict):
            return value
        merged: dict[str, object] = {lang: offline_voice(lang) for lang in ("en", "zh")}
        for lang, entry in value.items():
            built_in = offline_voice(str(lang))
            if isinstance(entry, dict) and entry.get("provider", built_in.provider) == (
                built_in.provider
            ):
                entry = {**built_in.model_dump(exclude_unset=True), **entry}
            merged[lang] = entry
        return merged


def _default_labels() -> dict[str, str]:
    from avatar.label import DEFAULT_LABELS

    return dict(DEFAULT_LABELS)


_NameLine = Annotated[str, Field(max_length=40)]
_SubLine = Annotated[str, Field(max_length=48)]


class BadgeConfig(_Section):
    """The name badge on the default avatar's jacket (drawn at load time: avatar.badge), in
    the session's language: ``text`` and ``subtitle`` are one text for every language or one
    per language code (``en`` is the fallback), like ``ai_label``."""

    #: The name line; "数字员工" is what the page calls the assistant in Chinese.
    text: _NameLine | dict[str, _NameLine] = Field(
        default_factory=lambda: {"en": "Digital Assistant", "zh": "数字员工"}
    )
    subtitle: _SubLine | dict[str, _SubLine] = ""  # a second line, e.g. the brand
    color: str = Field("#1f4e8c", pattern=r"^#[0-9a-fA-F]{6}$")  # plate colour (brand)
    text_color: str = Field("#ffffff", pattern=r"^#[0-9a-fA-F]{6}$")

    def lines(self, language: str) -> tuple[str, str]:
        """(name line, second line) in ``language``: its own text, else English, else the
        first one given."""

        def pick(value: str | dict[str, str]) -> str:
            if isinstance(value, str):
                return value
            return value.get(language, value.get("en", next(iter(value.values()), "")))

        return pick(self.text), pick(self.subtitle)


class AvatarConfig(_Section):
    """Avatar model and rendering."""

    model: str = "default"  # "default" → assets/avatar/default.glb, else a .glb/.gltf/.vrm path
    badge: BadgeConfig = Field(default_factory=BadgeConfig)
    width: int = Field(512, ge=64, le=2048)
    height: int = Field(512, ge=64, le=2048)
    fps: int = Field(25, ge=1, le=60)
    msaa: int = Field(0, ge=0, le=8)  # multisample anti-aliasing; 4 on a GPU
    fxaa: bool = True  # FXAA inside the avatar's box when msaa is 0 (llvmpipe)
    #: Camera framing (avatar.camera.FRAMINGS); portrait sizes keep the head at the top.
    framing: Literal["head_shoulders", "bust", "face"] = "head_shoulders"
    #: Corner mark burnt into the video: one text per session language (``en`` is the fallback),
    #: or one text for all; ``""`` disables it.
    ai_label: str | dict[str, str] = Field(default_factory=lambda: _default_labels())


class LLMConfig(_Section):
    """Optional OpenAI-compatible chat endpoint that rewords FAQ answers (off when ``url`` is
    empty; dialog.llm). The key comes from the environment variable named by ``api_key_env``."""

    url: str = ""  # e.g. "http://127.0.0.1:8000/v1"
    model: str = ""
    api_key_env: str = ""
    timeout_s: float = Field(1.5, gt=0.05, le=30.0)

    def settings(self) -> LLMSettings | None:
        """The endpoint to call, or ``None`` when none is configured."""
        if not self.url:
            return None
        key = os.environ.get(self.api_key_env, "") if self.api_key_env else ""
        return LLMSettings(self.url, self.model, key, self.timeout_s)


class DialogConfig(_Section):
    """Dialog defaults; ``domain`` must name an installed pack under ``packs_dir``
    (:func:`dialog.pack.known_packs`), checked when the config loads."""

    packs_dir: Path | None = None  # before domain: its validator reads it
    domain: str = "bank"
    language: Literal["auto", "en", "zh"] = "auto"
    # Sentence encoder for English NLU and knowledge-base search: a `dhe models` name, a
    # folder (model.safetensors + config.json + tokenizer.json), or "off" (n-grams and BM25).
    embedding_model: str = "multilingual-e5-small"
    # English encoder that reranks the FAQ sections (dialog.kb.RERANK_WEIGHT): a `dhe models`
    # name, a folder, or "off".
    rerank_model: str = "minilm-l6-v2"
    llm: LLMConfig = Field(default_factory=LLMConfig)

    @field_validator("packs_dir")
    @classmethod
    def _packs_folder(cls, packs_dir: Path | None) -> Path | None:
        # a missing folder is named as such, not blamed on the domain ("no such domain pack
        # (known: none)", newcomer14)
        if packs_dir is not None and not packs_dir.is_dir():
            reason = "is not a folder" if packs_dir.exists() else "does not exist"
            raise ValueError(f"{str(packs_dir)[:200]} {reason}")
        return packs_dir

    @field_validator("domain")
    @classmethod
    def _installed_pack(cls, domain: str, info: ValidationInfo) -> str:
        from dialog.pack import unknown_pack_message

        if "packs_dir" not in info.data:  # packs_dir itself failed: reported on its own
            return domain
        problem = unknown_pack_message(domain, info.data["packs_dir"])
        if problem is not None:
            raise ValueError(f"{domain[:64]!r}: {problem}")
        return domain


class EngineSandboxConfig(SandboxConfig):
    """Embedded sandbox systems (``docs/architecture.md``, "Business systems"): ``embedded`` starts
    them as child processes; ``demo_otp`` and ``faults`` come from the connectors room."""

    embedded: bool = True


class PrivacyConfig(_Section):
    """Recording is off unless an operator turns it on; the audit trail is kept
    ``audit_retention_days`` (0: for ever), pruned at start and daily (``engine.audit``)."""

    recording: bool = False
    audit_retention_days: int = Field(90, ge=0, le=36_500)


class PerceptionConfig(_Section):
    """Camera perception (engine.perception): presence dwell times, the nearest face counted
    as a visitor, and the analysis rate bounds."""

    min_face_frac: float = Field(0.1, gt=0.0, lt=1.0)
    present_after_s: float = Field(1.0, ge=0.0, le=10.0)
    absent_after_s: float = Field(5.0, ge=0.5, le=600.0)
    min_fps: float = Field(5.0, ge=1.0, le=30.0)
    max_fps: float = Field(15.0, ge=1.0, le=30.0)
    cpu_share: float = Field(0.5, gt=0.0, le=2.0)

    @model_validator(mode="after")
    def _fps_bounds(self) -> PerceptionConfig:
        if self.min_fps > self.max_fps:
            raise ValueError(f"min_fps ({self.min_fps}) is above max_fps ({self.max_fps})")
        return self

    def settings(self) -> PerceptionSettings:
        """The perception core's settings from this section."""
        from engine.perception.core import PerceptionSettings

        return PerceptionSettings(
            min_face_frac=self.min_face_frac,
            present_after_ms=round(self.present_after_s * 1000),
            absent_after_ms=round(self.absent_after_s * 1000),
        )

    def pacer(self) -> FramePacer:
        """A frame pacer with this section's rate bounds and CPU share."""
        from engine.perception.pacing import FramePacer

        return FramePacer(min_fps=self.min_fps, max_fps=self.max_fps, cpu_share=self.cpu_share)
