"""Test cases made of ``assert`` statements: parsed, re-grounded on new data, and run as a state probe.

A task graded this way checks what the agent *built* (variables left in its session), not what it printed.
``parse_tests`` splits the test code into steps (setup statements and asserts) and marks in each assert the
expressions whose expected constants depend on the data (``x == 3``, ``abs(x - 2.5) < 1e-8``,
``set(xs) == set([...])``). ``reground`` replaces those constants with the values the reference solution
produces, keeping each assert's form. ``probe_code`` is the state probe that runs the steps in the episode's
kernel after the agent's last turn (see ``assert_runner``); ``grade_asserts`` scores its result: the share of
asserts that passed.
"""

from __future__ import annotations

import ast
import math
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from ..errors import TaskFileError
from .assert_runner import runner_source
from .comparators import Grade

__all__ = [
    "RegroundError",
    "TestStep",
    "assert_table",
    "grade_asserts",
    "parse_tests",
    "probe_code",
    "reground",
]


class RegroundError(ValueError):
    """A test case whose constants cannot be taken from the reference run; the message says why."""


class TestStep(BaseModel):
    """One top-level statement of a task's test code; ``holes`` are an assert's data-dependent expressions."""

    model_config = ConfigDict(frozen=True)
    __test__ = False  # not a pytest class

    kind: Literal["setup", "assert"]
    source: str
    holes: tuple[str, ...] = ()


def parse_tests(code: str) -> list[TestStep]:
    """The steps of ``code``; ``TaskFileError`` if it is not Python or has no assert."""
    try:
        tree = ast.parse(code)
    except SyntaxError as exc:
        raise TaskFileError(f"test cases are not valid Python: {exc.msg} (line {exc.lineno})") from None
    steps = []
    for node in tree.body:
        source = ast.get_source_segment(code, node) or ast.unparse(node)
        if isinstance(node, ast.Assert):
            holes = tuple(ast.unparse(expr) for expr, _const, _sign in _holes(node))
            steps.append(TestStep(kind="assert", source=source, holes=holes))
        else:
            steps.append(TestStep(kind="setup", source=source))
    if not any(s.kind == "assert" for s in steps):
        raise TaskFileError("the test cases hold no assert statement")
    return steps


def _literal(node: ast.expr) -> bool:
    """A constant written in the code: a literal, or ``set/list/tuple`` of one."""
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id in ("set", "list", "tuple")
    ):
        return len(node.args) == 1 and not node.keywords and _literal(node.args[0])
    try:
        ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return False
    return True


def _number(node: ast.expr) -> bool:
    return (
        _literal(node) and isinstance(ast.literal_eval(node), int | float) and not isinstance(node, ast.Call)
    )


def _holes(node: ast.Assert) -> list[tuple[ast.expr, ast.expr, int]]:
    """(expression, the constant it is compared with, sign) of an assert's data-dependent comparison.

    ``sign`` is how the constant follows from the expression's value: 1 (``x == c``, ``abs(x - c) < tol``)
    or -1 (``abs(x + c) < tol``). Comparisons of other forms (thresholds, membership, ``isinstance``) have no
    holes: they are kept as they are and must hold on the reference run.
    """
    test = node.test
    if not isinstance(test, ast.Compare) or len(test.ops) != 1:
        return []
    left, op, right = test.left, test.ops[0], test.comparators[0]
    if isinstance(op, ast.Eq | ast.NotEq):
        if _literal(right) and not _literal(left):
            return [(left, right, 1)]
        if _literal(left) and not _literal(right):
            return [(right, left, 1)]
        return []
    if (
        isinstance(op, ast.Lt | ast.LtE)
        and isinstance(left, ast.Call)
        and isinstance(left.func, ast.Name)
        and left.func.id == "abs"
        and len(left.args) == 1
        and isinstance(left.args[0], ast.BinOp)
        and isinstance(left.args[0].op, ast.Sub | ast.Add)
        and _number(right)
    ):
        inner = left.args[0]
        if _number(inner.right) and not _number(inner.left):
            return [(inner.left, inner.right, 1 if isinstance(inner.op, ast.Sub) else -1)]
        if _number(inner.left) and not _number(inner.right):
            return [(inner.right, inner.left, 1 if isinstance(inner.op, ast.Sub) else -1)]
    return []


