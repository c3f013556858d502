"""Optional LLM rephrasing of knowledge-base answers through an OpenAI-compatible chat endpoint
(``POST {url}/chat/completions``; vLLM, llama.cpp's server, Ollama and hosted APIs speak it).

Off unless ``dialog.llm.url`` is set. The LLM only rewords an answer the knowledge base already
found, for speech; it never chooses an intent, triggers a connector or sees a verified visitor's
data, so it cannot skip verification. Every rewording is checked before it is used
(:func:`keeps_facts`): it must carry every number of the cited answer and add none, hold no link
and stay short; otherwise, and on any timeout or error, the cited answer is spoken word for word.
The visitor's question goes with the answer, with long digit runs masked. After a timeout or
an error the endpoint is skipped for :data:`COOLDOWN_S`, so a hung server costs one visitor one
deadline, not every answer.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from dataclasses import dataclass

import httpx

from connectors.masking import mask_digits

log = logging.getLogger(__name__)

#: Seconds the endpoint is skipped after a timeout or an error.
COOLDOWN_S = 60.0

_NUMBER = re.compile(r"\d+(?:[.,:]\d+)*")
_LINK = re.compile(r"https?://|www\.|\S+@\S+\.\w+", re.I)
_PROMPTS = {
    "en": (
        "You are the voice of a service-desk avatar. Rephrase the ANSWER so it sounds natural "
        "when spoken to a visitor who asked the QUESTION. Keep every fact and every number "
        "exactly; add no facts, numbers, links or advice. At most three short sentences. Reply "
        "with the spoken text only, in English."
    ),
    "zh": (
        "你是服务大厅数字员工的语音。请把“答案”改写成适合口头回答访客“问题”的话。保留所有事实和"
        "数字，不增加任何事实、数字、链接或建议。最多三句短句。只输出要说的话，用简体中文。"
    ),
}


@dataclass(frozen=True, slots=True)
class LLMSettings:
    """Where and how to call the chat endpoint.

    Attributes:
        url: base URL of the OpenAI-compatible API (``http://127.0.0.1:8000/v1``).
        model: the model name the endpoint expects.
        api_key: bearer token ("" for none); comes from an environment variable, never YAML.
        timeout_s: the whole call's deadline; past it the cited answer is spoken as is.
    """

    url: str
    model: str
    api_key: str = ""
    timeout_s: float = 1.5


def numbers(text: str) -> set[str]:
    """The digit groups of ``text`` with separators dropped (``"1,234.50"`` → ``"123450"``)."""
    return {re.sub(r"\D", "", n) for n in _NUMBER.findall(text)}


def keeps_facts(source: str, candidate: str, max_chars: int = 400) -> bool:
    """Whether ``candidate`` may be spoken instead of ``source``.

    Args:
        source: the cited knowledge-base answer.
        candidate: the LLM's rewording.
        max_chars: longest acceptable rewording (also at most twice the source's length + 80).

    Returns:
        True when the candidate is non-empty, short enough, holds no link or e-mail address and
        has exactly the numbers of the source.
    """
    text = candidate.strip()
    if not text or len(text) > min(max_chars, 2 * len(source) + 80) or _LINK.search(text):
        return False
    return numbers(text) == numbers(source)


class Rephraser:
    """Rewords knowledge-base answers with an LLM, under a deadline, checked by
    :func:`keeps_facts`. One instance is shared by every session (the HTTP client pools
    connections); :meth:`aclose` releases it."""

    def __init__(self, settings: LLMSettings, transport: httpx.AsyncBaseTransport | None = None):
        """Args:
        settings: endpoint, model, key and deadline.
        transport: an httpx transport (tests inject faults with one); default: the network.
        """
        self.settings = settings
        self._skip_until = 0.0
        headers = {"Authorization": f"Bearer {settings.api_key}"} if settings.api_key else {}
        self._client = httpx.AsyncClient(
            base_url=settings.url.rstrip("/"),
            headers=headers,
            timeout=settings.timeout_s,
            transport=transport,
        )

    async def rephrase(self, question: str, answer: str, language: str) -> str | None:
        """A spoken rewording of ``answer``, or ``None`` to speak ``answer`` as it is.

        Never raises: timeouts, HTTP errors, malformed replies and rewordings that change the
        facts all give ``None`` (logged as a warning with the reason).
        """
        if time.monotonic() < self._skip_until:
            return None
        prompt = _PROMPTS.get(language, _PROMPTS["en"])
        body = {
            "model": self.settings.model,
            "temperature": 0,
            "max_tokens": 200,
            "messages": [
                {"role": "system", "content": prompt},
                {"role": "user", "content": f"QUESTION: {mask_digits(question)}\nANSWER: {answer}"},
            ],
        }
        try:
            async with asyncio.timeout(self.settings.timeout_s):
                response = await self._client.post("/chat/completions", json=body)
            response.raise_for_status()
            text = response.json()["choices"][0]["message"]["content"]
            if not isinstance(text, str):
                raise TypeError("message content is not text")
        except (httpx.HTTPError, TimeoutError, ValueError, KeyError, IndexError, TypeError) as exc:
            self._skip_until = time.monotonic() + COOLDOWN_S
            log.warning(
                "LLM rephrase failed (%s); answers are spoken as written for %.0f s",
                exc.__class__.__name__,
                COOLDOWN_S,
            )
            return None
        text = text.strip()
        if not keeps_facts(answer, text):
            log.warning("LLM rephrase rejected: it changed the answer's numbers or length")
            return None
        return text

    async def aclose(self) -> None:
        """Close the HTTP client."""
        await self._client.aclose()
