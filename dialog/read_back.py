"""The language a reply that quotes the visitor's own words is said in: the words' language.

A complaint typed in English in a Chinese session was read back inside a Chinese sentence
("我将登记以下投诉：“the cash machine swallowed my card”。确认提交吗？"), for the Mandarin voice to
read English words and the visitor to confirm in a language they had not used (flows16). A
reply whose template quotes a free-text slot (a ``text`` slot: the complaint, the
suggestion) is said in the language of the words it quotes, when the response has that
language; every other reply stays in the session's language.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from dialog.commands import detect_language
from dialog.pack import Pack, Response

_PLACEHOLDER = re.compile(r"\{(\w+)\}")
#: Slot types whose value is the visitor's own words, quoted as said (not ``any``: that also
#: holds a bank's reference, "K-1234", which says nothing about the visitor's language).
FREE_TEXT_TYPES = ("text",)


def read_back_language(
    pack: Pack, response: Response, values: Mapping[str, Any], language: str
) -> str:
    """The language to say ``response`` in.

    Args:
        pack: the domain pack (the slots' types).
        response: the reply template.
        values: the slot values it is filled from.
        language: the session's reply language (``"en"``, ``"zh"``).

    Returns:
        The language of the visitor's words the template quotes (``"en"`` for Latin words,
        ``"zh"`` for Chinese characters: :func:`dialog.commands.detect_language`) when it
        quotes a free-text slot whose words are in another language the response has; else
        ``language``.
    """
    template = response.texts.get(language)
    if template is None:
        return language
    for name in _PLACEHOLDER.findall(template):
        slot = pack.slots.get(name)
        words = values.get(name)
        if slot is None or slot.type not in FREE_TEXT_TYPES or not isinstance(words, str):
            continue
        said = detect_language(words, default=language)
        if said != language and said in response.texts:
            return said
    return language
