"""A PIN in everyday word order and a card number read in uneven pauses are hidden (newcomer19
F-PIN, F-CAPTION): "my pin, 4831", "4831 is my pin", 我的密码忘了，好像是483191 passed in clear
into the -v log, ``dhe converse --json``, the caption and a complaint's audit row, with no
warning; Whisper's "622, 021, 2, 3, 4, 5, 6, 7, 8, 0", "6222.0212.3456.6780" and a digit per
hyphen stayed on the lobby screen. Each HIDDEN line is unchanged by the old masking; the KEPT
lines are the near ones that must stay (a year, an amount, a card ending, a queue number, a
date, an extension)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from dialog.sensitive import SECRET_WARNING, mask_line, redact, warning_reply
from tests.support.redaction import SAMPLES

PIN_HIDDEN = [
    ("I forgot my pin, it was 4831 I think", "I forgot my pin, it was •••• I think"),
    ("my pin, 4831", "my pin, ••••"),
    ("my pin? 4831", "my pin? ••••"),
    ("Password? 483191", "Password? ••••"),
    ("my PIN number, 4 8 3 1", "my PIN number, ••••"),
    ("I forgot my pin, it was four eight three one", "I forgot my pin, it was ••••"),
    ("4831 is my pin", "•••• is my pin"),
    ("483191 was my bank password", "•••• was my bank password"),
    ("我的密码忘了，好像是483191", "我的密码忘了，好像是••••"),
    ("我的密码，4 8 3 1 9 1", "我的密码，••••"),
    ("483191是我的密码", "••••是我的密码"),
]
NUMBER_HIDDEN = [
    (
        "My card number is 622, 021, 2, 3, 4, 5, 6, 7, 8, 0, thanks",
        "My card number is •••• 6780, thanks",
    ),
    ("card 6222.0212.3456.6780", "card •••• 6780"),
    ("6-2-2-2-0-2-1-2-3-4-5-6-6-7-8-0", "•••• 6780"),
    ("我的卡号是622, 021, 2, 3, 4, 5, 6, 7, 8, 0", "我的卡号是•••• 6780"),
]
KEPT = [
    "transfer 4831 yuan",
    "my card ending 4417 is lost",
    "I forgot my PIN, 4417 is my card",
    "密码忘了，卡号后四位是4417",
    "密码忘了，2024年开的户",
    "my queue number is 4831",
    "I forgot my pin, 3 times",
    "my pin, 2024-05-06",
    "my pin, 9:30",
    "on 2024-05-06 in 2023",
    "call extension 4831 please",
    "4417 is my card",
    "I paid 100, 200, 300, 400, 500 yuan",
    "2024.05.06",
    "ip 192.168.1.1",
    "the code is 1, 2, 3, 4, 5, 6",
]


@pytest.mark.parametrize(("line", "masked"), PIN_HIDDEN)
def test_a_pin_in_everyday_word_order_is_hidden_and_warned_about(line: str, masked: str) -> None:
    text, kinds = redact(line)
    assert (text, kinds) == (masked, ("secret",))
    assert mask_line(line) == masked
    lang = "zh" if any("\u4e00" <= c <= "\u9fff" for c in line) else "en"
    assert warning_reply({}, lang, kinds).text == SECRET_WARNING[lang]


@pytest.mark.parametrize(("line", "masked"), NUMBER_HIDDEN)
def test_a_number_read_in_uneven_pauses_is_masked(line: str, masked: str) -> None:
    text, kinds = redact(line)
    assert text == masked and kinds == ("account",)


def test_the_card_number_and_the_pin_of_the_lobby_caption_both() -> None:
    line = "My current number is 622, 021, 2, 3, 4, 5, 6, 7, 8, 0, I forgot my pin, it was 4831."
    text, kinds = redact(line)
    assert text == "My current number is •••• 6780, I forgot my pin, it was ••••."
    assert sorted(kinds) == ["account", "secret"]


@pytest.mark.parametrize("line", KEPT)
def test_near_lines_stay(line: str) -> None:
    assert redact(line) == (line, ())


def test_the_page_masks_these_lines_as_the_server_does() -> None:
    """captions.js ``maskNumbers`` run by Node on the shared samples and this file's lines (the
    e2e test runs the same in Chromium; this one is fast)."""
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed")
    texts = [*SAMPLES, *(t for t, _ in PIN_HIDDEN + NUMBER_HIDDEN), *KEPT]
    root = Path(__file__).resolve().parents[2]
    url = (root / "web_client" / "js" / "captions.js").as_uri()
    script = (
        f"import({json.dumps(url)}).then((m) => {{"
        "const t = JSON.parse(require('fs').readFileSync(0, 'utf8'));"
        "console.log(JSON.stringify(t.map(m.maskNumbers))); })"
    )
    done = subprocess.run(
        [node, "--input-type=commonjs", "-e", script],
        input=json.dumps(texts),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert json.loads(done.stdout) == [redact(t)[0] for t in texts]
