"""A visitor that drives the pure flow interpreter like the dialog runner does: the real bank
pack, its trained intent classifier, events in and the actions recorded (the interpreter
tests and the hand-off offer's tests share it), and :func:`said`, what a dialog session's turn
said."""

from __future__ import annotations

import functools
from pathlib import Path

from dialog.interpreter import DialogState, Interpreter
from dialog.nlu import IntentClassifier
from dialog.pack import DEFAULT_PACKS_DIR, Pack, load_pack
from dialog.types import Action, Call, DialogTurn, KBAnswer, Say, UserInput


def said(turn: DialogTurn) -> str:
    """The replies of a :class:`~dialog.types.DialogTurn`, joined with spaces."""
    return " ".join(r.text for r in turn.replies)


@functools.cache
def domain_pack(domain: str) -> Pack:
    """A shipped pack (``bank``, ``tax``), loaded once per test process."""
    return load_pack(Path(DEFAULT_PACKS_DIR) / domain)


@functools.cache
def domain_nlu(domain: str) -> IntentClassifier:
    """A shipped pack's intent classifier, trained once per test process."""
    return IntentClassifier.from_pack(domain_pack(domain))


def bank_pack() -> Pack:
    """The real bank pack, loaded once per test process."""
    return domain_pack("bank")


def bank_nlu() -> IntentClassifier:
    """The bank pack's intent classifier, trained once per test process."""
    return domain_nlu("bank")


class Visitor:
    """Drives the interpreter like the runner does, recording every action."""

    def __init__(self, pack: Pack, nlu: IntentClassifier, language: str = "en") -> None:
        self.interp = Interpreter(pack)
        self.nlu = nlu
        self.state: DialogState = self.interp.initial_state(language)
        self.language = language

    def feed(self, event) -> list[Action]:
        self.state, actions = self.interp.step(self.state, event)
        return actions

    def says(self, text: str, kb: KBAnswer | None = None) -> list[Action]:
        nlu = self.nlu.predict(text)
        return self.feed(UserInput(text, self.language, nlu, kb))


def texts(actions: list[Action]) -> list[str]:
    return [a.reply.text for a in actions if isinstance(a, Say)]


def call_of(actions: list[Action]) -> Call:
    calls = [a for a in actions if isinstance(a, Call)]
    assert len(calls) == 1 and isinstance(actions[-1], Call), actions
    return calls[0]
