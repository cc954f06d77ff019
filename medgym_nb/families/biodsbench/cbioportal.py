"""Synthetic cBioPortal study tables, written from BioDSBench's ``dataframes`` descriptions.

BioDSBench's tasks read a study's cBioPortal export (clinical patient and sample tables, mutations, copy
number, structural variants, timelines), which the release does not ship. Each task describes the tables it
sees: their path, shape, the first five rows (``head().to_string()``) and each column's ten most frequent
values. From these descriptions ``synthesize_study`` writes one consistent set of tables per study: the same
columns and dtypes; values from each column's vocabulary (the whole vocabulary when fewer than ten values are
listed, which means the column has no more); numbers within the shown range at the shown precision; missing
values as the shown rows have them, jointly (each row leaves empty what one shown row does, so a patient
without follow-up lacks all of it, as in the study); and one cohort of patients and samples shared by every table, so
merges across tables (patient → sample → mutation, samples as copy-number columns) join as in the real study.
Everything is a deterministic function of the descriptions and the seed.

Tables are written as ``<name>.csv`` (as the descriptions name them) and ``<name>.txt`` (tab-separated, as
cBioPortal ships them and some reference code reads them).
"""

from __future__ import annotations

import ast
import copy
import hashlib
import itertools
import random
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from medgym_nb.errors import TaskFileError

from .cbioportal_mentions import Mentions
from .cbioportal_signal import plant_survival_signal

__all__ = ["MAX_ROWS", "TableSpec", "Variant", "parse_dataframes", "study_seed", "synthesize_study"]

MAX_ROWS = 3000
"""Long tables (mutations with tens of thousands of rows) are capped: tasks need their structure, not their size."""
_HEADER = re.compile(
    r"stored in `(?P<path>[^`]+)`.*?whose name is `(?P<name>[^`]+)`\. Shape is \((?P<rows>\d+), (?P<cols>\d+)\)",
    re.S,
)
_COLUMN = re.compile(r"^Column `(?P<col>.+?)``: top-10 frequent values: (?P<values>\[.*?\])", re.M)
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
_DIGITS = re.compile(r"\d+")
_PATIENT_COLUMNS = {"PATIENT_ID"}
_GENE_COLUMN = "Hugo_Symbol"
_ENTREZ_COLUMN = "Entrez_Gene_Id"
_SAMPLE_COLUMNS = {"SAMPLE_ID", "TUMOR_SAMPLE_BARCODE"}


@dataclass
class TableSpec:
    """One described table: where it lives, its shape, columns, first rows (as text) and vocabularies."""

    name: str
    file: str
    rows: int
    n_columns: int
    columns: list[str]
    head: list[dict[str, str]]
    vocab: dict[str, list[str]] = field(default_factory=dict)

    @property
    def wide(self) -> bool:
        """A gene × sample matrix (copy number): its columns beyond the gene ones are sample ids."""
        ids = _SAMPLE_COLUMNS | _PATIENT_COLUMNS
        return (
            self.name.endswith("cna")
            and "Hugo_Symbol" in self.columns
            and not any(c.upper() in ids for c in self.columns)
        )

    def gene_columns(self) -> list[str]:
        return [c for c in self.columns if c in ("Hugo_Symbol", "Entrez_Gene_Id", "Cytoband")]


def parse_dataframes(text: str) -> list[TableSpec]:
    """The tables a ``dataframes`` description names; ``TaskFileError`` if it describes none."""
    starts = [m for m in _HEADER.finditer(text)]
    if not starts:
        raise TaskFileError(
            "the dataframes description names no table (expected 'A Dataframe stored in ...')"
        )
    specs = []
    for i, match in enumerate(starts):
        block = text[match.end() : starts[i + 1].start() if i + 1 < len(starts) else len(text)]
        vocab: dict[str, list[str]] = {}
        for col in _COLUMN.finditer(block):
            try:
                values = ast.literal_eval(col["values"])
            except (ValueError, SyntaxError):
                values = []
            vocab[col["col"]] = [str(v) for v in values]
        columns, head = _parse_head(block, list(vocab))
        specs.append(
            TableSpec(
                name=match["name"],
                file=Path(match["path"]).name,
                rows=int(match["rows"]),
                n_columns=int(match["cols"]),
                columns=columns,
                head=head,
                vocab=vocab,
            )
        )
    return specs


