"""``dhe converse``: one session, file to file — visitor turns in, one lip-synced MP4 out.

Each turn runs the whole loop of DESIGN.md with real components: decode → Silero VAD →
endpointing → faster-whisper → dialog (+ connectors on the sandbox systems) → Piper/espeak-ng
TTS → viseme timeline → OpenGL frames → H.264/AAC. Stage timings come from StageEvents through
:class:`engine.observers.TurnMetricsObserver`, keyed by DESIGN.md's stage names.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np

from dialog import DialogEngine
from dialog.slot_values import MAX_TEXT_CHARS
from engine.audio.decode import AudioDecodeError, load_audio
from engine.audit import SessionAudit, record_dialog
from engine.config import EngineConfig
from engine.embeddings import sentence_encoder
from engine.events import Reply, TTSAudio, VisemeTrack, now_ns
from engine.hearing import Hearing
from engine.observers import EventBus, Observer, TurnMetricsObserver
from engine.outputs import UsageError
from engine.show import MEDIA_RATE_HZ, Show
from engine.systems import open_systems
from engine.voices import Voices

log = logging.getLogger(__name__)

LEAD_IN_MS = 400.0
BETWEEN_REPLIES_MS = 600.0
TAIL_MS = 400.0


@dataclass(frozen=True, slots=True)
class TurnInput:
    """One visitor turn as given on the command line."""

    kind: Literal["audio", "text"]
    value: str
    audio: np.ndarray | None = field(default=None, compare=False, repr=False)


@dataclass(slots=True)
class TurnRecord:
    """One row of the ``--json`` document (DESIGN.md, ``dhe converse``)."""

    input: str
    transcript: str
    language: str
    intent: str | None
    reply: str
    timings_ms: dict[str, float | None]

    def as_json(self) -> dict[str, Any]:
        """The DESIGN.md shape: input, transcript, language, intent, reply, timings_ms."""
        return {
            "input": self.input,
            "transcript": self.transcript,
            "language": self.language,
            "intent": self.intent,
            "reply": self.reply,
            "timings_ms": self.timings_ms,
        }


def check_domain(domain: str, config: EngineConfig) -> None:
    """Fail fast on an unknown domain pack (before sandboxes and models start).

    Raises:
        UsageError: no such pack.
    """
    from dialog.pack import pack_dir

    folder = pack_dir(domain, config.dialog.packs_dir)
    if not (folder / "domain.yaml").is_file():
        root = folder.parent
        known = sorted(p.name for p in root.iterdir() if (p / "domain.yaml").is_file())
        raise UsageError(f"--domain {domain}: no such domain pack (known: {', '.join(known)})")


def prepare_inputs(raw: list[tuple[str, str]]) -> list[TurnInput]:
    """Validate every turn before anything runs: text non-empty and short, audio decodable.

    Args:
        raw: ``(kind, value)`` pairs in command-line order, kind ``audio`` or ``text``.

    Raises:
        UsageError: no turns, an empty/oversized text, or an unreadable audio file.
    """
    if not raw:
        raise UsageError("give at least one --audio FILE or --text STR")
    turns: list[TurnInput] = []
    for kind, value in raw:
        if kind == "text":
            text = value.strip()
            if not text:
                raise UsageError("--text: empty text")
            if len(text) > MAX_TEXT_CHARS:
                raise UsageError(f"--text: longer than {MAX_TEXT_CHARS} characters")
            turns.append(TurnInput("text", text))
        else:
            if Path(value).is_dir():
                raise UsageError(f"--audio {value}: is a folder, give an audio file")
            try:
                turns.append(TurnInput("audio", value, load_audio(value)))
            except AudioDecodeError as exc:
                raise UsageError(f"--audio {exc}") from exc
    return turns


class ConverseSession:
    """Runs the turns of one ``dhe converse`` call (one visitor session)."""

    def __init__(
        self,
        config: EngineConfig,
        *,
        dialog: DialogEngine,
        hearing: Hearing,
        voices: Voices,
        show: Show,
        language: str,
        observers: Sequence[Observer] = (),
        audit: SessionAudit | None = None,
    ) -> None:
        self.session_id = f"cv-{uuid.uuid4().hex[:12]}"
        self.config = config
        self.hearing = hearing
        self.voices = voices
        self.show = show
        self.language = language
        self.bus = EventBus()
        self.metrics = TurnMetricsObserver()
        self.bus.subscribe(self.metrics)
        for observer in observers:
            self.bus.subscribe(observer)
        self.dialog = dialog.new_session(self.session_id, language=language)
        self.audit = audit
        self.started = dt.datetime.now(dt.UTC)
        self.turns_done = 0

    async def run_turn(self, index: int, turn: TurnInput) -> TurnRecord:
        """Hear (audio) or take (text) one turn, answer it, and put the answer on the video."""
        turn_id = f"{self.session_id}-t{index}"
        sid = self.session_id
        self.show.timeline.set_listening(True, self.show.clock)
        if turn.kind == "audio":
            assert turn.audio is not None
            heard = await asyncio.to_thread(
                self.hearing.hear, turn.audio, self.language, self.bus, sid, turn_id
            )
            transcript, heard_lang = (
                heard.text,
                (heard.transcript.language if heard.transcript else None),
            )
        else:
            transcript, heard_lang = turn.value, None
        self.show.timeline.set_listening(False, self.show.clock)
        dialog_lang = self.language if self.language != "auto" else heard_lang
        start_ns = now_ns()
        try:
            if transcript:
                result = await self.dialog.handle_text(transcript, language=dialog_lang)
            else:
                result = await self.dialog.handle_no_input()
        finally:
            end_ns = now_ns()
        connector_ms = result.timings_ms.get("connector")
        dialog_end = end_ns - int((connector_ms or 0.0) * 1e6)
        self.bus.span(sid, turn_id, "dialog", start_ns, dialog_end)
        if connector_ms is not None:
            self.bus.span(sid, turn_id, "connector", dialog_end, end_ns)
        texts = []
        for n, plan in enumerate(result.replies):
            await self._say(turn_id, f"{turn_id}-r{n}", plan)
            texts.append(plan.text)
        self.show.pause(BETWEEN_REPLIES_MS)
        times = await asyncio.to_thread(self.show.flush)
        self.bus.span(sid, turn_id, "avatar", end_ns, end_ns + int(times.render_ms * 1e6))
        self.bus.span(sid, turn_id, "send", end_ns, end_ns + int(times.encode_ms * 1e6))
        self.turns_done += 1
        reply_lang = result.replies[0].language if result.replies else result.language
        return TurnRecord(
            input=turn.value,
            transcript=transcript,
            language=heard_lang or reply_lang,
            intent=result.intent,
            reply=" ".join(texts),
            timings_ms=self.metrics.metrics(sid, turn_id).as_dict(),
        )

    async def _say(self, turn_id: str, reply_id: str, plan: Any) -> None:
        sid = self.session_id
        self.bus.publish(
            Reply(
                session_id=sid,
                reply_id=reply_id,
                turn_id=turn_id,
                text=plan.text,
                language=plan.language,
                emotion=plan.emotion,
                gesture=plan.gesture,
            )
        )
        self.show.express(plan.emotion, plan.gesture)
        tts = await asyncio.to_thread(
            self.voices.for_language, plan.language, getattr(plan, "speaking_rate", 1.0)
        )
        with self.bus.stage(sid, turn_id, "tts"):
            async for chunk in tts.synthesize(plan.text, plan.language):
                start = self.show.speak(chunk.pcm, chunk.sample_rate, chunk.visemes)
                self.bus.publish(
                    TTSAudio(
                        session_id=sid,
                        reply_id=reply_id,
                        pcm=self.show.last_chunk.tobytes(),
                        sample_rate=MEDIA_RATE_HZ,
                        start_sample=start,
                    )
                )
                self.bus.publish(
                    VisemeTrack(
                        session_id=sid, reply_id=reply_id, track=chunk.visemes, start_sample=start
                    )
                )

    def close(self, end_reason: str = "done") -> None:
        """Write the session's audit trail, then wipe the dialog session's memory."""
        try:
            record_dialog(
                self.audit,
                self.dialog,
                channel="converse",
                started=self.started,
                turns=self.turns_done,
                end_reason=end_reason,
            )
        finally:
            self.dialog.close()


async def converse(
    turns: list[TurnInput],
    *,
    config: EngineConfig,
    domain: str,
    language: str,
    demo: bool,
    out_path: Path,
    progress: Callable[[str], None],
    observers: Sequence[Observer] = (),
) -> dict[str, Any]:
    """Run one session over ``turns`` and write ``out_path``.

    Returns:
        The ``--json`` document: ``{"turns": [...], "output": str(out_path)}``.

    Raises:
        UsageError: unknown domain or unwritable output.
        Exception: internal failures propagate (the CLI maps them to exit 1); the partial MP4
            is removed.
    """
    t0 = time.perf_counter()
    if not out_path.parent.is_dir():
        raise UsageError(f"--out {out_path}: folder {out_path.parent} does not exist")
    hearing = Hearing(config)
    voices = Voices(config.tts)
    needs_asr = any(t.kind == "audio" for t in turns)

    def warm_up() -> None:
        if needs_asr:
            hearing.asr_for("en" if language == "auto" else language)
        voices.for_language("zh" if language == "zh" else "en")

    progress("starting: sandboxes, models, renderer …")
    async with open_systems(config, demo=demo) as systems:
        connector, audit = systems.connector, systems.session_audit
        show_task = asyncio.create_task(asyncio.to_thread(Show, config.avatar, out_path))
        warm_task = asyncio.create_task(asyncio.to_thread(warm_up))
        try:
            dialog = await asyncio.to_thread(
                lambda: DialogEngine.load(
                    domain,
                    connector,
                    config.dialog.packs_dir,
                    encoder=sentence_encoder(config.dialog.embedding_model),
                    llm=config.dialog.llm.settings(),
                )
            )
        except FileNotFoundError as exc:
            await asyncio.gather(show_task, warm_task, return_exceptions=True)
            if show_task.done() and not show_task.exception():
                show_task.result().abort()
            raise UsageError(f"--domain {domain}: {exc}") from exc
        show = await show_task
        try:
            await warm_task
            progress(f"ready in {time.perf_counter() - t0:.1f} s")
            session = ConverseSession(
                config,
                dialog=dialog,
                hearing=hearing,
                voices=voices,
                show=show,
                language=language,
                observers=observers,
                audit=audit,
            )
            records: list[TurnRecord] = []
            try:
                show.pause(LEAD_IN_MS)
                for i, turn in enumerate(turns):
                    record = await session.run_turn(i, turn)
                    records.append(record)
                    progress(f"turn {i + 1}/{len(turns)} done: intent {record.intent}")
            finally:
                session.close()
            show.pause(TAIL_MS)
            await asyncio.to_thread(show.flush, final=True)
            path = show.close()
        except BaseException:
            with contextlib.suppress(Exception):
                show.abort()
            raise
    frames = show.writer.frames_written
    progress(
        f"wrote {path}: {frames / config.avatar.fps:.1f} s of video ({frames} frames) "
        f"in {time.perf_counter() - t0:.1f} s"
    )
    return {"turns": [r.as_json() for r in records], "output": str(path)}


def _known_failures() -> tuple[type[BaseException], ...]:
    from avatar import AvatarLoadError
    from avatar.egl import RendererError
    from connectors.embedded import SandboxStartError
    from dialog.embedding import EmbeddingError
    from engine.asr.whisper import ASRError
    from engine.models import ModelError
    from engine.tts.base import TTSError

    return (
        ASRError,
        TTSError,
        ModelError,
        AvatarLoadError,
        RendererError,
        SandboxStartError,
        EmbeddingError,
        OSError,
    )


#: Typed failures whose message tells the operator what to do (the CLI prints one line).
KNOWN_FAILURES = _known_failures()


def describe(index: int, record: dict[str, Any]) -> str:
    """Human-readable lines for one turn of the ``--json`` document."""
    timings = ", ".join(f"{k} {v:.0f}" for k, v in record["timings_ms"].items() if v is not None)
    return (
        f"turn {index + 1}: [{record['language']}] {record['transcript']!r}\n"
        f"  intent: {record['intent']}\n  reply: {record['reply']}\n  timings (ms): {timings}"
    )
