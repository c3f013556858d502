"""The serving sections of the engine configuration: how ``dhe serve`` is reached and bounded
(``server``: transport, ICE/TURN, per-address limits, endpointing and barge-in, video) and how
replicas share sessions (``cluster``), with their defaults, bounds and checks. The sections of
what the engine does (hearing, speaking, the avatar, the dialog) are
:mod:`engine.config_sections`; import both from :mod:`engine.config`, which re-exports them.
"""

from __future__ import annotations

import ipaddress
import logging
from typing import TYPE_CHECKING

from pydantic import Field, field_validator, model_validator

from engine.config_sections import _Section

if TYPE_CHECKING:
    from engine.server.limits import LimitSettings

log = logging.getLogger(__name__)


class TurnServerConfig(_Section):
    """One TURN server for visitors behind NAT; the password comes from an environment variable."""

    url: str  # "turn:turn.example.org:3478?transport=udp" or "turns:…"
    username: str = ""
    password_env: str = ""  # name of the variable holding the credential (never in YAML)


class LimitsConfig(_Section):
    """Per-client-address limits of ``dhe serve`` (``engine.server.limits``): no one address may
    hold the slots or the attention other visitors need."""

    connecting_per_address: int = Field(2, ge=1, le=64)  # offers whose media is not up yet
    connecting_total: int = Field(8, ge=1, le=1024)  # the same, all addresses together
    sessions_per_address: int = Field(2, ge=1, le=256)  # live sessions
    offers_per_minute: float = Field(30.0, gt=0.0, le=1_000_000.0)  # sustained; burst: a sixth
    messages_per_s: float = Field(5.0, gt=0.0, le=10_000.0)  # events-socket messages, sustained
    message_burst: int = Field(20, ge=1, le=100_000)  # … and in a burst

    def settings(self) -> LimitSettings:
        """The limits core's settings from this section."""
        from engine.server.limits import LimitSettings

        return LimitSettings(**self.model_dump())


