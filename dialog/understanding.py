"""What the visitor meant: NLU plus, for FAQ intents, the knowledge base — one place, used by the
session and by ``benchmarks/nlu_eval.py`` alike, so the benchmark scores what the avatar does.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from dialog.commands import detect_language
from dialog.embedding import SentenceEncoder
from dialog.kb import DEFAULT_MIN_SCORE, DEFAULT_MIN_SIMILARITY, KnowledgeBase
from dialog.nlu import OUT_OF_SCOPE, TOPIC_SEP, IntentClassifier
from dialog.other_offices import offices_named
from dialog.pack import Intent, Pack
from dialog.question_frame import (
    days_off_question,
    elsewhere_hours,
    elsewhere_hours_en,
    question_object,
    request_object,
)
from dialog.types import KBAnswer, NLUResult

#: Intent kinds whose Chinese reading is checked by what the request asks for beyond the
#: intent's own words (:func:`dialog.question_frame.request_object`): "帮我预约一下医院的号"
#: names the appointment flow's words about a hospital's business.
CHECKED_KINDS: frozenset[str] = frozenset({"flow"})


@dataclass(frozen=True, slots=True)
class Understanding:
    """A pack's trained classifier and knowledge base.

    Attributes:
        pack: the domain pack.
        classifier: trained on the pack's examples.
        kb: the pack's knowledge base.
    """

    pack: Pack
    classifier: IntentClassifier
    kb: KnowledgeBase

    @classmethod
    def from_pack(
        cls,
        pack: Pack,
        encoder: SentenceEncoder | None = None,
        reranker: SentenceEncoder | None = None,
    ) -> Understanding:
        """Train the classifier and index the knowledge base of ``pack`` (about a second, plus
        a few seconds the first time its English text is embedded).

        Args:
            pack: the domain pack (its ``kb_min_score``, ``kb_min_similarity``,
                ``nlu_threshold`` and ``nlu_oos_margin`` settings are read from it).
            encoder: the sentence encoder for English (``None``: n-grams and BM25 only).
            reranker: the knowledge base's English section reranker
                (:class:`dialog.kb.KnowledgeBase`; ``None``: none).
        """
        min_score = float(pack.setting("kb_min_score", DEFAULT_MIN_SCORE))
        min_similarity = float(pack.setting("kb_min_similarity", DEFAULT_MIN_SIMILARITY))
        kb = KnowledgeBase.from_files(pack.kb_files, min_score, encoder, min_similarity, reranker)
        # Section headings ("Opening hours", "营业时间") are short FAQ questions in themselves,
        # and each section lists the questions it answers: with one FAQ intent they all join
        # its examples, so an operator adds a question in one place, next to its answer. Each
        # is labelled with its section's topic (``faq#12``), and so are the FAQ intent's own
        # examples, by the section the knowledge base finds for them.
        faq = [i.name for i in pack.intents.values() if i.kind == "kb"]
        extra: list[tuple[str, str]] = []
        label_of = None
        if len(faq) == 1:
            for language, sections in kb.sections.items():
                for i, s in enumerate(sections):
                    label = f"{faq[0]}{TOPIC_SEP}{kb.topic(language, i)}"
                    extra += [(question, label) for question in (s.heading, *s.questions)]

            own = [e for examples in pack.intents[faq[0]].examples.values() for e in examples]
            vectors = encoder.encode_many(own) if encoder is not None and own else None
            topics = {}
            # without the section reranker: it only picks among sections when answering, so
            # the classifier (intents, out of scope) is the same whether `rerank_model` is on
            # or off, and a kiosk without the reranker's files classifies as one with them
            for n, example in enumerate(own):
                vector = vectors[n] if vectors is not None else None
                found = kb.search(example, detect_language(example), vector, rerank=False)
                if found is not None:
                    topics[example] = f"{faq[0]}{TOPIC_SEP}{found.topic}"

            def label_of(text: str, intent: str) -> str:
                return topics.get(text, intent) if intent == faq[0] else intent

        classifier = IntentClassifier.from_pack(pack, extra, encoder=encoder, label_of=label_of)
        return cls(pack, classifier, kb)

    def read(self, text: str, language: str) -> tuple[NLUResult, KBAnswer | None]:
        """NLU for ``text``, and the knowledge-base answer when the intent is a FAQ.

        Args:
            text: the visitor's words.
            language: the reply language (picks the knowledge-base index).

        Returns:
            ``(nlu, kb_answer)``; ``kb_answer`` is the FAQ section for a FAQ intent (``None``
            when the knowledge base has no answer above its threshold), the section an
            out-of-scope intent names with ``answer:`` ("send 2000 yuan to account …" →
            "Making a transfer"; ``nlu.intent`` stays ``None``), else ``None``.
        """
        return self.read_many([text], [language])[0]

    def read_many(
        self, texts: Sequence[str], languages: Sequence[str]
    ) -> list[tuple[NLUResult, KBAnswer | None]]:
        """:meth:`read` of several lines, classified in one step (an evaluation set): each
        line's reading is the one :meth:`read` gives it alone.

        Args:
            texts: the lines.
            languages: each line's reply language.
        """
        # one encoder pass per line serves NLU and the FAQ search (lines embedded one by one
        # give the same vectors as a turn; a padded batch would differ in the last bits)
        vectors = [self.classifier.embed(text) for text in texts]
        encoded = None if any(v is None for v in vectors) else vectors
        readings = []
        nlus = self.classifier.predict_many(texts, encoded)
        for text, language, vector, nlu in zip(texts, languages, vectors, nlus, strict=True):
            intent = self.pack.intents.get(nlu.intent or "")
            faq = intent is not None and intent.kind == "kb"
            found = self._object(text, intent) if intent is not None else None
            outside = found is not None and self._object_outside(found)
            # a public holiday's days off asked about, not the hall's hours on it
            # (:func:`dialog.question_frame.days_off_question`), or another place's hours
            # (:func:`dialog.question_frame.elsewhere_hours`: 中山公园几点开门); only a FAQ
            # reading: a flow asked for with a holiday as its time (国庆放假我的卡丢了) is that
            # flow (review17)
            if outside or (faq and (days_off_question(text) or self._elsewhere(text))):
                nlu, faq = replace(nlu, intent=None, topic=None, topics=()), False
            kb = self.kb.search(text, language, vector, dict(nlu.topics)) if faq else None
            if nlu.intent is None and nlu.outside is not None:
                kb = self._answer_outside(nlu.outside, language)
            readings.append((nlu, kb))
        return readings

    def _elsewhere(self, text: str) -> bool:
        """Whether ``text`` asks another place's hours than the pack's own (setting
        ``own_places``, :func:`dialog.question_frame.elsewhere_hours` in Chinese,
        :func:`~dialog.question_frame.elsewhere_hours_en` in English); never for a pack that
        does not set it."""
        own = self.pack.setting("own_places", None)
        if own is None:
            return False
        return elsewhere_hours(text, str(own)) or elsewhere_hours_en(text, str(own))

    def _answer_outside(self, name: str, language: str) -> KBAnswer | None:
        """The section that answers the out-of-scope intent ``name`` (its ``answer:``, a
        heading: "send 2000 yuan to my landlord" gets "Making a transfer", how to do it in the
        app or at the counter, not "I can't help with that"), or ``None``. The line stays out
        of scope (:meth:`label`): the avatar does not do it, it says how."""
        intent = self.pack.intents.get(name)
        if intent is None or intent.kind != "out_of_scope" or not intent.target:
            return None
        return self.kb.section(intent.target, language)

    def _object(self, text: str, intent: Intent) -> str | None:
        """What the Chinese line ``text``, read as ``intent``, asks about beyond its frame
        (:mod:`dialog.question_frame`), or ``None`` when the reading is not checked.

        A FAQ reading's object is the question without its frame. A flow's is the line without
        its intent's own words, and only when it names the business of a public body the pack
        lists as not its own (setting ``other_offices``, :func:`dialog.other_offices.offices_named`):
        what a request leaves over is often a slot value or a complaint's description, which
        read alone are out of scope too ("帮我预约明天上午十点" → "十点")."""
        if intent.kind == "kb":
            return question_object(text)
        if intent.kind not in CHECKED_KINDS:
            return None
        found = request_object(text, intent.examples.get("zh", ()))
        kinds = set(self.pack.setting("other_offices", ()) or ())
        if found is None or not kinds & set(offices_named(found.lower())):
            return None
        return found

    def _object_outside(self, found: str) -> bool:
        """Whether the object of a Chinese question or request (:mod:`dialog.question_frame`),
        read alone, is out of scope: its best class is out of scope, or its intent passed the
        threshold but its nearest examples are out-of-scope ones. An object merely too short to
        be read with confidence keeps the line's reading ("补税咋交" → "补税")."""
        reading = self.classifier.predict(found, self.classifier.embed(found))
        return reading.intent is None and (
            reading.ranking[0][0] == OUT_OF_SCOPE or reading.confidence >= self.classifier.threshold
        )

    def label(self, nlu: NLUResult, kb: KBAnswer | None) -> str:
        """The intent the avatar acts on, as one label.

        A rule-matched command gives its command intent; no intent (below the threshold) gives
        ``out_of_scope``; a FAQ intent with no knowledge-base answer also gives ``out_of_scope``,
        since the avatar then says it does not know and offers a human.
        """
        if nlu.command is not None:
            for intent in self.pack.intents.values():
                if intent.kind == "command" and intent.target == nlu.command:
                    return intent.name
        pack_intent = self.pack.intents.get(nlu.intent or "")
        if pack_intent is None or pack_intent.kind == "out_of_scope":
            return OUT_OF_SCOPE
        if pack_intent.kind == "kb" and kb is None:
            return OUT_OF_SCOPE
        return pack_intent.name
