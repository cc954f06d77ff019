"""What a study's analyses say about its tables beyond the descriptions: the values and columns they name.

A description lists each column's ten most frequent values (for some studies just ten values) and, for very
wide tables, only the first hundred columns. The study's own task code names what the analyses need: genes
(``data_mutations["Hugo_Symbol"] == "TTN"``), category values (``df["RESPONSE"] == "Yes"``), and columns the
description cut off. ``mentions`` collects them so the synthetic tables contain them: real tables do, since
the analyses were written against them.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field

__all__ = ["Mentions", "mentions"]

_GENE = re.compile(r"^[A-Z][A-Z0-9]{1,9}(-[A-Z0-9]{1,4})?$")
_GENE_COLUMN = "Hugo_Symbol"


@dataclass
class Mentions:
    """Column → string values the code compares it with; gene-like constants; every column name read."""

    values: dict[str, list[str]] = field(default_factory=dict)
    genes: list[str] = field(default_factory=list)
    columns: list[str] = field(default_factory=list)
    """Columns the code reads and never assigns (those it assigns, it makes itself)."""

    def add(self, column: str, value: str) -> None:
        listed = self.values.setdefault(column, [])
        if value not in listed:
            listed.append(value)


def _column(node: ast.expr) -> str | None:
    """``df["COL"]`` → ``COL``."""
    if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant):
        value = node.slice.value
        return value if isinstance(value, str) else None
    return None


def _strings(node: ast.expr) -> list[str]:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.List | ast.Tuple | ast.Set):
        return [e.value for e in node.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)]
    return []


def mentions(sources: list[str]) -> Mentions:
    """The mentions in ``sources`` (Python code; what does not parse is skipped)."""
    found = Mentions()
    assigned: set[str] = set()
    for source in sources:
        try:
            tree = ast.parse(source)
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Subscript) and (column := _column(node)) is not None:
                if isinstance(node.ctx, ast.Store):
                    assigned.add(column)
                elif column not in found.columns:
                    found.columns.append(column)
            if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.List):
                found.columns += [c for c in _strings(node.slice) if c not in found.columns]
            if isinstance(node, ast.Compare) and (column := _column(node.left)) is not None:
                for comparator in node.comparators:
                    for value in _strings(comparator):
                        found.add(column, value)
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "isin"
                and (column := _column(node.func.value)) is not None
            ):
                for arg in node.args:
                    for value in _strings(arg):
                        found.add(column, value)
            gene = isinstance(node, ast.Constant) and isinstance(node.value, str) and _GENE.match(node.value)
            if gene and node.value not in found.genes:  # type: ignore[attr-defined]
                found.genes.append(node.value)  # type: ignore[attr-defined]
    found.columns = [c for c in found.columns if c not in assigned]
    found.genes = [g for g in found.genes if g not in found.columns and g not in assigned]
    return found
