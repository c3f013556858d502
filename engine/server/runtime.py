"""What the sessions of one server share: models, dialog engines, connectors, renderers.

Heavy models load once per process (one :class:`~engine.asr.whisper.WhisperASR` per language
with its lock, one TTS voice per language, one avatar mesh); each session gets its own avatar
backend (:class:`~avatar.frame_renderer.FrameRenderer`) from a small warm pool
(:mod:`engine.server.renderers`) so an offer does not wait for a fresh EGL context. Blocking inference runs on dedicated executors — VAD on one, ASR on another —
so a queue of decodes never starves the default executor that aiortc encodes on.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable
from concurrent.futures import ThreadPoolExecutor
from contextlib import AsyncExitStack
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

from avatar.frame_renderer import FrameRenderer
from connectors.embedded import SandboxCluster
from dialog import DialogEngine, PackError
from dialog.embedding import embedding_progress
from dialog.pack import known_packs, unknown_pack_message
from engine.audio.turn_model import SmartTurn, load_turn_model
from engine.audit import SessionAudit
from engine.config import ConfigError, EngineConfig
from engine.config_check import check_references
from engine.embeddings import section_reranker, sentence_encoder
from engine.hearing import Hearing
from engine.server.load import CpuLoad
from engine.server.metrics import ServerMetrics
from engine.server.protocol import ApiError
from engine.server.renderers import (
    RENDERER_POOL,
    RendererFactory,
    RendererPool,
    gl_renderer_factory,
)
from engine.server.transcribing import InflightCounter
from engine.server.warmup import (
    run_steps,
    timed,
    warm_audio,
    warm_hearing,
    warm_video_encoders,
)
from engine.show import load_configured_avatar
from engine.systems import open_systems
from engine.voices import Voices

log = logging.getLogger(__name__)


async def _all_or_none(*works: Awaitable[object]) -> None:
    """Await ``works`` side by side; when one fails, cancel the others and raise its error.

    ``asyncio.gather`` leaves the others running: after the ASR model failed to load, a
    failed server went on warming every dialog pack (``warm-up: dialog bank 16591 ms``,
    ``dialog tax 5696 ms`` after the failure, a loaded machine). A step already running on a
    thread finishes there (a thread cannot be interrupted); no further step starts.
    """
    tasks = [asyncio.ensure_future(work) for work in works]
    try:
        await asyncio.gather(*tasks)
    except BaseException:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise


def _embedding_progress(domain: str, done: int, total: int) -> None:
    """Start-up progress while a pack's lines are embedded (no cache yet for the model); a pack
    embeds its lines in several batches (examples, knowledge base …), ``total`` is this one's."""
    log.info("warm-up: dialog %s: embedding a batch of %d lines: %d done", domain, total, done)


@dataclass(frozen=True, slots=True)
class StartupReport:
    """How long start-up took (seconds) and what loaded."""

    seconds: float
    languages: tuple[str, ...]


