"""Knowledge base: BM25 over the packs' Markdown, answers with the cited section, and no answer
(rather than a made-up one) below the threshold."""

from __future__ import annotations

import pytest

from dialog.kb import KnowledgeBase, parse_markdown, tokenize
from dialog.pack import DEFAULT_PACKS_DIR, load_pack


@pytest.fixture(scope="module")
def bank_kb() -> KnowledgeBase:
    pack = load_pack(DEFAULT_PACKS_DIR / "bank")
    return KnowledgeBase.from_files(pack.kb_files, float(pack.setting("kb_min_score", 1.2)))


@pytest.fixture(scope="module")
def tax_kb() -> KnowledgeBase:
    pack = load_pack(DEFAULT_PACKS_DIR / "tax")
    return KnowledgeBase.from_files(pack.kb_files, float(pack.setting("kb_min_score", 1.2)))


@pytest.mark.parametrize(
    ("query", "lang", "source", "fact"),
    [
        ("what time do you open on saturday", "en", "faq.en.md § Opening hours", "12 noon"),
        ("周六营业吗", "zh", "faq.zh.md § 营业时间", "周六上午9点"),
        ("is there somewhere to park my car", "en", "faq.en.md § Parking", "30 minutes"),
        ("忘记密码了怎么办", "zh", "faq.zh.md § 忘记密码或密码锁定", "身份证"),
        ("the ATM swallowed my card", "en", "faq.en.md § Card kept by an ATM", "same day"),
    ],
)
def test_bank_answers_cite_their_section(
    bank_kb: KnowledgeBase, query: str, lang: str, source: str, fact: str
) -> None:
    answer = bank_kb.search(query, lang)
    assert answer is not None and answer.source == source
    assert fact in answer.text and answer.score >= bank_kb.min_score
    assert "<!--" not in answer.text and "##" not in answer.text


@pytest.mark.parametrize(
    ("query", "lang", "fact"),
    [
        ("when is the deadline for the annual reconciliation", "en", "30 June"),
        ("which window handles invoices", "en", "Window 5"),
        ("where do I go for social insurance", "en", "window 7"),
        ("房贷利息能扣除吗", "zh", "住房贷款利息每月1000元"),
        ("灵活就业人员怎么交社保", "zh", "灵活就业人员"),
    ],
)
def test_tax_answers(tax_kb: KnowledgeBase, query: str, lang: str, fact: str) -> None:
    answer = tax_kb.search(query, lang)
    assert answer is not None and fact.lower() in answer.text.lower()
    assert answer.source.startswith(f"faq.{lang}.md § ")


@pytest.mark.parametrize(
    ("query", "lang"),
    [
        ("what is the airspeed velocity of a swallow", "en"),
        ("火星上有水吗", "zh"),
        ("the", "en"),
        ("", "zh"),
    ],
)
def test_no_answer_below_threshold(bank_kb: KnowledgeBase, query: str, lang: str) -> None:
    assert bank_kb.search(query, lang) is None


def test_every_section_has_a_parallel_translation() -> None:
    for domain in ("bank", "tax"):
        en = parse_markdown(DEFAULT_PACKS_DIR / domain / "kb" / "faq.en.md")
        zh = parse_markdown(DEFAULT_PACKS_DIR / domain / "kb" / "faq.zh.md")
        assert len(en) == len(zh) >= 15
        assert {s.language for s in en} == {"en"} and {s.language for s in zh} == {"zh"}
        sample_note = (DEFAULT_PACKS_DIR / domain / "kb" / "faq.en.md").read_text("utf-8")
        assert "SAMPLE CONTENT" in sample_note


def test_tokenize() -> None:
    assert tokenize("What are the Opening hours?", "en") == ["open", "hour"]
    assert "营业时间" in tokenize("请问营业时间是几点", "zh")


def test_an_operator_note_is_not_spoken_and_a_spoken_label_is_reported(tmp_path) -> None:
    from dialog.kb_markdown import lint_markdown

    path = tmp_path / "faq.en.md"
    path.write_text(
        "# FAQ\n\n## Fees\n<!-- sample rule --> A card costs 10 yuan.\n\n"
        "## Deadlines\nSample rules: a business files by the 15th (sample terms).\n",
        encoding="utf-8",
    )
    fees, deadlines = parse_markdown(path)
    assert fees.text == "A card costs 10 yuan."
    assert deadlines.text.startswith("Sample rules:")
    assert [line for line, _ in lint_markdown(path)] == [7]
    zh = tmp_path / "faq.zh.md"
    zh.write_text(
        "## 费用\n示例规则：每张卡10元（示例费率）。\n## 期限\n按月申报<!-- 示例规则 -->。\n"
    )
    assert [line for line, _ in lint_markdown(zh)] == [2]
    assert parse_markdown(zh)[1].text == "按月申报。"
