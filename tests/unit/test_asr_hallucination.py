"""The transcript filter for Whisper's hallucinations (pure function, both languages): echoes of
the decoder prompt, subtitle boilerplate learned from video captions, and loops."""

from __future__ import annotations

import pytest

from engine.asr.hallucination import Cleaned, clean_transcript
from engine.asr.whisper import zh_punctuation
from engine.config_sections import DIGITS_PROMPT_EXAMPLE_ZH

#: The decoder prompt for Mandarin (config ``asr.prompts.zh``); English has none by default.
ZH_PROMPT = "以下是普通话的句子。"
EN_PROMPT = None


@pytest.mark.parametrize(
    "text",
    [
        "这就是普通话的句子。",  # seen in the browser after switching to Chinese
        "以下是普通话的句子。",
        "以下是普通话的句子",
        "以下是普通话的句子。以下是普通话的句子。",
        "是普通话的句子。",
    ],
)
def test_prompt_echoes_are_dropped(text: str) -> None:
    result = clean_transcript(text, prompt=ZH_PROMPT, audio_ms=2500)
    assert result.text == ""
    assert result.reason == "prompt-echo"


def test_a_prompt_echo_before_real_words_is_cut_off() -> None:
    result = clean_transcript("以下是普通话的句子。我想查一下余额", ZH_PROMPT, 4000)
    assert result.text == "我想查一下余额"
    assert result.reason == "prompt-echo"


def test_an_english_prompt_is_echo_filtered_too() -> None:
    # English has no prompt by default; an operator may configure one (asr.prompts.en)
    prompt = "A customer asks the bank assistant a question."
    whole = clean_transcript(prompt, prompt, 2000)
    assert (whole.text, whole.reason) == ("", "prompt-echo")
    echoed = clean_transcript(f"{prompt} What is my balance?", prompt, 3000)
    assert (echoed.text, echoed.reason) == ("What is my balance?", "prompt-echo")
    for answer in ("Yes.", "No.", "What is my balance?"):
        assert clean_transcript(answer, prompt, 900).text == answer


@pytest.mark.parametrize(
    "text",
    [
        "Thank you for watching!",
        "Thanks for watching.",
        "Thank you so much for watching, see you in the next video.",
        "Please subscribe to my channel.",
        "Don't forget to like and subscribe!",
        "Subtitles by the Amara.org community",
        "字幕由Amara.org社区提供",
        "字幕由 Amara.org 社区提供",
        "中文字幕由索兰娅提供",
        "请不吝点赞 订阅 转发 打赏支持明镜与点点栏目",
        "请不吝点赞订阅转发打赏",
        "明镜需要您的支持 欢迎订阅明镜",
        "谢谢观看",
        "感谢收看！",
        "谢谢大家的观看。",
    ],
)
def test_known_hallucinations_are_dropped_at_any_length(text: str) -> None:
    for audio_ms in (800, 9000):
        result = clean_transcript(text, prompt=None, audio_ms=audio_ms)
        assert (result.text, result.reason) == ("", "known-hallucination"), text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "I want to check my balance I want to check my balance I want to check my balance",
            "I want to check my balance",
        ),
        (
            "What are your hours? What are your hours? What are your hours?",
            "What are your hours?",
        ),
        ("我想查余额我想查余额我想查余额我想查余额", "我想查余额"),
        ("好的好的好的好的好的好的", "好的"),
        ("Okay. Okay. Okay. Okay. Okay. Okay.", "Okay."),
    ],
)
def test_loops_collapse_to_one_saying(text: str, expected: str) -> None:
    result = clean_transcript(text, prompt=None, audio_ms=6000)
    assert result.text == expected
    assert result.reason == "repetition"


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("What is my balance?", "en"),
        ("Thank you for your help.", "en"),
        ("Can you help me watch my spending?", "en"),
        ("four four one seven", "en"),
        ("one one one one", "en"),  # card digits are never a loop
        ("1 1 1 1 2 2", "en"),
        ("no no no, the other card", "en"),
        ("我想查一下余额", "zh"),
        ("我的卡号后四位是四四一七", "zh"),
        ("一一一一", "zh"),
        ("你们的营业时间是几点到几点", "zh"),
        ("请问这里可以说普通话吗", "zh"),
        ("谢谢你的帮助", "zh"),
    ],
)
def test_real_questions_are_kept_as_they_are(text: str, language: str) -> None:
    prompt = ZH_PROMPT if language == "zh" else EN_PROMPT
    result = clean_transcript(text, prompt=prompt, audio_ms=3000)
    assert (result.text, result.reason) == (text, None)


def test_short_silence_phrases_are_dropped_only_when_short() -> None:
    assert clean_transcript("Thank you.", None, audio_ms=900).text == ""
    assert clean_transcript("谢谢", ZH_PROMPT, audio_ms=900).reason == "silence-phrase"
    assert clean_transcript("Thank you.", None, audio_ms=3500).text == "Thank you."


