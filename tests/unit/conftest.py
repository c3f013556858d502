"""Fixtures the unit tests of the flow interpreter share: the real bank pack and its trained
intent classifier (:mod:`tests.support.dialog_visitor`, each made once per test process)."""

from __future__ import annotations

import pytest

from dialog.nlu import IntentClassifier
from dialog.pack import Pack
from tests.support.dialog_visitor import bank_nlu, bank_pack


@pytest.fixture(scope="module")
def pack() -> Pack:
    """The shipped bank pack (``assets/domains/bank``)."""
    return bank_pack()


@pytest.fixture(scope="module")
def nlu() -> IntentClassifier:
    """The bank pack's intent classifier, trained on the pack's own examples."""
    return bank_nlu()
