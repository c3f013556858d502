"""The out-of-scope reply asks "shall I call a colleague?": a yes to it hands off (newcomer9:
"yes" got "How can I help you today?", the same as "no", in both packs and languages), a no
is "how can I help?", and a yes anywhere else is not a handoff. The handoff replies show the
handoff card."""

from __future__ import annotations

import pytest

from dialog import DialogEngine
from dialog.pack import DEFAULT_PACKS_DIR, load_pack
from tests.conftest import trained_dialog


@pytest.fixture(scope="module")
def engines() -> dict[str, DialogEngine]:
    return {pack: trained_dialog(pack) for pack in ("bank", "tax")}


@pytest.mark.parametrize(
    ("pack", "language", "outside", "yes", "handoff_words"),
    [
        ("bank", "en", "tell me a joke", "yes", "calling a colleague"),
        ("bank", "zh", "今天天气怎么样", "好的", "工作人员"),
        ("tax", "en", "what's the football score tonight", "yes please", "staff"),
    ],
)
async def test_yes_to_the_offer_of_a_colleague_hands_off(
    engines, pack: str, language: str, outside: str, yes: str, handoff_words: str
) -> None:
    session = engines[pack].new_session(f"offer-{pack}-{language}", language=language)
    offer = await session.handle_text(outside)
    assert not offer.handoff and offer.replies[-1].text.endswith(("?", "？"))
    turn = await session.handle_text(yes)
    assert turn.handoff, [r.text for r in turn.replies]
    assert handoff_words in turn.replies[0].text
    session.close()


async def test_no_to_the_offer_and_yes_out_of_the_blue_do_not_hand_off(engines) -> None:
    session = engines["bank"].new_session("offer-no", language="en")
    await session.handle_text("tell me a joke")
    turn = await session.handle_text("no thanks")
    assert not turn.handoff and turn.replies[0].text == "How can I help you today?"
    turn = await session.handle_text("yes")  # the offer was answered: nothing to accept
    assert not turn.handoff
    session.close()


@pytest.mark.parametrize("domain", ["bank", "tax"])
def test_both_handoff_replies_show_the_handoff_card(domain: str) -> None:
    """``utter_handoff`` and ``utter_handoff_pending`` each keep the handoff card: the pending
    reply was once inserted between ``utter_handoff``'s lines and took its card away."""
    responses = load_pack(DEFAULT_PACKS_DIR / domain).responses
    for name in ("utter_handoff", "utter_handoff_pending"):
        assert responses[name].card == {"kind": "handoff"}, name
