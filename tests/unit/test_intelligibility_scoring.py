"""How a transcript is scored against a Mandarin reply (engine/tts/intelligibility.py)."""

from __future__ import annotations

import pytest

from engine.tts.intelligibility import cer_zh, in_sample, missed_by_tone, read_as_in_reference

REPLY = "已向您尾号5678的手机发送验证码。"


def test_digits_heard_right_are_read_as_the_reply_reads_them() -> None:
    # 尾 misheard as 为: the normaliser alone would read 为号5678 as a cardinal (五千六百七十八)
    assert read_as_in_reference(REPLY, "已向您为号5678的手机") == "已向您为号五六七八的手机"
    # one wrong character out of 17, not four
    assert cer_zh(REPLY, "已向您为号5678的手机发送验证码。") == pytest.approx(1 / 17)
    assert cer_zh(REPLY, REPLY) == 0.0


def test_a_card_tail_is_read_with_its_whole_cue() -> None:
    # the cue 后四位是 is four characters: the heard 8821 is read one by one, as in the reply,
    # even where the transcript broke the cue with a comma
    reply = "现在为您冻结卡号后四位是8821的银行卡吗？"
    heard = "现在为您冻结卡号后，四位是8821的银行卡吗？"
    assert read_as_in_reference(reply, heard) == "现在为您冻结卡号后，四位是八八二一的银行卡吗？"
    assert cer_zh(reply, heard) == 0.0


def test_digits_the_reply_does_not_write_are_left_to_the_normaliser() -> None:
    assert read_as_in_reference(REPLY, "尾号5679") == "尾号5679"
    assert read_as_in_reference(REPLY, "尾号567") == "尾号567"
    # a wrong number still costs its characters: 五六七九 against 五六七八, one wrong
    assert cer_zh(REPLY, "已向您尾号5679的手机发送验证码。") == pytest.approx(1 / 17)


def test_amounts_and_times_keep_their_readings() -> None:
    reply = "可退税1,280.50元，九点半前办理。"
    assert read_as_in_reference(reply, "可退税1,280.50元") == "可退税一千二百八十点五元"
    assert cer_zh("时段有：09:30。", "时段有09:30") == 0.0


def test_the_scored_sample_does_not_shift_when_templates_are_added() -> None:

    names = [f"utter_{i:03d}" for i in range(40)]
    before = {n for n in names if in_sample("tax", n)}
    grown = sorted([*names, "utter_000a", "utter_001a", "utter_aaa"])
    after = {n for n in grown if in_sample("tax", n)}
    assert before and before == after & set(names)
    # the four samples split the templates, each template in exactly one
    for n in grown:
        assert sum(in_sample("tax", n, 4, o) for o in range(4)) == 1
    with pytest.raises(ValueError, match="offset 4"):
        in_sample("tax", "utter_greet", 4, 4)


def test_missed_characters_are_counted_by_their_lexical_tone() -> None:
    # 余额 heard as 余恶: 额 (é, tone 2) missed; 您 余 tone 2, 账户 tone 4, 的 neutral
    assert missed_by_tone("您的账户余额", "您的账户余恶") == {2: (1, 3), 0: (0, 1), 4: (0, 2)}
    # 验证 heard as 厌正: the same sounds, but the listener's word is missed (two tone-4 chars)
    assert missed_by_tone("谢谢，身份验证成功。", "谢谢 身份厌正成功") == {
        4: (2, 5),
        1: (0, 2),
        2: (0, 1),
    }
    # digits count by the words they are said with (八八二一: ba1 ba1 er4 yi1); letters have none
    assert missed_by_tone("卡号后四位是8821。", "卡号后四位是8821") == {
        3: (0, 1),
        4: (0, 6),
        1: (0, 3),
    }
    assert missed_by_tone("ATM在门口", "ATM在门口") == {4: (0, 1), 2: (0, 1), 3: (0, 1)}


@pytest.mark.parametrize("domain", ["bank", "tax"])
def test_every_placeholder_of_every_reply_has_a_sample_value(domain: str) -> None:
    """A template whose slot the sample does not fill is spoken with a hole (接下来为您办…：“”。
    when the queued-request reply joined the test's sample without a value for ``request``),
    so the voice is scored on text no visitor hears."""
    import re
    from pathlib import Path

    from dialog.pack import load_pack
    from engine.paths import ASSETS_DIR
    from engine.tts.reply_sample import sample_slots

    pack = load_pack(Path(ASSETS_DIR) / "domains" / domain)
    unfilled = [
        (name, language, slot)
        for name, response in pack.responses.items()
        for language, text in response.texts.items()
        for slot in re.findall(r"\{(\w+)", text)
        if slot not in sample_slots(language) and not (slot == "items" and response.items)
    ]
    assert unfilled == []
