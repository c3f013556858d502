"""Intent recognition in English and Chinese: conversation commands by rule, intents by a
character n-gram classifier (scikit-learn) trained from the pack's examples at start-up.

Character n-grams need no word segmentation, so one model reads both languages and survives
ASR spelling slips. Below the pack's ``nlu_threshold`` the intent is ``None`` (out of scope).
"""

from __future__ import annotations

import itertools
import logging
import re
from collections.abc import Iterable

import jieba
import numpy as np
from sklearn.calibration import CalibratedClassifierCV
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.pipeline import FeatureUnion, Pipeline
from sklearn.svm import LinearSVC

from dialog.entities import normalize
from dialog.pack import Pack
from dialog.types import NLUResult

#: Default confidence below which an utterance is out of scope (a pack may override it).
DEFAULT_THRESHOLD = 0.35
OUT_OF_SCOPE = "out_of_scope"

_CJK = re.compile(r"[\u3400-\u9fff]")
_WORD = re.compile(r"\w", re.UNICODE)

jieba.setLogLevel(logging.WARNING)

# Whole-utterance rules: short and unambiguous, so "cancel my appointment" stays an intent.
_COMMANDS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (name, re.compile(pattern))
    for name, pattern in (
        (
            "human",
            r"(talk|speak|chat)( to| with) (a |an |the |some |your )?(human|real person|person|"
            r"staff( member)?|teller|agent|someone|somebody|representative|operator|employee|clerk)"
            r"|(get|transfer me to|connect me (to|with)|call|want|need) (a |an |the )?(human|"
            r"real person|staff|teller|agent|representative|operator)\b"
            r"|^(a )?(human|agent|operator|representative|real person|teller)( please)?$"
            r"|转人工|人工服务|人工客服|找人工|要人工|找柜员|找工作人员|叫工作人员|真人服务|^人工$|人工吧",
        ),
        (
            "cancel",
            r"(please )?(cancel|cancel (that|it|this)|never ?mind|forget (it|that|about it)|"
            r"stop( it)?|quit|abort)( please)?|取消|算了|不办了|不用了|取消吧|不要了",
        ),
        (
            "restart",
            r"(let'?s )?(start (over|again)|restart|begin again|from the (start|beginning))"
            r"( please)?|重新开始|从头开始|重来|重新来",
        ),
        (
            "repeat",
            r"(can you |could you |please )?(repeat( that| it)?|say (that|it) again|pardon( me)?|"
            r"come again|what did you say|sorry\??)( please)?|再说一遍|再说一次|重复一下|重复一遍|"
            r"没听清|你说什么|什么\?",
        ),
        (
            "slower",
            r"(can you |could you |please )?(speak|talk|say it)? ?(more )?(slower|slowly)( please)?|"
            r"slow down( please)?|说慢一点|慢一点|慢点说|说慢点|请慢一点|慢一些",
        ),
    )
)


def detect_language(text: str, default: str = "en") -> str:
    """``"zh"`` when ``text`` holds CJK characters, ``"en"`` when it holds Latin letters, else
    ``default`` (digits alone say nothing about the language)."""
    if _CJK.search(text):
        return "zh"
    if re.search(r"[A-Za-z]", text):
        return "en"
    return default


def match_command(text: str) -> str | None:
    """The conversation command ``text`` is, when it is one (whole utterance), else ``None``.

    Args:
        text: the visitor's words.

    Returns:
        ``cancel``, ``restart``, ``repeat``, ``slower``, ``human`` or ``None``.
    """
    t = re.sub(r"[\s,.!?。！？，、~]+", " ", normalize(text)).strip()
    if not t or len(t) > 60:
        return None
    for name, pattern in _COMMANDS:
        if name == "human":
            if pattern.search(t):
                return name
        elif pattern.fullmatch(t) or pattern.fullmatch(t.replace(" ", "")):
            return name
    return None


def _prep(text: str) -> str:
    return normalize(text).strip()


def words(text: str) -> list[str]:
    """Word unigrams and bigrams of a prepared utterance: Chinese segmented by jieba (it has no
    spaces, so a plain word tokenizer would see one "word" per sentence), other text split at
    non-word characters."""
    if _CJK.search(text):
        tokens = [w for w in jieba.lcut(text) if _WORD.search(w)]
    else:
        tokens = re.findall(r"\w+", text)
    return tokens + [f"{a} {b}" for a, b in itertools.pairwise(tokens)]


class IntentClassifier:
    """TF-IDF over character n-grams (1–4, word-bounded) plus word unigrams/bigrams (:func:`words`;
    Chinese segmented by jieba), then a linear SVM with sigmoid-calibrated probabilities (trains
    in well under a second). Trained once per pack; ``predict`` is thread-safe and pure."""

    def __init__(self, pipeline: Pipeline, threshold: float) -> None:
        """Args:
        pipeline: a fitted vectorizer + classifier pipeline.
        threshold: minimum probability for an intent to count.
        """
        self._pipeline = pipeline
        self.threshold = threshold
        self.labels: tuple[str, ...] = tuple(str(c) for c in pipeline.classes_)

    @classmethod
    def train(
        cls, texts: Iterable[str], labels: Iterable[str], threshold: float
    ) -> IntentClassifier:
        """Fit a classifier.

        Args:
            texts: training utterances (any language).
            labels: their intents.
            threshold: see :attr:`threshold`.

        Returns:
            The trained classifier.
        """
        features = FeatureUnion(
            [
                (
                    "chars",
                    TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 4), sublinear_tf=True),
                ),
                ("words", TfidfVectorizer(analyzer=words, sublinear_tf=True)),
            ]
        )
        svm = LinearSVC(C=1.0, class_weight="balanced", random_state=0)
        pipeline = Pipeline(
            [
                ("features", features),
                ("clf", CalibratedClassifierCV(svm, method="sigmoid", cv=3)),
            ]
        )
        pipeline.fit([_prep(t) for t in texts], list(labels))
        return cls(pipeline, threshold)

    @classmethod
    def from_pack(cls, pack: Pack, extra: Iterable[tuple[str, str]] = ()) -> IntentClassifier:
        """Train on every example of every intent in ``pack`` (all languages).

        Args:
            pack: the domain pack.
            extra: more ``(text, intent)`` pairs, e.g. the knowledge base's section headings
                as examples of the FAQ intent.
        """
        texts, labels = [], []
        for intent in pack.intents.values():
            for examples in intent.examples.values():
                texts.extend(examples)
                labels.extend([intent.name] * len(examples))
        for text, label in extra:
            texts.append(text)
            labels.append(label)
        threshold = float(pack.setting("nlu_threshold", DEFAULT_THRESHOLD))
        return cls.train(texts, labels, threshold)

    def predict(self, text: str) -> NLUResult:
        """Classify ``text``.

        Args:
            text: the visitor's words.

        Returns:
            The result; ``intent`` is ``None`` when the best probability is below the threshold
            or the best class is ``out_of_scope``; ``command`` is set by rule.
        """
        command = match_command(text)
        probs = self._pipeline.predict_proba([_prep(text)])[0]
        order = np.argsort(probs)[::-1][:3]
        ranking = tuple((str(self.labels[i]), float(probs[i])) for i in order)
        best, confidence = ranking[0]
        intent: str | None = best
        if confidence < self.threshold or best == OUT_OF_SCOPE:
            intent = None
        return NLUResult(intent=intent, confidence=confidence, ranking=ranking, command=command)
