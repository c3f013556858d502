"""engine.reply.ReplyHandle: one reply's cancel scope and the futures the session reacts to
(no I/O: the work is plain coroutines on the test's event loop)."""

from __future__ import annotations

import asyncio

import pytest

from engine.reply import ReplyHandle


async def test_a_reply_that_plays_out_resolves_first_audio_then_played() -> None:
    seen: list[str] = []

    async def work(handle: ReplyHandle) -> None:
        await asyncio.sleep(0)
        handle.audio_started(12.5)
        await asyncio.sleep(0)
        handle.audio_done()

    handle = ReplyHandle.start("t1", work)
    handle.first_audio.add_done_callback(lambda f: seen.append(f"speaking at {f.result()}"))
    handle.played.add_done_callback(lambda f: seen.append("idle"))
    assert handle.active and handle.busy
    await handle.wait()
    await asyncio.sleep(0)  # callbacks run on the next loop iteration
    assert seen == ["speaking at 12.5", "idle"]
    assert not handle.active and not handle.busy
    assert not handle.interrupted.done()
    assert handle.interrupt() is False  # nothing left to cut


async def test_work_without_audio_still_resolves_played() -> None:
    async def work(handle: ReplyHandle) -> None:
        return None  # a noise turn: no reply at all

    handle = ReplyHandle.start("t2", work)
    await handle.wait()
    assert handle.played.done() and not handle.played.cancelled()
    assert handle.first_audio.cancelled()  # no audio ever went out


async def test_interrupt_cancels_the_one_scope_where_it_waits() -> None:
    reached: list[str] = []
    gate: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    async def work(handle: ReplyHandle) -> None:
        reached.append("dialog")
        try:
            await gate  # e.g. a slow connector call or the final decode
        except asyncio.CancelledError:
            reached.append("cancelled at the await")
            raise
        reached.append("never")

    handle = ReplyHandle.start("t3", work)
    await asyncio.sleep(0)
    assert handle.interrupt(onset_s=3.25, reason="barge-in") is True
    await handle.wait()
    assert reached == ["dialog", "cancelled at the await"]
    interruption = handle.interrupted.result()
    assert (interruption.onset_s, interruption.reason) == (3.25, "barge-in")
    assert handle.first_audio.cancelled() and handle.played.cancelled()
    assert not handle.busy and not handle.active
    assert handle.interrupt() is False  # idempotent
    assert handle.task is not None and handle.task.cancelled()


async def test_a_failing_reply_settles_its_futures_and_keeps_the_error() -> None:
    async def work(handle: ReplyHandle) -> None:
        handle.audio_started(1.0)
        raise RuntimeError("pack bug")

    handle = ReplyHandle.start("t4", work)
    await handle.wait()
    assert handle.played.done() and not handle.busy
    assert handle.task is not None
    with pytest.raises(RuntimeError, match="pack bug"):
        handle.task.result()


async def test_audio_started_counts_only_the_first_sample() -> None:
    handle = ReplyHandle("t5")
    handle.audio_started(1.0)
    handle.audio_started(2.0)
    assert handle.first_audio.result() == 1.0
    handle.audio_done()
    assert handle.played.done() and handle.first_audio.result() == 1.0
