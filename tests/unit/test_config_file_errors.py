"""A config file that is not a readable YAML mapping is a usage error: one line, exit 2, in
every command that takes one; invalid values stay exit 1 (``config check``) with one line each."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.cli import main
from engine.config import (
    DEFAULT_CONFIG_PATH,
    ConfigError,
    ConfigFileError,
    load_config,
    offline_voice,
)
from tests.conftest import model_folder

BAD_FILES = {
    "latin1.yaml": "server:\n  host: caf\xe9\n".encode("latin-1"),
    "broken.yaml": b"server: [1, 2\n",
    "list.yaml": b"[]\n",
    "scalar.yaml": b"42\n",
    "text.yaml": b"just some words\n",
}


@pytest.fixture(params=sorted(BAD_FILES))
def bad_file(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    path = tmp_path / request.param
    path.write_bytes(BAD_FILES[request.param])
    return path


def test_loader_names_the_file_problem(bad_file: Path) -> None:
    with pytest.raises(ConfigFileError) as info:
        load_config(bad_file)
    assert info.value.source == str(bad_file)
    assert len(info.value.problems) == 1


@pytest.mark.parametrize(
    "argv",
    [
        ["config", "check", "{file}"],
        ["serve", "--config", "{file}", "--port", "0"],
        ["converse", "--config", "{file}", "--text", "hi", "--out", "{out}"],
    ],
    ids=["config-check", "serve", "converse"],
)
def test_every_command_exits_2_with_one_line(
    argv: list[str], bad_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "never.mp4"
    code = main([a.format(file=bad_file, out=out) for a in argv])
    captured = capsys.readouterr()
    lines = [line for line in (captured.out + captured.err).splitlines() if line.strip()]
    assert code == 2, lines
    assert len(lines) == 1, lines
    assert str(bad_file) in lines[0]
    assert "Traceback" not in captured.err
    assert not out.exists()


def test_an_empty_file_is_the_defaults(tmp_path: Path) -> None:
    empty = tmp_path / "empty.yaml"
    empty.write_text("")
    assert load_config(empty).vad.threshold == 0.5


def test_invalid_values_stay_exit_1_one_line_each(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cfg = tmp_path / "values.yaml"
    cfg.write_text("vad:\n  threshold: 7\nserver:\n  nonsense: 1\n")
    with pytest.raises(ConfigError) as info:
        load_config(cfg)
    assert not isinstance(info.value, ConfigFileError)
    assert main(["config", "check", str(cfg)]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2, lines
    assert any("vad.threshold" in line for line in lines)
    assert any("server.nonsense" in line for line in lines)


def test_an_unknown_env_section_is_flagged_like_an_unknown_key(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DHE_VAR_DIR", "var")  # DHE_ without __: not a setting, left alone
    monkeypatch.setenv("DHE_ASR__DEVICE", "cpu")
    assert main(["config", "check", str(DEFAULT_CONFIG_PATH)]) == 0
    capsys.readouterr()
    monkeypatch.setenv("DHE_NOSUCH__THING", "1")
    monkeypatch.setenv("DHE_ASR__NOSUCH", "1")
    assert main(["config", "check", str(DEFAULT_CONFIG_PATH)]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2, lines
    assert any(  # with the section's settings, as an unknown section lists the sections
        line.endswith(
            "DHE_ASR__NOSUCH (environment): Extra inputs are not permitted (no setting 'nosuch'"
            " in asr; known: models, device, compute_type, beam_size, allow_download, window_s,"
            " detect_window_s, detect_after_ms, prompts, digits_prompts)"
        )
        for line in lines
    )
    assert any(
        "DHE_NOSUCH__THING (environment): Extra inputs are not permitted" in line for line in lines
    )


def test_a_check_across_a_section_names_the_variable_that_broke_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """newcomer11: ``DHE_PERCEPTION__MAX_FPS=1`` was reported as the config file's problem
    ("default.yaml: perception: min_fps (5.0) is above max_fps (1.0)"), which had not changed."""
    monkeypatch.setenv("DHE_PERCEPTION__MAX_FPS", "1")
    with pytest.raises(ConfigError) as caught:
        load_config(None)
    assert caught.value.from_environment
    assert caught.value.problems == [
        "DHE_PERCEPTION__MAX_FPS (environment): perception: min_fps (5.0) is above max_fps (1.0)"
    ]
    monkeypatch.delenv("DHE_PERCEPTION__MAX_FPS")  # the file's own values: the file is named
    bad = tmp_path / "bad.yaml"
    bad.write_text("perception: {min_fps: 5, max_fps: 1}\n", encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(bad)
    assert not caught.value.from_environment
    assert caught.value.problems == ["perception: min_fps (5.0) is above max_fps (1.0)"]


def test_config_check_flags_a_piper_voice_it_cannot_find(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """newcomer11: ``voice: en_US-amy-medium`` (no such `dhe models` name) passed the check;
    the run then advised a ``dhe models`` command that has no such model."""
    bad = tmp_path / "c.yaml"
    bad.write_text(
        "tts: {voices: {en: {provider: piper, voice: en_US-amy-medium},"
        f" zh: {{provider: piper, voice: {tmp_path / 'gone.onnx'}}}}}}}\n",
        encoding="utf-8",
    )
    assert main(["config", "check", str(bad)]) == 1
    out = capsys.readouterr().out
    assert (
        "tts.voices.en.voice: Piper voice 'en_US-amy-medium' is neither a `dhe models` name" in out
    )
    assert f"tts.voices.zh.voice: no such Piper voice file: {tmp_path / 'gone.onnx'}" in out


def test_a_badge_text_too_long_is_one_line_naming_the_language(tmp_path: Path) -> None:
    """newcomer11: pydantic's union members came first ("avatar.badge.text.constrained-str:
    Input should be a valid string") before the real problem."""
    bad = tmp_path / "b.yaml"
    bad.write_text(f'avatar: {{badge: {{text: {{en: "{"x" * 48}", zh: 数字员工}}}}}}\n', "utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(bad)
    assert caught.value.problems == [
        "avatar.badge.text.en: String should have at most 40 characters"
    ]


def test_a_hyphenated_key_stays_in_the_path_of_its_error(tmp_path: Path) -> None:
    """A key that is no Python name (``zh-CN``) was taken for a pydantic union label and
    dropped: the problem read "asr.models: Input should be a valid string"."""
    bad = tmp_path / "h.yaml"
    bad.write_text("asr: {models: {zh-CN: 123}}\n", "utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(bad)
    assert caught.value.problems == ["asr.models.zh-CN: Input should be a valid string"]


def test_config_check_finds_what_would_stop_start_up(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """newcomer9: ``config check`` said "ok" to an ASR model path, an avatar file and a Kokoro
    speaker that do not exist, each of which then stopped ``dhe serve``'s start-up."""
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "tts:\n  voices:\n    zh: {provider: kokoro, voice: kokoro-82m, speaker: zf_nobody}\n"
        f"avatar:\n  model: {tmp_path / 'none.glb'}\n"
        f"asr:\n  models:\n    en: {tmp_path / 'whisper-small'}\n",
        encoding="utf-8",
    )
    assert main(["config", "check", str(bad)]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert any(
        f"asr.models.en: ASR model '{tmp_path / 'whisper-small'}' is neither" in line
        for line in lines
    ), lines
    assert any(f"avatar.model: no such avatar file: {tmp_path / 'none.glb'}" in ln for ln in lines)
    from engine import models

    if models.is_ready(models.load_manifest()["kokoro-82m"]):  # its voice packs are listed
        assert any("tts.voices.zh.speaker: unknown Kokoro voice 'zf_nobody'" in ln for ln in lines)
    monkeypatch.setenv("DHE_AVATAR__MODEL", str(tmp_path / "env.glb"))
    assert main(["config", "check", str(DEFAULT_CONFIG_PATH)]) == 1
    assert (
        capsys.readouterr()
        .out.strip()
        .endswith(f"DHE_AVATAR__MODEL (environment): no such avatar file: {tmp_path / 'env.glb'}")
    )


def test_config_check_reports_file_checks_beside_schema_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """newcomer10: with three invalid ``server`` values in the file, ``config check`` printed
    only those, and the missing ASR model and avatar file came up only after they were fixed."""
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        f"asr:\n  models:\n    en: {tmp_path / 'whisper-small'}\n"
        f"avatar:\n  model: {tmp_path / 'none.glb'}\n"
        "server: {port: 99999, max_sessions: -1, idle_timeout_s: 0}\n",
        encoding="utf-8",
    )
    assert main(["config", "check", str(bad)]) == 1
    lines = [line.removeprefix(f"{bad}: ") for line in capsys.readouterr().out.splitlines()]
    settings = [line.split(": ", 1)[0] for line in lines]
    assert settings == [
        "server.port",
        "server.max_sessions",
        "server.idle_timeout_s",
        "asr.models.en",
        "avatar.model",
    ], lines


def test_a_file_that_sets_part_of_a_voice_changes_only_that(tmp_path: Path) -> None:
    """newcomer10: ``tts: {voices: {zh: {speaker: zm_yunyang}}}`` made the Mandarin voice Piper's
    English joe (the field defaults) with no English voice, said "ok", and start-up then
    failed on the speaker. A partial voice now changes that language's built-in voice, as the
    ``DHE_TTS__VOICES__ZH__SPEAKER`` variable does."""
    part = tmp_path / "part.yaml"
    part.write_text("tts:\n  voices:\n    zh:\n      speaker: zm_yunyang\n", encoding="utf-8")
    voices = load_config(part).tts.voices
    assert (voices["zh"].provider, voices["zh"].voice, voices["zh"].speaker) == (
        "kokoro",
        "kokoro-82m",
        "zm_yunyang",
    )
    assert voices["en"] == offline_voice("en")
    other = tmp_path / "other.yaml"  # another provider stands alone
    other.write_text(
        "tts:\n  voices:\n    zh: {provider: espeak, voice: cmn-latn-pinyin}\n", encoding="utf-8"
    )
    zh = load_config(other).tts.voices["zh"]
    assert (zh.provider, zh.voice, zh.opening) == ("espeak", "cmn-latn-pinyin", "first_clause")


def test_config_check_flags_a_kokoro_voice_without_voice_packs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A Kokoro voice pointed at Piper's model (no voice packs in it) is reported by ``config
    check``, not left to fail at start-up (skips, or fails under CI, without the Piper model)."""
    model_folder("piper-en_US-joe-medium")
    wrong = tmp_path / "wrong.yaml"
    wrong.write_text(
        "tts:\n  voices:\n    zh: {provider: kokoro, voice: piper-en_US-joe-medium}\n",
        encoding="utf-8",
    )
    assert main(["config", "check", str(wrong)]) == 1
    assert capsys.readouterr().out.strip() == (
        f"{wrong}: tts.voices.zh.voice: 'piper-en_US-joe-medium' is no Kokoro model "
        "(no voice packs in it)"
    )


def test_config_check_reports_both_encoders_when_the_file_cannot_be_validated(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch
) -> None:
    # an invalid DHE_* variable fails validation whatever is dropped: the raw values are read
    for name in ("DHE_DIALOG__EMBEDDING_MODEL", "DHE_DIALOG__RERANK_MODEL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DHE_SERVER__PORT", "-5")
    cfg = tmp_path / "c.yaml"
    cfg.write_text("dialog:\n  embedding_model: nope\n  rerank_model: nope2\n", encoding="utf-8")
    assert main(["config", "check", str(cfg)]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert [ln.split(": ")[1] for ln in lines] == [
        "DHE_SERVER__PORT (environment)",
        "dialog.embedding_model",
        "dialog.rerank_model",
    ], lines


@pytest.mark.parametrize(
    ("yaml", "problem"),
    [
        ("asr: {window_s: {en: 0}}", "asr.window_s.en: Input should be greater than or equal to 4"),
        ("asr: {window_s: {zh: 31}}", "asr.window_s.zh: Input should be less than or equal to 30"),
        (
            "asr: {compute_type: int4}",
            "asr.compute_type: Input should be 'default', 'auto', 'int8'",
        ),
    ],
)
def test_asr_values_out_of_range_name_the_setting(tmp_path: Path, yaml: str, problem: str) -> None:
    """newcomer #17: ``asr.window_s: {en: 0}`` passed validation (and ``compute_type: int4``
    failed only when the model loaded): each is one problem naming the setting."""
    bad = tmp_path / "w.yaml"
    bad.write_text(yaml + "\n", "utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(bad)
    assert len(caught.value.problems) == 1, caught.value.problems
    assert caught.value.problems[0].startswith(problem), caught.value.problems


def test_the_shipped_window_s_values_stay_valid() -> None:
    assert load_config(DEFAULT_CONFIG_PATH).asr.window_s == {"en": 10.0, "zh": 8.0}
