"""A live session's hearing side, wired from config: endpointer → listener → turn taking.

:func:`build_hearing` makes the parts one visitor's microphone goes through — the endpointer
(``server`` and ``vad`` settings, with the semantic turn policy when the turn model is loaded),
the session's decoder and :class:`~engine.server.transcribing.Transcriber` on the shared ASR
executor, the :class:`~engine.server.listening.Listener` (VAD on the shared VAD executor) and
:class:`~engine.server.turn_taking.TurnTaking` — and connects the listener's decisions to the
turn taking. The session keeps the parts and is the turn taking's sink; anything that sits
between listener and turn taking (the speaker gate) re-points ``listener.on_decision``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from engine.audio.turn_policy import SemanticEndpointer, policy_settings, semantic_endpointer
from engine.observers import EventBus
from engine.server.echo import EchoGuard
from engine.server.endpointing import EndpointSettings
from engine.server.listening import Listener
from engine.server.runtime import Runtime
from engine.server.transcribing import SessionDecoder, Transcriber
from engine.server.turn_taking import TurnSink, TurnTaking


def endpoint_settings(runtime: Runtime) -> EndpointSettings:
    """The endpointing tunables from config (``server`` and ``vad`` sections)."""
    s, v = runtime.config.server, runtime.config.vad
    return EndpointSettings(
        threshold=v.threshold,
        min_speech_ms=v.min_speech_ms,
        bargein_min_speech_ms=s.bargein_min_speech_ms,
        bargein_hold_ms=s.bargein_hold_ms,
        endpoint_silence_ms=s.endpoint_silence_ms,
        speculative_after_ms=s.speculative_after_ms,
        partial_interval_ms=s.partial_interval_ms,
        pad_ms=v.pad_ms,
        max_turn_ms=v.max_turn_s * 1000.0,
    )


@dataclass(frozen=True, slots=True)
class HearingParts:
    """The hearing side of one session (see the module docstring)."""

    endpointer: SemanticEndpointer
    decoder: SessionDecoder
    transcriber: Transcriber
    listener: Listener
    turn_taking: TurnTaking


def build_hearing(
    session_id: str,
    runtime: Runtime,
    *,
    language: str,
    bus: EventBus,
    sink: TurnSink,
    echo: EchoGuard | None,
    next_turn_id: Callable[[], str],
    clock: Callable[[], float],
    awaited: Callable[[], str | None],
) -> HearingParts:
    """Wire one session's hearing parts (see the module docstring).

    Args:
        session_id: for events and turn ids.
        runtime: the server's shared models, executors and config.
        language: the session's language setting (``auto``, ``en``, ``zh``).
        bus: the session's bus.
        sink: where turns go (the session).
        echo: the echo guard fed by the reply audio sent (None when off).
        next_turn_id: gives a fresh turn id.
        clock: the event loop's clock (seconds).
        awaited: what the dialog's question waits for, read at each decode
            (:meth:`dialog.session.DialogSession.awaited_answer`: a ``digits`` question gets
            ``asr.digits_prompts``).
    """
    cfg = runtime.config
    endpointer = semantic_endpointer(
        endpoint_settings(runtime),
        policy_settings(cfg.vad, cfg.server.endpoint_silence_ms),
        model_on=runtime.turn_model is not None,
    )
    decoder = SessionDecoder(runtime.hearing, language, awaited)
    transcriber = Transcriber(
        decoder, runtime.asr_executor, runtime.asr_inflight, runtime.cpu.behind
    )
    listener = Listener(endpointer, echo, runtime.vad_executor, lambda d, t: None)
    turn_taking = TurnTaking(
        session_id,
        bus,
        listener,
        transcriber,
        next_turn_id,
        sink,
        clock,
        runtime.check_turn if runtime.turn_model is not None else None,
    )
    listener.on_decision = turn_taking.on_decision
    return HearingParts(endpointer, decoder, transcriber, listener, turn_taking)
