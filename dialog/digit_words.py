"""The alphabet a number is written or said in, shared by the masking of long numbers
(:mod:`dialog.sensitive`) and of PINs and passwords (:mod:`dialog.pin_mask`): the mask itself,
digits as typed, as Chinese numerals (``幺三八…``, what Mandarin ASR may write) and as English
digit words (``four four one seven …``).
"""

from __future__ import annotations

#: The mask put in place of all but the last 4 digits.
MASK = "••••"

#: English digit words and the digit each says ("oh" and "o" for zero, as read out).
DIGIT_WORDS = {
    "zero": "0", "oh": "0", "o": "0", "one": "1", "two": "2", "three": "3", "four": "4",
    "five": "5", "six": "6", "seven": "7", "eight": "8", "nine": "9",
}  # fmt: skip
#: Chinese numerals to ASCII digits (幺 is 1 and 两 is 2, as a number is read out).
CJK_DIGITS = str.maketrans("零〇一幺二两三四五六七八九", "0011223456789")
#: One digit as a regex character class: ASCII or a Chinese numeral.
DIGIT = "[0-9零〇一幺二两三四五六七八九]"
#: The digit words as a regex alternation. "o" is in no spoken run (it is a letter far more
#: often than a digit).
SPOKEN_DIGIT = "|".join(w for w in DIGIT_WORDS if w != "o")
#: A PIN said as 4 or more digit words ("four eight three one", newcomer #16).
SPOKEN_VALUE = rf"\b(?:{SPOKEN_DIGIT})(?:[\s,\-]+(?:{SPOKEN_DIGIT})){{3,}}\b"
