"""Set-ups the dialog tests share: a real session of a shipped pack brought to a flow's
question (:func:`session_at`), a pack's understanding (classifier + knowledge base on the
real sentence encoder, :func:`domain_understanding`), each built the way the server builds it,
the check that it reads a line as out of scope or as a section's answer (:func:`assert_read_as`)
and a pack's own places (:func:`own_places`)."""

from __future__ import annotations

import contextlib
import functools
from collections.abc import AsyncIterator

from dialog.embedding import SentenceEncoder
from dialog.pack import DEFAULT_PACKS_DIR, load_pack
from dialog.session import DialogSession
from dialog.understanding import Understanding
from engine.embeddings import embedding_cache_dir
from tests.conftest import model_folder, trained_dialog


@contextlib.asynccontextmanager
async def session_at(
    domain: str,
    opening: str,
    *,
    name: str,
    language: str = "auto",
    awaits: tuple[str, ...] | None = ("digits",),
) -> AsyncIterator[DialogSession]:
    """A fresh session of ``domain`` (:func:`tests.conftest.trained_dialog`) that has said
    ``opening``, closed after the block.

    Args:
        domain: ``bank`` or ``tax``.
        opening: the visitor's first line ("my card is lost").
        name: the session id.
        language: the session's language (``auto``, ``en``, ``zh``).
        awaits: the kinds of answer the session may wait for after ``opening``
            (:meth:`DialogSession.awaited_answer`: ``digits``, ``date`` …); ``None``: not
            checked.

    Raises:
        AssertionError: the session waits for no answer of the kinds in ``awaits``.
    """
    session = trained_dialog(domain).new_session(name, language=language)
    try:
        await session.handle_text(opening)
        if awaits is not None:
            assert session.awaited_answer() in awaits, session.state.stack
        yield session
    finally:
        session.close()


@functools.cache
def domain_understanding(domain: str) -> Understanding:
    """``domain``'s understanding (intent classifier, knowledge base, question frames) on the
    multilingual-e5-small encoder and the engine's embedding cache (the servers' and
    ``trained_dialog``'s vectors), built once per test process."""
    return Understanding.from_pack(load_pack(DEFAULT_PACKS_DIR / domain), _encoder())


#: What :func:`assert_read_as` expects of a line read as none of the pack's business.
OUT_OF_SCOPE = "out_of_scope"


def assert_read_as(domain: str, text: str, language: str, expected: str) -> None:
    """Assert that ``domain``'s understanding (:func:`domain_understanding`) reads ``text`` in
    ``language`` as ``expected``.

    Args:
        domain: ``bank`` or ``tax``.
        text: the visitor's line.
        language: ``en`` or ``zh``.
        expected: :data:`OUT_OF_SCOPE` (labelled ``out_of_scope``, no knowledge-base answer) or
            a knowledge-base section's title (labelled ``faq``, the answer's source ending
            ``§ <title>``).

    Raises:
        AssertionError: it is read otherwise.
    """
    understanding = domain_understanding(domain)
    nlu, kb = understanding.read(text, language)
    if expected == OUT_OF_SCOPE:
        assert understanding.label(nlu, kb) == OUT_OF_SCOPE
        assert kb is None
    else:
        assert understanding.label(nlu, kb) == "faq"
        assert kb is not None and kb.source.rpartition("§")[2].strip() == expected


@functools.cache
def own_places(domain: str) -> str:
    """``domain``'s pack setting ``own_places`` (a regular expression, ``""`` where unset)."""
    return str(load_pack(DEFAULT_PACKS_DIR / domain).setting("own_places", ""))


@functools.cache
def _encoder() -> SentenceEncoder:
    """multilingual-e5-small with the engine's embedding cache, loaded once per test process."""
    return SentenceEncoder.load(
        model_folder("multilingual-e5-small"), cache_dir=embedding_cache_dir()
    )
