"""``dhe converse``: one session, file to file — visitor turns in, one lip-synced MP4 out.

The file transport's thin adapter around the engine's one turn loop
(:class:`engine.turns.TurnRunner`, the same as ``dhe serve``'s): each recorded turn is heard by
a :class:`~engine.file_transport.RecordedUtterance` (decode → Silero VAD → endpointing → faster-whisper, on a worker
thread), each typed one is taken as it is, and the runner answers it — dialog (+ connectors on
the sandbox systems) → Piper/espeak-ng TTS → viseme timeline — onto a :class:`~engine.file_transport.FileOutbox`, which
renders the OpenGL frames and muxes H.264/AAC. Stage timings come from the session's events,
keyed by the pipeline's stage names (:data:`engine.events.STAGES`). Inputs are validated before
anything starts (:mod:`engine.converse_inputs`).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from dialog import DialogEngine
from dialog.lapse import code_awaited
from dialog.sensitive import mask_line
from dialog.types import join_replies
from engine.audit import SessionAudit, record_dialog
from engine.config import EngineConfig
from engine.converse_inputs import (
    TurnInput,
    TurnRecord,
    check_domain,
    describe,
    known_failures,
    prepare_inputs,
)
from engine.embeddings import section_reranker, sentence_encoder
from engine.file_transport import LEAD_IN_MS, TAIL_MS, FileOutbox, RecordedUtterance
from engine.hearing import Hearing
from engine.observers import EventBus, Observer, label_follows_replies
from engine.outputs import UsageError
from engine.reply import ReplyHandle
from engine.show import Show
from engine.speaking import Speaker
from engine.systems import open_systems
from engine.turns import TurnOutcome, TurnRunner
from engine.voices import Voices

__all__ = [
    "KNOWN_FAILURES",
    "ConverseSession",
    "FileOutbox",
    "RecordedUtterance",
    "TurnInput",
    "UsageError",
    "check_domain",
    "converse",
    "describe",
    "prepare_inputs",
]

log = logging.getLogger(__name__)

#: Typed failures whose message tells the operator what to do (the CLI prints one line).
KNOWN_FAILURES = known_failures()


class ConverseSession:
    """Runs the turns of one ``dhe converse`` call (one visitor session).

    Args:
        dialog: the domain's dialog engine (a session is made from it).
        hearing: VAD and ASR models.
        voices: TTS voices.
        show: the MP4 side.
        language: ``auto``, ``en`` or ``zh``.
        observers: extra subscribers of the session's bus (benchmarks).
        audit: where the session's audit trail is written at the end (None: nowhere).
    """

    def __init__(
        self,
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
        self.hearing = hearing
        self.language = language
        self.bus = EventBus()
        for observer in observers:
            self.bus.subscribe(observer)
        # "auto": the AI mark and the name badge follow the answers' language
        self.bus.subscribe(label_follows_replies(show))
        self.dialog = dialog.new_session(self.session_id, language=language)
        outbox = FileOutbox(show)
        self.runner = TurnRunner(
            self.session_id,
            dialog=self.dialog,
            speaker=Speaker(voices, outbox, self.bus, self.session_id),
            bus=self.bus,
            outbox=outbox,
        )
        self.audit = audit
        self.started = dt.datetime.now(dt.UTC)
        self.turns_done = 0

    async def run_turn(self, index: int, turn: TurnInput) -> TurnRecord:
        """Hear (audio) or take (text) one turn, answer it, and put the answer on the video."""
        # the one-time code's question: what answers it is a secret in the --json row
        secret = code_awaited(self.dialog.engine.pack, self.dialog.state)
        turn_id = f"{self.session_id}-t{index}"
        handle = ReplyHandle(turn_id)
        if turn.kind == "audio":
            assert turn.audio is not None
            utterance = RecordedUtterance(
                self.hearing,
                turn.audio,
                self.language,
                self.bus,
                self.session_id,
                turn_id,
                self.dialog.awaited_answer(),
                code=secret,
            )
            outcome = await self.runner.spoken_turn(handle, utterance, self.language)
        else:
            outcome = await self.runner.typed_turn(handle, turn.value, self.language)
        assert outcome is not None  # a recorded turn is never dismissed as noise
        self.turns_done += 1
        return _record(turn, outcome, secret=secret)

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


def _record(turn: TurnInput, outcome: TurnOutcome, *, secret: bool = False) -> TurnRecord:
    """The turn's ``--json`` row. What the visitor said or typed is masked like a log line
    (:func:`dialog.sensitive.mask_line`: full card, account, ID and phone numbers keep their
    last 4 digits, a PIN is hidden): the document is a record of the session kept beside its
    logs. ``secret``: the turn may answer the one-time code's question
    (:func:`dialog.lapse.code_awaited`), and its numbers are hidden whole: ``dhe converse --demo
    --text 123456 --json`` printed the code in ``input`` (dialogfix18 #4)."""
    reply_language = outcome.replies[0].language if outcome.replies else outcome.language

    def hide(text: str) -> str:
        return mask_line(text, code=secret)

    return TurnRecord(
        input=turn.value if turn.kind == "audio" else hide(turn.value),
        transcript=hide(outcome.transcript),
        language=outcome.heard_language or reply_language,
        intent=outcome.intent,
        reply=join_replies(plan.text for plan in outcome.replies),
        timings_ms=outcome.metrics.as_dict(),
    )


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

    Args:
        turns: the visitor's turns in order (audio files or typed lines).
        config: the engine configuration.
        domain: the pack (``bank``/``tax``); language: the session language (``auto``,
            ``en``, ``zh``).
        demo: start the embedded sandboxes with the documented demo code.
        out_path: the MP4 to write (its folder must exist).
        progress: called with one line per step (starting, ready, each turn).
        observers: extra subscribers of the session's bus (benchmarks).

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
    hearing, voices = Hearing(config), Voices(config.tts)
    progress("starting: sandboxes, models, renderer …")
    async with open_systems(config, demo=demo) as systems:
        dialog, show = await _start(
            config, domain, language, turns, out_path, hearing, voices, systems.connector
        )
        try:
            progress(f"ready in {time.perf_counter() - t0:.1f} s")
            session = ConverseSession(
                dialog=dialog,
                hearing=hearing,
                voices=voices,
                show=show,
                language=language,
                observers=observers,
                audit=systems.session_audit,
            )
            records = await _run(session, show, turns, progress)
            show.pause(TAIL_MS)
            await asyncio.to_thread(show.flush, final=True)
            path = show.close()
        except BaseException:
            _abort_after_failure(show)
            raise
    frames = show.writer.frames_written
    progress(
        f"wrote {path}: {frames / config.avatar.fps:.1f} s of video ({frames} frames) "
        f"in {time.perf_counter() - t0:.1f} s"
    )
    return {"turns": [r.as_json() for r in records], "output": str(path)}


async def _start(
    config: EngineConfig,
    domain: str,
    language: str,
    turns: list[TurnInput],
    out_path: Path,
    hearing: Hearing,
    voices: Voices,
    connector: Any,
) -> tuple[DialogEngine, Show]:
    """Load the dialog engine, the models the turns need and the renderer, in parallel.

    Raises:
        UsageError: no such domain pack.
        Exception: the dialog's failure to load, or a typed failure (:data:`KNOWN_FAILURES`) of
            the voice, ASR or renderer loading beside it when the dialog's is not typed.
    """
    needs_asr = any(t.kind == "audio" for t in turns)

    def warm_up() -> None:
        if needs_asr:
            hearing.asr_for("en" if language == "auto" else language)
        voices.for_language("zh" if language == "zh" else "en")

    show_task = asyncio.create_task(asyncio.to_thread(Show, config.avatar, out_path, language))
    warm_task = asyncio.create_task(asyncio.to_thread(warm_up))
    try:
        dialog = await asyncio.to_thread(
            lambda: DialogEngine.load(
                domain,
                connector,
                config.dialog.packs_dir,
                encoder=sentence_encoder(config.dialog.embedding_model),
                llm=config.dialog.llm.settings(),
                reranker=section_reranker(config.dialog.rerank_model),
            )
        )
    except Exception as exc:
        # the parts loading beside the dialog are awaited (no "Task exception was never
        # retrieved"), the partial video is dropped, and a typed failure of theirs (a voice
        # whose model was never unpacked: "run `dhe models …` first") is the one reported when
        # the dialog's own is not typed (its NLU failing for the same missing models, newcomer11)
        await asyncio.gather(show_task, warm_task, return_exceptions=True)
        if not show_task.cancelled() and show_task.exception() is None:
            _abort_after_failure(show_task.result())
        if isinstance(exc, FileNotFoundError):
            raise UsageError(f"--domain {domain}: {exc}") from exc
        beside = [t.exception() for t in (warm_task, show_task) if not t.cancelled()]
        typed = next((e for e in beside if isinstance(e, KNOWN_FAILURES)), None)
        if typed is not None and not isinstance(exc, KNOWN_FAILURES):
            raise typed from exc
        raise
    try:
        show = await show_task
    except BaseException:
        # the warm-up is awaited too: its failure retrieved, no model load running on
        await asyncio.gather(warm_task, return_exceptions=True)
        raise
    try:
        await warm_task
    except BaseException:
        _abort_after_failure(show)
        raise
    return dialog, show


def _abort_after_failure(show: Show) -> None:
    """Drop the partial video while another failure is on its way out. A failure of this
    clean-up is logged with its traceback, not raised: it must not replace the failure that
    ended the run."""
    try:
        show.abort()
    except Exception:  # clean-up under a failure already propagating: log it, do not mask that
        log.warning("dropping the partial video failed", exc_info=True)


async def _run(
    session: ConverseSession,
    show: Show,
    turns: list[TurnInput],
    progress: Callable[[str], None],
) -> list[TurnRecord]:
    """Every turn in order after the lead-in; the session's audit is written at the end."""
    records: list[TurnRecord] = []
    try:
        show.pause(LEAD_IN_MS)
        for i, turn in enumerate(turns):
            record = await session.run_turn(i, turn)
            records.append(record)
            progress(f"turn {i + 1}/{len(turns)} done: {_what_answered(record)}")
    finally:
        session.close()
    return records


def _what_answered(record: TurnRecord) -> str:
    """The progress line's account of a turn: its intent, or ``(flow answer)`` for a turn that
    answered a flow's question (slot filling: no intent, ``intent`` null in the JSON)."""
    return f"intent {record.intent}" if record.intent is not None else "(flow answer)"