def _parse_head(block: str, described: list[str]) -> tuple[list[str], list[dict[str, str]]]:
    """Columns and rows of a ``head().to_string()`` print: right-aligned, so a cell ends where its header ends.

    The column names are the described ones (names may hold spaces) when the header shows them all in order,
    else the header's words. Very wide tables are shown cut (``... [106 columns in total, ...]``): their
    unnamed remaining columns are not synthesized.
    """
    lines = block.split("\n")
    try:
        start = next(i for i, line in enumerate(lines) if "first five rows" in line) + 1
    except StopIteration:
        return [], []
    body = [line for line in lines[start:] if line.strip()]
    if not body:
        return [], []
    header, rows = body[0], []
    for line in body[1:]:
        if not re.match(r"^\d+\s", line):
            break
        rows.append(line)
    names, ends = _header_columns(header.split(" ... [")[0], described)
    head = []
    for line in rows:
        index_end = re.match(r"^\d+", line)
        assert index_end is not None
        cells, begin = {}, index_end.end()
        for name, end in zip(names, ends, strict=True):
            cells[name] = line[begin:end].strip()
            begin = end
        head.append(cells)
    return names, head


def _header_columns(header: str, names: list[str]) -> tuple[list[str], list[int]]:
    """Each column's name and where its cells end in the header line."""
    ends, position = [], 0
    for name in names:
        found = header.find(f" {name}", position) + 1 if position else header.find(name)
        if found < 0:
            break
        position = found + len(name)
        ends.append(position)
    else:
        if names:
            return names, ends
    words = list(re.finditer(r"\S+", header))
    return [m.group() for m in words], [m.end() for m in words]


# ---- values ----


def _is_number(text: str) -> bool:
    return bool(_NUMBER.match(text.strip()))


def _decimals(values: Iterable[str]) -> int:
    return max((len(v.split(".")[1]) for v in values if "." in v and "e" not in v.lower()), default=0)


def _variant(example: str, rng: random.Random) -> str:
    """An id like ``example`` with its digit runs redrawn (``P-0005192`` → ``P-0381207``)."""
    return _DIGITS.sub(lambda m: "".join(rng.choice("0123456789") for _ in m.group()), example)


def _weights(n: int) -> list[float]:
    """Listed values are ordered by frequency: weigh them so."""
    return [1.0 / (rank + 1) for rank in range(n)]


class _Column:
    """How one column's values are drawn: its kind (number or text), vocabulary and range."""

    def __init__(self, name: str, vocab: list[str], head: list[str], rows: int) -> None:
        shown = [v for v in head if v and v != "NaN"]
        self.name = name
        self.vocab = vocab or shown
        values = self.vocab + shown
        self.numeric = bool(values) and all(_is_number(v) for v in values)
        self.closed = len(vocab) < 10 or rows <= len(set(values))
        self.integer = self.numeric and all("." not in v and "e" not in v.lower() for v in shown + vocab)
        if self.numeric and values:
            numbers = [float(v) for v in values]
            self.low, self.high = min(numbers), max(numbers)
            self.places = _decimals(values)
        self.cum_weights = list(itertools.accumulate(_weights(len(self.vocab))))
        self.typed: list[str | float | int] = [_typed(v, self) if self.numeric else v for v in self.vocab]

    def draw(self, rng: random.Random) -> str | float | int | None:
        if not self.vocab:
            return None
        if self.closed or not self.numeric:
            value = rng.choices(self.typed, cum_weights=self.cum_weights)[0]
            if not self.closed and isinstance(value, str) and rng.random() < 0.3 and _DIGITS.search(value):
                value = _variant(value, rng)
            return value
        span = self.high - self.low
        number = rng.uniform(self.low - 0.1 * span, self.high + 0.1 * span)
        if self.low >= 0:
            number = abs(number)
        return round(number) if self.integer else round(number, self.places)


def _typed(text: str, column: _Column) -> float | int:
    return int(float(text)) if column.integer else float(text)


# ---- the cohort ----


@dataclass
class _Cohort:
    patients: list[str]
    samples: list[str]
    patient_of: dict[str, str]


