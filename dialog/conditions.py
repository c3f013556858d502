"""Safe evaluation of the small expressions flows use in ``if``, rejections and ``set_slots``.

Grammar: a Python expression made of constants, names (``slots``, ``value``, ``error``),
attribute access on ``slots`` (``slots.card_last4``; an unset slot reads as ``None``), ``and`` /
``or`` / ``not``, comparisons (``== != < <= > >= in not in is is not``), ``+ -`` and ``len(x)``.
Anything else is refused at pack load time, so a pack cannot run code.
"""

from __future__ import annotations

import ast
import operator
from collections.abc import Mapping
from functools import lru_cache
from typing import Any


class ExpressionError(ValueError):
    """An expression uses something outside the grammar above, or does not parse."""


_COMPARE = {
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
    ast.In: lambda a, b: a in b,
    ast.NotIn: lambda a, b: a not in b,
    ast.Is: operator.is_,
    ast.IsNot: operator.is_not,
}
_BINOP = {ast.Add: operator.add, ast.Sub: operator.sub}
_FUNCS = {"len": len}


def _check(node: ast.AST) -> None:
    allowed = (
        ast.Expression,
        ast.BoolOp,
        ast.And,
        ast.Or,
        ast.UnaryOp,
        ast.Not,
        ast.USub,
        ast.Compare,
        ast.BinOp,
        ast.Name,
        ast.Load,
        ast.Attribute,
        ast.Constant,
        ast.List,
        ast.Tuple,
        ast.Call,
        *_COMPARE,
        *_BINOP,
    )
    for child in ast.walk(node):
        if not isinstance(child, allowed):
            raise ExpressionError(f"not allowed in an expression: {type(child).__name__}")
        if isinstance(child, ast.Call) and not (
            isinstance(child.func, ast.Name) and child.func.id in _FUNCS and not child.keywords
        ):
            raise ExpressionError("only len(x) may be called")
        if isinstance(child, ast.Attribute) and not isinstance(child.value, ast.Name):
            raise ExpressionError("attribute access only on a name (slots.x)")
        if isinstance(child, ast.Attribute) and child.attr.startswith("_"):
            raise ExpressionError("private attributes are not allowed")


@lru_cache(maxsize=1024)
def compile_expression(source: str) -> ast.Expression:
    """Parse and check ``source``.

    Args:
        source: the expression text.

    Returns:
        The checked AST (cached per source text).

    Raises:
        ExpressionError: syntax error or a construct outside the grammar.
    """
    try:
        tree = ast.parse(str(source).strip(), mode="eval")
    except SyntaxError as exc:
        raise ExpressionError(f"syntax error: {exc.msg}") from exc
    _check(tree)
    return tree


def _eval(node: ast.AST, names: Mapping[str, Any]) -> Any:
    if isinstance(node, ast.Expression):
        return _eval(node.body, names)
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.Name):
        return _FUNCS.get(node.id) if node.id in _FUNCS else names.get(node.id)
    if isinstance(node, ast.Attribute):
        base = names.get(node.value.id)  # type: ignore[attr-defined]
        return base.get(node.attr) if isinstance(base, Mapping) else None
    if isinstance(node, ast.BoolOp):
        values = (_eval(v, names) for v in node.values)
        return all(values) if isinstance(node.op, ast.And) else any(values)
    if isinstance(node, ast.UnaryOp):
        operand = _eval(node.operand, names)
        return (not operand) if isinstance(node.op, ast.Not) else -operand
    if isinstance(node, ast.Compare):
        left = _eval(node.left, names)
        for op, comparator in zip(node.ops, node.comparators, strict=True):
            right = _eval(comparator, names)
            try:
                if not _COMPARE[type(op)](left, right):
                    return False
            except TypeError:
                return False
            left = right
        return True
    if isinstance(node, ast.BinOp):
        left, right = _eval(node.left, names), _eval(node.right, names)
        try:
            return _BINOP[type(node.op)](left or 0, right or 0)
        except TypeError as exc:
            raise ExpressionError(f"cannot combine {left!r} and {right!r}") from exc
    if isinstance(node, ast.List | ast.Tuple):
        return [_eval(e, names) for e in node.elts]
    if isinstance(node, ast.Call):
        args = [_eval(a, names) for a in node.args]
        try:
            return _FUNCS[node.func.id](*args)  # type: ignore[attr-defined]
        except TypeError:
            return 0
    raise ExpressionError(f"not allowed: {type(node).__name__}")  # pragma: no cover


def evaluate(source: str, names: Mapping[str, Any]) -> Any:
    """Evaluate an expression.

    Args:
        source: the expression text (see the module docstring for the grammar).
        names: the variables (``slots`` → slot mapping, ``value`` → a candidate slot value …).

    Returns:
        The value; comparisons between incompatible types are ``False``.

    Raises:
        ExpressionError: the expression is outside the grammar.
    """
    return _eval(compile_expression(source), names)
