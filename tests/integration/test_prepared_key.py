"""What the prepared-replies cache is keyed on (engine/tts/prepared_key.py): an edit that
cannot change the audio (a docstring, a comment, layout, a module off the synthesis path) keeps
the key, an edit to the audio path changes it, and the listed path is the real one: a real
build and synthesis per prepared provider, traced in a fresh interpreter, runs and opens
nothing of the project or of a library that the key leaves out unexplained."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
from importlib import metadata
from pathlib import Path

import pytest

from engine.config import offline_voice
from engine.tts import prepared_key
from engine.tts.prepared_key import (
    AUDIO_CODE,
    AUDIO_LIBRARIES,
    NOT_AUDIO_CODE,
    NOT_AUDIO_LIBRARIES,
    voice_fingerprint,
)
from tests.conftest import REPO_ROOT, model_folder

#: Run in a fresh interpreter: read the language's default voice config (config values are keyed
#: as they are), then, traced (every import of the voice's modules happens under the trace,
#: module bodies included), build it as the server does and synthesize one sentence, recording
#: each Python file whose code runs and each file opened; prints both as JSON.
_TRACE = """
import json, os, sys, threading
from engine.config import offline_voice
language, text = sys.argv[1], sys.argv[2]
config = offline_voice(language)
ran, opened, on = set(), set(), [True]
def profile(frame, event, arg):
    if event == "call":
        ran.add(frame.f_code.co_filename)
def audit(event, args):
    if on[0] and event == "open" and isinstance(args[0], (str, os.PathLike)):
        opened.add(os.fspath(args[0]))