@pytest.mark.parametrize(
    "text", ["Yes.", "yes", "No.", "No, thanks.", "Okay.", "对", "是的", "不是", "嗯", "好的"]
)
def test_short_answers_to_a_flow_are_kept(text: str) -> None:
    # a confirmation step waits for exactly these; "嗯" is an affirm example of both packs
    prompt = ZH_PROMPT if not text.isascii() else EN_PROMPT
    for audio_ms in (400, 900):
        result = clean_transcript(text, prompt, audio_ms)
        assert (result.text, result.reason) == (text, None)


def test_empty_text_stays_empty() -> None:
    assert clean_transcript("  ", None, 500).text == ""
    assert clean_transcript("  ", None, 500).reason is None


def test_the_whisper_decoder_applies_the_filter() -> None:
    # The segment guards run on the decoder's segments without a model: an echo of the prompt
    # with a confident score (as seen in the browser) leaves an empty transcript.
    from engine.asr.whisper import ASRSettings, WhisperASR
    from engine.asr.windowed import WindowedDecode

    asr = WhisperASR.__new__(WhisperASR)  # no model needed for _finish
    asr.settings = ASRSettings()
    echo = WindowedDecode("這就是普通話的句子。", -0.2, 0.05, 1.1, 1000)  # Traditional, as decoded
    transcript = asr._finish([echo], "zh", 2500.0)
    assert (transcript.text, transcript.avg_logprob) == ("", None)
    real = WindowedDecode("我想查余额我想查余额我想查余额", -0.3, 0.05, 2.0, 1000)
    assert asr._finish([real], "zh", 4000.0).text == "我想查余额"


@pytest.mark.parametrize(
    ("heard", "written"),
    [
        ("查余额,谢谢?", "查余额，谢谢？"),
        ("好的. 谢谢!", "好的。谢谢！"),
        ("3.5元", "3.5元"),  # a mark between digits stays
        ("10:30到11:00.", "10:30到11:00。"),
        ("1,000元", "1,000元"),
        ("我的邮箱是abc@gmail.com", "我的邮箱是abc@gmail.com"),  # inside an address: stays
        ("网址是www.bank.cn.", "网址是www.bank.cn。"),
        ("用PayPal.好吗?", "用PayPal。好吗？"),
        ("OK, 谢谢", "OK，谢谢"),
    ],
)
def test_a_mandarin_transcript_is_punctuated_in_full_width(heard: str, written: str) -> None:
    assert zh_punctuation(heard) == written


#: The documented prompt of a turn at a digits question (``asr.digits_prompts.zh``, off by
#: default): two clauses of digits beside the default prompt's sentence.
DIGITS_PROMPT = DIGITS_PROMPT_EXAMPLE_ZH


def test_no_digits_prompt_by_default() -> None:
    from engine.config import EngineConfig

    assert EngineConfig().asr.digits_prompts == {}


@pytest.mark.parametrize(
    ("heard", "kept"),
    [
        (DIGITS_PROMPT, ""),
        ("以下是普通话的句子。尾号是五三九零。", ""),  # the whole sentence is no longer kept
        ("尾号是五三九零。", ""),
        ("验证码是六二八七一四", ""),
        ("四四一七。尾号是五三九零。", "四四一七。"),
        ("四四一七，尾号是五三九零", "四四一七，"),
        ("四四一七尾号是5390", "四四一七"),  # the echo's digits written as numerals
    ],
)
def test_a_partial_echo_of_the_digits_prompt_is_cut_out(heard: str, kept: str) -> None:
    # the echo's 五三九零 stood in for the visitor's card tail (the last four digits said win)
    from dialog.pack import SlotDef
    from dialog.slot_values import extract_slot_value

    result = clean_transcript(heard, DIGITS_PROMPT, 2500)
    assert (result.text, result.reason) == (kept, "prompt-echo")
    tail = SlotDef(name="card_last4", type="digits", length=4, sensitive=True)
    assert extract_slot_value(tail, result.text, {}) == ("4417" if kept else None)


@pytest.mark.parametrize(
    "answer",
    ["尾号是4417", "尾号是四四一七。", "验证码是104729", "似是一起", "卡号后四位是8821，谢谢。"],
)
def test_answers_at_a_digits_question_are_kept(answer: str) -> None:
    assert clean_transcript(answer, DIGITS_PROMPT, 2500) == Cleaned(answer, None)


def test_a_latin_clause_of_a_prompt_is_not_cut_alone() -> None:
    # an operator's English prompt of two clauses: the visitor's "Hello." is no echo
    prompt = "Hello, a customer asks the bank assistant a question."
    assert clean_transcript("Hello.", prompt, 900).text == "Hello."


def test_the_whisper_decoder_filters_the_echo_of_the_prompt_it_used() -> None:
    from engine.asr.whisper import ASRSettings, WhisperASR
    from engine.asr.windowed import WindowedDecode

    asr = WhisperASR.__new__(WhisperASR)  # no model needed for _finish
    asr.settings = ASRSettings()
    heard = WindowedDecode("四四一七。尾号是五三九零。", -0.2, 0.05, 1.1, 1500)
    assert asr._finish([heard], "zh", 2500.0, DIGITS_PROMPT).text == "四四一七。"
