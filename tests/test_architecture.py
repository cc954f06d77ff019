"""The shape of the code: imports go one way (core ← families), and the core names no family or source.

Checked on the source text (``ast``), including imports inside functions: an import deferred into a function
still ties two modules together, it only hides the cycle from the interpreter.
"""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import medgym_nb as mg

PACKAGE = Path(mg.__file__).parent
FAMILIES = PACKAGE / "families"

CORE = [
    "env",
    "actions",
    "observations",
    "cellmeta",
    "prompt",
    "cli.py",
    "tasks",
    "grading",
    "gym.py",
    "trainers",
    "runner.py",
    "family",
    "kernel",
    "services",
    "serve",
    "report",
    "errors.py",
    "config.py",
    "trajectory.py",
    "export.py",
    "replay.py",
    "layout.py",
    "agents",
    "__init__.py",
]
"""Modules and packages that must name no family or source (``data/`` builds the shared EHR databases and the
``medcalc``/``npower`` libraries are about their benchmark by nature)."""


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> set[str]:
    """The medgym_nb modules ``path`` imports (resolved; ``from pkg import mod`` counts ``pkg.mod``)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    name = _module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            node.body = []  # typing-only imports are no run-time tie
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("medgym_nb")}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if not target.startswith("medgym_nb"):
                continue
            found.add(target)
            found |= {f"{target}.{a.name}" for a in node.names}
    return found


def _graph() -> dict[str, set[str]]:
    files = [p for p in PACKAGE.rglob("*.py") if "node_modules" not in p.parts]
    modules = {_module_name(p): p for p in files}
    return {name: {m for m in _imports(path) if m in modules and m != name} for name, path in modules.items()}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_no_import_cycle():
    """Modules import each other one way only; a package's ``__init__`` re-exporting its own modules is not a
    cycle (the modules never import their package back)."""
    graph = _graph()
    for name, targets in graph.items():  # a package's __init__ and its own submodules are one unit
        graph[name] = {t for t in targets if not t.startswith(name + ".")}
    assert _cycles(graph) == []


def test_the_core_imports_no_family():
    graph = _graph()
    core = [m for m in graph if not m.startswith("medgym_nb.families.")]
    leaks = {m: sorted(t for t in graph[m] if t.startswith("medgym_nb.families.")) for m in core}
    assert {m: t for m, t in leaks.items() if t} == {}


def test_the_core_names_no_family_or_source():
    names = {f.name for f in mg.list_families()} | {s for f in mg.list_families() for s in f.sources}
    words = {n for n in names} | {n.replace("_", "-") for n in names} | {"mimic", "fhir", "medcalc", "npower"}
    pattern = re.compile(
        r"\b(" + "|".join(sorted(map(re.escape, words), key=len, reverse=True)) + r")\b", re.I
    )
    hits = []
    for entry in CORE:
        target = PACKAGE / entry
        paths = [target] if target.is_file() else sorted(target.rglob("*.py")) if target.is_dir() else []
        for path in paths:
            for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                if pattern.search(line):
                    hits.append(f"{path.relative_to(PACKAGE)}:{lineno}: {line.strip()}")
    assert hits == []


def test_every_family_is_one_folder():
    """Each built-in family's package holds its class and its grader notebook."""
    for family in mg.list_families():
        module = type(family).__module__
        if not module.startswith("medgym_nb.families."):
            continue  # a plug-in from elsewhere
        folder = FAMILIES / module.split(".")[2]
        assert folder.is_dir() and family.grader_notebook().parent == folder


HEAVY = ("sklearn", "scipy", "matplotlib", "statsmodels", "lifelines")


def test_starting_the_cli_and_listing_the_families_imports_no_heavy_library():
    """Every command and every test worker loads the CLI and lists the families; a library that takes a second
    to import belongs where it runs (a family's grading or data build, the report), or each start pays it."""
    probe = (
        "import sys, medgym_nb.cli, medgym_nb as mg; mg.list_families(); "
        f"print(sorted(m for m in {HEAVY!r} if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]", done.stdout
