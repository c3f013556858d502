"""A visitor who tells the avatar a PIN or password (newcomer16 #8): "my pin is 4831, is that
safe?" got the PIN answer with no warning and the PIN in the caption. Through the trained bank
dialog as the server runs it: the value is hidden before anything reads the line, and the
first reply says never to tell anyone."""

from __future__ import annotations

import pytest

from dialog.sensitive import SECRET_WARNING
from tests.conftest import trained_dialog
from tests.support.dialog_visitor import said


@pytest.mark.parametrize(
    ("typed", "secret", "language"),
    [("my pin is 4831, is that safe?", "4831", "en"), ("我的密码是832915", "832915", "zh")],
)
async def test_a_pin_said_is_hidden_and_warned_about(
    typed: str, secret: str, language: str
) -> None:
    session = trained_dialog("bank").new_session("secret")
    turn = await session.handle_text(typed)
    assert turn.redacted == ("secret",)
    assert turn.replies[0].text == SECRET_WARNING[language], said(turn)
    assert secret not in turn.text and secret not in said(turn)
    assert all(secret not in e.detail for e in session.audit)
    session.close()
