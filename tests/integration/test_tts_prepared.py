"""Prepared replies (engine/tts/prepared.py) with the real Kokoro voice and the real packs: a
prepared reply is the live synthesis (samples, visemes, audio), a hit streams at once, another
voice setting misses, and slot-filled text is never prepared nor spoken from the cache."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import numpy as np
import pytest

from dialog.pack import load_pack, pack_dir
from dialog.templates import render
from engine.config import TTSConfig, offline_voice
from engine.tts import prepared
from engine.tts.kokoro import KokoroTTS
from engine.tts.prepared import (
    PreparedStore,
    PreparedTTS,
    attach,
    build_store,
    cache_file,
    fixed_openings,
    fixed_texts,
    has_slots,
    voice_fingerprint,
)
from engine.voices import Voices

OUT_OF_SCOPE = "抱歉，这个问题我暂时无法办理。需要我为您呼叫工作人员吗？"
ASK_OTP = "请说出或输入短信里的六位数字。"


async def _first_chunk(tts, text: str) -> tuple[float, list]:
    """Seconds to the first chunk, and every chunk."""
    t0, first, chunks = time.perf_counter(), None, []
    async for chunk in tts.synthesize(text, "zh"):
        first = time.perf_counter() - t0 if first is None else first
        chunks.append(chunk)
    return first, chunks


@pytest.fixture(scope="module")
def store(kokoro: KokoroTTS, tmp_path_factory) -> tuple[PreparedStore, Path]:
    """The out-of-scope reply and the code prompt prepared by the default voice, saved and
    read back as the server reads it."""
    fingerprint = voice_fingerprint(offline_voice("zh"), "zh")
    built = build_store(kokoro, [OUT_OF_SCOPE, ASK_OTP], "zh", fingerprint)
    path = cache_file(tmp_path_factory.mktemp("cache"), "zh", fingerprint)
    built.save(path)
    return PreparedStore.load(path), path


def test_fixed_texts_are_the_slot_free_responses() -> None:
    texts = fixed_texts("zh", ["bank", "tax"])
    assert OUT_OF_SCOPE in texts and ASK_OTP in texts
    assert not any("{" in t or "}" in t for t in texts)
    # every template with a slot or an item list stays out, filled or not
    for domain in ("bank", "tax"):
        for response in load_pack(pack_dir(domain)).responses.values():
            template = response.texts.get("zh")
            if template is None or not (has_slots(template) or response.items is not None):
                continue
            assert render(response, "zh", {}).text not in texts, response.name
    code_sent = load_pack(pack_dir("tax")).responses["utter_code_sent"]
    filled = render(code_sent, "zh", {"phone_masked": "*******1234"}).text
    assert filled == "谢谢。已经向您的手机发送了一条短信，里面有六位数字，手机号后四位是1234。"
    assert filled not in texts and not any("1234" in t for t in texts)


async def test_knowledge_base_answers_are_prepared_as_the_dialog_speaks_them() -> None:
    """An FAQ reply speaks its section's text unchanged: that text is among the fixed texts,
    so the tax hall's most asked answers (its hours …) are prepared too; each section once,
    in its own language only."""
    from dialog.kb import parse_markdown
    from tests.conftest import trained_dialog

    turn = await trained_dialog("tax").new_session("prepared-kb").handle_text("办税大厅几点上班")
    (reply,) = [r for r in turn.replies if r.card and r.card.get("kind") == "faq"]
    texts, without_kb = fixed_texts("zh", ["tax"]), fixed_texts("zh", ["tax"], kb=False)
    assert reply.text.strip() in texts and reply.text.strip() not in without_kb
    sections = [s for p in load_pack(pack_dir("tax")).kb_files for s in parse_markdown(p)]
    zh = {s.text.strip() for s in sections if s.language == "zh"}
    en = {s.text.strip() for s in sections if s.language == "en"}
    assert len(zh) >= 20 and zh <= set(texts) and not en & set(texts)
    assert len(texts) == len(set(texts)) == len(without_kb) + len(zh - set(without_kb))


def test_prepared_reply_equals_live_synthesis(kokoro: KokoroTTS, store) -> None:
    cached = store[0].replies[OUT_OF_SCOPE]
    live = kokoro.synthesize_all(OUT_OF_SCOPE, "zh")
    assert len(cached) == len(live) >= 2  # the same pieces: the first clause alone
    for c, v in zip(cached, live, strict=True):
        assert c.text == v.text and c.sample_rate == v.sample_rate == 24_000
        assert c.num_samples == v.num_samples > 0
        assert c.visemes == v.visemes
        a = np.frombuffer(c.pcm, "<i2").astype(np.float64)
        b = np.frombuffer(v.pcm, "<i2").astype(np.float64)
        assert c.pcm == v.pcm or np.corrcoef(a, b)[0, 1] >= 0.999


def test_a_hit_streams_at_once_and_other_text_is_live(kokoro: KokoroTTS, store) -> None:
    tts = PreparedTTS(kokoro, store[0])
    hit_s, hit = asyncio.run(_first_chunk(tts, OUT_OF_SCOPE))
    live_s, live = asyncio.run(_first_chunk(kokoro, OUT_OF_SCOPE))
    assert [c.pcm for c in hit] == [c.pcm for c in store[0].replies[OUT_OF_SCOPE]]
    assert len(hit) == len(live)
    assert hit_s < 0.05 * live_s, (hit_s, live_s)  # live: ~0.3 s of model runs at least
    # a slot-filled reply is not prepared: spoken live
    filled = "谢谢。已经向您的手机发送了一条短信，里面有六位数字，手机号后四位是1234。"
    assert tts.prepared(filled, "zh") is None
    assert tts.prepared(OUT_OF_SCOPE, "en") is None


def test_changed_voice_setting_misses(kokoro: KokoroTTS, store, monkeypatch) -> None:
    monkeypatch.setattr(prepared, "cache_dir", lambda: store[1].parent)
    voice = offline_voice("zh")
    assert isinstance(attach(kokoro, voice, "zh"), PreparedTTS)
    # the speaker named as default.yaml names it is the same voice: the same key
    named = voice.model_copy(update={"speaker": kokoro.voice})
    assert voice_fingerprint(named, "zh") == store[0].fingerprint
    for change in ({"speaker": "zf_xiaoxiao"}, {"length_scale": 1.1}, {"opening": "eager"}):
        other = voice.model_copy(update=change)
        assert voice_fingerprint(other, "zh") != store[0].fingerprint, change
        assert attach(kokoro, other, "zh") is kokoro, change
    # the switch: off, the server's voice is the live one
    config = TTSConfig(voices={"zh": voice}, prepared_replies=False)
    assert isinstance(Voices(config).for_language("zh"), KokoroTTS)


def test_setup_step_keeps_prepared_replies_and_drops_stale_ones(tmp_path: Path) -> None:
    """``python -m engine.prepared_cache``'s step: a first run synthesizes, a second run with
    the same voice synthesizes nothing, another setting's file is removed, and the file holds
    the given slot-free texts only."""
    from engine.prepared_cache import prepare

    stale = tmp_path / "prepared-zh-0123456789abcdef.npz"
    stale.write_bytes(b"old voice")
    voice = offline_voice("zh")
    assert prepare("zh", voice, tmp_path, [ASK_OTP]) == 1
    assert prepare("zh", voice, tmp_path, [ASK_OTP]) == 0
    (path,) = tmp_path.glob("prepared-*.npz")
    assert path == cache_file(tmp_path, "zh", voice_fingerprint(voice, "zh"))
    assert list(PreparedStore.load(path).replies) == [ASK_OTP]
    assert set(PreparedStore.load(path).replies) <= set(fixed_texts("zh"))


def test_an_unreadable_cache_means_live_synthesis_logged_once(
    kokoro: KokoroTTS, tmp_path: Path, monkeypatch, caplog
) -> None:
    """Fault injected on purpose: a truncated cache file of the voice's own key."""
    monkeypatch.setattr(prepared, "cache_dir", lambda: tmp_path)
    monkeypatch.setattr(prepared, "_reported", set())
    voice = offline_voice("zh")
    cache_file(tmp_path, "zh", voice_fingerprint(voice, "zh")).write_bytes(b"PK\x03\x04 cut")
    caplog.set_level("WARNING", logger="engine.tts.prepared")
    assert attach(kokoro, voice, "zh") is kokoro
    assert attach(kokoro, voice, "zh") is kokoro
    (record,) = caplog.records
    assert "prepared zh replies unreadable" in record.getMessage()


