"""Kokoro voice packs in both forms a model folder may hold (engine.tts.kokoro.load_voice_packs):
kokoro-onnx's ``voices.npz`` of (510, 1, 256) arrays, and kokoro-js's ``voices/<speaker>.bin``
raw little-endian float32 files (what `dhe models kokoro-82m` unpacks from the npm tarball)."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from engine.tts.kokoro import MAX_TOKENS, STYLE_DIM, load_voice_packs
from tests.conftest import model_folder


def _pack(seed: int) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal((MAX_TOKENS, STYLE_DIM)).astype(np.float32)


def test_both_forms_are_read_row_for_row(tmp_path: Path) -> None:
    npz_pack, bin_pack = _pack(1), _pack(2)
    np.savez(tmp_path / "voices.npz", jm_kumo=npz_pack.reshape(MAX_TOKENS, 1, STYLE_DIM))
    (tmp_path / "voices").mkdir()
    bin_pack.astype("<f4").tofile(tmp_path / "voices" / "zf_xiaoxiao.bin")
    packs = load_voice_packs(tmp_path)
    assert sorted(packs) == ["jm_kumo", "zf_xiaoxiao"]
    np.testing.assert_array_equal(packs["jm_kumo"], npz_pack)
    np.testing.assert_array_equal(packs["zf_xiaoxiao"], bin_pack)
    assert packs["zf_xiaoxiao"].dtype == np.float32


def test_a_folder_without_packs_has_none(tmp_path: Path) -> None:
    assert load_voice_packs(tmp_path) == {}


def test_a_pack_of_the_wrong_size_is_refused(tmp_path: Path) -> None:
    (tmp_path / "voices").mkdir()
    np.zeros(MAX_TOKENS * STYLE_DIM - 1, dtype="<f4").tofile(tmp_path / "voices" / "zf_cut.bin")
    with pytest.raises(ValueError):
        load_voice_packs(tmp_path)
    (tmp_path / "voices" / "zf_cut.bin").unlink()
    np.savez(tmp_path / "voices.npz", jf_small=np.zeros((MAX_TOKENS, 1, 128), np.float32))
    with pytest.raises(ValueError, match="jf_small"):
        load_voice_packs(tmp_path)


def test_the_unpacked_model_has_eight_native_mandarin_speakers() -> None:
    packs = load_voice_packs(model_folder("kokoro-82m"))
    native = sorted(name for name in packs if name.startswith(("zf_", "zm_")))
    assert native == [
        "zf_xiaobei", "zf_xiaoni", "zf_xiaoxiao", "zf_xiaoyi",
        "zm_yunjian", "zm_yunxi", "zm_yunxia", "zm_yunyang",
    ]  # fmt: skip
    # real style vectors: distinct speakers, finite, not all zero
    assert all(np.isfinite(packs[n]).all() and np.abs(packs[n]).max() > 0.01 for n in native)
    assert not np.allclose(packs["zf_xiaoxiao"], packs["zm_yunxi"])


def test_the_shipped_config_and_the_built_in_voice_name_one_default_speaker(monkeypatch) -> None:
    from engine.config import load_config, offline_voice
    from engine.tts.kokoro import DEFAULT_SPEAKER, NATIVE_PREFIXES

    for name in list(os.environ):
        if name.startswith("DHE_"):
            monkeypatch.delenv(name)
    assert DEFAULT_SPEAKER.startswith(NATIVE_PREFIXES)
    assert load_config().tts.voices["zh"].speaker == DEFAULT_SPEAKER
    assert offline_voice("zh").speaker in (None, DEFAULT_SPEAKER)
