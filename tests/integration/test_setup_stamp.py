"""scripts/setup.sh's stamps: "packs embedded" (``pack_key``) and "fixed replies prepared"
(``prepared_key``), each keyed so that a later ``make`` skips its step only when nothing the
step reads has changed.

newcomer12 #6: the pack key hashed every ``*.npz`` in the cache folder, so the prepared replies
that the NEXT step writes there (``prepared-*.npz``) changed it and the next ``make …`` re-read
every pack (31 s + 11 s under load). fixes14: the prepared-replies step had no stamp and loaded
every pack on each ``make`` (~7-10 s under load) to find nothing to do; its stamp must still
change with a template or any module on a voice's synthesis path. The shipped functions are cut
out of the script and run by bash.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

from engine.prepared_cache import __file__ as PREPARED_CACHE_FILE
from engine.tts.prepared_key import AUDIO_CODE, NOT_AUDIO_CODE
from tests.conftest import REPO_ROOT


def _setup_function(
    name: str,
    cache_dir: Path,
    root: Path = REPO_ROOT,
    env: dict[str, str] | None = None,
    models_dir: str | None = None,
) -> str:
    """Run setup.sh's own function ``name`` (its text, not a copy) in ``root`` with
    ``cache_dir`` (its parent the models folder, as setup.sh sets them) and the environment
    ``env``; returns the key it prints. ``models_dir``: the models folder as spelled in
    ``DHE_MODELS_DIR`` (the cache then ``models_dir + "/cache"``, as setup.sh builds it)."""
    folders = (str(cache_dir), str(cache_dir.parent))
    if models_dir is not None:
        folders = (f"{models_dir}/cache", models_dir)
    script = (REPO_ROOT / "scripts" / "setup.sh").read_text()
    match = re.search(rf"^{name}\(\) \{{\n.*?^\}}\n", script, re.S | re.M)
    assert match, f"{name}() not found in scripts/setup.sh"
    proc = subprocess.run(
        [
            *("bash", "-c", f'cache_dir="$1"; models_dir="$2"\n{match.group(0)}{name}', "bash"),
            *folders,
        ],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    key = proc.stdout.strip()
    assert re.fullmatch(r"[0-9a-f]{16}", key), proc.stdout + proc.stderr
    return key


def _pack_key(cache_dir: Path) -> str:
    return _setup_function("pack_key", cache_dir)


def test_prepared_replies_written_after_the_stamp_do_not_change_it(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / "embeddings-59684007144d0f05.npz").write_bytes(b"\x00" * 100)
    before = _pack_key(cache)
    (cache / "prepared-en-378d280fbb2b3faa.npz").write_bytes(b"\x01" * 5000)  # step 5's output
    (cache / "prepared-zh-f7071b40bf6a650a.npz").write_bytes(b"\x02" * 7000)
    assert _pack_key(cache) == before


def test_a_lower_case_dhe_variable_changes_the_pack_key(tmp_path: Path) -> None:
    """load_config reads ``DHE_*`` in any case (pydantic-settings, not case-sensitive): a
    lower-case ``dhe_dialog__embedding_model`` changes what the step embeds, so it moves the
    key, as it moves the prepared-replies key."""
    cache = tmp_path / "cache"
    cache.mkdir()
    before = _setup_function("pack_key", cache, env=dict(os.environ))
    lower = {**os.environ, "dhe_dialog__embedding_model": "off"}
    assert _setup_function("pack_key", cache, env=lower) != before


def test_the_embedding_cache_itself_still_changes_it(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    cache.mkdir()
    emb = cache / "embeddings-59684007144d0f05.npz"
    emb.write_bytes(b"\x00" * 100)
    before = _pack_key(cache)
    emb.write_bytes(b"\x00" * 101)  # rewritten (another size)
    rewritten = _pack_key(cache)
    assert rewritten != before
    emb.unlink()  # deleted: the step must run again
    assert _pack_key(cache) not in (before, rewritten)


def _tree_for_prepared(tmp_path: Path) -> tuple[Path, Path, list[str]]:
    """A copy of what the prepared-replies step reads: the synthesis path's modules
    (AUDIO_CODE and NOT_AUDIO_CODE), the step itself, the pack code and the packs; a models
    folder with a voice file and a cache folder. Returns (root, cache dir, copied files)."""
    root = tmp_path / "repo"
    step = str(Path(PREPARED_CACHE_FILE).resolve().relative_to(REPO_ROOT.resolve()))
    code = {p for paths in AUDIO_CODE.values() for p in paths} | set(NOT_AUDIO_CODE)
    code |= {step, "dialog/pack.py", "dialog/templates.py", "dialog/kb.py"}
    code |= {"pyproject.toml", "constraints.txt", "assets/config/default.yaml"}
    code |= {
        str(p.relative_to(REPO_ROOT))
        for p in (REPO_ROOT / "assets" / "domains").rglob("*")
        if p.is_file() and p.suffix in (".yaml", ".md")
    }
    for rel in sorted(code):
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(REPO_ROOT / rel, root / rel)
    voice = root / "var" / "models" / "piper-en_US-joe-medium"
    voice.mkdir(parents=True)
    (voice / "en_US-joe-medium.onnx").write_bytes(b"\x00" * 64)
    cache = root / "var" / "models" / "cache"
    cache.mkdir()
    return root, cache, sorted(code)


def test_prepared_key_is_stable_while_nothing_changes(tmp_path: Path) -> None:
    root, cache, _ = _tree_for_prepared(tmp_path)
    first = _setup_function("prepared_key", cache, root)
    (cache / "embeddings-59684007144d0f05.npz").write_bytes(b"\x00" * 100)  # step 4's output
    (cache / "model-digests.json").write_text("{}")  # the step's own memo of model digests
    assert _setup_function("prepared_key", cache, root) == first


def test_a_changed_template_or_synthesis_module_changes_the_prepared_key(tmp_path: Path) -> None:
    """Every file the step's own check depends on moves the key: each module on a voice's
    synthesis path (AUDIO_CODE), the cache's code, the step, the pack code, every pack file
    (a template in responses.yaml, a KB answer), the config, the pins; then a model file, the
    prepared store itself and a DHE_ variable."""
    root, cache, files = _tree_for_prepared(tmp_path)
    seen = {_setup_function("prepared_key", cache, root)}
    assert any(f.endswith("responses.yaml") for f in files)
    assert "engine/tts/piper.py" in files and "engine/tts/kokoro.py" in files
    for rel in files:
        with open(root / rel, "a", encoding="utf-8") as f:
            f.write("\n")  # even a blank line: the key is wider than the voice fingerprint
        key = _setup_function("prepared_key", cache, root)
        assert key not in seen, f"{rel}: changed, but the prepared-replies key did not"
        seen.add(key)
    model = root / "var" / "models" / "piper-en_US-joe-medium" / "en_US-joe-medium.onnx"
    model.write_bytes(b"\x01" * 65)
    no_store = _setup_function("prepared_key", cache, root)
    assert no_store not in seen
    store = cache / "prepared-en-378d280fbb2b3faa.npz"
    store.write_bytes(b"\x02" * 10)
    written = _setup_function("prepared_key", cache, root)
    store.write_bytes(b"\x02" * 11)  # rewritten
    rewritten = _setup_function("prepared_key", cache, root)
    assert len({no_store, written, rewritten}) == 3
    store.unlink()  # deleted: the key is the one the step must run again for
    assert _setup_function("prepared_key", cache, root) == no_store
    lower = {**os.environ, "dhe_tts__voices__en__length_scale": "1.2"}  # load_config reads it
    assert _setup_function("prepared_key", cache, root, env=lower) != no_store


def test_the_stamps_in_the_cache_do_not_move_the_prepared_key_whatever_the_spelling(
    tmp_path: Path,
) -> None:
    """The stamp files and the model-digest memo live in the cache inside the models folder;
    the key leaves the cache out. With ``DHE_MODELS_DIR`` spelled with a trailing slash the
    cache was not pruned (find printed ``x/cache``, the prune named ``x//cache``): writing the
    stamp moved the key and the step ran on every ``make``."""
    root, cache, _ = _tree_for_prepared(tmp_path)
    for spelling in (str(cache.parent), f"{cache.parent}/", "var/models/"):
        first = _setup_function("prepared_key", cache, root, models_dir=spelling)
        (cache / ".prepared-stamp").write_text(first + "\n")
        (cache / ".setup-stamp").write_text("0123456789abcdef\n")
        (cache / "model-digests.json").write_text('{"a": 1}')
        assert _setup_function("prepared_key", cache, root, models_dir=spelling) == first, spelling
        for name in (".prepared-stamp", ".setup-stamp", "model-digests.json"):
            (cache / name).unlink()


def test_setup_says_what_is_prepared_when_the_replies_are_off(tmp_path: Path) -> None:
    """fixes19 #4: with DHE_TTS__PREPARED_REPLIES=false the step did nothing and succeeded, so
    its stamp was written and the next ``make setup`` said "the packs' fixed replies are
    prepared already" of a cache holding 45 of 171 English replies and no Mandarin one. The
    shipped step (setup.sh's own text from ``models_dir=`` to the ``stamped`` call, with its
    ``say``, ``stamped`` and ``prepared_key``) runs twice on an empty cache beside the real
    models (linked): both runs say the replies are off and how many of how many are there."""
    real = Path(os.environ.get("DHE_MODELS_DIR") or REPO_ROOT / "var" / "models")
    models = tmp_path / "models"
    models.mkdir()
    for entry in real.iterdir():
        if entry.name != "cache":
            (models / entry.name).symlink_to(entry.resolve())
    script = (REPO_ROOT / "scripts" / "setup.sh").read_text()
    say = re.search(r"^say\(\) \{.*?\}\n", script, re.M).group(0)  # type: ignore[union-attr]
    stamped = re.search(r"^stamped\(\) \{\n.*?^\}\n", script, re.S | re.M).group(0)  # type: ignore[union-attr]
    step = re.search(r"^models_dir=.*?\n(?=say \"ready)", script, re.S | re.M).group(0)  # type: ignore[union-attr]
    env = {
        **os.environ,
        "DHE_MODELS_DIR": str(models),
        "DHE_TTS__PREPARED_REPLIES": "false",
    }
    body = f'cache_dir="{models}/cache"\n{say}{stamped}{step}'
    said = []
    for _ in range(2):
        proc = subprocess.run(
            ["bash", "-c", body], cwd=REPO_ROOT, env=env, capture_output=True, text=True
        )
        assert proc.returncode == 0, proc.stdout + proc.stderr
        said.append(proc.stdout + proc.stderr)
    assert (models / "cache" / ".prepared-stamp").is_file()
    for out in said:
        assert "prepared already" not in out, out
        assert re.search(
            r"off \(tts\.prepared_replies: false\): every reply is spoken live; "
            r"0 of [1-9]\d* English and 0 of [1-9]\d* Mandarin prepared",
            out,
        ), out
    assert "nothing they depend on changed" in said[1], said[1]  # the stamp skipped the step
