"""A read pack's flow steps checked against the whole pack (``dhe pack check``): each slot,
response, flow, connector operation, error code and step id a step names must exist, and each
expression must compile. Reading the YAML into the pack's objects is :mod:`dialog.pack_check`.
"""

from __future__ import annotations

import functools
import re
from typing import TYPE_CHECKING, Any, Protocol

from dialog.conditions import ExpressionError, compile_expression
from dialog.yaml_lines import LineDict, LineList, line_at

if TYPE_CHECKING:
    from dialog.pack import Flow, Pack, Step

ERROR_CODES = {"timeout", "unavailable", "not_found", "unauthorized", "invalid_input"}
ERROR_CODES |= {"conflict", "bad_response", "default"}


class ProblemSink(Protocol):
    """Where the checks put what they find (:mod:`dialog.pack_check`'s collector)."""

    def add(self, file: str, line: int, message: str) -> None:
        """Note a problem in pack file ``file`` (``flows.yaml``) at 1-based ``line`` (0: the
        file as a whole)."""


def _next_targets(c: ProblemSink, nxt: Any, path: str, line: int) -> list[tuple[str, int]]:
    """Step ids named by a ``next`` value, with lines; problems for malformed entries."""
    if nxt is None:
        return []
    if isinstance(nxt, str):
        return [(nxt, line)]
    if not isinstance(nxt, LineList):
        c.add("flows.yaml", line, f"{path}: must be a step id or a list of if/then/else")
        return []
    targets = []
    for i, branch in enumerate(nxt):
        bline = nxt.line_of(i)
        if not isinstance(branch, LineDict) or not (
            {"if", "then"} <= branch.keys() or "else" in branch
        ):
            c.add("flows.yaml", bline, f"{path}[{i}]: needs if + then, or else")
            continue
        if "if" in branch:
            _expr(c, branch["if"], f"{path}[{i}].if", bline)
            targets.append((str(branch["then"]), bline))
        else:
            targets.append((str(branch["else"]), bline))
    return targets


def _expr(c: ProblemSink, source: Any, path: str, line: int) -> None:
    try:
        compile_expression(str(source))
    except ExpressionError as exc:
        c.add("flows.yaml", line, f"{path}: {exc}")


_PLACEHOLDER = re.compile(r"\{([^{}:]+)(?::[^{}]*)?\}")


@functools.cache
def _known_operations() -> frozenset[str]:
    """``system.operation`` names of the shipped connector declarations (empty if unreadable,
    e.g. a deployment that keeps its declarations elsewhere: then nothing is checked)."""
    from connectors.config import DEFAULT_DECLARATIONS_DIR
    from connectors.declaration import DeclarationError, load_declarations

    try:
        decls = load_declarations(DEFAULT_DECLARATIONS_DIR)
    except (DeclarationError, OSError):
        return frozenset()
    return frozenset(f"{d.system}.{op}" for d in decls for op in d.operations)


#: The keys of a collect step's ``help`` (:func:`dialog.waiting.asks_about_the_question`).
HELP_KEYS = ("utter", "words", "lacking")


def _word_lists(value: Any) -> bool:
    """Whether ``value`` is ``{LANG: [word, ...]}`` with non-empty lists of non-empty strings."""
    return isinstance(value, dict) and all(
        isinstance(w, list) and w and all(isinstance(x, str) and x for x in w)
        for w in value.values()
    )


def _check_help(c: ProblemSink, pack: Pack, help_: Any, path: str, line: int) -> None:
    """A collect step's ``help``: ``utter`` a known response, ``words`` (what the question asks
    for) and the optional ``lacking`` (words that only say the visitor lacks something) each
    ``{LANG: [word, ...]}`` in the pack's languages, and no other key."""
    if not isinstance(help_, dict) or not _word_lists(help_.get("words")):
        c.add("flows.yaml", line, f"{path}: needs utter and words: {{LANG: [word, ...]}}")
        return
    if help_.get("utter") not in pack.responses:
        c.add("flows.yaml", line_at(help_), f"{path}.utter: unknown response")
    for key in help_:
        if key not in HELP_KEYS:
            c.add(
                "flows.yaml",
                line_at(help_, key),
                f"{path}.{key}: unknown key (one of: {', '.join(HELP_KEYS)})",
            )
    lacking = help_.get("lacking")
    if lacking is not None and not _word_lists(lacking):
        c.add(
            "flows.yaml",
            line_at(help_, "lacking"),
            f"{path}.lacking: must be {{LANG: [word, ...]}} (words that only say the visitor "
            "lacks something)",
        )
        return
    for key in ("words", "lacking"):
        for lang in help_.get(key) or {}:
            if lang not in pack.languages:
                c.add(
                    "flows.yaml",
                    line_at(help_[key], lang),
                    f"{path}.{key}.{lang}: not one of the pack's languages "
                    f"({', '.join(pack.languages)})",
                )