class ServerConfig(_Section):
    """The realtime server (``dhe serve``): transport, limits, endpointing and barge-in."""

    host: str = "127.0.0.1"
    port: int = Field(8080, ge=0, le=65535)
    # aiortc's default is a public Google STUN server, unreachable from kiosks behind firewalls;
    # empty means host candidates only (aiortc's default STUN server is unreachable there).
    ice_servers: list[str] = Field(default_factory=list)  # "stun:host:port" URLs
    turn_servers: list[TurnServerConfig] = Field(default_factory=list)
    max_sessions: int = Field(4, ge=1, le=256)
    idle_timeout_s: float = Field(300.0, ge=5.0, le=86400.0)
    # This long before the idle timeout the avatar asks once whether the visitor is still there
    # and that the session will end and its data be wiped (engine/server/idle_watch.py); at
    # most half the timeout; 0 = never. 30 s: WCAG 2.2 success criterion 2.2.1 (Timing
    # Adjustable) asks that a user be warned before a time limit and given at least 20 s to
    # extend it with a simple action; the question itself takes about 8-10 s to say.
    idle_warning_s: float = Field(30.0, ge=0.0, le=3600.0)
    # A session holding account details the visitor gave (a verification token, a card's
    # digits) forgets them after this long with nothing from the visitor, and says so; a
    # question about the account then asks for a fresh one-time code (engine/server/idle_watch.py,
    # dialog/lapse.py; newcomer #15: the account stayed open to the next person for the whole
    # idle timeout). 0 = off; only a value below idle_timeout_s acts. 60 s: a bank kiosk's
    # verified screen, not a visitor who paused to find their phone (the code's own wait).
    verified_idle_s: float = Field(60.0, ge=0.0, le=3600.0)
    # A session whose peer connection is not up this long after the offer is ended (a browser
    # that never completed ICE must not hold a session slot until the idle timeout).
    connect_timeout_s: float = Field(10.0, ge=2.0, le=600.0)
    # Addresses or networks of reverse proxies whose X-Forwarded-For names the visitor.
    trusted_proxies: list[str] = Field(default_factory=list)
    # Origins besides the server's own whose pages may make offers and open events sockets.
    allowed_origins: list[str] = Field(default_factory=list)
    # Name of the environment variable holding the kiosk token offers must carry ("" = none).
    kiosk_token_env: str = ""
    # Extra addresses ICE candidates may use when the server listens on all interfaces.
    ice_addresses: list[str] = Field(default_factory=list)
    health_interval_s: float = Field(1.0, ge=0.2, le=60.0)  # dependency probes (/healthz)
    limits: LimitsConfig = Field(default_factory=LimitsConfig)

    @field_validator("trusted_proxies", "ice_addresses")
    @classmethod
    def _addresses(cls, entries: list[str]) -> list[str]:
        for entry in entries:
            ipaddress.ip_network(entry.strip(), strict=False)  # ValueError names the entry
        return entries

    @model_validator(mode="after")
    def _warning_within_timeout(self) -> ServerConfig:
        """``idle_warning_s`` above half of ``idle_timeout_s`` is capped at half (the question
        needs a silence before it as long as the answer time after it; the server tests' 10 s
        timeout asks after 5 s): intended, so not an error (``default.yaml`` sets 30 s, and a
        shorter timeout alone must not fail the start), but logged as a warning that names the
        lead actually used, where it was capped without a word (fixes18)."""
        lead = min(self.idle_warning_s, self.idle_timeout_s / 2)  # idle_watch.warning_lead
        if lead < self.idle_warning_s:
            log.warning(
                "server.idle_warning_s (%g s) is more than half of server.idle_timeout_s (%g s): "
                '"are you still there?" is asked %g s before the end instead',
                self.idle_warning_s,
                self.idle_timeout_s,
                lead,
            )
        return self

    max_sdp_bytes: int = Field(65536, ge=1024, le=1_048_576)
    max_ws_message_bytes: int = Field(16384, ge=256, le=1_048_576)
    max_text_chars: int = Field(500, ge=1, le=10_000)
    endpoint_silence_ms: float = Field(500.0, ge=100.0, le=5000.0)
    #: Silence (ms) after which the final decode starts, on the audio that has arrived. Below
    #: the 150 ms pad it starts sooner on less trailing audio: at 96 ms a quiet run cut a
    #: Mandarin clip at its inner pause ("…就是 | 给我带来了身体健康", decoded as finished).
    speculative_after_ms: float = Field(150.0, ge=0.0, le=2000.0)
    #: Prepare the reply on that decode while the endpoint still waits — dialog on a trial
    #: copy (no connector call, no LLM) and the first audio, held until the turn ends over the
    #: same audio, dropped when the visitor speaks on (engine.foresight).
    prepare_reply: bool = True
    partial_interval_ms: float = Field(1200.0, ge=300.0, le=10000.0)
    bargein_min_speech_ms: float = Field(200.0, ge=32.0, le=2000.0)
    #: Visitor speech over the avatar this long (not its own voice) silences the reply until
    #: the barge-in is confirmed or dismissed (engine.server.endpointing.OnsetPending); 0: off.
    bargein_hold_ms: float = Field(64.0, ge=0.0, le=2000.0)
    echo_guard: bool = True
    echo_correlation: float = Field(0.7, gt=0.0, lt=1.0)
    video_width: int = Field(512, ge=64, le=2048)
    video_height: int = Field(512, ge=64, le=2048)
    video_fps: int = Field(25, ge=1, le=60)
    greet: bool = False  # say the domain's greeting when a session starts


class ClusterConfig(_Section):
    """Replicas of ``dhe serve`` sharing one session registry in Redis
    (``engine.server.redis_registry``). An empty ``registry_url`` keeps sessions in the process
    (one server, the default). A URL holding a password belongs in ``DHE_CLUSTER__REGISTRY_URL``."""

    registry_url: str = ""  # redis://127.0.0.1:6379/0
    replica_id: str = ""  # unique per replica, [a-z0-9-]; "" = "replica-<port>"
    max_sessions: int = Field(0, ge=0, le=1_000_000)  # whole cluster; 0 = sum of live replicas'
    heartbeat_interval_ms: int = Field(1000, ge=100, le=60_000)
    heartbeat_ttl_ms: int = Field(3000, ge=200, le=600_000)  # silent this long = dead

    @model_validator(mode="after")
    def _ttl_above_interval(self) -> ClusterConfig:
        if self.heartbeat_ttl_ms <= self.heartbeat_interval_ms:
            raise ValueError("heartbeat_ttl_ms must exceed heartbeat_interval_ms")
        return self
