"""Both packs say the lapse's words from their own responses (``utter_access_lapsed``,
``utter_visit_lapsed``, ``utter_access_visit_lapsed``), so they are prepared and sampled like
every other reply; before, neither pack had them and the engine's fallback words in
:mod:`dialog.lapse` were spoken. The words are the fallbacks', and a pack without the
responses still gets those."""

from __future__ import annotations

import dataclasses

import pytest

from dialog.lapse import BOTH_LAPSED, LAPSED, VISIT_LAPSED, lapsed_reply
from dialog.pack import DEFAULT_PACKS_DIR, load_pack
from dialog.steps import DialogState
from dialog.types import ReplyPlan

WORDS = {
    "utter_access_lapsed": LAPSED,
    "utter_visit_lapsed": VISIT_LAPSED,
    "utter_access_visit_lapsed": BOTH_LAPSED,
}


@pytest.mark.parametrize("domain", ["bank", "tax"])
@pytest.mark.parametrize("name", sorted(WORDS))
def test_each_pack_has_the_lapse_responses_in_the_engines_words(domain: str, name: str) -> None:
    response = load_pack(DEFAULT_PACKS_DIR / domain).responses[name]
    assert response.texts == WORDS[name]
    assert response.emotion == "neutral" and response.card is None


@pytest.mark.parametrize("language", ["en", "zh"])
def test_a_pack_without_them_says_the_fallback(language: str) -> None:
    bank = load_pack(DEFAULT_PACKS_DIR / "bank")
    responses = {n: r for n, r in bank.responses.items() if n not in WORDS}
    bare = dataclasses.replace(bank, responses=responses)
    slots = {name: slot.initial for name, slot in bank.slots.items()}
    visit = DialogState(language=language, slots={**slots, "queue_ticket": "C012"})
    expected = ReplyPlan(VISIT_LAPSED[language], language, "neutral")
    assert lapsed_reply(bare, visit) == expected
    assert lapsed_reply(bank, visit) == expected
