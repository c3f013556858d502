"""The page's UI strings: one file per language, the same keys in each, every key the page
uses present (no browser needed)."""

from __future__ import annotations

import json
import re

from tests.conftest import REPO_ROOT

WEB = REPO_ROOT / "web_client"
LANGUAGES = ("en", "zh")
CJK = re.compile(r"[\u4e00-\u9fff]")


def _strings(lang: str) -> dict[str, str]:
    return json.loads((WEB / "i18n" / f"{lang}.json").read_text(encoding="utf-8"))


def test_languages_have_the_same_keys_and_placeholders():
    en, zh = (_strings(lang) for lang in LANGUAGES)
    assert set(en) == set(zh), set(en) ^ set(zh)
    for key in en:
        assert set(re.findall(r"\{(\w+)\}", en[key])) == set(re.findall(r"\{(\w+)\}", zh[key])), key
    # the Chinese file is Chinese where the English one has words
    untranslated = [k for k, v in zh.items() if re.search(r"[a-z]{3}", v) and not CJK.search(v)]
    assert not untranslated, untranslated


def test_every_key_the_page_uses_exists():
    keys = set(_strings("en"))
    html = (WEB / "index.html").read_text(encoding="utf-8")
    used = set(re.findall(r'data-i18n(?:-[a-z-]+)?="([^"]+)"', html))
    for script in (WEB / "js").glob("*.js"):
        text = script.read_text(encoding="utf-8")
        used |= set(re.findall(r'\bt\(\s*"([a-z_]+\.[a-z0-9_.]+)"', text))
        used |= set(
            re.findall(r'(?:notice|showAttract|sessionOver)\([^"]*"([a-z_]+\.[a-z0-9_.]+)"', text)
        )
    assert used, "no keys found: the patterns are stale"
    missing = sorted(k for k in used if k not in keys)
    assert not missing, missing


def test_the_out_of_service_notice_says_its_reason_once_in_the_page_language():
    """newcomer10: it read "the server could not start (503 start-up-failed: the server could
    not start (…))", and the Chinese one carried the server's English sentence: the notice gives
    the status and code, not the server's own message."""
    for lang in LANGUAGES:
        text = _strings(lang)["notice.out_of_service"]
        assert "{message}" not in text and "{code}" in text, (lang, text)
