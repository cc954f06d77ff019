"""The code that runs a task's test cases inside an episode's kernel: each assert on its own, pass or fail.

``run_steps`` is shipped into the kernel as source (``runner_source``) by the grader's state probe, after the
agent's last turn, so the asserts are never in the kernel (nor in its files) while the agent works. It runs in
the agent's namespace, which the agent controlled, so it trusts little of it:

* the steps run in a *copy* of the namespace, with the real builtins and without agent variables that shadow
  builtin names (an agent's ``AssertionError``, ``print`` or ``abs`` is not what the asserts call);
* builtins the agent replaced in the shared builtins module are detected (a builtin must be a C function
  bound to the builtins module, or a static type, checked through literals the agent cannot rebind) and make
  the probe raise, so no result at all is reported and the grade is 0;
* an assert that reads a value whose class the agent defined in the session fails: such a class can make
  ``==`` always true;
* an assert passes only when it ran without raising: what the kernel printed never counts.

It must stay self-contained (no imports outside the function): it is executed from its source alone.
"""

from __future__ import annotations

import ast
import inspect
from typing import Any

__all__ = ["run_steps", "runner_source"]

_HEAPTYPE = 1 << 9
"""``Py_TPFLAGS_HEAPTYPE``: set on classes made at run time (``class`` statements), not on C types."""
_SESSION_BUILTINS = (
    *("copyright", "credits", "license", "help", "exit", "quit", "display", "get_ipython", "input", "open"),
    *("execfile", "runfile", "breakpoint"),
    *("__name__", "__doc__", "__package__", "__loader__", "__spec__", "__IPYTHON__", "ExceptionGroup"),
)
"""Builtins that are not C functions of the builtins module or static types by nature (IPython's and ``site``'s,
``open`` (``_io``'s, and the kernel's own), module attributes, ``ExceptionGroup``, a heap type in CPython): left
unchecked; test cases do not rely on them."""


