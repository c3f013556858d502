"""Fault injection for the sandbox services: latency, error rate, malformed bodies.

Configured at start (``--faults JSON`` or env ``DHE_SANDBOX_FAULTS``) and changeable at runtime
through the test-only endpoint ``PUT /_test/faults``. Faults apply to the business API (``/v1/…``)
only, never to ``/healthz``, ``/oauth/token`` or ``/_test/…``.

The decision of what to do with one request is a pure function of the config, a random draw and
the counters (:meth:`FaultState.decide`), so tests can reason about it.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class FaultConfig(BaseModel):
    """What the sandbox does wrong, on purpose.

    Attributes:
        latency_ms: extra delay before every business request is handled, milliseconds.
        error_rate: probability (0..1) that a request answers HTTP 500 without being handled.
        malformed_rate: probability (0..1) that a request answers 200 with a broken JSON body
            (not handled either).
        fail_next: the next N business requests answer 500 without being handled.
        fail_after_commit_next: the next N side-effecting requests (freeze, booking, ticket) are
            carried out and committed, then answer 500 — a lost response, as after a network cut.
        path_prefix: only requests whose path starts with this are affected.
        seed: seed of the random draws, for reproducible runs.
    """

    model_config = ConfigDict(extra="forbid")

    latency_ms: float = Field(0.0, ge=0, le=60_000)
    error_rate: float = Field(0.0, ge=0, le=1)
    malformed_rate: float = Field(0.0, ge=0, le=1)
    fail_next: int = Field(0, ge=0)
    fail_after_commit_next: int = Field(0, ge=0)
    path_prefix: str = "/v1/"
    seed: int | None = None


Action = Literal["pass", "error", "malformed"]


@dataclass(slots=True)
class FaultState:
    """Live fault settings of one sandbox process, with their counters."""

    config: FaultConfig = field(default_factory=FaultConfig)
    rng: random.Random = field(default_factory=random.Random)

    def replace(self, config: FaultConfig) -> None:
        """Swap in a new config (counters and seed come from it)."""
        self.config = config
        self.rng = random.Random(config.seed)

    def applies_to(self, path: str) -> bool:
        """Whether a request path is subject to faults."""
        return path.startswith(self.config.path_prefix)

    def decide(self) -> Action:
        """Draw what to do with one business request (consumes ``fail_next``)."""
        cfg = self.config
        if cfg.fail_next > 0:
            self.config = cfg.model_copy(update={"fail_next": cfg.fail_next - 1})
            return "error"
        draw = self.rng.random()
        if draw < cfg.error_rate:
            return "error"
        if draw < cfg.error_rate + cfg.malformed_rate:
            return "malformed"
        return "pass"

    def take_fail_after_commit(self) -> bool:
        """Whether this side-effecting request should lose its response (consumes one)."""
        cfg = self.config
        if cfg.fail_after_commit_next > 0:
            self.config = cfg.model_copy(
                update={"fail_after_commit_next": cfg.fail_after_commit_next - 1}
            )
            return True
        return False
