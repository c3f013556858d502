"""A domain's dialog engine: its loaded pack, NLU model, knowledge base and LLM settings,
shared by every visitor's :class:`~dialog.session.DialogSession` (which it makes).

Split from :mod:`dialog.session` along what is loaded once per domain (here) and what lives
per visitor (there).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from connectors.base import Connector
from dialog.embedding import SentenceEncoder
from dialog.interpreter import Interpreter
from dialog.llm import LLMSettings, Rephraser
from dialog.pack import Pack, load_pack, pack_dir
from dialog.understanding import Understanding

if TYPE_CHECKING:
    from dialog.session import DialogSession


class DialogEngine:
    """A domain's loaded pack, NLU model and knowledge base; makes sessions."""

    def __init__(
        self,
        pack: Pack,
        connector: Connector,
        *,
        timezone: str = "Asia/Shanghai",
        understanding: Understanding | None = None,
        encoder: SentenceEncoder | None = None,
        llm: LLMSettings | None = None,
        reranker: SentenceEncoder | None = None,
    ) -> None:
        """Args:
        pack: the loaded pack.
        connector: runs the flows' actions.
        timezone: IANA zone for dates and times the visitor says.
        understanding: the pack's classifier and knowledge base already built (default: train
            them, ~1 s).
        encoder: the sentence encoder for English NLU and knowledge-base search, used when
            ``understanding`` is built here (``None``: n-grams and BM25 only).
        llm: an OpenAI-compatible endpoint that rewords knowledge-base answers for speech
            (:mod:`dialog.llm`; ``None``: answers are spoken as written).
        reranker: the English FAQ section reranker, used when ``understanding`` is built here
            (:class:`dialog.kb.KnowledgeBase`; ``None``: none).
        """
        self.pack = pack
        self.connector = connector
        self.timezone = ZoneInfo(timezone)
        self.interpreter = Interpreter(pack)
        self.understanding = understanding or Understanding.from_pack(pack, encoder, reranker)
        self.llm = llm
        self.rephraser = Rephraser(llm) if llm is not None else None

    def with_connector(self, connector: Connector) -> DialogEngine:
        """The same pack, model and knowledge base over another connector (e.g. one per event
        loop), without training again."""
        return DialogEngine(
            self.pack,
            connector,
            timezone=str(self.timezone),
            understanding=self.understanding,
            llm=self.llm,
        )

    @classmethod
    def load(
        cls,
        domain: str,
        connector: Connector,
        packs_dir: Path | None = None,
        *,
        timezone: str = "Asia/Shanghai",
        encoder: SentenceEncoder | None = None,
        llm: LLMSettings | None = None,
        reranker: SentenceEncoder | None = None,
    ) -> DialogEngine:
        """Load pack ``domain`` and train its NLU.

        Args:
            domain: ``"bank"`` or ``"tax"`` (a folder under ``packs_dir``).
            connector: the connector (router) that runs the flows' actions.
            packs_dir: default ``<repo>/assets/domains``.
            timezone: see :meth:`__init__`.
            encoder: see :meth:`__init__`.
            llm: see :meth:`__init__`.
            reranker: see :meth:`__init__`.

        Returns:
            The engine.

        Raises:
            FileNotFoundError: no pack folder for ``domain``.
            dialog.pack.PackError: the pack is invalid.
        """
        pack = load_pack(pack_dir(domain, packs_dir))
        return cls(pack, connector, timezone=timezone, encoder=encoder, llm=llm, reranker=reranker)

    def new_session(
        self, session_id: str, language: str = "auto", start_language: str | None = None
    ) -> DialogSession:
        """A fresh session.

        Args:
            session_id: the engine's session id (audit, idempotency keys).
            language: ``"auto"`` (reply in the language the visitor used), ``"en"`` or ``"zh"``.
            start_language: with ``"auto"``, the language until the visitor's words show one
                (the page's own, ``ui_language``): digits or an emoji on a Chinese page are
                answered in Chinese. None: the pack's first language.
        """
        from dialog.session import DialogSession  # the session module imports this one

        return DialogSession(self, session_id, language, start_language)
