"""A spoken card tail at a question that waits for digits, through the real voice and ASR.

Kokoro (the default Mandarin voice) says digits; Whisper ``base`` decodes them as the engine
does at a ``digits`` question (``asr.digits_prompts``) and the slot reading takes homophones
(:func:`dialog.slot_values.extract_slot_value`). Without the digits prompt these two came back
as 六五啊 and 而三把铃 (``benchmarks/digit_answers.py``: 13/25 read right with the default
prompt, 23/25 with both parts).
"""

from __future__ import annotations

import numpy as np
import pytest

from benchmarks.digit_answers import speak, spoken
from dialog.pack import SlotDef
from dialog.slot_values import extract_slot_value
from engine.config import EngineConfig
from engine.hearing import Hearing
from tests.conftest import model_folder

pytestmark = pytest.mark.slow

CARD_TAIL = SlotDef(name="card_last4", type="digits", length=4, sensitive=True)


@pytest.mark.parametrize("digits", ["6252", "2380"])
def test_a_spoken_card_tail_is_read_at_a_digits_question(kokoro, hearing: Hearing, digits) -> None:
    model_folder("whisper-base")
    audio = speak(kokoro, spoken(digits, "zh"), "zh")
    assert audio.dtype == np.float32
    heard = hearing.transcribe(audio, "zh", awaited="digits")
    assert extract_slot_value(CARD_TAIL, heard.text, {}) == digits, heard.text


def test_the_digits_prompt_is_only_for_a_digits_question(hearing: Hearing) -> None:
    assert hearing.prompt_for("zh", "digits") == EngineConfig().asr.digits_prompts["zh"]
    assert hearing.prompt_for("zh", "yes_no") is None
    assert hearing.prompt_for("zh", None) is None
    assert hearing.prompt_for("en", "digits") is None  # no English prompt: it changed nothing
