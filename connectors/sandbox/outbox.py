"""The sandbox's text-message outbox: the one-time codes it "sent" to a phone, kept in memory.

A real bank texts the one-time code to the phone on file; the sandbox has no phone network, so
it keeps the messages it would have sent in this process's memory (never in its database or a
log line), newest last and at most :data:`KEEP_MESSAGES` of them. The engine's demo phone page
(``GET /demo/phone``, embedded mode only) reads them through the test-only route
``GET /_test/messages``, so a person trying the demo can read the code and type it.
"""

from __future__ import annotations

import datetime as dt
from collections import deque
from dataclasses import asdict, dataclass

#: Messages kept per sandbox process (the oldest is forgotten first).
KEEP_MESSAGES = 50

#: Sender names per system (the fictional brands of the demo), Chinese then English; every
#: message is written in both languages.
SENDERS = {"bank": ("海港银行", "Harbour Bank"), "tax": ("税务服务厅", "Tax Service Hall")}


@dataclass(frozen=True, slots=True)
class TextMessage:
    """One text message as the demo phone shows it.

    Attributes:
        to: the recipient's number masked to its last 4 digits (``*******1288``), as in logs.
        text: the message body.
        sent_at: when it was sent, ISO 8601 in UTC with milliseconds
            (``2025-06-02T09:30:00.123Z``; strings of this form sort by time).
    """

    to: str
    text: str
    sent_at: str


def code_message(system: str, code: str, valid_s: int) -> str:
    """The body of a one-time-code message from ``system`` (``bank`` or ``tax``), in Chinese and
    English.

    Args:
        system: the sending system.
        code: the one-time code.
        valid_s: how long the code is valid, seconds.
    """
    zh, en = SENDERS.get(system, (system, system))
    minutes = max(1, valid_s // 60)
    return (
        f"【{zh}】您的验证码是 {code}，{minutes} 分钟内有效，请勿告诉他人。"
        f" {en}: your one-time code is {code}. It expires in {minutes} minutes; never share it."
    )


class Outbox:
    """The messages one sandbox process sent, oldest first, in memory only.

    Args:
        keep: the most messages kept.
    """

    def __init__(self, keep: int = KEEP_MESSAGES) -> None:
        self._messages: deque[TextMessage] = deque(maxlen=keep)

    def send(self, to_masked: str, text: str, now: dt.datetime) -> TextMessage:
        """Record a message sent at ``now`` (timezone-aware).

        Args:
            to_masked: the recipient's number, already masked to its last 4 digits (the full
                number is never kept here).
            text: the body.
            now: the sending time.

        Raises:
            ValueError: ``now`` has no timezone, or ``to_masked`` shows more than 4 digits.
        """
        if sum(ch.isdigit() for ch in to_masked) > 4:
            raise ValueError("to_masked must show at most the last 4 digits")
        if now.tzinfo is None:
            raise ValueError("now must be timezone-aware")
        stamp = now.astimezone(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        message = TextMessage(to=to_masked, text=text, sent_at=stamp)
        self._messages.append(message)
        return message

    def messages(self) -> list[dict[str, str]]:
        """The kept messages, oldest first, as ``{"to", "text", "sent_at"}`` dicts."""
        return [asdict(m) for m in self._messages]
