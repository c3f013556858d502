"""A Chinese question's object without its frame (dialog.question_frame), and the check of a FAQ
reading that reads the object alone (dialog.understanding.Understanding): a visitor at the wrong
counter asks in the hall's frame about another body's business."""

from __future__ import annotations

import pytest

from dialog.embedding import SentenceEncoder
from dialog.pack import DEFAULT_PACKS_DIR, load_pack
from dialog.question_frame import question_object, request_object
from dialog.understanding import Understanding
from engine.embeddings import embedding_cache_dir
from tests.conftest import model_folder


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("狗证在哪个窗口办？", "狗证"),
        ("老年卡要啥材料", "老年卡"),
        ("请问养犬登记去哪里办理", "养犬登记"),
        ("契税怎么交啊", "契税"),
        ("小孩落户需要什么手续", "小孩落户"),  # the procedure asked for
        ("社保卡去哪里补", "社保卡"),
        ("办护照需要提供什么证明", "办护照"),  # the certificate asked for
        ("我的车可以放哪儿", None),  # a bare 哪儿 is where the car goes, not a window to go to
        ("发票丢了", None),  # no frame: nothing to read again
        ("在哪个窗口", None),  # only the frame
        ("where do I pay", None),  # the frames are Chinese
    ],
)
def test_question_object(text: str, found: str | None) -> None:
    assert question_object(text) == found


@pytest.fixture(scope="module")
def tax() -> Understanding:
    encoder = SentenceEncoder.load(
        model_folder("multilingual-e5-small"), cache_dir=embedding_cache_dir()
    )
    return Understanding.from_pack(load_pack(DEFAULT_PACKS_DIR / "tax"), encoder)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # another body's business in the hall's frame: read whole, the "which window" and
        # "what to bring" sections (0.6-0.8); the object alone is out of scope
        ("狗证在哪个窗口办", "out_of_scope"),
        ("老年卡要啥材料", "out_of_scope"),
        ("养犬登记去哪个窗口", "out_of_scope"),
        ("养狗登记需要什么手续", "out_of_scope"),  # whole: "new business registration"
        # the hall's own business in the same frames keeps its answer
        ("发票丢了去哪个窗口补", "faq"),
        ("契税在哪个窗口交", "faq"),
        ("新公司税务登记要啥材料", "faq"),
        ("契税需要什么手续", "faq"),
        ("电子发票怎么查", "faq"),
    ],
)
def test_faq_reading_checked_by_its_object(tax: Understanding, text: str, expected: str) -> None:
    nlu, kb = tax.read(text, "zh")
    assert tax.label(nlu, kb) == expected
    assert (kb is None) == (expected == "out_of_scope")


@pytest.mark.parametrize(
    ("text", "examples", "found"),
    [
        ("帮我预约一下医院的号", ["帮我预约一下", "我要预约"], "医院的号"),
        ("我要投诉我们小区的物业", ["我要投诉"], "我们小区的物业"),
        ("帮我预约一下", ["帮我预约一下"], None),  # only the request's words
        ("帮我预约明天", ["我要预约"], "帮我明天"),  # characters left keep their order
        ("book me in", ["我要预约"], None),  # the request words are Chinese
        # nothing of the request's was stripped: digits beside it do not make it an object
        ("医院的号123", ["帮我预约一下"], None),
        ("帮我预约一下医院的号2号", ["帮我预约一下"], "医院的号号"),
    ],
)
def test_request_object(text: str, examples: list[str], found: str | None) -> None:
    assert request_object(text, examples) == found


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # another body's business in a flow's request: read whole, the appointment and
        # complaint flows; what is left beyond the flow's words names a hospital, the police,
        # a housing estate's management and reads out of scope
        ("帮我约个医院的专家号", "out_of_scope"),
        ("我想预约去派出所办身份证", "out_of_scope"),
        ("我要投诉我们小区的物业", "out_of_scope"),
        # the hall's own requests keep their flow, a time or a description left over or not
        ("帮我预约明天上午十点", "book_appointment"),
        ("把我约的办税时间取消", "cancel_appointment"),
        ("我要投诉你们大堂经理，他态度很差，让我等了一个小时", "complaint"),
        ("我要投诉，社保窗口的人态度很差", "complaint"),  # 社保 is paid here
    ],
)
def test_flow_reading_checked_by_its_object(tax: Understanding, text: str, expected: str) -> None:
    nlu, kb = tax.read(text, "zh")
    assert tax.label(nlu, kb) == expected