def _constant(value: Any, like: ast.expr, sign: int) -> ast.expr:
    """The code of ``value`` in the shape of the constant it replaces (a ``set(...)`` stays one)."""
    if sign < 0:
        value = -value
    if isinstance(like, ast.Call) and isinstance(like.func, ast.Name):
        items = list(value) if isinstance(value, list | tuple | set) else value
        if isinstance(value, set):
            try:
                items = sorted(items)
            except TypeError:
                items = sorted(items, key=repr)
        return ast.Call(func=ast.Name(id=like.func.id, ctx=ast.Load()), args=[_code(items)], keywords=[])
    if isinstance(like, ast.Tuple) and isinstance(value, list):
        value = tuple(value)
    return _code(value)


def _code(value: Any) -> ast.expr:
    if isinstance(value, float) and math.isinf(value):
        code = ast.parse(f"float({'inf' if value > 0 else '-inf'!r})", mode="eval").body
        return code
    if isinstance(value, set):
        try:
            ordered = sorted(value)
        except TypeError:
            ordered = sorted(value, key=repr)
        return (
            ast.parse(f"set({ordered!r})", mode="eval").body
            if value
            else ast.parse("set()", mode="eval").body
        )
    return ast.parse(repr(value), mode="eval").body


def reground(steps: list[TestStep], evaluated: dict[str, Any]) -> list[TestStep]:
    """``steps`` with each hole's constant replaced by its value in ``evaluated`` (``run_steps`` in eval mode).

    Raises ``RegroundError`` naming the assert whose values could not be taken.
    """
    by_step = {r["step"]: r for r in evaluated["results"] if r["kind"] == "assert"}
    out = []
    for index, step in enumerate(steps):
        if step.kind != "assert" or not step.holes:
            out.append(step)
            continue
        result = by_step.get(index, {})
        if "error" in result or "values" not in result:
            raise RegroundError(f"`{step.source}`: {result.get('error', 'not evaluated')}")
        node = ast.parse(step.source).body[0]
        assert isinstance(node, ast.Assert)
        holes = _holes(node)
        for (_expr, const, sign), text in zip(holes, result["values"], strict=True):
            try:
                value = ast.literal_eval(text) if text != "set()" else set()
            except (ValueError, SyntaxError):
                value = _special(text)
            _replace(node, const, _constant(value, const, sign))
        out.append(TestStep(kind="assert", source=ast.unparse(node), holes=step.holes))
    return out


def _special(text: str) -> Any:
    """``repr`` forms ``literal_eval`` does not read: infinities."""
    if text in ("inf", "-inf"):
        return float(text)
    raise RegroundError(f"the value {text[:80]} cannot be written as a constant")


def _replace(root: ast.AST, old: ast.expr, new: ast.expr) -> None:
    for parent in ast.walk(root):
        for name, field in ast.iter_fields(parent):
            if field is old:
                setattr(parent, name, new)
                return
            if isinstance(field, list) and any(item is old for item in field):
                field[field.index(old)] = new
                return
    raise RegroundError("internal: constant not found")  # pragma: no cover - holes come from the same tree


def probe_code(steps: list[TestStep], mode: Literal["assert", "eval"] = "assert") -> str:
    """Code that runs ``steps`` in the kernel's namespace and leaves the result in ``__medgym_state__``."""
    steps_literal = [[s.kind, s.source, list(s.holes)] for s in steps]  # a literal: no import runs to read it
    return (
        f"{runner_source()}\n"
        f"__medgym_state__ = run_steps({steps_literal!r}, {mode!r})\n"
        "del run_steps, _HEAPTYPE, _SESSION_BUILTINS\n"
    )


def grade_asserts(state: Any, error: str | None = None) -> Grade:
    """The share of asserts that passed; each assert's result is a subscore (``assert <n>``)."""
    results = state.get("results", []) if isinstance(state, dict) else []
    asserts = [r for r in results if r.get("kind") == "assert"]
    if not asserts:
        why = error or "the test cases did not run"
        return Grade(score=0.0, passed=False, message=f"no assert ran: {why}")
    passed = sum(bool(r.get("passed")) for r in asserts)
    failed = [f"`{r.get('source', '')}` ({r.get('message', '')})" for r in asserts if not r.get("passed")]
    message = f"{passed}/{len(asserts)} asserts passed"
    if failed:
        message += "; failed: " + "; ".join(failed)[:2000]
    return Grade(
        score=passed / len(asserts),
        passed=passed == len(asserts),
        message=message,
        subscores={f"assert {n}": float(bool(r.get("passed"))) for n, r in enumerate(asserts)},
    )


def assert_table(state: Any) -> list[tuple[str, bool, str]]:
    """Each assert's (source, passed, message), for the graded notebook's record."""
    results = state.get("results", []) if isinstance(state, dict) else []
    return [
        (str(r.get("source", "")), bool(r.get("passed")), str(r.get("message", "")))
        for r in results
        if r.get("kind") == "assert"
    ]
