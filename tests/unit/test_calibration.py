"""The vectorised Platt probabilities (:mod:`dialog.calibration`) read each fold's decision
values without scikit-learn's input checks: the numbers must be its ``decision_function``'s to
the bit, for one row (a turn) and many (an evaluation set), and other input still goes through
``decision_function``."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from dialog.nlu import IntentClassifier
from dialog.nlu_features import prep

TEXTS = [
    "what time do you open", "when are you open", "opening hours please", "are you open on sunday",
    "freeze my card", "block my card now", "my card was stolen", "stop my card please",
    "where can I park", "is there parking", "can I leave my car outside", "car park nearby",
]  # fmt: skip
LABELS = ["hours"] * 4 + ["freeze"] * 4 + ["parking"] * 4
LINES = ["please block my card", "where do I park the car", "你们几点开门", "hello", "open sunday?"]


def _features(classifier: IntentClassifier, lines: list[str]) -> sp.csr_matrix:
    """The pipeline's feature rows of ``lines`` (no sentence encoder: n-grams alone)."""
    return classifier._pipeline.named_steps["features"].transform([prep(t) for t in lines])


def test_fold_decisions_are_scikit_learns_to_the_bit() -> None:
    classifier = IntentClassifier.train(TEXTS, LABELS, threshold=0.0)
    matrix = _features(classifier, LINES).tocsr()
    assert matrix.format == "csr" and matrix.dtype == np.float64
    folds = classifier._platt._folds
    assert folds and all(fold.coef_t is not None for fold in folds)  # the direct product is used
    for rows in [matrix, *(matrix[i : i + 1] for i in range(matrix.shape[0]))]:
        for fold in folds:
            expected = fold.estimator.decision_function(rows).reshape(rows.shape[0], -1)
            assert np.array_equal(fold.decision(rows), expected)
    proba = classifier._pipeline.named_steps["clf"].predict_proba(matrix)
    np.testing.assert_allclose(classifier._platt(matrix), proba, rtol=0, atol=1e-12)


def test_other_input_goes_through_decision_function() -> None:
    classifier = IntentClassifier.train(TEXTS, LABELS, threshold=0.0)
    matrix = _features(classifier, LINES).tocsr()
    fold = classifier._platt._folds[0]
    dense = matrix.toarray()  # not CSR: scikit-learn's own path
    np.testing.assert_allclose(fold.decision(dense), fold.decision(matrix), rtol=0, atol=1e-12)
    single = matrix.astype(np.float32)  # float32 CSR: scikit-learn's own path too
    expected = fold.estimator.decision_function(single).reshape(single.shape[0], -1)
    assert np.array_equal(fold.decision(single), expected)
