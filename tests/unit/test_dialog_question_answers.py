"""What a line said at a flow's question counts as, in the pure flow interpreter on the real
bank pack: a command (repeat, slower, start over, cancel, a person), leave-taking, a line that
answers nothing, a bare yes, a question about the code (the step's help), an announced question;
and ``dhe chat``'s lines for them (``--why``, blank lines). Events in, actions out, no I/O.
"""

from __future__ import annotations

import dataclasses

import pytest

from dialog.cli import why_line
from dialog.commands import match_command
from dialog.nlu import IntentClassifier
from dialog.pack import Pack
from dialog.types import Call, ConnectorDone, DialogTurn, Handoff, Say
from tests.support.dialog_visitor import Visitor, call_of, texts


def test_commands_everywhere(pack: Pack, nlu: IntentClassifier) -> None:
    v = Visitor(pack, nlu)
    first = texts(v.says("what's my balance"))
    assert texts(v.says("say that again")) == first
    out = v.says("speak slower please")
    assert all(a.reply.speaking_rate < 1.0 for a in out if isinstance(a, Say))
    assert texts(out)[1:] == first
    out = v.says("start over")
    assert "start over" in texts(out)[0] and v.state.stack == ()
    v.says("I lost my card")
    out = v.says("never mind")
    assert "cancelled" in texts(out)[0] and v.state.stack == ()
    out = v.says("I want to talk to a real person")
    assert isinstance(out[-1], Handoff)


def test_leave_taking_or_a_double_cancel_at_a_question_ends_the_flow(
    pack: Pack, nlu: IntentClassifier
) -> None:
    """At the card-digits question "thanks, bye" / "谢谢再见" were re-asked as a failed answer."""
    for language, lost, bye, goodbye in (
        ("en", "I lost my card", "thanks, bye", "Have a nice day!"),
        ("zh", "我的卡丢了", "谢谢再见", "再见！"),
    ):
        v = Visitor(pack, nlu, language)
        v.says(lost)
        assert v.state.stack, "the lost-card flow waits for the card's digits"
        out = v.says(bye)
        assert texts(out) and texts(out)[-1].endswith(goodbye) and v.state.stack == ()
    v = Visitor(pack, nlu, "zh")
    v.says("我的卡丢了")
    assert texts(v.says("算了不用了")) and v.state.stack == ()  # two cancel words in one line
    assert match_command("thanks") is None  # not every polite word ends anything


def test_an_input_that_answers_nothing_is_not_a_slot_answer(
    pack: Pack, nlu: IntentClassifier
) -> None:
    """``dhe chat --why`` printed ``[slot: card_last4]`` for words the question was asked again
    after; it names the slot as not answered (``[no match: card_last4]``)."""
    v = Visitor(pack, nlu)
    v.says("I lost my card")
    v.says("purple elephants dance")
    assert (v.state.slot, v.state.unanswered) == (None, "card_last4")
    v.says("4417")
    assert (v.state.slot, v.state.unanswered) == ("card_last4", None)
    turn = DialogTurn("purple elephants dance", None, "en", [], {}, unanswered="card_last4")
    assert why_line(turn) == "  [no match: card_last4]"


def test_dhe_chat_skips_blank_lines(capsys: pytest.CaptureFixture[str]) -> None:
    """Each blank line got "Sorry, I didn't catch that." in ``dhe chat``; typed chat has no
    "heard nothing" turn. With ``--why`` a blank line still has its one stderr line."""
    from dialog.cli import readable_lines

    lines = ["hi\n", "\n", "   \n", "\r\n", "bye\n"]
    assert list(readable_lines(lines)) == ["hi\n", "bye\n"]
    assert capsys.readouterr().err == ""
    assert list(readable_lines(lines, why=True)) == ["hi\n", "bye\n"]
    assert capsys.readouterr().err.splitlines() == ["  [no input]"] * 3


