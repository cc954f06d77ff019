"""What a study's analyses say about its tables beyond the descriptions: the values and columns they name.

A description lists each column's ten most frequent values (for some studies just ten values) and, for very
wide tables, only the first hundred columns. The study's own code (its references, its earlier steps in
``code_histories``, its test cases) names what the analyses need: genes (``data_mutations["Hugo_Symbol"] ==
"TTN"``), category values (``df["RESPONSE"] == "Yes"``, ``df["X"].isin(KINDS)`` with ``KINDS = [...]``,
``df["X"].apply(lambda v: v in KINDS)``), MAF mutation classes named anywhere (``values=["Missense_Mutation",
...]``), columns the description lacks (and which table the code reads them from), and columns it treats as
numbers (``df["IPI"] <= 1``, ``.astype(float)``). ``mentions`` collects them so the synthetic tables contain
them: real tables do, since the analyses were written against them.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field

__all__ = ["VARIANT_CLASSES", "Mentions", "mentions"]

_GENE = re.compile(r"^[A-Z][A-Z0-9]{1,9}(-[A-Z0-9]{1,4})?$")
VARIANT_CLASSES = (
    *("Missense_Mutation", "Nonsense_Mutation", "Frame_Shift_Del", "Frame_Shift_Ins", "In_Frame_Del"),
    *("In_Frame_Ins", "Splice_Site", "Splice_Region", "Silent", "Translation_Start_Site", "Nonstop_Mutation"),
    *("3'UTR", "5'UTR", "3'Flank", "5'Flank", "Intron", "IGR", "RNA", "Targeted_Region"),
)
"""The MAF format's ``Variant_Classification`` values: one named anywhere in the code is a value of that column."""
_VARIANT_COLUMN = "Variant_Classification"
_NUMERIC_CASTS = {"float", "int", "float64", "int64", "Int64", "float32", "int32"}
_NUMERIC_METHODS = {"mean", "median", "std", "var", "quantile", "astype", "round", "clip", "between"}


@dataclass
class Mentions:
    """Column → string values the code compares it with; gene-like constants; every column name read."""

    values: dict[str, list[str]] = field(default_factory=dict)
    genes: list[str] = field(default_factory=list)
    columns: list[str] = field(default_factory=list)
    """Columns the code reads and never assigns (those it assigns, it makes itself)."""
    read: list[str] = field(default_factory=list)
    """Every column the code reads, assigned or not."""
    tables: dict[str, list[str]] = field(default_factory=dict)
    """Column → the variables it is read from (``data_mutations["Entrez_Gene_Id"]``: ``data_mutations``)."""
    numeric: list[str] = field(default_factory=list)
    """Columns the code compares with numbers or computes with."""

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


def _is_number(node: ast.expr) -> bool:
    if isinstance(node, ast.UnaryOp):
        node = node.operand
    return isinstance(node, ast.Constant) and type(node.value) in (int, float)