class Runtime:
    """The process-wide resources of ``dhe serve``.

    Args:
        config: the engine config.
        var: folder of the sandboxes' SQLite files, logs and the default engine database
            (default: :func:`engine.systems.state_dir`).
        renderer_factory: makes one session's avatar backend (default: this process's
            OpenGL renderer of the configured avatar, :func:`gl_renderer_factory`).
    """

    def __init__(
        self,
        config: EngineConfig,
        var: Path | None = None,
        *,
        renderer_factory: RendererFactory | None = None,
    ) -> None:
        self.config = config
        self.var = var
        self.hearing = Hearing(config)
        self.voices = Voices(config.tts)
        self.metrics = ServerMetrics()
        #: The session audit (set by :meth:`start`, on the engine database of the systems).
        self.audit: SessionAudit | None = None
        #: Business systems that did not answer at start: system → why.
        self.unavailable: dict[str, str] = {}
        self.vad_executor = ThreadPoolExecutor(max_workers=2, thread_name_prefix="dhe-vad")
        self.asr_executor = ThreadPoolExecutor(max_workers=2, thread_name_prefix="dhe-asr")
        #: The end-of-turn model (``vad.turn_model``; None when off), loaded by :meth:`start`,
        #: with a thread of its own: the speculative decode on the ASR executor starts before
        #: the check and would delay the verdict past the silence timeout.
        self.turn_model: SmartTurn | None = None
        self.turn_executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="dhe-turn")
        self.asr_inflight = InflightCounter()
        self.cpu = CpuLoad()
        self.cpu.busy()  # first sample
        self.ready = False
        #: Why start-up failed (one line), shown by ``/healthz``; ``None`` while starting or ready.
        self.startup_error: str | None = None
        self.connectors: Any = None
        #: The embedded sandbox processes (set by :meth:`start`; None with real systems).
        self.sandboxes: SandboxCluster | None = None
        self._avatar: Any = None
        self._dialogs: dict[str, DialogEngine] = {}
        self._dialog_lock = asyncio.Lock()
        self._renderer_factory = renderer_factory
        #: The session avatar backends (set by :meth:`start`).
        self.renderers: RendererPool | None = None
        self._stack = AsyncExitStack()

    async def start(self) -> StartupReport:
        """Start the sandboxes (embedded mode) and load the default models.

        Business systems that cannot be used are reported, not fatal (:func:`open_systems`).

        Raises:
            ConfigError: a setting names a model, avatar or voice that is not there
                (:func:`engine.config_check.check_references`, checked before anything
                loads, so a bad setting costs no warm-up).
            Exception: a model that cannot load, or an invalid connector declaration (the
                server must not go ready).
        """
        loop = asyncio.get_running_loop()
        t0 = loop.time()
        cfg = self.config
        problems = await asyncio.to_thread(check_references, cfg)
        if problems:
            raise ConfigError("config", problems)
        systems = await timed(
            "sandboxes", self._stack.enter_async_context(open_systems(cfg, var=self.var))
        )
        self.connectors, self.audit = systems.connector, systems.session_audit
        self.unavailable = systems.unavailable
        self.sandboxes = systems.cluster
        languages = tuple(lang for lang in ("en", "zh") if self.hearing.can_hear(lang))

        def load_avatar() -> None:
            self._avatar = load_configured_avatar(cfg.avatar)

        # One step per model and language: a stop during warm-up starts no further step.
        size = (cfg.server.video_width, cfg.server.video_height)
        model_steps = [
            *((f"ASR {lang}", partial(warm_hearing, self.hearing, (lang,))) for lang in languages),
            *((f"voice {lang}", partial(self.voices.warm_up, (lang,))) for lang in cfg.tts.voices),
            ("avatar", load_avatar),
            ("video encoders", partial(warm_video_encoders, *size)),
        ]

        def load_turn() -> None:
            self.turn_model = load_turn_model(cfg.vad.turn_model, cfg.vad.turn_model_threads)

        def check_turn() -> None:
            if self.turn_model is not None:
                self.turn_model.check(warm_audio())  # onnxruntime's first run

        await _all_or_none(
            run_steps(self.asr_executor, model_steps),
            run_steps(self.turn_executor, (("turn model", load_turn), ("turn check", check_turn))),
            self._warm_packs(cfg.dialog.domain),
        )
        factory = self._renderer_factory or gl_renderer_factory(self._avatar, cfg)
        # Idle backends kept for reuse: as many as sessions may run at once, plus a spare of
        # each size the page asks for (square or portrait, web_client's videoSizeFor).
        keep = cfg.server.max_sessions + 2 * RENDERER_POOL
        self.renderers = RendererPool(factory, keep=keep)
        await timed("renderer", self.renderers.warm())
        self.ready = True
        self.metrics.ready.set(1)
        return StartupReport(loop.time() - t0, languages)

    async def _warm_packs(self, default: str) -> None:
        """Load the configured pack, then every other pack a visitor's offer may name
        (``?domain=tax``), so no first visitor of a pack waits for its load (~2 s of CPU a pack
        with its embedding cache, ~18 s seen on a busy machine).

        Raises:
            ApiError: the configured pack is unknown or invalid (the server must not go
                ready); another pack that cannot load is logged and stays refused per offer.
        """
        await timed("dialog " + default, self.dialog_engine(default))
        for domain in known_packs(self.config.dialog.packs_dir):
            if domain == default:
                continue
            try:
                await timed("dialog " + domain, self.dialog_engine(domain))
            except ApiError as exc:  # logged by dialog_engine; offers naming it get a 400
                log.warning("warm-up: dialog %s not loaded: %s", domain, exc.message)

    async def dialog_engine(self, domain: str) -> DialogEngine:
        """The loaded engine of ``domain`` (trained once, then shared).

        Raises:
            ApiError: 400 ``unknown-domain`` when no such pack exists or it is invalid.
        """
        async with self._dialog_lock:
            if domain not in self._dialogs:
                cfg = self.config.dialog

                def load() -> DialogEngine:
                    # this thread's context only: a pack's first load embeds its lines
                    embedding_progress.set(partial(_embedding_progress, domain))
                    encoder = sentence_encoder(cfg.embedding_model)  # loaded once per process
                    return DialogEngine.load(
                        domain,
                        self.connectors,
                        cfg.packs_dir,
                        encoder=encoder,
                        llm=cfg.llm.settings(),
                        reranker=section_reranker(cfg.rerank_model),
                    )

                problem = unknown_pack_message(domain, cfg.packs_dir)
                if problem is not None:  # the client learns the names, never a server path
                    raise ApiError(400, "unknown-domain", f"domain {domain!r}: {problem}")
                try:
                    self._dialogs[domain] = await asyncio.to_thread(load)
                except (FileNotFoundError, PackError) as exc:
                    log.error("domain pack %r cannot be loaded: %s", domain, exc)
                    raise ApiError(
                        400,
                        "unknown-domain",
                        f"domain pack {domain!r} is invalid; see the server log",
                    ) from exc
            return self._dialogs[domain]

    def check_turn(self, audio: np.ndarray) -> asyncio.Future[float]:
        """Run the end-of-turn model on float32 (n,) 16 kHz ``audio`` (the turn's last ≤ 8 s,
        trailing pause included) on its executor; resolves to the probability that the turn is
        complete.

        Raises:
            RuntimeError: no turn model is loaded (``vad.turn_model: off``).
        """
        model = self.turn_model
        if model is None:
            raise RuntimeError("no turn model is loaded")
        loop = asyncio.get_running_loop()
        return loop.run_in_executor(self.turn_executor, lambda: model.check(audio).probability)

    async def take_renderer(self, size: tuple[int, int] | None = None) -> FrameRenderer:
        """An avatar backend for a new session (one an ended session gave back, else a fresh
        one), at the configured video size or the (width, height) the session's offer asked
        for."""
        assert self.renderers is not None, "the runtime has not started"
        return await self.renderers.take(size)

    def give_back_renderer(self, renderer: FrameRenderer) -> None:
        """Return a session's avatar backend to the pool (the next session reuses it)."""
        if self.renderers is not None:
            self.renderers.give_back(renderer)
        else:
            renderer.close()

    async def close(self) -> None:
        """Stop the sandboxes, renderers and executors."""
        self.ready = False
        if self.renderers is not None:
            self.renderers.close()
        try:
            await self._stack.aclose()
        except Exception:  # shutting down: the executors below must still be released
            log.exception("closing the business systems failed")
        self.vad_executor.shutdown(wait=False, cancel_futures=True)
        self.asr_executor.shutdown(wait=False, cancel_futures=True)
        self.turn_executor.shutdown(wait=False, cancel_futures=True)
