"""Texts a visitor might type, for checking that the visitor page masks them as the server does
(``dialog.sensitive.redact`` and ``web_client/js/captions.js`` ``maskNumbers``): full numbers as
typed, in Chinese numerals and in English digit words, and short numbers, amounts and dates
that stay; PINs and passwords told with their value."""

from __future__ import annotations

SAMPLES: tuple[str, ...] = (
    "my card is 6228 4800 1234 5671, freeze it",
    "4111-1111-1111-1111",
    "call 138 1234 5678",
    "我的身份证号11010119900307123X",
    "ID 110101 19900307 123x please",
    "卡号幺三八一二三四五六七八九零",
    "it's one three eight one two three four five six seven eight",
    "我的one three eight one two three four five six seven eight",
    "Account: ONE two three four five six seven eight nine zero.",
    "6217000010012345678 and 13912345678",
    "a 20-digit run 12345678901234567890 is masked too",
    "my card ending 4417 is lost",
    "the code is 123456",
    "I paid 12,345.67 yuan on 2024-03-15 at 10:30",
    "book me for 2025-06-30 14:00",
    "我要转账5000元",
    # a PIN or password said with its value is hidden whole; a count, a card ending or a
    # problem without a value stays
    "my pin is 4831, is that safe?",
    "my password for the app is hunter2",
    "我的密码是832915",
    "my PIN is 3 3 1 2",
    "Password: 12ab-34",
    "我的pin是4831",
    "I entered the wrong PIN 3 times",
    "I forgot my PIN for card 4417",
    "my PIN is blocked",
    "密码输错三次了",
    # newcomer #16: a long number Whisper wrote with commas kept its first digits; a PIN said
    # digit by digit in Chinese, or as English words, was not hidden
    "My card number is 6,222,0212 3456 6780",
    "My card number is 6,222,021,234,566,780.",
    # review17: a card number read with pauses, written with a comma and a space between blocks
    "my card is 6222, 0212, 3456, 6780",
    "6222, 0212, 3456, 6780, 123 is the card",
    "I paid 1000, 2000, 3000 yuan",
    "我的密码是8 3 2 9 1 5",
    "my pin is four eight three one",
    "I forgot my PIN for card four four one seven",
    "I paid 1,234,567,890.50 yuan, not 12,345",
    "密码是1234 abc",
    "我的密码是1234 5678",
    "I typed my PIN wrong 3 times",
    # newcomer18: a card number Whisper wrote digit by digit; a card ending and a code said
    # digit by digit stay (the flows read them)
    "My card number is 622 0 2 1 2 3 4 5 6 7 8 0 and my bill is 48 3 1",
    "6 2 2 2 0 2 1 2 3 4 5 6 6 7 8 0",
    "the last four are 4 4 1 7",
    "the code is 1 2 3 4 5 6",
    "I have 2 cards and 3 accounts, 1 2 3",
    # newcomer19: a PIN in everyday word order; a card number in uneven comma groups, dots, a
    # digit per hyphen; and the near lines that stay
    "I forgot my pin, it was 4831 I think",
    "my pin? 4831",
    "4831 is my pin",
    "我的密码忘了，好像是483191",
    "My card number is 622, 021, 2, 3, 4, 5, 6, 7, 8, 0, I forgot my pin, it was 4831.",
    "card 6222.0212.3456.6780",
    "6-2-2-2-0-2-1-2-3-4-5-6-6-7-8-0",
    "I forgot my PIN, 4417 is my card",
    "I paid 100, 200, 300, 400, 500 yuan",
)
