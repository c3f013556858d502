"""The session renderer pool: spares at the configured size, a fresh backend for a session
that asks for another size (its offer's "video"), and only same-size backends kept."""

from __future__ import annotations

from engine.server.renderers import RendererPool


class SizedRenderer:
    """A backend of a given size (a stand-in: the pool only reads sizes and closes)."""

    def __init__(self, width: int = 512, height: int = 512) -> None:
        self.width, self.height, self.closed = width, height, False

    def submit(self, pose, out=None):  # the pool never draws
        raise NotImplementedError

    def close(self) -> None:
        self.closed = True


async def test_sessions_get_the_size_their_offer_asked_for() -> None:
    made: list[SizedRenderer] = []

    def factory(width: int | None = None, height: int | None = None) -> SizedRenderer:
        made.append(SizedRenderer(width or 512, height or 512))
        return made[-1]

    pool = RendererPool(factory)
    await pool.warm()
    square = await pool.take()
    assert (square.width, square.height) == (512, 512) and square is made[0]
    portrait = await pool.take((432, 768))
    assert (portrait.width, portrait.height) == (432, 768)
    same = await pool.take((512, 512))
    assert (same.width, same.height) == (512, 512)
    pool.give_back(portrait)  # another size: not kept for the next square session
    assert portrait.closed
    pool.close()
