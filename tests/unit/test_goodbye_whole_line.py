"""One farewell vocabulary (review19 F13): a farewell said as the whole line ends a flow at its
question (:func:`dialog.farewell.is_goodbye`, read by :func:`dialog.waiting.collect_answer`)
with the same cues :func:`~dialog.farewell.says_farewell` finds in a line. Before, the question
read its own, shorter list (``dialog.commands._GOODBYE``: bye, see you, 再见, 拜拜), so "that's
all", 就这些 or 没有别的事了 at the card-digits question were a failed answer and the question
again. Own dev lines, written for this check; the real bank pack and its trained classifier."""

from __future__ import annotations

import pytest

from dialog.farewell import is_goodbye, says_farewell
from dialog.nlu import IntentClassifier
from dialog.pack import Pack
from tests.support.dialog_visitor import Visitor, domain_pack, texts

#: What the old whole-line list took, kept.
OLD_GOODBYES = [
    "bye",
    "Bye bye!",
    "thanks, bye",
    "ok thank you goodbye",
    "see you later",
    "no thanks, bye",
    "再见",
    "谢谢再见",
    "好的，拜拜",
    "那再见了",
    "不用了再见",
]
#: Farewells without bye, said whole: the cues of says_farewell, with courtesy beside them.
NEW_GOODBYES = [
    "that's all",
    "no, that's all, thanks",
    "that's everything for today",
    "I'm finished, thank you",
    "nothing else, thanks",
    "ok, have a nice day",
    "就这些",
    "就这些了，谢谢",
    "没有别的事了",
    "好的，我先走了",
    "没什么了，谢谢你",
]
#: A farewell with more in the line, or none: no whole goodbye.
NOT_GOODBYES = [
    "bye, but first my balance",
    "I have to go to the ATM first",
    "see you at the counter with my passport",
    "4417 bye",
    "我走了之后卡怎么办",
    "就这些材料够吗",
    "thanks",
    "谢谢",
    "okay",
    "that's all the money I have in that account and more",
]


@pytest.mark.parametrize("line", OLD_GOODBYES + NEW_GOODBYES)
def test_a_whole_farewell(line: str) -> None:
    assert is_goodbye(line) and says_farewell(line)


@pytest.mark.parametrize("line", NOT_GOODBYES)
def test_more_than_a_farewell(line: str) -> None:
    assert not is_goodbye(line)


@pytest.mark.parametrize(
    ("language", "line"),
    [
        ("en", "that's all"),
        ("en", "no, that's all, thanks"),
        ("en", "I'm finished, thank you"),
        ("zh", "就这些"),
        ("zh", "没有别的事了"),
    ],
)
def test_a_farewell_without_bye_at_a_question_ends_the_visit(
    pack: Pack, nlu: IntentClassifier, language: str, line: str
) -> None:
    goodbye = pack.responses[pack.intents["goodbye"].target].texts[language]
    v = Visitor(pack, nlu, language)
    v.says("I lost my card" if language == "en" else "我的卡丢了")
    assert v.state.stack, "the lost-card flow waits for the card's digits"
    out = v.says(line)
    assert texts(out)[-1] == goodbye and v.state.stack == () and v.state.ended, texts(out)


@pytest.mark.parametrize("domain", ["bank", "tax"])
def test_every_goodbye_example_is_a_whole_farewell(domain: str) -> None:
    """The packs' goodbye examples, said alone at a question, end the visit there too."""
    examples = domain_pack(domain).intents["goodbye"].examples
    lines = [line for language in ("en", "zh") for line in examples[language]]
    assert [line for line in lines if not is_goodbye(line)] == []