def test_a_store_under_the_old_mtime_key_is_carried_over_not_resynthesized(
    tmp_path: Path,
) -> None:
    """The model files' key moved from size + mtime to content (newcomer12 #7): a store made
    under the old key from the files still there is saved under the new one, not made again."""
    from dataclasses import replace

    from engine.prepared_cache import prepare
    from engine.tts.prepared_key import legacy_fingerprint

    voice = offline_voice("en")
    text = "Please enter the six-digit code."
    assert prepare("en", voice, tmp_path, [text]) == 1
    new = cache_file(tmp_path, "en", voice_fingerprint(voice, "en"))
    made = PreparedStore.load(new)
    old = cache_file(tmp_path, "en", legacy_fingerprint(voice, "en"))
    assert old != new
    replace(made, fingerprint=legacy_fingerprint(voice, "en")).save(old)
    new.unlink()
    assert prepare("en", voice, tmp_path, [text]) == 0  # nothing synthesized
    assert list(tmp_path.glob("prepared-*.npz")) == [new]
    carried = PreparedStore.load(new)
    assert carried.fingerprint == voice_fingerprint(voice, "en")
    assert [c.pcm for c in carried.replies[text]] == [c.pcm for c in made.replies[text]]
    assert sum(c.num_samples for c in carried.replies[text]) > 22050  # > 1 s of real speech


