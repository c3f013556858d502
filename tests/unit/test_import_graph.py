"""The rooms' imports point one way (engine → dialog → connectors, engine → avatar) and the
engine's modules import each other without a cycle — imports under ``TYPE_CHECKING`` and inside
functions count, since they are dependencies all the same. Read from the source (ast), nothing
is imported."""

from __future__ import annotations

import ast
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
ROOMS = ("engine", "dialog", "connectors", "avatar")
#: Which rooms each room may import.
ALLOWED = {
    "engine": {"engine", "dialog", "connectors", "avatar"},
    "dialog": {"dialog", "connectors"},
    "connectors": {"connectors"},
    "avatar": {"avatar"},
}


def module_name(path: Path) -> str:
    parts = path.relative_to(REPO).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path) -> set[str]:
    """Every module ``path`` imports, anywhere in the file (relative imports resolved)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = (
        module_name(path).rsplit(".", 1)[0] if path.name != "__init__.py" else module_name(path)
    )
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            found.add(base)
            found |= {f"{base}.{alias.name}" for alias in node.names}
    return found


def graph() -> dict[str, set[str]]:
    files = [p for room in ROOMS for p in (REPO / room).rglob("*.py")]
    names = {module_name(p): p for p in files}
    return {
        name: {m for m in imports_of(path) if m in names and m != name}
        for name, path in names.items()
    }


def test_rooms_import_one_way() -> None:
    wrong = [
        f"{module} imports {target}"
        for module, targets in graph().items()
        for target in targets
        if target.split(".")[0] not in ALLOWED[module.split(".")[0]]
    ]
    assert wrong == []


def test_no_import_cycle_inside_the_engine() -> None:
    edges = {m: {t for t in ts if t.startswith("engine")} for m, ts in graph().items()}
    edges = {m: ts for m, ts in edges.items() if m.startswith("engine")}
    cycles: list[list[str]] = []
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(edges.get(node, ())):
            if state.get(nxt) == 1:
                cycles.append([*path[path.index(nxt) :], nxt])
            elif nxt not in state:
                visit(nxt)
        path.pop()
        state[node] = 2

    for node in sorted(edges):
        if node not in state:
            visit(node)
    # a package's __init__ re-exporting its modules is not a cycle of modules
    cycles = [c for c in cycles if not any(len(m.split(".")) < 2 for m in c)]
    assert cycles == [], [" → ".join(c) for c in cycles]


def test_test_support_stays_out_of_the_rooms() -> None:
    leaks = [
        f"{module_name(path)} imports {target}"
        for room in ROOMS
        for path in (REPO / room).rglob("*.py")
        for target in imports_of(path)
        if target.split(".")[0] in ("tests", "pytest")
    ]
    assert leaks == []
