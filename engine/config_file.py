"""Reading an engine config file: its top-level YAML mapping, and the errors that name it.

Kept apart from the settings model (:mod:`engine.config`), which validates what is read here.
A file that is not a readable YAML mapping is a :class:`ConfigFileError` (a usage error, exit
2); values the model rejects are a :class:`ConfigError` (exit 1), one ``path: message`` each.
"""

from __future__ import annotations

from pathlib import Path

import yaml


class ConfigError(Exception):
    """The config file is unreadable or invalid; ``problems`` holds one ``path: message`` each.

    Attributes:
        source: the file read, or ``"environment"``.
        problems: one ``path: message`` per problem (the path is the ``DHE_*`` variable, marked
            ``(environment)``, when the value came from the environment).
        from_environment: every problem comes from a ``DHE_*`` variable, none from the file.
    """

    def __init__(self, source: str, problems: list[str], *, from_environment: bool = False) -> None:
        super().__init__(f"{source}: " + "; ".join(problems))
        self.source = source
        self.problems = problems
        self.from_environment = from_environment or source == "environment"


class ConfigFileError(ConfigError):
    """The file is not a readable YAML mapping (missing, not UTF-8, not YAML, a list or a
    scalar at the top): a usage error (exit 2), unlike invalid values (exit 1)."""


def read_mapping(source: Path) -> dict:
    """The top-level mapping of a YAML file (an empty file is an empty mapping).

    Raises:
        ConfigFileError: unreadable, not UTF-8, not YAML, or not a mapping at the top.
    """
    try:
        text = source.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigFileError(str(source), [f"cannot read: {exc.strerror}"]) from exc
    except UnicodeDecodeError as exc:
        raise ConfigFileError(
            str(source), [f"not UTF-8 text (byte {exc.start}: {exc.object[exc.start]:#04x})"]
        ) from exc
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}: " if mark is not None else ""
        problem = getattr(exc, "problem", None) or "syntax error"
        raise ConfigFileError(str(source), [f"{where}not valid YAML ({problem})"]) from exc
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        kind = "a list" if isinstance(raw, list) else f"a {type(raw).__name__}"
        raise ConfigFileError(str(source), [f"top level must be a mapping, not {kind}"])
    return raw
