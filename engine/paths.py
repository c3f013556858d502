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


def environment_folder_problem() -> str | None:
    """What is wrong with a folder the environment names, in one line, or None: a
    ``DHE_VAR_DIR`` that cannot be made (``/proc/nope``), a ``DHE_MODELS_DIR`` that is not a
    folder. ``dhe serve`` checks them before it starts: it listened, then failed its start-up
    on a bare ``[Errno 2] No such file or directory: '/proc/nope'`` and stayed up answering 503;
    a mistyped ``DHE_MODELS_DIR`` started the sandboxes and then asked for ``dhe models``
    (newcomer13). Creates the state folder when it can (as :func:`var_dir` does)."""
    given = os.environ.get("DHE_VAR_DIR")
    try:
        var_dir()
    except OSError as exc:
        where = f"DHE_VAR_DIR (environment): {given}" if given else str(default_var_dir())
        return f"{where}: cannot make the state folder ({exc.strerror or exc})"
    models = os.environ.get("DHE_MODELS_DIR")
    if models and not Path(models).is_dir():
        return f"DHE_MODELS_DIR (environment): {models}: no such folder"
    return None