@pytest.mark.parametrize("word", ["yes", "ok"])
def test_a_bare_yes_at_a_question_it_does_not_answer_is_asked_again(
    pack: Pack, nlu: IntentClassifier, word: str
) -> None:
    """ "yes" (or "ok") at the code prompt: "Sorry, I didn't get that." and the question,
    not "How can I help you today?" followed by "Now, back to where we were.". A plain "no"
    there declines to go on (newcomer16 #17: tests/unit/test_dialog_declined.py)."""
    v = Visitor(pack, nlu)
    v.says("I lost my card")
    call = call_of(v.says("4417"))
    v.feed(ConnectorDone(call.op, {"verification_id": "v_1", "phone_masked": "*******1288"}))
    assert nlu.predict(word).intent in ("affirm", "deny"), word  # the case this is about
    out = v.says(word)
    assert texts(out) == ["Sorry, I didn't get that.", "Please tell me or type the six-digit code."]
    assert v.state.unanswered == "otp"


@pytest.mark.parametrize(
    ("said", "language"),
    [
        ("what is the code?", "en"),
        ("I didn't get the code", "en"),
        ("I haven't received any text yet", "en"),
        ("验证码还没收到", "zh"),
        ("没收到短信啊", "zh"),
    ],
)
def test_a_question_about_the_code_at_the_code_prompt_says_where_it_went(
    pack: Pack, nlu: IntentClassifier, said: str, language: str
) -> None:
    """newcomer14: at the code question "what is the code?" got the SWIFT-code FAQ answer and
    "I didn't get the code" the unrecognised-payment one. The step's ``help`` says where the
    code went, then the question again, with no failed attempt counted."""
    v = Visitor(pack, nlu, language=language)
    v.says("I lost my card" if language == "en" else "我的卡丢了")
    call = call_of(v.says("4417"))
    v.feed(ConnectorDone(call.op, {"verification_id": "v_1", "phone_masked": "*******1288"}))
    out = v.says(said)
    help_ = pack.responses["utter_otp_help"].texts[language]
    assert texts(out) == [
        help_.replace("{phone_masked:last4}", "1288"),
        pack.responses["utter_ask_otp"].texts[language],
    ]
    assert not any(isinstance(a, Call) for a in out)
    assert v.state.stack[-1].attempts == 0 and v.state.slots["otp"] is None
    # dhe chat --why says so (it printed [out_of_scope], newcomer15)
    assert (v.state.intent, v.state.helped, v.state.unanswered) == (None, "otp", None)
    assert why_line(DialogTurn(said, None, language, [], {}, helped="otp")) == "  [help: otp]"
    # the question again opens the keypad for the code, as the first time (the help reply was
    # once inserted between utter_ask_otp's text and its card, and took the card)
    cards = [a.reply.card for a in out if isinstance(a, Say)]
    assert cards == [None, {"kind": "keypad", "digits": 6}]


def test_the_code_help_names_a_request_the_code_question_obeys(
    pack: Pack, nlu: IntentClassifier
) -> None:
    """The help line tells the visitor to say "call a colleague": said at the code question,
    those words call one (a bare "yes" there would be asked again)."""
    assert '"call a colleague"' in pack.responses["utter_otp_help"].texts["en"]
    assert "呼叫工作人员" in pack.responses["utter_otp_help"].texts["zh"]
    for said, language in (("call a colleague", "en"), ("呼叫工作人员", "zh")):
        v = Visitor(pack, nlu, language=language)
        v.says("I lost my card")
        call = call_of(v.says("4417"))
        v.feed(ConnectorDone(call.op, {"verification_id": "v_1", "phone_masked": "*******1288"}))
        out = v.says(said)
        assert [a.reason for a in out if isinstance(a, Handoff)] == ["visitor_asked"], said


def test_without_a_go_ahead_reply_an_announced_question_is_no_answer(
    pack: Pack, nlu: IntentClassifier
) -> None:
    """review14: in a pack without ``utter_go_ahead`` "can I ask you something" at the
    complaint's free-text prompt became the complaint again. It hears the question again and
    the prompt keeps waiting."""
    responses = {k: v for k, v in pack.responses.items() if k != "utter_go_ahead"}
    v = Visitor(dataclasses.replace(pack, responses=responses), nlu)
    v.says("I want to make a complaint")
    prompt = pack.responses["utter_ask_complaint_text"].texts["en"]
    assert texts(v.says("can I ask you something")) == [prompt]
    assert v.state.slots.get("complaint_text") is None
    assert v.state.stack[-1].waiting == "collect"