def _ids(example_values: list[str], count: int, rng: random.Random) -> list[str]:
    """``count`` distinct ids: the shown ones first, then ones like them with their last number redrawn."""
    ids: list[str] = []
    for value in example_values:
        if value and value != "NaN" and value not in ids:
            ids.append(value)
    ids = ids[:count]
    pattern = ids[0] if ids else "ID-0"
    runs = list(_DIGITS.finditer(pattern))
    if not runs:
        pattern, runs = pattern + "-0", list(_DIGITS.finditer(pattern + "-0"))
    last = runs[-1]
    width = len(last.group())
    padded = width > 1 and last.group().startswith("0")
    while 10**width < 10 * count:
        width += 1
    taken = set(ids)
    for number in rng.sample(range(10**width), min(10**width, 10 * count + len(ids))):
        if len(ids) >= count:
            break
        text = str(number).zfill(width) if padded else str(number)
        candidate = pattern[: last.start()] + text + pattern[last.end() :]
        if candidate not in taken:
            taken.add(candidate)
            ids.append(candidate)
    return ids


def _column_values(specs: list[TableSpec], names: set[str]) -> list[str]:
    out: list[str] = []
    for spec in specs:
        for col in spec.columns:
            if col.upper() in names:
                out += [row.get(col, "") for row in spec.head] + spec.vocab.get(col, [])
    return out


def _bump(suffix: str, by: int) -> str:
    """A patient's next sample suffix: ``-T01-IM5`` → ``-T02-IM5``."""
    return _DIGITS.sub(lambda m: str(int(m.group()) + by).zfill(len(m.group())), suffix, count=1)


def _cohort(specs: list[TableSpec], rng: random.Random) -> _Cohort:
    """The study's patients and samples; a sample's id extends its patient's id as the shown rows do."""
    by_name = {s.name: s for s in specs}
    patient_table = by_name.get("data_clinical_patient")
    sample_table = by_name.get("data_clinical_sample")
    shown_patients = _column_values(specs, _PATIENT_COLUMNS)
    shown_samples = _column_values(specs, _SAMPLE_COLUMNS)
    n_patients = patient_table.rows if patient_table else (sample_table.rows if sample_table else 50)
    n_samples = max(sample_table.rows if sample_table else n_patients, n_patients)
    patients = _ids(shown_patients or ["P-0000000"], n_patients, rng)
    suffix = None
    for row in sample_table.head if sample_table else []:
        pid, sid = row.get("PATIENT_ID", ""), row.get("SAMPLE_ID", "")
        if pid and sid.startswith(pid):
            suffix = sid[len(pid) :]
            break
    samples: list[str] = []
    patient_of: dict[str, str] = {}
    sample_ids = _ids(shown_samples, n_samples, rng) if shown_samples else []
    order = patients + [rng.choice(patients) for _ in range(n_samples - n_patients)]
    for n, pid in enumerate(order):
        if suffix is not None:
            sid = pid + _bump(suffix, order[:n].count(pid))
        elif not shown_samples or set(shown_samples) & set(shown_patients):
            sid = pid if pid not in patient_of else f"{pid}-{order[:n].count(pid) + 1}"
        else:
            sid = sample_ids[n]
        samples.append(sid)
        patient_of[sid] = pid
    return _Cohort(patients, samples, patient_of)


# ---- tables ----


def _table(
    spec: TableSpec, cohort: _Cohort, rng: random.Random, complete: Iterable[str] = ()
) -> pd.DataFrame:
    """One table; the ``complete`` columns have no missing values."""
    if spec.wide:
        return _wide_table(spec, cohort, rng)
    rows = min(spec.rows, MAX_ROWS)
    upper = {c.upper(): c for c in spec.columns}
    patient_col = upper.get("PATIENT_ID")
    sample_cols = [c for c in spec.columns if c.upper() in _SAMPLE_COLUMNS]
    frame: dict[str, list[object]] = {}
    shown = [frozenset(c for c in spec.columns if row.get(c, "") in ("", "NaN")) for row in spec.head]
    always = frozenset.intersection(*shown) if shown else frozenset()
    shown = [pattern.difference(complete) for pattern in shown]
    if sample_cols and spec.name == "data_clinical_sample":
        rows = len(cohort.samples)
        picked = list(cohort.samples)
    elif sample_cols:
        weights = [rng.paretovariate(1.5) for _ in cohort.samples]
        picked = rng.choices(cohort.samples, weights=weights, k=rows)
    elif patient_col and spec.name == "data_clinical_patient":
        rows = len(cohort.patients)
        picked = list(cohort.patients)
    elif patient_col:
        picked = rng.choices(cohort.patients, k=rows)
    else:
        picked = []
    patterns = [rng.choice(shown) for _ in range(rows)] if shown else [frozenset()] * rows
    for col in spec.columns:
        if col in sample_cols:
            frame[col] = list(picked)
        elif col == patient_col and picked:
            frame[col] = [cohort.patient_of.get(p, p) for p in picked]
        else:
            column = _Column(col, spec.vocab.get(col, []), [r.get(col, "") for r in spec.head], spec.rows)
            frame[col] = [None if _empty(col, p, always, rng) else column.draw(rng) for p in patterns]
    table = pd.DataFrame(frame, columns=spec.columns)
    _plausible_alleles(table, rng)
    return table


