"""engine.server.registry.InProcessRegistry: admission counts live and pending sessions against
the capacity, a failed offer gives its slot back, and a session is found until removed."""

from __future__ import annotations

import pytest

from engine.server.registry import InProcessRegistry, RegistryCounts, RegistryFull


async def test_admission_create_release_remove() -> None:
    registry: InProcessRegistry[str] = InProcessRegistry(capacity=2)
    first = await registry.admit()
    second = await registry.admit()
    assert await registry.counts() == RegistryCounts(live=0, pending=2, capacity=2)
    with pytest.raises(RegistryFull) as full:
        await registry.admit()  # two offers being negotiated fill it too
    assert full.value.capacity == 2
    await registry.create(first, "s1", "session one")
    await registry.release(second)  # the second offer failed: its slot is free again
    await registry.release(second)  # idempotent
    assert await registry.counts() == RegistryCounts(live=1, pending=0, capacity=2)
    assert await registry.get("s1") == "session one" and await registry.get("s2") is None
    third = await registry.admit()
    await registry.create(third, "s3", "session three")
    with pytest.raises(RegistryFull):
        await registry.admit()
    assert sorted(registry.local()) == ["session one", "session three"]
    await registry.remove("s1")
    await registry.remove("s1")  # idempotent
    assert await registry.get("s1") is None
    assert (await registry.counts()).live == 1
    await registry.admit()  # a slot again


async def test_an_admission_is_used_once() -> None:
    registry: InProcessRegistry[str] = InProcessRegistry(capacity=1)
    admission = await registry.admit()
    await registry.create(admission, "s1", "one")
    with pytest.raises(KeyError):
        await registry.create(admission, "s2", "two")
    await registry.release(admission)  # after create: a no-op, the slot stays the session's
    assert await registry.counts() == RegistryCounts(live=1, pending=0, capacity=1)