def check_step(c: ProblemSink, pack: Pack, flow: Flow, step: Step) -> None:
    """Add a problem to ``c`` for each name ``step`` of ``flow`` gives that ``pack`` lacks: an
    undeclared slot, an unknown response, flow, connector operation, error code or step id
    (``next``, ``on_error``, ``on_max``), and each expression that does not compile."""
    path, spec = f"flows.{flow.id}.steps[{step.index}]", step.spec
    line = step.line

    def need_response(name: Any, key: str) -> None:
        if name not in pack.responses:
            c.add("flows.yaml", line_at(spec, key), f"{path}.{key}: unknown response {name!r}")

    if step.type == "collect":
        if step.value not in pack.slots:
            c.add("flows.yaml", line, f"{path}.collect: undeclared slot {step.value!r}")
        need_response(spec.get("utter"), "utter")
        for i, rej in enumerate(spec.get("rejections") or []):
            if not isinstance(rej, dict) or "if" not in rej or "utter" not in rej:
                c.add("flows.yaml", line, f"{path}.rejections[{i}]: needs if and utter")
                continue
            _expr(c, rej["if"], f"{path}.rejections[{i}].if", line_at(rej))
            if rej["utter"] not in pack.responses:
                c.add("flows.yaml", line_at(rej), f"{path}.rejections[{i}].utter: unknown response")
        if "help" in spec:
            _check_help(c, pack, spec["help"], f"{path}.help", line)
    elif step.type == "action":
        if not isinstance(step.value, str) or step.value.count(".") != 1:
            c.add("flows.yaml", line, f"{path}.action: must be SYSTEM.OPERATION")
        elif (known := _known_operations()) and step.value not in known:
            c.add(
                "flows.yaml",
                line_at(spec, "action"),
                f"{path}.action: no connector declares {step.value!r}",
            )
        params = spec.get("params") or {}
        for key, value in params.items() if isinstance(params, dict) else ():
            for name in _PLACEHOLDER.findall(value) if isinstance(value, str) else ():
                if name.split(".")[0].split("[")[0] not in pack.slots:
                    c.add(
                        "flows.yaml",
                        line_at(params, key),
                        f"{path}.params.{key}: {{{name}}} names no declared slot",
                    )
        for code in spec.get("on_error") or {}:
            if code not in ERROR_CODES:
                c.add(
                    "flows.yaml",
                    line_at(spec["on_error"], code),
                    f"{path}.on_error.{code}: unknown code",
                )
        for slot in spec.get("result") or {}:
            if slot not in pack.slots:
                c.add(
                    "flows.yaml",
                    line_at(spec["result"], slot),
                    f"{path}.result.{slot}: undeclared slot",
                )
    elif step.type == "say":
        need_response(step.value, "say")
    elif step.type in ("link", "call") and step.value not in pack.flows:
        c.add("flows.yaml", line, f"{path}.{step.type}: unknown flow {step.value!r}")
    elif step.type == "set_slots":
        values = step.value if isinstance(step.value, dict) else {}
        if not isinstance(step.value, dict):
            c.add("flows.yaml", line, f"{path}.set_slots: must be a mapping")
        for slot, value in values.items():
            if slot not in pack.slots:
                c.add(
                    "flows.yaml",
                    line_at(step.value, slot),
                    f"{path}.set_slots.{slot}: undeclared slot",
                )
            if isinstance(value, str) and value.startswith("="):
                _expr(c, value[1:], f"{path}.set_slots.{slot}", line_at(step.value, slot))
    ids = {s.id for s in flow.steps} | {"END"}
    targets = _next_targets(c, spec.get("next"), f"{path}.next", line_at(spec, "next"))
    targets += [
        (str(v), line_at(spec.get("on_error"), k)) for k, v in (spec.get("on_error") or {}).items()
    ]
    if spec.get("on_max") is not None:
        targets.append((str(spec["on_max"]), line_at(spec, "on_max")))
    for target, tline in targets:
        if target not in ids:
            c.add("flows.yaml", tline, f"{path}: no step {target!r} in flow {flow.id}")
