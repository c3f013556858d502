"""The out-of-scope reply's offer of a colleague ("shall I call a colleague?") and what
answers it: a yes or a no said as a word, a refusal of a person, a line after the hand-off.
The real bank pack and its trained classifier (:mod:`tests.support.dialog_visitor`)."""

from __future__ import annotations

import pytest

from dialog.commands import match_command
from dialog.nlu import IntentClassifier
from dialog.pack import Pack
from dialog.types import ConnectorDone, ConnectorFailed, Handoff, NLUResult, UserInput
from tests.support.dialog_visitor import Visitor, call_of, texts


def test_out_of_scope_offers_a_human(pack: Pack, nlu: IntentClassifier) -> None:
    v = Visitor(pack, nlu)
    out = v.feed(UserInput("tell me a joke", "en", NLUResult(None, 0.1)))
    assert "can't help with that" in texts(out)[0]
    assert match_command("tell me a joke") is None


def test_after_a_handoff_out_of_scope_says_a_colleague_is_coming(
    pack: Pack, nlu: IntentClassifier
) -> None:
    """newcomer11: right after "I'm calling a colleague for you now" the next line it did not
    understand was answered "Would you like me to call a colleague for you?"."""
    v = Visitor(pack, nlu)
    v.says("balance please")
    for word in ("blue", "green", "purple"):
        out = v.says(word)
    assert any(isinstance(a, Handoff) for a in out) and v.state.handed_off
    out = v.feed(UserInput("123456", "en", NLUResult(None, 0.1)))
    assert texts(out) == [
        "A colleague is on the way; please wait a moment at this screen. "
        "Until then I can still answer your questions."
    ]
    assert not v.state.offered_handoff  # a "yes" now calls no second colleague


@pytest.mark.parametrize(
    ("said", "language"),
    [
        ("I do not want to talk to a person", "en"),
        ("no, I do not need a human", "en"),
        ("please don't call anyone", "en"),
        ("我不要转人工", "zh"),
        ("我不想找工作人员", "zh"),
        ("我不是要找人", "zh"),
    ],
)
def test_declining_a_person_calls_no_one(
    pack: Pack, nlu: IntentClassifier, said: str, language: str
) -> None:
    """newcomer11: each of these called a member of staff (the rule for "a person" matched
    the words after the no). Asked after the out-of-scope offer, too."""
    v = Visitor(pack, nlu, language)
    v.feed(UserInput("tell me a joke", language, NLUResult(None, 0.1)))
    assert v.state.offered_handoff
    out = v.says(said)
    assert not any(isinstance(a, Handoff) for a in out), texts(out)
    assert texts(out) == [pack.responses["utter_how_can_i_help"].texts[language]]
    assert match_command("I want to talk to a person") == "human"  # the request still works


@pytest.mark.parametrize(
    ("said", "language", "handed_off"),
    [
        ("yes please", "en", True),
        ("是的", "zh", True),
        ("好", "zh", True),
        ("可以", "zh", True),
        ("需要", "zh", True),  # the offer asks 需要我为您呼叫工作人员吗; the classifier read deny
        ("需要的", "zh", True),
        ("不需要", "zh", False),
    ],
)
def test_a_yes_word_at_the_offer_calls_a_colleague(
    pack: Pack, nlu: IntentClassifier, said: str, language: str, handed_off: bool
) -> None:
    v = Visitor(pack, nlu, language)
    v.feed(UserInput("tell me a joke", language, NLUResult(None, 0.1)))
    out = v.says(said)
    assert any(isinstance(a, Handoff) for a in out) is handed_off, texts(out)