class _Reader:
    """One pass over a study's code, resolving names bound to string lists and functions given to ``apply``."""

    def __init__(self, trees: list[ast.Module]) -> None:
        self.found = Mentions()
        self.assigned: set[str] = set()
        self.lists: dict[str, list[str]] = {}
        self.functions: dict[str, ast.FunctionDef | ast.Lambda] = {}
        for tree in trees:
            for node in ast.walk(tree):
                if isinstance(node, ast.Assign) and len(node.targets) == 1:
                    target = node.targets[0]
                    if isinstance(target, ast.Name) and (listed := self._literal(node.value)):
                        self.lists[target.id] = listed
                    if isinstance(target, ast.Name) and isinstance(node.value, ast.Lambda):
                        self.functions[target.id] = node.value
                if isinstance(node, ast.FunctionDef) and node.args.args:
                    self.functions[node.name] = node

    @staticmethod
    def _literal(node: ast.expr) -> list[str]:
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return [node.value]
        if isinstance(node, ast.List | ast.Tuple | ast.Set):
            return [e.value for e in node.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)]
        return []

    def strings(self, node: ast.expr) -> list[str]:
        """The strings a node stands for: a literal, or a name bound to a literal list."""
        if isinstance(node, ast.Name):
            return self.lists.get(node.id, [])
        return self._literal(node)

    def read(self, tree: ast.Module) -> None:
        found = self.found
        for node in ast.walk(tree):
            if isinstance(node, ast.Subscript) and (column := _column(node)) is not None:
                if isinstance(node.ctx, ast.Store):
                    self.assigned.add(column)
                else:
                    if column not in found.columns:
                        found.columns.append(column)
                    if isinstance(node.value, ast.Name):
                        readers = found.tables.setdefault(column, [])
                        if node.value.id not in readers:
                            readers.append(node.value.id)
            if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.List):
                found.columns += [c for c in self._literal(node.slice) if c not in found.columns]
            if isinstance(node, ast.Compare) and (column := _column(node.left)) is not None:
                self._compared(column, node)
            if isinstance(node, ast.Call):
                self._call(node)
            if isinstance(node, ast.BinOp):
                for side in (node.left, node.right):
                    if (column := _column(side)) is not None:
                        self._numeric(column)
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                if node.value in VARIANT_CLASSES:
                    found.add(_VARIANT_COLUMN, node.value)
                elif _GENE.match(node.value) and node.value not in found.genes:
                    found.genes.append(node.value)

    def _compared(self, column: str, node: ast.Compare) -> None:
        for op, comparator in zip(node.ops, node.comparators, strict=True):
            if _is_number(comparator) and not isinstance(op, ast.Eq | ast.NotEq):
                self._numeric(column)
            if not isinstance(op, ast.NotIn | ast.In) or not isinstance(comparator, ast.Constant):
                for value in self.strings(comparator):
                    self.found.add(column, value)

    def _call(self, node: ast.Call) -> None:
        func = node.func
        if (isinstance(func, ast.Name) and func.id == "to_numeric") or (
            isinstance(func, ast.Attribute) and func.attr == "to_numeric"
        ):
            for arg in node.args:
                if (column := _column(arg)) is not None:
                    self._numeric(column)
        if not isinstance(func, ast.Attribute) or (column := _column(func.value)) is None:
            return
        if func.attr == "isin":
            for arg in node.args:
                for value in self.strings(arg):
                    self.found.add(column, value)
        elif func.attr in ("apply", "map") and node.args:
            self._applied(column, node.args[0])
        elif func.attr == "astype" and node.args:
            arg = node.args[0]
            name = arg.id if isinstance(arg, ast.Name) else arg.value if isinstance(arg, ast.Constant) else ""
            if name in _NUMERIC_CASTS:
                self._numeric(column)
        elif func.attr in _NUMERIC_METHODS - {"astype"}:
            self._numeric(column)

    def _applied(self, column: str, function: ast.expr) -> None:
        """``df[column].apply(f)``: what ``f`` compares its argument with are the column's values."""
        if isinstance(function, ast.Name):
            function = self.functions.get(function.id, function)  # type: ignore[assignment]
        if not isinstance(function, ast.Lambda | ast.FunctionDef) or not function.args.args:
            return
        param = function.args.args[0].arg
        for node in ast.walk(function):
            if not isinstance(node, ast.Compare):
                continue
            sides = [node.left, *node.comparators]
            if not any(isinstance(s, ast.Name) and s.id == param for s in sides):
                continue
            for op, other in zip(node.ops, node.comparators, strict=True):
                if isinstance(node.left, ast.Name) and node.left.id == param:
                    if _is_number(other) and not isinstance(op, ast.Eq | ast.NotEq):
                        self._numeric(column)
                    if isinstance(op, ast.Eq | ast.NotEq | ast.In | ast.NotIn):
                        for value in self.strings(other):
                            self.found.add(column, value)

    def _numeric(self, column: str) -> None:
        if column not in self.found.numeric:
            self.found.numeric.append(column)


def mentions(sources: list[str]) -> Mentions:
    """The mentions in ``sources`` (Python code; what does not parse is skipped)."""
    trees = []
    for source in sources:
        try:
            trees.append(ast.parse(source))
        except SyntaxError:
            continue
    reader = _Reader(trees)
    for tree in trees:
        reader.read(tree)
    found, assigned = reader.found, reader.assigned
    found.read = list(found.columns)
    found.columns = [c for c in found.columns if c not in assigned]
    found.tables = {c: t for c, t in found.tables.items() if c in found.columns}
    found.genes = [g for g in found.genes if g not in found.columns and g not in assigned]
    return found
