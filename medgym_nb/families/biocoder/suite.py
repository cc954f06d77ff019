"""BioCoder's built-in suite: bioinformatics functions, each with a reference solution and a hidden program.

Programs follow the official ones: imports, module-level helpers the function may use, the
``<<insert solution here>>`` line (inside a class for methods), and a ``main()`` that builds its inputs
deterministically (seeded ``random``), calls the function several times, sometimes on files it writes in its
work directory, and prints the results. Each program prints values a function returning ``None`` or its
input unchanged cannot produce. The functions themselves are in ``biocoder_functions.py``.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

__all__ = ["SuiteFunction", "suite_program"]

_HEADER = (
    "import random\nimport math\nimport os\n"
    "def random_sequence(length, alphabet='ACGT'):\n"
    "    return ''.join(random.choice(alphabet) for _ in range(length))\n"
)


@dataclass(frozen=True)
class SuiteFunction:
    """One suite task. ``main`` is the body of the program's ``main()`` (4-space indented lines, unindented
    here); ``helpers`` is module-level code before the function; ``owner`` a class the function is a method of."""

    category: str
    problem: str
    solution: str
    main: str
    imports: tuple[str, ...] = ()
    helpers: str = ""
    owner: str | None = None

    @property
    def name(self) -> str:
        return _definition(self.solution).name

    @property
    def signature(self) -> str:
        """``def name(args)`` as in the official rows (decorators first, no annotations or body)."""
        node = _definition(self.solution)
        decorators = "".join(f"@{ast.unparse(d)}\n" for d in node.decorator_list)
        args = ", ".join(a.arg for a in [*node.args.posonlyargs, *node.args.args])
        if node.args.vararg:
            args += f", *{node.args.vararg.arg}"
        return f"{decorators}def {node.name}({args})"


def _definition(code: str) -> ast.FunctionDef:
    node = ast.parse(code).body[0]
    assert isinstance(node, ast.FunctionDef)
    return node


def suite_program(item: SuiteFunction, seed: int) -> str:
    """The hidden program of ``item``, its random inputs drawn from ``seed``."""
    imports = "".join(f"{line}\n" for line in item.imports)
    body = "".join(f"    {line}\n" if line else "\n" for line in item.main.strip("\n").splitlines())
    if item.owner is None:
        slot = "<<insert solution here>>\n"
    else:
        slot = f"class {item.owner}:\n    <<insert solution here>>\n"
    helpers = item.helpers.strip("\n") + "\n" if item.helpers else ""
    return (
        f"{_HEADER}{imports}{helpers}{slot}def main():\n    random.seed({seed})\n{body}"
        'if __name__ == "__main__":\n    main()\n'
    )
