"""Another place's hours asked in English are out of scope, the branch's or hall's own hours keep
their answer (dialog.question_frame.elsewhere_hours_en, read by dialog.understanding.Understanding
with the English alternatives of the pack setting own_places): "what time does the park open" and
"when does the hospital close on saturday" got the bank's Opening hours."""

from __future__ import annotations

import pytest

from dialog.pack import DEFAULT_PACKS_DIR, load_pack
from dialog.question_frame import elsewhere_hours_en
from tests.support.dialog_sessions import domain_understanding

BANK = str(load_pack(DEFAULT_PACKS_DIR / "bank").setting("own_places", ""))
TAX = str(load_pack(DEFAULT_PACKS_DIR / "tax").setting("own_places", ""))


@pytest.mark.parametrize(
    ("own", "text", "elsewhere"),
    [
        # another place named with the hours frame
        (BANK, "what time does the park open", True),
        (BANK, "when does the hospital close on saturday", True),
        (BANK, "is the post office open on sunday", True),
        (BANK, "until when is the DMV open", True),
        (BANK, "when does HSBC open on saturdays", True),  # another bank by name
        (BANK, "when does the tax office close", True),  # the tax office is no place of the bank's
        (TAX, "what time does the bank open", True),  # a bank is no place of the tax hall's
        (TAX, "what are the opening hours of the passport office", True),
        # the pack's own place, or none named
        (BANK, "what time do you open", False),
        (BANK, "is the branch open on saturday", False),
        (BANK, "how late is Harbour Bank open on fridays", False),
        (BANK, "are you open on the bank holiday", False),
        (TAX, "when does the tax office close", False),
        (TAX, "is the service hall open on saturday", False),
        # the pack's own place named with a word before it (review18: they were another's)
        (BANK, "when does your bank branch close", False),
        (BANK, "what time does the self-service bank close", False),  # 自助银行
        (BANK, "how late is the 24 hour bank open", False),
        (TAX, "when does the tax center open", False),
        (TAX, "is the tax service centre open on sunday", False),
        # a place named without asking its hours
        (BANK, "how do I get to you from the metro station", False),
        (BANK, "I paid a shop yesterday and it still says pending, why?", False),
        (TAX, "how do I get to the tax office from the train station", False),
    ],
)
def test_elsewhere_hours_en(own: str, text: str, elsewhere: bool) -> None:
    assert elsewhere_hours_en(text, own) is elsewhere


@pytest.mark.parametrize(
    ("pack", "text", "expected"),
    [
        # read whole, these got the branch's or hall's opening hours
        ("bank", "what time does the park open", "out_of_scope"),
        ("bank", "when does the hospital close on saturday", "out_of_scope"),
        ("bank", "is the post office open on sunday", "out_of_scope"),
        ("tax", "what time does the bank open", "out_of_scope"),
        # the pack's own hours keep their answer
        ("bank", "what time do you open", "Opening hours"),
        ("bank", "is the branch open on saturday", "Opening hours"),
        ("tax", "until what time is the tax bureau open", "Opening hours of the service hall"),
        ("tax", "is the service hall open on saturday", "Opening hours of the service hall"),
    ],
)
def test_elsewhere_hours_en_read_out_of_scope(pack: str, text: str, expected: str) -> None:
    understanding = domain_understanding(pack)
    nlu, kb = understanding.read(text, "en")
    if expected == "out_of_scope":
        assert understanding.label(nlu, kb) == "out_of_scope"
        assert kb is None
    else:
        assert understanding.label(nlu, kb) == "faq"
        assert kb is not None and kb.source.rpartition("§")[2].strip() == expected
