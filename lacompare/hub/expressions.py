"""A round's publish expressions: how an accepted return's answers become the
published measures (``funding_total / population_0_25``).

Only field names, ``previous.FIELD`` (the service's figure the year before),
numbers and ``+ - * /`` are allowed; the expression is parsed, never run as code.
"""

from __future__ import annotations

import ast
from typing import Any

from lacompare.errors import InputError

__all__ = ["expression_names", "derive_published_value"]

_OPS = {
    ast.Add: lambda a, b: a + b,
    ast.Sub: lambda a, b: a - b,
    ast.Mult: lambda a, b: a * b,
    ast.Div: lambda a, b: a / b,
}


def _name_of(node: ast.AST) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if (
        isinstance(node, ast.Attribute)
        and isinstance(node.value, ast.Name)
        and node.value.id == "previous"
    ):
        return f"previous.{node.attr}"
    return None


def _parse_expression(expr: str) -> ast.AST:
    try:
        tree = ast.parse(expr, mode="eval").body
    except SyntaxError:
        raise InputError(f"publish expression {expr!r} is not arithmetic") from None
    for node in ast.walk(tree):
        ok = isinstance(
            node, (ast.BinOp, ast.Constant, ast.Name, ast.Load, ast.Attribute, *_OPS)
        ) and not (
            isinstance(node, ast.Constant) and not isinstance(node.value, (int, float))
        )
        if isinstance(node, ast.Attribute) and _name_of(node) is None:
            ok = False
        if not ok:
            raise InputError(
                f"publish expression {expr!r}: only field names, "
                "previous.FIELD, numbers and + - * / are allowed"
            )
    return tree


def expression_names(expr: str) -> list[str]:
    """The fields a publish expression reads.

    Examples
    --------
    >>> expression_names("100 * funding_total / previous.funding_total")
    ['funding_total', 'previous.funding_total']
    """
    tree = _parse_expression(expr)
    found: list[str] = []

    def walk(node: ast.AST) -> None:
        name = _name_of(node)
        if name is not None:
            found.append(name)
        elif isinstance(node, ast.BinOp):
            walk(node.left)
            walk(node.right)

    walk(tree)
    return found


def derive_published_value(
    expr: str, values: dict[str, Any], previous: dict[str, Any] | None = None
) -> Any:
    """Evaluate a publish expression; ``None`` when an input is missing or x/0.

    A bare field name returns the value as it is (a choice stays text).

    Examples
    --------
    >>> derive_published_value("a / b", {"a": 10.0, "b": 4.0})
    2.5
    >>> derive_published_value("a / previous.a", {"a": 10.0}, {"a": None}) is None
    True
    """
    previous = previous or {}
    tree = _parse_expression(expr)

    def ev(node: ast.AST) -> Any:
        name = _name_of(node)
        if name is not None:
            if name.startswith("previous."):
                return previous.get(name.removeprefix("previous."))
            return values.get(name)
        if isinstance(node, ast.Constant):
            return float(node.value)
        assert isinstance(node, ast.BinOp)
        left, right = ev(node.left), ev(node.right)
        if left is None or right is None:
            return None
        if isinstance(node.op, ast.Div) and float(right) == 0:
            return None
        return _OPS[type(node.op)](float(left), float(right))

    return ev(tree)
