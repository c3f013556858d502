"""The project's state folder as the connectors room resolves it when run on its own
(``dhe connectors call``, ``dhe sandbox``): ``$DHE_VAR_DIR`` or ``var/`` of the project, never
of the working directory. :func:`engine.paths.var_dir` resolves it the same way (it uses
this)."""

from __future__ import annotations

import os
from pathlib import Path

#: Root of the source tree (the folder holding ``connectors/`` and ``var/``).
PROJECT_ROOT: Path = Path(__file__).resolve().parent.parent


def default_var_dir() -> Path:
    """``$DHE_VAR_DIR`` or ``<project>/var`` (not created here)."""
    return Path(os.environ.get("DHE_VAR_DIR") or PROJECT_ROOT / "var")
