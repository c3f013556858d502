"""Where the engine finds its assets and keeps its state.

The repository root holds ``assets/`` (templates, packs, the default avatar) and ``var/``
(SQLite files, unpacked models). ``DHE_VAR_DIR`` and ``DHE_MODELS_DIR`` move the latter two.
"""

from __future__ import annotations

import os
from pathlib import Path

from connectors.paths import default_var_dir

#: Root of the source tree (the folder holding ``engine/`` and ``assets/``).
REPO_ROOT: Path = Path(__file__).resolve().parent.parent
ASSETS_DIR: Path = REPO_ROOT / "assets"


def var_dir() -> Path:
    """The state folder (``$DHE_VAR_DIR`` or ``<repo>/var``); created on first use."""
    path = default_var_dir()
    path.mkdir(parents=True, exist_ok=True)
    return path


def models_dir() -> Path:
    """The unpacked-model folder (``$DHE_MODELS_DIR`` or ``<var>/models``)."""
    env = os.environ.get("DHE_MODELS_DIR")
    return Path(env) if env else var_dir() / "models"
