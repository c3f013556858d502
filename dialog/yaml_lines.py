"""A YAML loader that remembers where each mapping, list and key came from.

The pack validator reports problems as ``FILE:LINE: message`` (``dhe pack check``);
plain PyYAML forgets lines once it has built Python objects. :func:`load_yaml` returns
:class:`LineDict` / :class:`LineList` instances that carry the 1-based ``line`` of the node and,
for mappings, the line of each key.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml


class LineDict(dict):
    """A ``dict`` with ``line`` (1-based line of the mapping) and ``key_lines`` (per key)."""

    line: int = 0
    key_lines: dict[Any, int]

    def line_of(self, key: Any) -> int:
        """Line of ``key`` in the source, or of the mapping itself when unknown."""
        return getattr(self, "key_lines", {}).get(key, self.line)


class LineList(list):
    """A ``list`` with ``line`` (1-based line of the sequence) and ``item_lines``."""

    line: int = 0
    item_lines: list[int]

    def line_of(self, index: int) -> int:
        """Line of item ``index``, or of the list itself when unknown."""
        lines = getattr(self, "item_lines", [])
        return lines[index] if 0 <= index < len(lines) else self.line


def line_at(node: Any, key: Any = None) -> int:
    """The 1-based line of ``node[key]`` (a :class:`LineDict` key or a :class:`LineList`
    index), else of ``node`` itself; 1 when the node carries no line."""
    if key is not None and isinstance(node, LineDict):
        return node.line_of(key)
    if isinstance(node, LineList) and isinstance(key, int):
        return node.line_of(key)
    return getattr(node, "line", 1) or 1


class _LineLoader(yaml.SafeLoader):
    """SafeLoader building :class:`LineDict` / :class:`LineList`."""


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> LineDict:
    loader.flatten_mapping(node)
    result = LineDict()
    result.line = node.start_mark.line + 1
    result.key_lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if key in result:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r}", key_node.start_mark
            )
        result[key] = loader.construct_object(value_node, deep=True)
        result.key_lines[key] = key_node.start_mark.line + 1
    return result


def _construct_sequence(loader: _LineLoader, node: yaml.SequenceNode) -> LineList:
    result = LineList(loader.construct_object(child, deep=True) for child in node.value)
    result.line = node.start_mark.line + 1
    result.item_lines = [child.start_mark.line + 1 for child in node.value]
    return result


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_sequence)


class YamlSyntaxError(ValueError):
    """The file is not valid YAML.

    Attributes:
        path: the file.
        line: 1-based line of the problem.
    """

    def __init__(self, path: Path, line: int, message: str) -> None:
        super().__init__(f"{path}:{line}: {message}")
        self.path = path
        self.line = line
        self.message = message


def load_yaml(path: Path) -> Any:
    """Parse one YAML file keeping line numbers.

    Args:
        path: the file (UTF-8).

    Returns:
        The document: :class:`LineDict`, :class:`LineList` or a scalar (``None`` when empty).

    Raises:
        YamlSyntaxError: the file does not parse (line of the problem included).
        OSError: the file cannot be read.
    """
    text = path.read_text(encoding="utf-8")
    try:
        return yaml.load(text, Loader=_LineLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else 1
        raise YamlSyntaxError(path, line, str(exc.problem or exc)) from exc
    except yaml.YAMLError as exc:
        raise YamlSyntaxError(path, 1, str(exc)) from exc
