"""Which entity names a calculator accepts: its own, those MedCalc-Bench's code reads, and the other calculators'.

MedCalc-Bench's labels were produced by its reference code (the ``medcalc-bench`` package), which reads every
input under one snake-case key (``Input.code_key``: ``previous_dvt``, ``chf``, ``stroke``…). The official files
name the same inputs in prose, and the prose varies across rows: a criterion a calculator shares with another
(prior DVT, CHF, stroke, hypertension) appears under either calculator's wording, with or without "history",
"criteria for the … rule" or an abbreviation. So a name is accepted when it is

1. one of the input's own names (official key, code key, aliases), compared ignoring case and punctuation;
2. a name another calculator uses for an input with the same code key and kind — the reference read both
   under that one key, so the label counted it;
3. equal to one of those names as a set of words once spelling variants, abbreviations and filler words
   ("history", "the", "criteria for the … rule", "percentage") are normalised — but only if exactly one
   input of the calculator matches, so a loose name never picks between two criteria.

Anything else is unknown, and the error lists every accepted name, because an ignored criterion changes a score
without anyone noticing.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from functools import cache

from .registry import entries
from .spec import Calculator, Input

__all__ = ["NameIndex", "accepted_names", "describe", "name_index", "normalize_key", "word_set"]

# Spelling variants and abbreviations of the files, each to one canonical word sequence.
_WORDS = {
    "faliure": "failure",
    "ischemetic": "ischemic",
    "venuous": "venous",
    "dvt": "deep vein thrombosis",
    "pe": "pulmonary embolism",
    "chf": "congestive heart failure",
    "inr": "international normalized ratio",
    "bp": "blood pressure",
    "hr": "heart rate",
    "gcs": "glasgow coma score",
    "bun": "blood urea nitrogen",
    "tia": "transient ischemic attack",
    "attacks": "attack",
    "cva": "cerebrovascular accident",
    "mi": "myocardial infarction",
    "copd": "chronic obstructive pulmonary disease",
    "bmi": "body mass index",
    "ekg": "electrocardiogram",
    "ecg": "electrocardiogram",
    "o2": "oxygen",
    "sat": "saturation",
    "hx": "history",
    "pmh": "history",
    "atleast": "at least",
}
# Words that say nothing about which input is meant.
_FILLER = frozenset(
    [
        "a",
        "an",
        "the",
        "of",
        "or",
        "for",
        "in",
        "on",
        "with",
        "and",
        "to",
        "any",
        "is",
        "has",
        "had",
        "patient",
        "patients",
        "history",
        "historical",
        "previously",
        "documented",
        "known",
        "presence",
        "present",
        "criteria",
        "criterion",
        "rule",
        "percentage",
        "level",
        "value",
        "count",
    ]
)
_RULE_SUFFIX = re.compile(r"\b(criteria|criterion)\s+for\s+(the\s+)?.*?\brule\b")


def normalize_key(key: str) -> str:
    """The form keys are compared in: lower case, subscripts as digits, letters and digits only."""
    text = key.lower().translate(str.maketrans("₀₁₂₃₄₅₆₇₈₉", "0123456789"))
    return re.sub(r"[^a-z0-9#<>]", "", text)


def word_set(name: str) -> frozenset[str]:
    """The words of a name that identify the input: variants spelled out, "criteria for the X rule" and filler
    dropped, order ignored (``'Stroke history'`` and ``'History of stroke'`` are the same input)."""
    text = name.lower().translate(str.maketrans("₀₁₂₃₄₅₆₇₈₉", "0123456789"))
    text = _RULE_SUFFIX.sub(" ", text.replace("_", " "))
    words: list[str] = []
    for word in re.findall(r"[a-z0-9]+", text):
        words.extend(_WORDS.get(word, word).split())
    return frozenset(w for w in words if w not in _FILLER)


def _own_names(item: Input) -> tuple[str, ...]:
    return tuple(name for name in (item.key, item.code_key, *item.aliases) if name)


@cache
def _shared_names() -> dict[tuple[str, str], tuple[str, ...]]:
    """Every name any calculator uses for an input, by (code key, kind); asked once every calculator is
    registered (entities are read only by ``compute``, which imports them all)."""
    shared: dict[tuple[str, str], list[str]] = defaultdict(list)
    for entry in entries().values():
        for item in entry.spec.inputs:
            if item.code_key:
                shared[item.code_key, item.kind].extend(_own_names(item))
    return {key: tuple(dict.fromkeys(names)) for key, names in shared.items()}


def accepted_names(calculator: Calculator, item: Input) -> tuple[str, ...]:
    """The names ``item`` is read under in ``calculator``: its own first, then other calculators' for the same
    code key and kind (minus any that another input of this calculator claims as its own)."""
    own = {normalize_key(n) for other in calculator.inputs if other != item for n in _own_names(other)}
    shared = _shared_names().get((item.code_key or "", item.kind), ())
    names = [*_own_names(item), *(n for n in shared if normalize_key(n) not in own)]
    return tuple(dict.fromkeys(names))


class NameIndex:
    """Looks up the input a given entity name means, for one calculator."""

    def __init__(self, calculator: Calculator) -> None:
        self.exact: dict[str, Input] = {}
        by_words: dict[frozenset[str], set[str]] = defaultdict(set)
        keys = {item.key: item for item in calculator.inputs}
        for item in calculator.inputs:
            for name in accepted_names(calculator, item):
                self.exact.setdefault(normalize_key(name), item)
                by_words[word_set(name)].add(item.key)
        self.by_words = {words: keys[next(iter(k))] for words, k in by_words.items() if len(k) == 1 and words}

    def find(self, name: str) -> Input | None:
        """The input ``name`` means, or None when no input, or more than one, could be meant."""
        return self.exact.get(normalize_key(name)) or self.by_words.get(word_set(name))


@cache
def name_index(calculator: Calculator) -> NameIndex:
    """The (cached) name index of a calculator."""
    return NameIndex(calculator)


def describe(calculator: Calculator, items: Iterable[Input]) -> str:
    """Each input with the names it is accepted under, for error messages."""
    parts = []
    for item in items:
        names = accepted_names(calculator, item)
        others = f" (also {', '.join(repr(n) for n in names[1:])})" if len(names) > 1 else ""
        parts.append(f"{item.key!r}{others}")
    return "; ".join(parts)
