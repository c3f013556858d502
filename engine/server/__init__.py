"""The realtime server (``dhe serve``): the live transport around the engine's turn loop —
WebRTC sessions with streaming hearing, barge-in and a lip-synced avatar video track.

Modules, one job each: :mod:`~engine.server.app` (HTTP routes), :mod:`~engine.server.socket`
(the events WebSocket), :mod:`~engine.server.feed` (a session's events queued for it),
:mod:`~engine.server.protocol` (wire formats; events serialised), :mod:`~engine.server.registry`
(which sessions live, admission), :mod:`~engine.server.session` (one visitor),
:mod:`~engine.server.hearing_parts` (a session's hearing side wired from config),
:mod:`~engine.server.lifecycle` (state events, timers, tasks), :mod:`~engine.server.listening`
(inbound audio → VAD → endpointing), :mod:`~engine.server.turn_taking` (decisions → turns),
:mod:`~engine.server.transcribing` (Whisper decodes), :mod:`~engine.server.media`,
:mod:`~engine.server.audio_track` and :mod:`~engine.server.video_track` (outbound media, the live
outbox), :mod:`~engine.server.runtime` and :mod:`~engine.server.renderers` (what sessions
share), :mod:`~engine.server.rtc` (aiortc set-up), :mod:`~engine.server.clock`,
:mod:`~engine.server.endpointing` and :mod:`~engine.server.echo` (sans-IO cores),
:mod:`~engine.server.metrics` (Prometheus), :mod:`~engine.server.load` (CPU load). The turn
itself is :mod:`engine.turns`.
"""
