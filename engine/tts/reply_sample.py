"""The replies a voice is scored on: one template in :data:`EVERY` of each domain pack, chosen by
a CRC-32 of its name (:func:`in_sample`), its placeholders filled with the shapes the sandboxes
return (:data:`SAMPLE_SLOTS`). What the sample is, apart from how it is scored
(:mod:`engine.tts.intelligibility`: synthesise, transcribe, CER/WER); the tests and benchmarks
that render pack replies with realistic slots (the prepared-replies tests) use it too.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine.paths import ASSETS_DIR

#: One reply template in ``EVERY`` of each pack is scored: those whose name's CRC-32 is 0
#: modulo ``EVERY`` (:func:`in_sample`). A sample fixed in advance, not picked by how well it
#: scores, and stable as packs grow: every 4th name in sorted order (the sample until
#: December 2026) shifted whenever a template was added before others, and so swapped scored
#: replies for unscored ones (8.3 % became 11.5 % mean with no change to the voice).
EVERY = 4

#: Slot values for the templates: the shapes the sandboxes return (masked numbers, ids,
#: decimal amounts, ISO dates).
SAMPLE_SLOTS: dict[str, Any] = {
    "balance": "12345.67",
    "account_masked": "****4417",
    # the balance reply's rows (the bank sandbox's /balance: one per account, in total 12345.67)
    "accounts": [
        {"account_masked": "****4417", "kind": "checking", "balance": "10000.00"},
        {"account_masked": "****2208", "kind": "savings", "balance": "2345.67"},
    ],
    "phone_masked": "138****5678",
    "card_last4": "8821",
    "freeze_id": "F000123",
    "queue_service": {"zh": "现金业务", "en": "cash services"},
    "queue_ticket": "A023",
    "queue_waiting": 3,
    "transactions": [
        {"date": "2025-03-08", "description": "超市购物", "amount": "-256.80"},
        {"date": "2025-03-09", "description": "工资", "amount": "8500.00"},
    ],
    "tax_year": 2024,
    "filing_amount": "1280.50",
    "due_date": "2025-06-30",
    "slot_day": "2025-03-12",
    "slot_start": "09:30",
    "slot_hall": "一号大厅",
    "appointment_id": "AP0042",
    "appointment_when": "2025-03-12",
    "chosen_slot": {"date": "2025-03-12", "start": "10:00", "hall": "一号大厅"},
    "appt_date": "2025-03-12",
    "offered_slots": [
        {"start": "09:30", "hall": "一号大厅"},
        {"start": "14:00", "hall": "二号大厅"},
    ],
    "ticket_id": "T000135",
    "ticket_text": "希望周末也能办理业务",
    # the bank sandbox's complaint reference (K- and 8 hex digits) and a visitor's words
    "complaint_id": "K-3F07A2C1",
    "complaint_text": "大堂经理态度很差",
    # the second request of a line kept for after the first flow (the visitor's words), and
    # the seconds the still-there question gives (server.idle_warning_s' default)
    "request": "查一下余额",
    "seconds": 30,
}


#: English replies get English names where a slot holds free text.
_EN_SLOTS: dict[str, Any] = {
    "queue_service": {"zh": "现金业务", "en": "cash services"},
    "transactions": [
        {"date": "2025-03-08", "description": "supermarket", "amount": "-256.80"},
        {"date": "2025-03-09", "description": "salary", "amount": "8500.00"},
    ],
    "slot_hall": "Hall 1",
    "chosen_slot": {"date": "2025-03-12", "start": "10:00", "hall": "Hall 1"},
    "offered_slots": [{"start": "09:30", "hall": "Hall 1"}, {"start": "14:00", "hall": "Hall 2"}],
    "ticket_text": "please open on weekends too",
    "complaint_text": "the lobby manager was rude",
    "ticket_kind": "complaint",
    "request": "what is my balance",
}


def sample_slots(language: str) -> dict[str, Any]:
    """The slot values the sample's replies are filled with in ``language``: :data:`SAMPLE_SLOTS`,
    with English names for the free-text slots of English replies."""
    return SAMPLE_SLOTS if language == "zh" else {**SAMPLE_SLOTS, **_EN_SLOTS}


@dataclass(frozen=True, slots=True)
class Reply:
    """One filled reply template: ``domain``/``name`` and its text in one language."""

    domain: str
    name: str
    text: str


def pack_replies(
    language: str, domains: Iterable[str] = ("bank", "tax"), every: int = EVERY, offset: int = 0
) -> list[Reply]:
    """One template in ``every`` of each pack that has ``language`` (:func:`in_sample` with
    ``offset``), slots filled (offset 0 is the sample the tests score; another offset gives a
    sample disjoint from it, e.g. for choosing a speaker).

    Returns:
        Filled replies, bank first, each pack's templates in name order; a text already taken
        from the other pack (the same reprompt in both) is kept once.
    """
    from dialog.pack import load_pack
    from dialog.templates import render

    slots = sample_slots(language)
    out: list[Reply] = []
    for domain in domains:
        pack = load_pack(Path(ASSETS_DIR) / "domains" / domain)
        names = sorted(n for n, r in pack.responses.items() if language in r.texts)
        for name in (n for n in names if in_sample(domain, n, every, offset)):
            text = render(pack.responses[name], language, slots).text
            if text not in {r.text for r in out}:
                out.append(Reply(domain, name, text))
    return out


def in_sample(domain: str, name: str, every: int = EVERY, offset: int = 0) -> bool:
    """Whether template ``name`` of pack ``domain`` is in sample ``offset`` of ``every``
    (0 <= offset < every): ``zlib.crc32("domain/name") % every == offset``, so a template's
    sample never depends on which other templates the pack has.

    Raises:
        ValueError: ``offset`` outside ``0 .. every - 1``.
    """
    if not 0 <= offset < every:
        raise ValueError(f"offset {offset} outside 0..{every - 1}")
    return zlib.crc32(f"{domain}/{name}".encode()) % every == offset