def _empty(column: str, pattern: frozenset[str], always: frozenset[str], rng: random.Random) -> bool:
    """Whether a row leaves ``column`` empty: as the shown row it copies does; a column empty in every shown
    row (yet with listed values) half the time."""
    return column in pattern and (column not in always or rng.random() < 0.5)


def _plausible_alleles(table: pd.DataFrame, rng: random.Random) -> None:
    """A mutation's tumour allele differs from the reference one; allele 1 mostly repeats the reference."""
    if not {"Reference_Allele", "Tumor_Seq_Allele2"} <= set(table.columns):
        return
    bases = "ACGT"
    for i, ref in table["Reference_Allele"].items():
        alt = table.at[i, "Tumor_Seq_Allele2"]
        if isinstance(ref, str) and alt == ref:
            table.at[i, "Tumor_Seq_Allele2"] = (
                "".join(rng.choice(bases.replace(b, "") or "A") for b in ref if b in bases) or "-"
            )
        if "Tumor_Seq_Allele1" in table.columns and rng.random() < 0.9:
            table.at[i, "Tumor_Seq_Allele1"] = ref


def _wide_table(spec: TableSpec, cohort: _Cohort, rng: random.Random) -> pd.DataFrame:
    genes = spec.gene_columns()
    n_samples = min(spec.n_columns - len(genes), len(cohort.samples))
    samples = cohort.samples[:n_samples] if n_samples < len(cohort.samples) else list(cohort.samples)
    value_vocab = [v for c, listed in spec.vocab.items() if c not in genes for v in listed]
    shown = [r.get(c, "") for r in spec.head for c in spec.columns if c not in genes]
    values = _Column("value", sorted(set(value_vocab), key=value_vocab.index), shown, spec.rows)
    rows = min(spec.rows, MAX_ROWS)
    symbols = _Column(
        "Hugo_Symbol",
        spec.vocab.get("Hugo_Symbol", []),
        [r.get("Hugo_Symbol", "") for r in spec.head],
        spec.rows,
    )
    gene_names: list[str] = []
    while len(gene_names) < rows:
        name = str(symbols.draw(rng) or "")
        name = name if name and name not in gene_names else f"GENE{len(gene_names) + 1}"
        gene_names.append(name)
    frame: dict[str, list[object]] = {"Hugo_Symbol": list(gene_names)}
    for col in genes:
        if col != "Hugo_Symbol":
            column = _Column(col, spec.vocab.get(col, []), [r.get(col, "") for r in spec.head], spec.rows)
            frame[col] = [column.draw(rng) for _ in range(rows)]
    for sample in samples:
        frame[sample] = [values.draw(rng) for _ in range(rows)]
    return pd.DataFrame(frame)


def study_seed(study: str, seed: int) -> int:
    return int.from_bytes(hashlib.sha256(f"cbioportal-{study}-{seed}".encode()).digest()[:8], "big")


def _widen(specs: list[TableSpec], mentioned: Mentions) -> None:
    """Add to the specs what the study's code names (``cbioportal_mentions``): values, columns the
    descriptions lack (to the table the code reads them from, else to a table described cut), numbers-only
    columns; then pad tables described cut to their described width."""
    known = {c for spec in specs for c in spec.columns}
    other_values = {
        v for spec in specs for c, vs in spec.vocab.items() if not c.endswith(_GENE_COLUMN) for v in vs
    }
    genes = [g for g in mentioned.genes if g not in other_values and g not in known]
    for spec in specs:
        for column in spec.columns:
            listed = spec.vocab.setdefault(column, [])
            if column in mentioned.numeric:
                _numbers_only(spec, column)
            extra = mentioned.values.get(column, []) + (genes if column.endswith(_GENE_COLUMN) else [])
            if listed and all(_is_number(v) for v in listed):
                continue  # numbers are compared with numbers: a string mention is about another table
            listed[:0] = [v for v in extra if v not in listed]
    by_name = {s.name: s for s in specs}
    cut = [s for s in specs if s.n_columns > len(s.columns) and not s.wide]
    cut.sort(key=lambda s: ("clinical" not in s.name, s.name))
    for column in (c for c in mentioned.columns if c not in known):
        owners = [by_name[v] for v in mentioned.tables.get(column, []) if v in by_name]
        target = owners[0] if owners else (cut[0] if cut else None)
        if target is None:
            continue
        if target.wide:
            if column == _ENTREZ_COLUMN:  # the gene id column cBioPortal's copy-number tables carry
                target.columns.insert(target.columns.index(_GENE_COLUMN) + 1, column)
            continue
        target.columns.append(column)
        numbers = [f"{x:.1f}" for x in range(0, 101, 10)]
        target.vocab[column] = [] if column == _ENTREZ_COLUMN else mentioned.values.get(column) or numbers
    for spec in cut:  # asserts may count a table's columns: the unnamed ones are numbers
        spec.columns += [f"COLUMN_{n}" for n in range(len(spec.columns) + 1, spec.n_columns + 1)]


