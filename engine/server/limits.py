"""Per-client-address limits of ``dhe serve``, without I/O (time is passed in, in seconds).

Anyone on the kiosk's network can reach its port, so no one address may hold what other
visitors need:

* :func:`client_address` — who is asking: the peer's address, or the address a trusted proxy
  (``server.trusted_proxies``) says it forwarded for (``X-Forwarded-For``);
* :class:`TokenBucket` — a rate limit (offers per minute, events-socket messages per second);
* :class:`AddressLimits` — the counts the server keeps per address: offers whose media has not
  connected yet (``server.limits.connecting_per_address``, and in all
  ``connecting_total``), live sessions (``sessions_per_address``), and the rate buckets.

The token bucket is the classic one (RFC 2697's single-rate meter without colours): ``burst``
tokens, refilled at ``rate_per_s``; each request takes one or is refused.
"""

from __future__ import annotations

import ipaddress
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
#: A socket over its message rate is told so at most once in this many seconds.
REFUSAL_INTERVAL_S = 5.0


def parse_networks(entries: Iterable[str]) -> tuple[IPNetwork, ...]:
    """``["10.0.0.0/8", "127.0.0.1"]`` → networks (a bare address is a /32 or /128).

    Raises:
        ValueError: an entry is not an address or network.
    """
    return tuple(ipaddress.ip_network(entry.strip(), strict=False) for entry in entries)


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text.strip().strip("[]"))
    except ValueError:
        return None


def _trusted(address: str, proxies: tuple[IPNetwork, ...]) -> bool:
    ip = _address(address)
    return ip is not None and any(ip in net for net in proxies)


def client_address(
    peer: str | None, forwarded_for: Iterable[str], proxies: tuple[IPNetwork, ...]
) -> str:
    """The visitor's address.

    The peer's own address, unless the peer is a trusted proxy: then the right-most address in
    ``X-Forwarded-For`` that is not itself a trusted proxy (each proxy appends the address it
    received from; the left-most entries are whatever the client claimed, never believed).

    Args:
        peer: the TCP peer's address (None when unknown, e.g. a Unix socket).
        forwarded_for: the values of every ``X-Forwarded-For`` header, in order.
        proxies: ``server.trusted_proxies``.

    Returns:
        An address as text (``"unknown"`` when there is none).
    """
    if not peer:
        return "unknown"
    if not _trusted(peer, proxies):
        return peer
    hops = [h.strip() for value in forwarded_for for h in value.split(",") if h.strip()]
    for hop in reversed(hops):
        if not _trusted(hop, proxies):
            return hop if _address(hop) is not None else peer
    return peer


@dataclass(slots=True)
class TokenBucket:
    """A token bucket (module docstring).

    Args:
        rate_per_s: tokens added per second.
        burst: the most tokens held (and the start value).
    """

    rate_per_s: float
    burst: float
    tokens: float = field(init=False)
    updated_s: float | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        self.tokens = self.burst

    def take(self, now_s: float) -> bool:
        """Take one token at time ``now_s``; False when there is none (the request is refused)."""
        if self.updated_s is not None:
            elapsed = max(0.0, now_s - self.updated_s)
            self.tokens = min(self.burst, self.tokens + elapsed * self.rate_per_s)
        self.updated_s = now_s
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return True
        return False

    def wait_s(self) -> float:
        """Seconds until the next token (0 when one is there)."""
        return 0.0 if self.tokens >= 1.0 else (1.0 - self.tokens) / self.rate_per_s

    def full_at(self) -> float:
        """The time (s) the bucket is full again (it can then be forgotten)."""
        missing = self.burst - self.tokens
        return (self.updated_s or 0.0) + missing / self.rate_per_s


@dataclass(frozen=True, slots=True)
class LimitSettings:
    """The numbers of ``server.limits`` (see :class:`engine.config.LimitsConfig`)."""

    connecting_per_address: int = 2
    connecting_total: int = 8
    sessions_per_address: int = 2
    offers_per_minute: float = 30.0
    messages_per_s: float = 5.0
    message_burst: int = 20

    @property
    def offer_burst(self) -> float:
        """Offers an address may make at once: a tenth of a minute's worth (10 s), at least 1."""
        return max(1.0, self.offers_per_minute / 6)


class LimitExceeded(Exception):
    """A request over a per-address limit: a stable ``code``, a reason, and when to retry."""

    def __init__(self, code: str, message: str, retry_after_s: float) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.retry_after_s = retry_after_s


