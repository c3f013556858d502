"""The classifier's pipeline trains when a class has fewer examples than its calibration folds
(``dialog.embedding_model: off`` left a knowledge-base section with two)."""

from __future__ import annotations

import pytest

from dialog.nlu import IntentClassifier
from dialog.nlu_features import CV_FOLDS, pad_small_classes


def test_small_classes_are_padded_to_the_folds_and_large_ones_kept() -> None:
    texts = ["a1", "a2", "a3", "a4", "b1", "c1", "c2"]
    labels = ["a", "a", "a", "a", "b", "c", "c"]
    padded_texts, padded_labels = pad_small_classes(texts, labels)
    assert padded_texts[: len(texts)] == texts and padded_labels[: len(labels)] == labels
    assert padded_labels.count("a") == 4
    assert padded_labels.count("b") == CV_FOLDS and padded_labels.count("c") == CV_FOLDS
    assert padded_texts[len(texts) :] == ["b1", "b1", "c1"]
    with pytest.raises(ValueError, match="3 texts but 2 labels"):
        pad_small_classes(["x", "y", "z"], ["a", "a"])


def test_a_class_with_two_examples_trains_and_is_recognised() -> None:
    texts = [
        "what time do you open",
        "when are you open",
        "opening hours please",
        "are you open on sunday",
        "freeze my card",
        "block my card now",
        "where can I park",
        "is there parking",
    ]
    labels = ["hours"] * 4 + ["freeze"] * 2 + ["parking"] * 2
    classifier = IntentClassifier.train(texts, labels, threshold=0.0)
    assert classifier.predict("please block my card").intent == "freeze"
    assert classifier.predict("where do I park the car").intent == "parking"
