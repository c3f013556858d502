"""The realtime server (``dhe serve``): WebRTC sessions with streaming hearing, barge-in and a
lip-synced avatar video track.

Modules, one job each: :mod:`~engine.server.app` (HTTP routes), :mod:`~engine.server.protocol`
(wire formats), :mod:`~engine.server.rtc` (aiortc set-up), :mod:`~engine.server.runtime` (shared
models), :mod:`~engine.server.session` (one visitor), :mod:`~engine.server.turns` (one turn),
:mod:`~engine.server.speaking` (reply speech + cancel handle), :mod:`~engine.server.listening`
(inbound audio → VAD → ASR), :mod:`~engine.server.tracks` (outbound tracks),
:mod:`~engine.server.media` (one session's outbound media and render pacing),
:mod:`~engine.server.clock`, :mod:`~engine.server.endpointing` and :mod:`~engine.server.echo`
(sans-IO cores), :mod:`~engine.server.metrics` (Prometheus).
"""