def run_steps(steps: list[list[Any]], mode: str, namespace: dict[str, Any] | None = None) -> dict[str, Any]:
    """Run test steps in a copy of ``namespace`` (default: the namespace ``run_steps`` was defined in).

    A step is ``[kind, source, holes]``: kind ``"setup"`` (statements the tests run first) or ``"assert"``;
    ``holes`` are expressions of an assert. Mode ``"assert"`` runs every step and returns each assert's
    result; mode ``"eval"`` runs the setup steps and returns, per assert, the ``repr`` of each hole's value
    made plain Python (for re-grounding), or the error that stopped it.
    """
    builtin_function = (0).__sizeof__.__class__
    real_type = (0).__class__.__class__
    plain_types = (
        (0).__class__,
        (0.0).__class__,
        (True).__class__,
        (None).__class__,
        "".__class__,
    )
    if namespace is None:
        namespace = run_steps.__globals__  # not globals(): a builtin the agent may have replaced
    bmod = namespace.get("__builtins__")
    table = bmod if bmod.__class__ is {}.__class__ else bmod.__dict__
    tampered = []
    # No builtin is called until the builtins are known to be genuine: only attributes, literals and `is`.
    for name, value in table.items():
        if name in _SESSION_BUILTINS:
            continue
        cls = value.__class__
        # A C function, or a C (static) type: nothing the agent's Python code can define.
        try:  # a builtin function is bound to the builtins module, unlike a C method of another object
            owner: Any = value.__self__ if cls is builtin_function else None
            bound_here = owner.__dict__ is table
        except AttributeError:
            bound_here = False
        genuine = bound_here or (cls is real_type and not value.__flags__ & _HEAPTYPE)
        genuine = genuine or cls in plain_types or value is Ellipsis or value is NotImplemented
        if not genuine:
            tampered.append(name)
    if tampered and mode == "assert":
        # Fail closed: raising stops the probe's cell, so nothing after it (which may import through a
        # replaced ``__import__``) can report a result; the grade is 0 with this message.
        raise RuntimeError("builtins were replaced in the session: " + ", ".join(sorted(tampered)))
    scope = {k: v for k, v in namespace.items() if k not in table and not k.startswith("__medgym")}
    scope["__builtins__"] = table

    def plain(value: Any, depth: int = 0) -> Any:
        if depth > 50:
            raise ValueError("value nested too deeply")
        if hasattr(value, "tolist") and not isinstance(value, str | bytes):
            value = value.tolist()
        elif hasattr(value, "item") and value.__class__.__module__ == "numpy":
            value = value.item()
        if isinstance(value, bool | int | str) or value is None:
            return value
        if isinstance(value, float):
            if value != value:
                raise ValueError("the value is NaN")
            return value
        if isinstance(value, list | tuple):
            items = [plain(v, depth + 1) for v in value]
            return items if isinstance(value, list) else tuple(items)
        if isinstance(value, set | frozenset):
            return {plain(v, depth + 1) for v in value}
        if isinstance(value, dict):
            return {plain(k, depth + 1): plain(v, depth + 1) for k, v in value.items()}
        raise ValueError(f"a {value.__class__.__name__} is not a plain value")

    def agent_class(source: str) -> str | None:
        """The first name the source reads whose value's class was made in the session, if any."""
        import ast as _ast
        import sys as _sys

        for node in _ast.walk(_ast.parse(source)):
            if node.__class__ is not _ast.Name or node.id not in scope:
                continue
            cls = scope[node.id].__class__
            if not cls.__flags__ & _HEAPTYPE:
                continue  # a static (C) type: builtins, numpy's and pandas' own
            found: Any = _sys.modules.get(cls.__module__)
            for part in cls.__qualname__.split("."):
                found = getattr(found, part, None)
            if cls.__module__ == "__main__" or found is not cls:
                return node.id
        return None

    results: list[dict[str, Any]] = []
    for index, (kind, source, holes) in enumerate(steps):
        code_name = f"<test case {index}>"
        if kind == "setup":
            try:
                exec(compile(source, code_name, "exec"), scope)  # noqa: S102 - the task's tests, by design
            except Exception as exc:
                results.append({"step": index, "kind": "setup", "passed": False, "message": repr(exc)[:500]})
            continue
        if mode == "eval":
            values = []
            try:
                for hole in holes:
                    values.append(repr(plain(eval(compile(hole, code_name, "eval"), scope))))  # noqa: S307
                results.append({"step": index, "kind": "assert", "values": values})
            except Exception as exc:
                results.append(
                    {"step": index, "kind": "assert", "error": f"{exc.__class__.__name__}: {exc}"[:500]}
                )
            continue
        message = ""
        if (name := agent_class(source)) is not None:
            passed, message = False, f"{name} is an instance of a class defined in the session"
        else:
            try:
                exec(compile(source, code_name, "exec"), scope)  # noqa: S102 - the task's tests, by design
                passed = True
            except AssertionError as exc:
                passed, message = False, f"AssertionError: {exc}"[:500]
            except Exception as exc:
                passed, message = False, f"{exc.__class__.__name__}: {exc}"[:500]
        results.append(
            {"step": index, "kind": "assert", "source": source, "passed": passed, "message": message}
        )
    return {"results": results, "tampered": tampered}


def runner_source() -> str:
    """The source that defines ``run_steps`` (and the constants it reads) in a kernel.

    Annotations are stripped: the kernel has no ``Any``, and a ``__future__`` import would outlive the probe.
    """
    tree = ast.parse(inspect.getsource(run_steps))
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef):
            node.returns = None
            for arg in (*node.args.posonlyargs, *node.args.args, *node.args.kwonlyargs):
                arg.annotation = None
    return f"_HEAPTYPE = {_HEAPTYPE}\n_SESSION_BUILTINS = {_SESSION_BUILTINS!r}\n" + ast.unparse(tree)