def test_fixed_openings_are_the_words_before_a_templates_first_slot() -> None:
    openings = fixed_openings("zh", ["bank", "tax"])
    assert "您的账户余额：" in openings and "谢谢。" in openings
    assert "谢谢。已经向您的手机发送了一条短信，里面有六位数字，" in openings
    assert not any("{" in t or "}" in t for t in openings)
    templates = [
        r.texts["zh"]
        for d in ("bank", "tax")
        for r in load_pack(pack_dir(d)).responses.values()
        if "zh" in r.texts and has_slots(r.texts["zh"])
    ]
    for opening in openings:  # each the start of a slotted template, before its first slot
        assert any(t.startswith(opening) and "{" not in opening for t in templates), opening
    assert not set(openings) & set(fixed_texts("zh", ["bank", "tax"]))


def test_a_slot_filled_reply_opens_on_its_prepared_opening(kokoro: KokoroTTS) -> None:
    """utter_balance, filled: its first piece 您的账户余额： comes from the store, the rest is
    made live, and together they are exactly what live synthesis yields."""
    from engine.tts.reply_sample import SAMPLE_SLOTS

    response = load_pack(pack_dir("bank")).responses["utter_balance"]
    text = render(response, "zh", SAMPLE_SLOTS).text
    fingerprint = voice_fingerprint(offline_voice("zh"), "zh")
    store = build_store(kokoro, ["您的账户余额："], "zh", fingerprint)
    tts = PreparedTTS(kokoro, store)
    assert tts.prepared(text, "zh") is None  # the whole reply is not prepared
    opening = tts.opening(text, "zh")
    assert opening is store.replies["您的账户余额："][0]
    _, spoken = asyncio.run(_first_chunk(tts, text))
    _, live = asyncio.run(_first_chunk(kokoro, text))
    assert spoken[0] is opening and len(spoken) == len(live) >= 3
    assert [c.text for c in spoken] == [c.text for c in live]
    assert [c.pcm for c in spoken] == [c.pcm for c in live]
    # a reply that does not open on it, or another language, is all live
    assert tts.opening("您的账户余额为零。", "zh") is None
    assert tts.opening(text, "en") is None


def test_a_prepared_opening_is_held_by_the_measured_speed(kokoro: KokoroTTS) -> None:
    """With no speed measured yet the prepared first piece waits for the second (no stall
    can follow it); measured as fast (a tiny per_cost_s) it plays at once and the second
    piece comes after it."""
    from engine.tts.reply_sample import SAMPLE_SLOTS

    text = render(load_pack(pack_dir("bank")).responses["utter_balance"], "zh", SAMPLE_SLOTS).text
    store = build_store(kokoro, ["您的账户余额："], "zh", "test")

    async def arrivals(per_cost_s: float | None) -> list[float]:
        voice = kokoro.with_length_scale(None)
        voice.per_cost_s = per_cost_s
        t0, out = time.perf_counter(), []
        async for _chunk in PreparedTTS(voice, store).synthesize(text, "zh"):
            out.append(time.perf_counter() - t0)
        return out

    unknown = asyncio.run(arrivals(None))
    assert unknown[1] - unknown[0] < 0.05, unknown  # held until the second piece was ready
    fast = asyncio.run(arrivals(1e-9))
    assert fast[0] < 0.05 and fast[1] - fast[0] > 0.1, fast  # played at once, not held
