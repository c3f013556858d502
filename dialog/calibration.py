"""Calibrated class probabilities of a fitted linear classifier in one vectorised step.

scikit-learn's :meth:`sklearn.calibration.CalibratedClassifierCV.predict_proba` validates and
maps every class's sigmoid calibrator on its own: with ~60 classes and three folds that is ~180
small calls, each through scikit-learn's input checks, per utterance (~40 ms of one core, most of
a dialog turn's NLU). :class:`PlattProbabilities` reads the fitted calibrators' parameters once
and computes the same numbers with one matrix expression per fold, for any number of rows; a
fold's decision values too (``X @ coef_.T + intercept_``, what the linear classifier's
``decision_function`` computes after its input checks, which cost ~0.2 ms a fold on 2 busy
cores).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.special import expit
from sklearn.calibration import CalibratedClassifierCV, _SigmoidCalibration


@dataclass(frozen=True, slots=True)
class _Fold:
    """One cross-validation fold's classifier and its per-class Platt parameters.

    Attributes:
        estimator: the fold's fitted classifier (has ``decision_function``).
        columns: ``(k,)`` int64, the column in the full class list of each of its ``k`` classes.
        a: ``(k,)`` float64 sigmoid slopes.
        b: ``(k,)`` float64 sigmoid offsets.
        coef_t: ``(n_features, k)`` the classifier's ``coef_.T`` (a view), or ``None`` when it
            has no linear ``coef_`` / ``intercept_`` (its ``decision_function`` is called).
        intercept: ``(k,)`` its ``intercept_``, or ``None`` with ``coef_t``.
    """

    estimator: object
    columns: np.ndarray
    a: np.ndarray
    b: np.ndarray
    coef_t: np.ndarray | None = None
    intercept: np.ndarray | None = None

    def decision(self, features: sp.csr_matrix) -> np.ndarray:
        """The fold classifier's decision values of ``features`` ``(n, n_features)``:
        ``(n, k)``. For CSR float64 input from a linear classifier, scikit-learn's own
        ``decision_function`` arithmetic (``safe_sparse_dot(X, coef_.T) + intercept_``, which
        for a sparse ``X`` and a dense ``coef_`` is ``X @ coef_.T``) without its input checks,
        so the numbers are the same to the bit; anything else goes through
        ``decision_function``."""
        if (
            self.coef_t is not None
            and sp.issparse(features)
            and features.format == "csr"
            and features.dtype == np.float64
        ):
            return (features @ self.coef_t + self.intercept).reshape(features.shape[0], -1)
        decision = self.estimator.decision_function(features)  # type: ignore[attr-defined]
        return decision.reshape(features.shape[0], -1)


class PlattProbabilities:
    """``CalibratedClassifierCV(method="sigmoid")``'s ``predict_proba``, vectorised.

    Per fold, each class's probability is ``expit(-(a * d + b))`` of the fold classifier's
    decision value ``d`` (Platt 1999, "Probabilistic outputs for support vector machines"), the
    row normalised to sum 1 (uniform when every class scores 0); the folds are averaged. This is
    scikit-learn's own computation (1.9), operation for operation, so the numbers are the same.
    """

    def __init__(self, calibrated: CalibratedClassifierCV) -> None:
        """Args:
        calibrated: a fitted ``CalibratedClassifierCV`` with sigmoid calibration and more
            than two classes.

        Raises:
            ValueError: another calibration method, or two classes (a single calibrator).
        """
        self.classes = np.asarray(calibrated.classes_)
        if len(self.classes) < 3:
            raise ValueError("vectorised calibration needs three or more classes")
        column = {label: i for i, label in enumerate(self.classes.tolist())}
        folds = []
        for fold in calibrated.calibrated_classifiers_:
            if not all(isinstance(c, _SigmoidCalibration) for c in fold.calibrators):
                raise ValueError(f"vectorised calibration needs sigmoid calibrators, not {fold}")
            coef = getattr(fold.estimator, "coef_", None)
            intercept = getattr(fold.estimator, "intercept_", None)
            linear = (
                isinstance(coef, np.ndarray)
                and coef.ndim == 2
                and isinstance(intercept, np.ndarray)
                and hasattr(fold.estimator, "decision_function")
            )
            folds.append(
                _Fold(
                    fold.estimator,
                    np.array([column[c] for c in fold.estimator.classes_.tolist()], np.int64),
                    np.array([c.a_ for c in fold.calibrators], dtype=np.float64),
                    np.array([c.b_ for c in fold.calibrators], dtype=np.float64),
                    coef.T if linear else None,
                    intercept if linear else None,
                )
            )
        self._folds = tuple(folds)

    def __call__(self, features: sp.csr_matrix) -> np.ndarray:
        """Class probabilities of ``features`` ``(n, n_features)``: ``(n, n_classes)`` float64,
        rows summing to 1, columns in the order of :attr:`classes`."""
        n, n_classes = features.shape[0], len(self.classes)
        mean = np.zeros((n, n_classes))
        for fold in self._folds:
            decision = fold.decision(features)
            proba = np.zeros((n, n_classes))
            proba[:, fold.columns] = expit(-(fold.a * decision + fold.b))
            denominator = np.sum(proba, axis=1)[:, np.newaxis]
            uniform = np.full_like(proba, 1 / n_classes)
            mean += np.divide(proba, denominator, out=uniform, where=denominator != 0)
        mean /= len(self._folds)
        return mean
