"""What a BioCoder signature says beyond the function's name: its decorators, do-nothing stand-ins for it, and
the names its definition needs that only the hidden program defines.

Official signatures are the ``def`` line without its colon, after the decorator lines (``@staticmethod``,
``@on_weighted_array()``). A decorator that the hidden program defines is not defined in the agent's kernel:
the definition errors there with a ``NameError`` before it can be graded, although grading runs it inside
the program, where the decorator exists. So the agent is told which names those are, and the oracle defines
stand-ins for them in its kernel cell (never spliced: the program's own are used when grading).

Stubs are the two functions that do nothing with the task: one returns ``None``, one returns its first
argument (after ``self``/``cls`` for a method). A task whose program prints the same with a stub as with the
reference cannot tell a right function from a wrong one.
"""

from __future__ import annotations

import ast
import builtins
import re

__all__ = ["STUBS", "decorator_lines", "kernel_free_names", "stand_in_cell", "stub_function"]

STUBS = ("returns None", "returns its first argument")
_PARAMS = re.compile(r"def\s+[A-Za-z_]\w*\s*\(\s*([A-Za-z_]\w*)?")
_STAND_IN = '''class _MedgymStandIn:
    """Stands in for a name the hidden program defines: a pass-through decorator, a type, any attribute."""

    def __call__(self, *args, **kwargs):
        return args[0] if len(args) == 1 and callable(args[0]) and not kwargs else self

    def __getattr__(self, name):
        return self

    def __getitem__(self, key):
        return self

'''


def decorator_lines(signature: str) -> list[str]:
    """The ``@...`` lines before the ``def`` of ``signature``, stripped."""
    lines = []
    for line in signature.splitlines():
        if line.strip().startswith("def ") or line.strip().startswith("async def "):
            break
        if line.strip().startswith("@"):
            lines.append(line.strip())
    return lines


def _is_method(signature: str, decorators: list[str]) -> bool:
    found = _PARAMS.search(signature)
    first = found.group(1) if found else None
    return first in ("self", "cls") and "@staticmethod" not in decorators


def stub_function(signature: str, name: str, stub: str) -> str:
    """The source of ``stub`` (one of ``STUBS``) as the function ``name``, with the signature's decorators."""
    decorators = decorator_lines(signature)
    skip = int(_is_method(signature, decorators))
    body = {
        STUBS[0]: "return None",
        STUBS[1]: f"return args[{skip}] if len(args) > {skip} else next(iter(kwargs.values()), None)",
    }[stub]
    return "\n".join([*decorators, f"def {name}(*args, **kwargs):", f"    {body}", ""])


def kernel_free_names(code: str, name: str) -> list[str]:
    """Names that defining ``name`` as written in ``code`` evaluates (decorators, default values,
    annotations) and that neither ``code`` binds at top level nor Python provides: in a kernel without the
    hidden program, the definition fails on them. Empty when ``code`` does not parse or lacks the function."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return []
    defs = [n for n in tree.body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef) and n.name == name]
    if not defs:
        return []
    node = defs[-1]
    args = node.args
    evaluated: list[ast.expr] = [*node.decorator_list, *args.defaults]
    evaluated += [d for d in args.kw_defaults if d is not None]
    every = [*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg]
    evaluated += [a.annotation for a in every if a is not None and a.annotation is not None]
    if node.returns is not None:
        evaluated.append(node.returns)
    bound = set(dir(builtins))
    for top in tree.body:
        if isinstance(top, ast.Import | ast.ImportFrom):
            bound |= {(alias.asname or alias.name).split(".")[0] for alias in top.names}
        elif isinstance(top, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            bound.add(top.name)
        elif isinstance(top, ast.Assign | ast.AnnAssign):
            targets = top.targets if isinstance(top, ast.Assign) else [top.target]
            bound |= {n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)}
    used = {n.id for e in evaluated for n in ast.walk(e) if isinstance(n, ast.Name)}
    return sorted(used - bound)


def stand_in_cell(code: str, name: str) -> str:
    """``code`` preceded by stand-ins for its ``kernel_free_names`` that the kernel lacks (as is when there
    are none): what the oracle runs in its kernel, where the hidden program's definitions are absent."""
    names = kernel_free_names(code, name)
    if not names:
        return code
    assign = "".join(
        f"if {n!r} not in globals():\n    {n} = _MedgymStandIn()  # the hidden program defines it\n"
        for n in names
    )
    return f"{_STAND_IN}{assign}\n{code}"
