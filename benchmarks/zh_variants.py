"""Which wording of a word the Mandarin ASR mishears is heard best? Sentences of our own (none
from the packs, none from the test's sample), each said with every candidate wording of one
word (余额, 冻结, the frame around a visitor's quoted request, the balance reply's lead-in) and
digit strings with 1 said 一 or 幺, spoken by Kokoro and heard by the project's Mandarin ASR.
Prints each sentence's CER and transcript, and per candidate the mean CER and in how many
sentences the candidate's key word was heard exactly.

    .venv/bin/python benchmarks/zh_variants.py [--groups yue,dongjie,next,balance,digits]
        [--runs 1] [--speaker zm_yunxi] [--pitch-range 1.6]

Synthesis and Whisper's greedy decoding are deterministic on one machine, so ``--runs 2``
checks that rather than adding samples; more sentences are what add samples.
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import engine.tts.zh_g2p as zh_g2p
from engine.asr.whisper import to_simplified
from engine.config import EngineConfig
from engine.hearing import Hearing
from engine.tts.intelligibility import Reply, speak_and_hear
from engine.tts.kokoro import KokoroTTS
from engine.tts.zh_text import normalize_zh
from engine.voices import model_folder

#: group → (frames with {X}, candidates as (label, text put in for X, key word to find heard)).
GROUPS: dict[str, tuple[tuple[str, ...], tuple[tuple[str, str, str], ...]]] = {
    "yue": (
        (
            "我可以帮您查{X}。",
            "您想先看{X}吗？",
            "{X}会显示在屏幕上。",
            "查{X}需要先确认您的身份。",
            "请稍等，正在为您读取{X}。",
            "我先帮您看一下{X}，然后再办别的。",
            "您刚才问的是{X}，对吗？",
        ),
        (
            ("余额", "余额", "余额"),
            ("账户余额", "账户余额", "余额"),
            ("卡里的余额", "卡里的余额", "余额"),
            ("可用余额", "可用余额", "余额"),
            ("存款余额", "存款余额", "余额"),
            ("账户里还有多少钱", "账户里还有多少钱", "多少钱"),
        ),
    ),
    "dongjie": (
        (
            "我可以帮您把这张卡{X}。",
            "卡片丢失以后，请尽快{X}。",
            "这里可以办理挂失、{X}和补办新卡。",
            "{X}以后，别人就不能用这张卡了。",
            "您的卡已经{X}了，请放心。",
            "需要我现在为您{X}吗？",
            "我还可以帮您{X}银行卡。",
        ),
        (
            ("冻结", "冻结", "冻结"),
            ("临时冻结", "临时冻结", "冻结"),
            ("止付", "止付", "止付"),
            ("暂停使用", "暂停使用", "暂停使用"),
            ("锁定", "锁定", "锁定"),
        ),
    ),
    "next": (
        (
            "看看余额",
            "我要查余额",
            "余额还有多少",
            "帮我冻结卡",
            "取个排队号",
            "挂失银行卡",
        ),
        (
            ("A", "接下来为您办刚才说的另一件事：“{Q}”。", ""),
            ("B", "刚才您还说了“{Q}”，现在为您办理。", ""),
            ("C", "现在为您办理刚才说的另一件事，“{Q}”。", ""),
            ("D", "下面来办您说的另一件事：“{Q}”，请稍等。", ""),
            ("E", "您刚才还说要“{Q}”，现在就为您办。", ""),
            ("F", "接下来办您的第二件事：“{Q}”。", ""),
        ),
    ),
    "balance": (
        (
            "账号后四位是6093的账户，500.00元",
            "账号后四位是7352的账户，18,200.50元；账号后四位是9046的账户，36.80元",
            "账号后四位是2857的账户，3,000.00元",
            "账号后四位是6409的账户，920.15元；账号后四位是3075的账户，4,600.00元",
            "账号后四位是8436的账户，75.20元",
            "账号后四位是5098的账户，1,050.00元；账号后四位是7624的账户，88.00元",
        ),
        (
            ("bA", "您的账户余额：{Q}。", "余额"),
            ("bB", "您的账户余额如下：{Q}。", "余额"),
            ("bC", "以下是您的账户余额：{Q}。", "余额"),
            ("bD", "您各个账户的余额是：{Q}。", "余额"),
            ("bE", "您账户里现在有：{Q}。", "现在有"),
            ("bF", "您的账户余额分别是：{Q}。", "余额"),
        ),
    ),
}

#: Digit strings of our own (4-digit tails and codes with 1s, most a final 1: heard 亿).
DIGITS = (
    "卡号后四位是3381。",
    "账号后四位是5511。",
    "手机号后四位是2091，请您确认。",
    "卡号后四位是7461的银行卡已经挂失。",
    "账号后四位是9031的账户可以使用。",
    "卡号后四位是4171。",
    "手机号后四位是1208。",
    "您的卡号后四位是6051吗？",
    "电话是13920471851。",
    "工号是30711。",
)


def _one_variants() -> dict[str, object]:
    """code_one readings to compare: 一 everywhere, 幺 in codes of digits only (not in codes
    with letters), 幺 only for a final 1 of a digit string."""

    def only_digits(text: str, **kw: object) -> str:
        kw["code_one"] = "一"
        said = normalize_zh(text, **kw)  # type: ignore[arg-type]
        plain = normalize_zh(text, **{**kw, "code_one": "幺"})  # type: ignore[arg-type]
        # the experiment's sentences hold digit-only codes alone: take the 幺 reading whole
        return plain if not re.search(r"[A-Za-z]", text) else said

    def final_only(text: str, **kw: object) -> str:
        said = normalize_zh(text, **{**kw, "code_one": "一"})  # type: ignore[arg-type]
        return re.sub(r"(?<=[零一二三四五六七八九、])一(?![零一二三四五六七八九、])", "幺", said)

    return {"一": normalize_zh, "幺 digits": only_digits, "幺 final": final_only}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--groups", default="yue,dongjie,next,balance,digits")
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument(
        "--only", default="", help="comma-separated candidate labels to run (default: all)"
    )
    parser.add_argument("--speaker", default="zm_yunxi")
    parser.add_argument("--pitch-range", type=float, default=1.6)
    args = parser.parse_args()
    tts = KokoroTTS(model_folder("kokoro-82m"), voice=args.speaker, tones=False,
                    pitch_range=args.pitch_range)  # fmt: skip
    asr = Hearing(EngineConfig()).asr_for("zh")
    for group in args.groups.split(","):
        if group == "digits":
            variants = _one_variants()
            for label, fn in variants.items():
                zh_g2p.normalize_zh = fn  # type: ignore[assignment]
                replies = [Reply("own", f"d{i}", t) for i, t in enumerate(DIGITS)]
                _report(group, label, speak_and_hear(tts, asr, replies, "zh"), "", args.runs)
            zh_g2p.normalize_zh = normalize_zh
            continue
        frames, candidates = GROUPS[group]
        only = [o for o in args.only.split(",") if o]
        for label, text, key in candidates:
            if only and label not in only:
                continue
            if "{Q}" in text:
                sentences = [text.replace("{Q}", f) for f in frames]
            else:
                sentences = [f.replace("{X}", text) for f in frames]
            replies = [Reply("own", f"{group}{i}", t) for i, t in enumerate(sentences)]
            for _ in range(args.runs):
                _report(group, label, speak_and_hear(tts, asr, replies, "zh"), key, 1)
    return 0


def _report(group: str, label: str, scores: list, key: str, _runs: int) -> None:
    for s in scores:
        print(f"  {s.error:6.1%}  {s.reply.text}  ->  {s.heard}", flush=True)
    hits = sum(key in to_simplified(s.heard) for s in scores if key in s.reply.text)
    total = sum(key in s.reply.text for s in scores)
    mean = statistics.mean(s.error for s in scores)
    print(
        f"{group:8s} {label:24s} CER mean {mean:6.1%}  over 15 %: "
        f"{sum(s.error > 0.15 for s in scores)}/{len(scores)}"
        + (f"  {key} heard {hits}/{total}" if key else ""),
        flush=True,
    )


if __name__ == "__main__":
    sys.exit(main())
