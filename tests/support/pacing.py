"""Pacing for the scripted visitor's own media tracks (microphone and camera)."""

from __future__ import annotations

import asyncio


async def wait_for_frame(start: float | None, n: int, period_s: float) -> float:
    """Sleep until frame ``n`` is due, ``n * period_s`` seconds after ``start`` on the running
    loop's clock (absolute times, so lateness does not accumulate as drift).

    Args:
        start: loop time of frame 0, or ``None`` on the first call (then now).
        n: the frame's index from 0.
        period_s: seconds per frame (20 ms audio frames, ``1 / fps`` video frames).

    Returns:
        ``start`` (now, when it was ``None``), for the caller to keep.
    """
    loop = asyncio.get_running_loop()
    if start is None:
        start = loop.time()
    wait = start + n * period_s - loop.time()
    if wait > 0:
        await asyncio.sleep(wait)
    return start
