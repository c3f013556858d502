"""Another place's hours asked in English are out of scope, the branch's or hall's own hours keep
their answer (dialog.question_frame.elsewhere_hours_en, read by dialog.understanding.Understanding
with the English alternatives of the pack setting own_places): "what time does the park open" and
"when does the hospital close on saturday" got the bank's Opening hours."""

from __future__ import annotations

import pytest

from dialog.question_frame import elsewhere_hours_en
from tests.support.dialog_sessions import assert_read_as, own_places


@pytest.mark.parametrize(
    ("pack", "text", "elsewhere"),
    [
        # another place named with the hours frame
        ("bank", "what time does the park open", True),
        ("bank", "when does the hospital close on saturday", True),
        ("bank", "is the post office open on sunday", True),
        ("bank", "until when is the DMV open", True),
        ("bank", "when does HSBC open on saturdays", True),  # another bank by name
        (
            "bank",
            "when does the tax office close",
            True,
        ),  # the tax office is no place of the bank's
        ("tax", "what time does the bank open", True),  # a bank is no place of the tax hall's
        ("tax", "what are the opening hours of the passport office", True),
        # the pack's own place, or none named
        ("bank", "what time do you open", False),
        ("bank", "is the branch open on saturday", False),
        ("bank", "how late is Harbour Bank open on fridays", False),
        ("bank", "are you open on the bank holiday", False),
        ("tax", "when does the tax office close", False),
        ("tax", "is the service hall open on saturday", False),
        # the pack's own place named with a word before it (review18: they were another's)
        ("bank", "when does your bank branch close", False),
        ("bank", "what time does the self-service bank close", False),  # 自助银行
        ("bank", "how late is the 24 hour bank open", False),
        ("tax", "when does the tax center open", False),
        ("tax", "is the tax service centre open on sunday", False),
        # a place named without asking its hours
        ("bank", "how do I get to you from the metro station", False),
        ("bank", "I paid a shop yesterday and it still says pending, why?", False),
        ("tax", "how do I get to the tax office from the train station", False),
    ],
)
def test_elsewhere_hours_en(pack: str, text: str, elsewhere: bool) -> None:
    assert elsewhere_hours_en(text, own_places(pack)) is elsewhere


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
    assert_read_as(pack, text, "en", expected)