class AddressLimits:
    """What each client address holds and how fast it asks (module docstring).

    Args:
        settings: the limits.
    """

    def __init__(self, settings: LimitSettings) -> None:
        self.settings = settings
        self.connecting: Counter[str] = Counter()
        self.live: Counter[str] = Counter()
        self._offers: dict[str, TokenBucket] = {}
        self._messages: dict[str, TokenBucket] = {}

    def check_offer(self, address: str, now_s: float) -> None:
        """A new offer from ``address`` at ``now_s``: counted against its offer rate.

        Raises:
            LimitExceeded: ``too-many-offers`` (rate), ``too-many-connecting`` (its offers not
                yet connected, or everyone's).
        """
        s = self.settings
        self._forget_full(now_s)
        bucket = self._offers.setdefault(
            address, TokenBucket(s.offers_per_minute / 60.0, s.offer_burst)
        )
        if not bucket.take(now_s):
            raise LimitExceeded(
                "too-many-offers",
                f"too many offers from this address: at most {s.offer_burst:g} at once, then "
                f"{s.offers_per_minute:g} a minute (one every {60 / s.offers_per_minute:g} s); "
                "refused offers (malformed, bad SDP, over capacity) count too",
                bucket.wait_s(),
            )
        self.check_connecting(address)

    def check_connecting(self, address: str) -> None:
        """Room in the connecting pool for one more session of ``address``?

        Raises:
            LimitExceeded: ``too-many-connecting`` (its offers not yet connected, or everyone's).
        """
        s = self.settings
        if self.connecting[address] >= s.connecting_per_address:
            raise LimitExceeded(
                "too-many-connecting",
                f"this address already has {self.connecting[address]} sessions waiting for "
                "their media connection",
                5.0,
            )
        if sum(self.connecting.values()) >= s.connecting_total:
            raise LimitExceeded(
                "too-many-connecting", "too many sessions are waiting for their media", 5.0
            )

    def check_live(self, address: str) -> None:
        """A new session for ``address``: within its share of sessions? Its live sessions and
        those waiting for their media count, since each of those may go live (newcomer #10:
        three offers answered at once all went live). Asked after the server's own capacity,
        so a full server answers 503 whoever asks.

        Raises:
            LimitExceeded: ``too-many-sessions-from-address``.
        """
        live, connecting = self.live[address], self.connecting[address]
        if live + connecting >= self.settings.sessions_per_address:
            waiting = f" and {connecting} connecting" if connecting else ""
            raise LimitExceeded(
                "too-many-sessions-from-address",
                f"this address already has {live} live sessions{waiting} (at most "
                f"{self.settings.sessions_per_address})",
                10.0,
            )

    def message(self, address: str, now_s: float) -> bool:
        """An events-socket message from ``address`` at ``now_s``: True when it may be handled
        (its address's bucket had a token), False when it must be dropped."""
        s = self.settings
        bucket = self._messages.get(address)
        if bucket is None:
            self._forget_full(now_s)
            bucket = self._messages[address] = TokenBucket(s.messages_per_s, s.message_burst)
        return bucket.take(now_s)

    def add(self, counter: Counter[str], address: str) -> None:
        """Count one more (``connecting`` or ``live``) for ``address``."""
        counter[address] += 1

    def remove(self, counter: Counter[str], address: str) -> None:
        """Count one less; an address at zero is forgotten."""
        counter[address] -= 1
        if counter[address] <= 0:
            del counter[address]

    def _forget_full(self, now_s: float) -> None:
        """Drop the buckets that have refilled (they hold nothing worth keeping)."""
        for buckets in (self._offers, self._messages):
            for address in [a for a, b in buckets.items() if b.full_at() <= now_s]:
                del buckets[address]


class MessageLimiter:
    """One events socket's share of its address's message rate.

    A message over the rate is dropped; at most one in :data:`REFUSAL_INTERVAL_S` is answered
    (one ``rate-limited`` error event), so a flood cannot make the server flood back.

    Args:
        limits: the server's per-address limits.
        address: the socket's client address.
    """

    def __init__(self, limits: AddressLimits, address: str) -> None:
        self.limits = limits
        self.address = address
        self._refused_s: float | None = None

    def verdict(self, now_s: float) -> Literal["handle", "refuse", "drop"]:
        """What to do with a message arriving at ``now_s``: ``handle`` it, ``refuse`` it (drop
        it and send one error event) or ``drop`` it silently."""
        if self.limits.message(self.address, now_s):
            return "handle"
        if self._refused_s is not None and now_s - self._refused_s < REFUSAL_INTERVAL_S:
            return "drop"
        self._refused_s = now_s
        return "refuse"
