"""Expected answer type (dialog.answer_type): a question that asks *when* prefers the near section
whose answer states a time. A newcomer asked the tax hall "When do I have to finish my annual
income tax reconciliation?" and was told what the reconciliation is, not its deadline."""

from __future__ import annotations

import pytest

from dialog import DialogEngine, kb
from dialog.answer_type import asks_for_time, states_time
from tests.conftest import trained_dialog

DEADLINE = "faq.en.md § Annual reconciliation: deadline and how to file"
WHAT_IT_IS = "faq.en.md § Annual income tax reconciliation: what it is"


@pytest.mark.parametrize(
    "line",
    [
        "When do I have to finish my annual income tax reconciliation?",
        "by when must I file",
        "until when can I submit it",
        "what time do you shut",
        "how long does a replacement card take",
        "how many days until the refund arrives",
        "what's the deadline for the settlement",
        "when will my card arrive",
    ],
)
def test_questions_about_time(line: str) -> None:
    assert asks_for_time(line)


@pytest.mark.parametrize(
    "line",
    [
        "when I hold my card against the reader nothing happens",
        "When I paid my sister in Canada more came out of my account",
        "what is the annual reconciliation",
        "how do I file the reconciliation on my phone",
        "how much does a transfer cost",
    ],
)
def test_other_questions(line: str) -> None:
    assert not asks_for_time(line)


@pytest.mark.parametrize(
    ("text", "timed"),
    [
        ("The reconciliation period runs from 1 March to 30 June of the following year.", True),
        ("We are open 9:00 to 17:00.", True),
        ("It usually arrives within 1 to 3 working days.", True),
        ("Replacement cards take five working days.", True),
        ("Open on Saturdays until noon.", True),
        ("You need to file if you owe more than 400 yuan.", False),
        ("Give the sender your account number and the SWIFT code.", False),
    ],
)
def test_answers_that_state_a_time(text: str, timed: bool) -> None:
    assert states_time(text) is timed


@pytest.fixture(scope="module")
def tax() -> DialogEngine:
    return trained_dialog("tax")


@pytest.mark.parametrize(
    "line",
    [
        "When do I have to finish my annual income tax reconciliation?",
        "When do I need to complete my annual income tax reconciliation?",
    ],
)
def test_a_deadline_question_gets_the_deadline(tax: DialogEngine, line: str) -> None:
    understanding = tax.understanding
    _, answer = understanding.read(line, "en")
    assert answer is not None and answer.source == DEADLINE
    assert "30 June" in answer.text


def test_the_check_is_wired_into_the_search(
    tax: DialogEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The deadline section is marked as stating a time, the "what it is" section not; with an
    overwhelming TIME_WEIGHT a "when" question can only land on a section that states a time,
    while a "what is" question is left alone."""
    knowledge = tax.understanding.kb
    headings = [s.heading for s in knowledge.sections["en"]]
    timed = dict(zip(headings, knowledge._timed["en"], strict=True))
    assert timed[DEADLINE.partition("§ ")[2]] == 1.0
    assert timed[WHAT_IT_IS.partition("§ ")[2]] == 0.0
    monkeypatch.setattr(kb, "TIME_WEIGHT", 5.0)
    found = knowledge.search("when do I have to deal with the parking", "en")
    assert found is not None and timed[found.heading] == 1.0
    found = knowledge.search("what is the annual income tax reconciliation", "en")
    assert found is not None and found.source == WHAT_IT_IS
