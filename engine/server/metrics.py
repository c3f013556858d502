"""Prometheus metrics of one server (``GET /metrics``), on a registry owned by the app.

A registry per app (not the library's global one) keeps two servers in one process — tests —
apart. Latencies are histograms in seconds (Prometheus convention); stage timings use the
pipeline's stage names (``engine.events.STAGES``) as the ``stage`` label. :meth:`ServerMetrics.observe` is
subscribed to every session's bus (an observer, off the data path).
"""

from __future__ import annotations

from collections.abc import Mapping

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from engine.events import Event, Interrupted, TurnMetrics

#: Histogram buckets for turn latencies (seconds).
LATENCY_BUCKETS = (0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1.0, 1.25, 1.5, 2.0, 3.0, 5.0, 10.0)


class ServerMetrics:
    """The server's counters, gauges and histograms."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.ready = Gauge("dhe_ready", "1 once the models are loaded", registry=r)
        self.sessions_active = Gauge("dhe_sessions_active", "live sessions", registry=r)
        self.sessions_total = Counter("dhe_sessions", "sessions created", registry=r)
        self.sessions_rejected = Counter(
            "dhe_sessions_rejected", "offers refused", ["reason"], registry=r
        )
        self.session_errors = Counter(
            "dhe_session_errors", "sessions ended by a failure", ["code"], registry=r
        )
        self.turns = Counter("dhe_turns", "visitor turns", ["kind"], registry=r)
        self.barge_ins = Counter(
            "dhe_barge_ins", "replies the visitor spoke over (barge-in)", registry=r
        )
        self.replies_cut = Counter(
            "dhe_replies_interrupted",
            "replies cut before they ended: barge-in, new-turn (a typed line or keypad entry), "
            "session-ended",
            ["reason"],
            registry=r,
        )
        self.prepared_replies = Counter(
            "dhe_prepared_replies",
            "replies prepared during the endpoint wait: kept for the turn that ended, or dropped",
            ["outcome"],
            registry=r,
        )
        self.stage_seconds = Histogram(
            "dhe_stage_seconds",
            "per-turn stage durations in seconds, by stage (the turn's timings_ms names less "
            "their _ms: asr, nlu, tts_first_audio, ...)",
            ["stage"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.reply_first_audio = Histogram(
            "dhe_reply_first_audio_seconds",
            "end of speech to first reply audio sent (spoken turns: a typed one has no end "
            "of speech)",
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.sessions_connecting = Gauge(
            "dhe_sessions_connecting",
            "answered offers whose media is not connected yet",
            registry=r,
        )
        self.connector_calls = Counter(
            "dhe_connector_calls",
            "business-system calls by outcome (ok or the error code)",
            ["system", "operation", "outcome"],
            registry=r,
        )
        self.connector_seconds = Histogram(
            "dhe_connector_call_seconds",
            "business-system call durations",
            ["system"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.dependency_up = Gauge(
            "dhe_dependency_up",
            "1 while a business system answers its health probe",
            ["name"],
            registry=r,
        )
        self.messages_dropped = Counter(
            "dhe_messages_dropped", "events-socket messages over the rate limit", registry=r
        )
        self.video_frames = Counter("dhe_video_frames", "video frames sent", registry=r)
        self.video_dropped = Counter(
            "dhe_video_frames_dropped", "video frames skipped (renderer late)", registry=r
        )
        self.perception_frames = Counter(
            "dhe_perception_frames", "camera frames analysed (only with consent)", registry=r
        )

    def observe(self, event: Event) -> None:
        """Bus observer: a turn's timings, a reply interrupted (a barge-in only when the
        visitor spoke over it: typing while the avatar speaks is no barge-in)."""
        if isinstance(event, TurnMetrics) and not event.interrupted:  # a cut turn's are partial
            self.observe_turn(event.as_dict())
        elif isinstance(event, Interrupted):
            self.replies_cut.labels(reason=event.reason).inc()
            if event.reason == "barge-in":
                self.barge_ins.inc()

    def observe_turn(self, timings_ms: dict[str, float | None]) -> None:
        """Record one turn's timings (milliseconds; None = did not run) in seconds: a stage
        named ``x_ms`` is labelled ``stage="x"`` (a ``_ms`` label on a seconds histogram read
        as milliseconds, newcomer15)."""
        for stage, ms in timings_ms.items():
            if ms is None:
                continue
            if stage == "reply_first_audio_ms":
                self.reply_first_audio.observe(ms / 1000.0)
            else:
                self.stage_seconds.labels(stage=stage.removesuffix("_ms")).observe(ms / 1000.0)

    def observe_call(self, system: str, operation: str, outcome: str, latency_ms: float) -> None:
        """Router observer: one business-system call (``connectors.router.Router.observe``)."""
        self.connector_calls.labels(system=system, operation=operation, outcome=outcome).inc()
        self.connector_seconds.labels(system=system).observe(latency_ms / 1000.0)

    def observe_dependencies(self, up: Mapping[str, bool]) -> None:
        """Health observer: which business systems answer."""
        for name, ok in up.items():
            self.dependency_up.labels(name=name).set(1 if ok else 0)

    def render(self) -> bytes:
        """The Prometheus text exposition."""
        return generate_latest(self.registry)