@pytest.mark.parametrize(
    ("said", "language"),
    [("似是一起", "zh"), ("是自一起", "zh"), ("是在一起", "zh"), ("yesterday", "en")],
)
def test_a_garbled_line_at_the_offer_is_no_yes(
    pack: Pack, nlu: IntentClassifier, said: str, language: str
) -> None:
    """fixes12: 似是一起 (四四一七 misheard) after the offer was read as affirm (classifier
    confidence 0.27) and called a colleague; the yes must be said as a word. The offer is
    made again."""
    v = Visitor(pack, nlu, language)
    v.feed(UserInput("tell me a joke", language, NLUResult(None, 0.1)))
    out = v.feed(UserInput(said, language, NLUResult("affirm", 0.27)))
    assert not any(isinstance(a, Handoff) for a in out), texts(out)
    assert texts(out) == [pack.responses["utter_out_of_scope"].texts[language]]
    assert v.state.offered_handoff


@pytest.mark.parametrize(
    ("said", "language", "classified", "handed_off"),
    [
        ("需要", "zh", NLUResult("deny", 0.29), True),  # the bank classifier's reading
        ("需要的", "zh", NLUResult(None, 0.23), True),  # below the threshold: out of scope
        ("不需要", "zh", NLUResult("affirm", 0.3), False),
        ("no thanks", "en", NLUResult(None, 0.2), False),
        # approval read as goodbye ended the visit instead of calling a colleague (review12)
        ("that would be great", "en", NLUResult("goodbye", 0.4), True),
    ],
)
def test_the_words_decide_the_answer_to_the_offer(
    pack: Pack,
    nlu: IntentClassifier,
    said: str,
    language: str,
    classified: NLUResult,
    handed_off: bool,
) -> None:
    """A clear yes or no in the words is the answer to the offer, whatever the classifier read
    (需要 was classified deny, beside its examples' 不需要, and the offer was made again)."""
    v = Visitor(pack, nlu, language)
    v.feed(UserInput("tell me a joke", language, NLUResult(None, 0.1)))
    out = v.feed(UserInput(said, language, classified))
    assert any(isinstance(a, Handoff) for a in out) is handed_off, texts(out)
    assert not v.state.offered_handoff
    if not handed_off:  # "how can I help?"
        assert texts(out) == [pack.responses[pack.intents["deny"].target].texts[language]]


def test_a_colleague_already_called_is_not_called_again_by_a_flow(
    pack: Pack, nlu: IntentClassifier
) -> None:
    """newcomer13: after "Talk to a person", three wrong codes locked verification and the
    flow's own hand-off said "I'm calling a colleague for you now" (a second hand-off card),
    and the next balance request said it a third time. A colleague already on the way is
    said to be on the way; no second one is called."""
    v = Visitor(pack, nlu)
    out = v.says("I want to talk to a person")
    assert [type(a) for a in out].count(Handoff) == 1 and v.state.handed_off
    pending = pack.responses["utter_handoff_pending"].texts["en"]
    v.says("what's my balance")
    call = call_of(v.says("4417"))
    v.feed(ConnectorDone(call.op, {"verification_id": "v_1", "phone_masked": "*******1288"}))
    for code in ("000000", "111111", "222222"):
        call = call_of(v.says(code))
        out = v.feed(ConnectorFailed(call.op, "unauthorized"))
    assert texts(out)[-2:] == [pack.responses["utter_verification_locked"].texts["en"], pending]
    assert not any(isinstance(a, Handoff) for a in out)
    out = v.says("What is my balance?")
    assert texts(out)[-1] == pending and not any(isinstance(a, Handoff) for a in out)


def test_an_out_of_scope_line_is_reported_as_out_of_scope(
    pack: Pack, nlu: IntentClassifier
) -> None:
    """newcomer13: the out-of-scope offer's turn had intent null, the mark of a flow's answer:
    ``dhe converse`` printed "(flow answer)" and the page's metrics intent=None, while
    ``dhe chat --why`` said out_of_scope."""
    v = Visitor(pack, nlu)
    v.feed(UserInput("tell me a joke", "en", NLUResult(None, 0.1)))
    assert v.state.intent == "out_of_scope" and v.state.offered_handoff
    v.says("what's my balance")
    v.feed(UserInput("blue", "en", NLUResult(None, 0.1)))  # at the card question: no value
    assert v.state.intent is None and v.state.unanswered == "card_last4"
