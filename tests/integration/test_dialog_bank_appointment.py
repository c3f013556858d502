"""A bank visitor asking for an appointment (newcomer16 #3): "I want to book an appointment"
got "Sorry, I can't help with that here" (the bank pack had no appointment flow or answer,
while the README's reply cards name appointments). The knowledge base's section says how to
book with an advisor (the app, the hotline, the counter) and offers a colleague, in English
and Chinese, through the trained dialog as the server runs it."""

from __future__ import annotations

import pytest

from tests.conftest import trained_dialog
from tests.support.dialog_visitor import said


@pytest.mark.parametrize(
    ("typed", "source", "facts"),
    [  # the newcomer's lines, and lines of our own (none is one of the section's questions)
        ("I want to book an appointment", "faq.en.md § Appointments with an advisor", ("app",)),
        (
            "I'd like to make an appointment with an advisor",
            "faq.en.md § Appointments with an advisor",
            ("hotline", "counter"),
        ),
        ("can I see a mortgage advisor tomorrow", "faq.en.md § Appointments with an advisor", ()),
        ("我想预约一下客户经理", "faq.zh.md § 预约客户经理", ("手机银行", "柜台")),
        ("房贷的事能预约个时间面谈吗", "faq.zh.md § 预约客户经理", ("身份证",)),
    ],
)
async def test_an_appointment_request_says_how_to_book(
    typed: str, source: str, facts: tuple[str, ...]
) -> None:
    session = trained_dialog("bank").new_session("appointment")
    turn = await session.handle_text(typed)
    assert turn.intent == "faq" and turn.replies[0].source == source, said(turn)
    for fact in facts:
        assert fact in turn.replies[0].text, turn.replies[0].text
    session.close()
