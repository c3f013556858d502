"""Checks shared by the commands that write a file (``dhe converse``, ``dhe avatar preview``)."""

from __future__ import annotations

from pathlib import Path

__all__ = ["UsageError", "check_output"]


class UsageError(Exception):
    """Bad usage or unreadable input (exit 2); the message is one line naming the input."""


def check_output(out: Path) -> Path:
    """Make sure ``out`` can be written, before anything runs; nothing is left behind.

    Raises:
        UsageError: ``out`` is a folder, its folder is missing, or it cannot be created.
    """
    if out.is_dir():
        raise UsageError(f"--out {out}: is a folder")
    if not out.parent.is_dir():
        raise UsageError(f"--out {out}: folder {out.parent} does not exist")
    probe = out.with_name(out.name + ".partial")
    try:
        probe.open("wb").close()
        probe.unlink()
    except OSError as exc:
        raise UsageError(f"--out {out}: cannot be written ({exc.strerror})") from exc
    return out