def _numbers_only(spec: TableSpec, column: str) -> None:
    """A column the code computes with holds numbers only (in the real table the listed words are rare or
    absent): drop the words from its vocabulary and shown rows, when numbers are listed."""
    listed = spec.vocab.get(column, [])
    numbers = [v for v in listed if _is_number(v)]
    if not numbers or len(numbers) == len(listed):
        return
    spec.vocab[column] = numbers
    for row in spec.head:
        if not _is_number(row.get(column, "") or "0"):
            row[column] = ""


def _gene_ids(table: pd.DataFrame, spec: TableSpec) -> None:
    """``Entrez_Gene_Id`` follows ``Hugo_Symbol`` in every table: the shown pairs, else a stable number."""
    if not {_GENE_COLUMN, _ENTREZ_COLUMN} <= set(table.columns):
        return
    shown = {
        row[_GENE_COLUMN]: int(float(row[_ENTREZ_COLUMN]))
        for row in spec.head
        if row.get(_GENE_COLUMN) and _is_number(row.get(_ENTREZ_COLUMN, "") or "x")
    }

    def number(symbol: object) -> int:
        if symbol in shown:
            return shown[str(symbol)]
        return 1 + int.from_bytes(hashlib.sha256(f"entrez-{symbol}".encode()).digest()[:4], "big") % 999_999

    table[_ENTREZ_COLUMN] = [number(s) for s in table[_GENE_COLUMN]]


@dataclass(frozen=True)
class Variant:
    """How a study's tables depart from the plain synthesis for a task whose reference needs it (its code
    applies string tests to a column the shown rows leave empty; its asserts test a threshold): columns
    with no missing values, and groups (columns, genes mutated) whose survival differs strongly."""

    complete: tuple[str, ...] = ()
    signal: tuple[str, ...] = ()
    genes: tuple[str, ...] = ()


def synthesize_study(
    specs: list[TableSpec],
    out_dir: Path,
    *,
    study: str,
    seed: int,
    mentioned: Mentions | None = None,
    variant: Variant | None = None,
) -> list[str]:
    """Write the study's tables into ``out_dir`` (``.csv`` and tab-separated ``.txt``); return the file names.

    ``mentioned``: what the study's task code names (values, genes, columns), added where the descriptions
    lack it. ``variant``: how these tables depart from the plain ones.
    """
    variant = variant or Variant()
    merged: dict[str, TableSpec] = {}
    for spec in specs:
        merged.setdefault(spec.name, copy.deepcopy(spec))
    ordered = sorted(merged.values(), key=lambda s: s.name)
    if mentioned is not None:
        _widen(ordered, mentioned)
    rng = random.Random(study_seed(study, seed))
    cohort = _cohort(ordered, rng)
    tables: dict[str, pd.DataFrame] = {}
    for spec in ordered:
        table_rng = random.Random(study_seed(f"{study}/{spec.name}", seed))
        tables[spec.name] = _table(spec, cohort, table_rng, variant.complete)
        _gene_ids(tables[spec.name], spec)
    if variant.signal or variant.genes:
        plant_survival_signal(tables, variant.signal, variant.genes)
    out_dir.mkdir(parents=True, exist_ok=True)
    files = []
    for spec in ordered:
        stem = Path(spec.file).stem
        tables[spec.name].to_csv(out_dir / f"{stem}.csv", index=False)
        tables[spec.name].to_csv(out_dir / f"{stem}.txt", index=False, sep="\t")
        files += [f"{stem}.csv", f"{stem}.txt"]
    return files