sys.addaudithook(audit)
sys.setprofile(profile)
threading.setprofile(profile)
from engine.voices import build_voice
build_voice(config, language).synthesize_all(text, language)
sys.setprofile(None)
threading.setprofile(None)
on[0] = False
print(json.dumps({"ran": sorted(ran), "opened": sorted(opened)}))
"""

SENTENCES = {"zh": "您好，请问办理什么业务？", "en": "Hello, how can I help you today?"}
MODEL = {"kokoro": "kokoro-82m", "piper": "piper-en_US-joe-medium"}


def _traced(language: str) -> dict[str, list[str]]:
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    run = subprocess.run(
        [sys.executable, "-c", _TRACE, language, SENTENCES[language]],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO_ROOT,
        timeout=300,
        check=True,
    )
    return json.loads(run.stdout.strip().splitlines()[-1])


def _distribution(path: Path, site: Path, owners: dict[str, list[str]]) -> str | None:
    """The distribution a file under site-packages belongs to (None: metadata, no package)."""
    top = path.relative_to(site).parts[0]
    if top.endswith((".dist-info", ".egg-info", ".pth")):
        return None
    name = top.removesuffix(".py").split(".")[0]
    return ",".join(owners.get(name, [name]))


@pytest.mark.parametrize("language", ["zh", "en"])
def test_the_keyed_path_is_the_path_synthesis_runs(language: str) -> None:
    provider = offline_voice(language).provider
    folder = model_folder(MODEL[provider]).resolve()
    trace = _traced(language)
    site = Path(sysconfig.get_paths()["purelib"]).resolve()
    stdlib = Path(sysconfig.get_paths()["stdlib"]).resolve()
    root = REPO_ROOT.resolve()
    owners = metadata.packages_distributions()
    keyed, located = set(AUDIO_CODE[provider]), set(NOT_AUDIO_CODE)
    libraries = set(AUDIO_LIBRARIES[provider]) | set(NOT_AUDIO_LIBRARIES)
    project, dists = set(), set()
    for name in trace["ran"] + trace["opened"]:
        if name.startswith("<"):  # frozen stdlib, compiled strings
            continue
        path = Path(name).resolve()
        if path.is_relative_to(site):
            dists.add(_distribution(path, site, owners))
        elif path.is_relative_to(folder) or path.is_relative_to(stdlib):
            continue  # model files (keyed by name and content), Python's own (keyed version)
        elif path.is_relative_to(root) and path.parent.name != "__pycache__":
            if path.relative_to(root).parts[0].endswith(".egg-info"):
                continue  # the editable install's metadata (importlib.metadata reads it), no code
            project.add(path.relative_to(root).as_posix())
    assert {"engine/tts/base.py", "avatar/visemes.py"} <= project, project  # the trace works
    unlisted = project - keyed - located
    assert not unlisted, f"on the {provider} synthesis path but not keyed: {sorted(unlisted)}"
    assert not (dists - {None}) - libraries, f"{provider} runs {sorted(dists - libraries - {None})}"
    # what is keyed really runs (a module that left the path leaves the list too)
    assert keyed <= project, sorted(keyed - project)


def _copy_path(root: Path, provider: str) -> None:
    for name in AUDIO_CODE[provider]:
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(REPO_ROOT / name, root / name)


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) >= 1, (path, old)
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


@pytest.mark.parametrize("language", ["zh", "en"])
def test_a_docstring_edit_keeps_the_key_and_an_audio_edit_changes_it(
    language: str, tmp_path: Path, monkeypatch
) -> None:
    voice = offline_voice(language)
    model_folder(MODEL[voice.provider])
    _copy_path(tmp_path, voice.provider)
    monkeypatch.setattr(prepared_key, "_ROOT", tmp_path)
    key = voice_fingerprint(voice, language)
    assert key == voice_fingerprint(voice, language) and len(key) == 64
    base = tmp_path / "engine" / "tts" / "base.py"
    # documentation, comments and layout: the same key
    _edit(base, '"""', '"""Edited docs: nothing here changes a sample. ')
    _edit(base, "\nimport asyncio\n", "\n# a comment\n\nimport asyncio  # and another\n")
    assert voice_fingerprint(voice, language) == key
    # a module off the synthesis path: an edit there keeps the key
    other = tmp_path / "engine" / "tts" / "intelligibility.py"
    assert "engine/tts/intelligibility.py" not in AUDIO_CODE[voice.provider]
    shutil.copy(REPO_ROOT / "engine" / "tts" / "intelligibility.py", other)
    other.write_text(other.read_text(encoding="utf-8") + "\nMIN_PIECE_S = 9.0\n", "utf-8")
    assert voice_fingerprint(voice, language) == key
    # code on the path: a new key (a constant of the provider's own module, then shared code)
    module = tmp_path / AUDIO_CODE[voice.provider][-1]
    text = module.read_text(encoding="utf-8")
    module.write_text(text + "\nEXTRA_GAIN = 1.01\n", encoding="utf-8")
    changed = voice_fingerprint(voice, language)
    assert changed != key
    module.write_text(text, encoding="utf-8")
    assert voice_fingerprint(voice, language) == key
    visemes = tmp_path / "avatar" / "visemes.py"
    visemes.write_text(visemes.read_text(encoding="utf-8") + "\nMOUTH_GAIN = 1.0\n", "utf-8")
    assert voice_fingerprint(voice, language) != key


def test_a_library_version_changes_the_key(monkeypatch) -> None:
    voice = offline_voice("zh")
    model_folder(MODEL[voice.provider])
    key = voice_fingerprint(voice, "zh")
    real = metadata.version
    monkeypatch.setattr(
        prepared_key.metadata,
        "version",
        lambda name: "0.0-other" if name == "pypinyin" else real(name),
    )
    assert voice_fingerprint(voice, "zh") != key


def test_model_files_are_keyed_by_content_not_by_their_times(tmp_path: Path, monkeypatch) -> None:
    """newcomer12 #7: byte-identical models in another folder (a clone, ``cp -r`` without -p)
    got another key (mtimes were keyed) and every reply was synthesized again (26 min)."""
    voice = offline_voice("en")  # Piper: one 63 MB model, cheaper to copy than Kokoro's
    source = model_folder(MODEL[voice.provider])
    key = voice_fingerprint(voice, "en")
    copy = tmp_path / "models" / MODEL[voice.provider]
    copy.mkdir(parents=True)
    for path in source.iterdir():
        shutil.copy(path, copy / path.name)  # new mtimes, same bytes
    monkeypatch.setenv("DHE_MODELS_DIR", str(tmp_path / "models"))
    assert prepared_key.model_files(voice.provider, voice.voice)[0].parent == copy
    assert voice_fingerprint(voice, "en") == key
    memo = json.loads((tmp_path / "models" / "cache" / prepared_key.DIGESTS_FILE).read_text())
    onnx = copy / f"{voice.voice.removeprefix('piper-')}.onnx"
    assert memo[str(onnx.resolve())][4] == prepared_key.content_digest(source / onnx.name)
    os.utime(onnx, ns=(1, 10**18))  # touched: the same bytes, the same key
    assert voice_fingerprint(voice, "en") == key
    # one byte of the model changed, size and mtime put back: another key
    config = copy / f"{onnx.name}.json"
    data, times = bytearray(config.read_bytes()), config.stat()
    at = data.rindex(b"}") - 1  # whitespace before the closing brace: still valid JSON
    data[at] = 9 if data[at] != 9 else 32
    config.write_bytes(bytes(data))
    os.utime(config, ns=(times.st_atime_ns, times.st_mtime_ns))
    assert config.stat().st_size == times.st_size
    assert voice_fingerprint(voice, "en") != key
