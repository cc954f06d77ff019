"""Read a power-analysis question written in prose into ``PowerQuestion`` parameters.

The parser knows the vocabulary of power questions, not particular rows: which words name each design, how a
question asks for a power or a sample size, and how it states a significance level, a target power, the
sidedness, the sample size and each design's effect (means and SDs, a mean difference, group means, tables
of proportions, a hazard ratio and event probabilities). Numbers may carry thousands separators and percent
signs. What a design needs and the wording does not give raises ``PowerQuestionError`` naming it; the only
defaults are the textbook conventions for an unstated significance level (0.05) and an unstated sidedness
(two-sided, or one-sided when the question asks to detect a change in one direction), and every default
used is recorded in ``PowerQuestion.assumed``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Literal

from .errors import PowerQuestionError
from .question import DESIGNS, Design, Number, PowerQuestion, Target

__all__ = ["MAX_CHARS", "detect_design", "parse_question"]

MAX_CHARS = 10_000
"""Longer texts are refused: the patterns scan sentences with bounded but super-linear backtracking."""
NUM = r"(?<![\w.])(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?!\.?\d)|(?<![\w.])\.\d+"
_LIST = rf"(?:{NUM})(?:\s*,\s*(?:and\s+)?(?:{NUM}))*(?:\s*,?\s*and\s+(?:{NUM}))?"
_NOUNS = (
    r"participants?|patients?|subjects?|students?|adults?|persons?|people|pairs?|individuals?|women|men|"
    r"children|volunteers?|cases|respondents?|animals|mice|rats"
)

# Design vocabulary, tried in this order (a Cox study also has "two groups", a chi-square one "each group").
_DESIGN_WORDS: list[tuple[Design, str]] = [
    ("cox", r"hazard ratio|proportional[- ]hazards?|\bcox\b|survival"),
    ("chisq", r"chi[- ]?squared?|\bassociation between\b|test of independence|contingency table"),
    (
        "anova",
        r"\banova\b|analysis of variance|\bmeans?\b[^.?]{0,80}?\bfor (?:each|every) (?:\w+ )?group\b|"
        r"\b(?:three|four|five|six|seven|eight|[3-9]|1\d) (?:\w+ )?(?:groups|arms|treatments|methods|regimens)\b",
    ),
    ("paired_t", r"\bpaired\b|before and after|pre[- ]?(?:and|/)[- ]?post|matched pairs|baseline and follow"),
    (
        "two_sample_t",
        r"\btwo (?:independent |different |separate |parallel )?(?:groups|samples|diets|arms|"
        r"treatments|drugs|therapies)\b|two-sample|independent samples|between the two groups?",
    ),
    (
        "one_sample_t",
        r"one[- ]sample|single sample|difference from|in general is|population (?:mean|average)|"
        r"(?:known|reference|national|historical) (?:mean|average|value)",
    ),
]

_POWER_ASK = (
    r"\bwhat(?:'s|\s+is|\s+will\s+be|\s+would\s+be)\s+the\s+(?:statistical\s+)?power\b|"
    r"\b(?:compute|calculate|find|determine|estimate|report)\s+the\s+(?:statistical\s+)?power\b|"
    r"\bhow (?:much|large a) power\b"
)
_SIZE_ASK = (
    r"\bsample size\b|\bhow (?:large|big) (?:a|of a|should the) (?:sample|study)|\bhow many\b|"
    r"\b(?:minimum|required|minimal|smallest) (?:total )?(?:number|sample)|"
    r"\bnumber of \w+(?: \w+)? (?:is |are |would be |will be )?(?:needed|required|necessary)"
)
_PER_GROUP = r"\b(?:in |for )?(?:each|per|every) (?:of the \w+ )?(?:group|arm|diet|condition|treatment)s?\b"
_TOTAL = r"\b(?:in total|total (?:number|sample|of)|overall|altogether|combined)\b"


def _num(text: str) -> float:
    return float(text.replace(",", ""))


def _numbers(text: str) -> list[float]:
    return [_num(m) for m in re.findall(NUM, text)]


def _fraction(value: str, percent: str) -> float:
    """A probability written as 0.8, 80% or 80 (a number above 1 is read as a percentage)."""
    number = _num(value)
    return number / 100 if percent or number > 1 else number


def _first(patterns: list[str], text: str) -> re.Match[str] | None:
    found = [m for p in patterns if (m := re.search(p, text))]
    return min(found, key=lambda m: m.start()) if found else None


def _need(value: re.Match[str] | None, what: str, design: Design) -> re.Match[str]:
    if value is None:
        raise PowerQuestionError(f"{DESIGNS[design]} question: found no {what}")
    return value


def _normalise(text: str) -> str:
    if len(text) > MAX_CHARS:
        raise PowerQuestionError(f"the question is {len(text)} characters long; at most {MAX_CHARS} are read")
    text = text.replace("’", "'").replace("‘", "'").replace("−", "-").replace("α", "alpha ")
    return " ".join(text.lower().split())


def detect_design(question: str) -> Design:
    """The study design the question describes, from its vocabulary; ``PowerQuestionError`` if none."""
    text = _normalise(question)
    for design, words in _DESIGN_WORDS:
        if re.search(words, text):
            return design
    raise PowerQuestionError(
        "found no study design: expected the wording of a one-sample, paired or two-sample t test, a one-way "
        "ANOVA, a chi-square test of independence or a Cox proportional-hazards model"
    )


def _target(text: str) -> Target:
    ask = _ask(text)
    power, size = re.search(_POWER_ASK, ask), re.search(_SIZE_ASK, ask)
    if power and size:
        raise PowerQuestionError("the question asks for both a power and a sample size")
    if power:
        return "power"
    if size:
        return "size"
    raise PowerQuestionError("found no question asking for a power or a sample size")


def _ask(text: str) -> str:
    """The sentence that asks (the last one ending in '?', else the last sentence)."""
    sentences = [s for s in re.split(r"(?<=[.?!])\s+(?=[a-z])", text) if s.strip()]
    asking = [s for s in sentences if s.rstrip().endswith("?")]
    return (asking or sentences or [text])[-1]


def _alpha(text: str, assumed: list[str]) -> float:
    found = _first(
        [
            rf"(?:significance level|level of significance|alpha|type i error(?: rate)?)\s*"
            rf"(?:\([^)]{{0,20}}\)\s*)?(?:of|=|is|at|:|level of)?\s*({NUM})\s*(%?)",
            rf"\bp\s*<\s*({NUM})()",
            rf"({NUM})\s*(%?)\s*(?:significance level|level of significance|alpha level)",
            rf"\bat (?:the|a) ({NUM})\s*(%?) level\b",
        ],
        text,
    )
    if found is None:
        assumed.append("significance level 0.05 (not stated)")
        return 0.05
    return _fraction(found[1], found[2])


def _target_power(text: str, design: Design) -> float:
    found = _need(
        _first(
            [
                rf"power (?:of|is|=|at|to be|will be)\s*({NUM})\s*(%?)",
                rf"({NUM})\s*(%?)\s*(?:of\s+)?(?:statistical\s+)?power\b",
            ],
            text,
        ),
        "target power (e.g. 'a power of 80%')",
        design,
    )
    return _fraction(found[1], found[2])


def _sides(text: str, design: Design, assumed: list[str]) -> Literal[1, 2]:
    if design in ("anova", "chisq"):
        return 1
    two = re.search(r"two[- ]sided|two[- ]tailed|not[- ]equal|non-directional|\u2260", text)
    one = re.search(
        r"one[- ]sided|one[- ]tailed|(?:lower|upper|left|right)[- ]tailed|(?<!non-)(?<!bi)directional", text
    )
    if two and one:
        raise PowerQuestionError(f"{DESIGNS[design]} question: states both a one- and a two-sided test")
    if one or two:
        return 1 if one else 2
    if re.search(
        r"detect(?:ing)? (?:a |an )?(?:reduction|decrease|increase|improvement|rise|drop)", _ask(text)
    ):
        assumed.append("one-sided test (a change in one direction is to be detected)")
        return 1
    assumed.append("two-sided test (not stated)")
    return 2


def _size_unit(sentence: str, design: Design) -> Literal["per_group", "total"]:
    if re.search(_PER_GROUP, sentence):
        return "per_group"
    if re.search(_TOTAL, sentence):
        return "total"
    return "total" if design == "chisq" else "per_group"


def _stated_n(text: str, design: Design) -> tuple[int, Literal["per_group", "total"]]:
    """The sample size a power question gives, and whether it counts each group or everyone."""
    patterns = [
        rf"({NUM})(?!\s*%)\s+(?:(?!of\b|or\b|and\b)[a-z-]+\s+){{0,2}}?(?:{_NOUNS})\b",
        rf"\b(?:sample size|n)\s*(?:of|is|=|will be)\s*({NUM})(?!\s*%)",
        rf"having ({NUM})(?!\s*%)",
    ]
    hits = sorted((m for p in patterns for m in re.finditer(p, text)), key=lambda m: m.start())
    values = {_num(m[1]) for m in hits}
    if not hits:
        raise PowerQuestionError(f"{DESIGNS[design]} question: found no sample size (e.g. '40 patients')")
    if len(values) > 1:
        raise PowerQuestionError(
            f"{DESIGNS[design]} question: several sample sizes stated ({', '.join(m[1] for m in hits)})"
        )
    n = _num(hits[0][1])
    if n != int(n) or n < 1:
        raise PowerQuestionError(f"{DESIGNS[design]} question: sample size {hits[0][1]} is not a count")
    start = text.rfind(".", 0, hits[0].start()) + 1
    end = text.find(".", hits[0].end())
    return int(n), _size_unit(text[start : end if end >= 0 else len(text)], design)


_SD = rf"(?:standard deviation|\bsd\b|s\.d\.)(?!s)[^.;?]*?(?:of|is|=|be|at|:)\s*({NUM})(?!\s*%)"
_SDS = rf"(?:standard deviations|\bsds\b)[^.;?]*?(?:of|are|=|be|:)\s*({_LIST})"


def _sds(text: str, design: Design) -> list[float]:
    """The stated standard deviations in order: singular statements, and lists ('SDs of 12 and 15')."""
    found = [(m.start(), [_num(m[1])]) for m in re.finditer(_SD, text)]
    found += [(m.start(), _numbers(m[1])) for m in re.finditer(_SDS, text)]
    if not found:
        raise PowerQuestionError(f"{DESIGNS[design]} question: found no standard deviation")
    return [sd for _, sds in sorted(found) for sd in sds]


def _one_sample(text: str) -> dict[str, Number]:
    design: Design = "one_sample_t"
    reference = _need(
        _first(
            [
                rf"difference from ({NUM})",
                rf"(?:in general|population (?:mean|average)|(?:known|reference|national|historical) "
                rf"(?:mean|average|value))[^.;?]*?(?:is|of|=)\s+({NUM})",
                rf"(?:null|hypothesi[sz]ed) (?:mean|value)[^.;?]*?({NUM})",
            ],
            text,
        ),
        "reference mean (e.g. 'differs from 120')",
        design,
    )
    mean = _need(
        re.search(
            rf"(?:assum|expect|anticipat|believ|predict)\w*[^.;?]*?(?:mean|average)[^.;?]*?"
            rf"(?:to be|will be|of|is|=|at)\s+({NUM})",
            text,
        ),
        "expected sample mean (e.g. 'expects a mean of 110')",
        design,
    )
    return {"reference": _num(reference[1]), "mean": _num(mean[1]), "sd": _sds(text, design)[0]}


def _difference(text: str, design: Design, words: str) -> float:
    found = _need(
        _first(
            [
                rf"(?:mean|average|expected) (?:difference|change|reduction|decrease|increase)[^.;?]*?"
                rf"(?:will be|of|is|=|by|be)\s+({NUM})",
                rf"(?:{words})\w*\s+(?:[a-z]+\s+){{0,3}}?(?:by\s+)?({NUM})(?!\s*%)",
                rf"difference in (?:the )?(?:mean|average)s?[^.;?]*?(?:of|is|=|be)\s+({NUM})",
            ],
            text,
        ),
        "difference in means (e.g. 'a mean difference of 5')",
        design,
    )
    return _num(found[1])


def _paired(text: str) -> dict[str, Number]:
    difference = _difference(text, "paired_t", r"reduc|lower|decreas|increas|rais|improv|chang|drop")
    sd = re.search(
        rf"(?:standard deviation|\bsd\b) of (?:the )?(?:paired )?(?:differences|changes)[^.;?]*?"
        rf"(?:of|is|=|be)\s+({NUM})",
        text,
    )
    return {"difference": difference, "sd": _num(sd[1]) if sd else _sds(text, "paired_t")[0]}


def _two_sample(text: str) -> dict[str, Number]:
    sds = _sds(text, "two_sample_t")
    if len(sds) > 2:
        raise PowerQuestionError(f"{DESIGNS['two_sample_t']} question: more than two standard deviations")
    return {"difference": _difference(text, "two_sample_t", r"differ"), "sds": sds}


def _anova(text: str) -> dict[str, Number]:
    means = _need(
        re.search(rf"means?[^.;?]*?(?:will be|are|is|of|=|be)\s+({_LIST})", text),
        "list of group means (e.g. 'means of 10, 12 and 15')",
        "anova",
    )
    values = _numbers(means[1])
    if len(values) < 2:
        raise PowerQuestionError(f"{DESIGNS['anova']} question: found fewer than two group means")
    return {"means": values, "sd": _sds(text[means.end() :] or text, "anova")[0]}


def _chisq(text: str) -> dict[str, Number]:
    rows = [
        _numbers(m[1])
        for m in re.finditer(
            rf"(?:will be|are|is|of|=|be|,\s*and|;)\s+({_LIST})\s+(?:in|for|among)\s+(?:the\s+)?[\w-]+", text
        )
    ]
    rows = [r for r in rows if len(r) >= 2]
    if len(rows) < 2:
        raise PowerQuestionError(
            f"{DESIGNS['chisq']} question: found no table of proportions (two or more groups, e.g. "
            "'0.2, 0.3 and 0.5 in females, and 0.3, 0.3 and 0.4 in males')"
        )
    if len({len(r) for r in rows}) != 1:
        raise PowerQuestionError(f"{DESIGNS['chisq']} question: the groups' proportions differ in length")
    return {"table": rows}


def _cox(text: str) -> dict[str, Number]:
    hr = _need(
        re.search(rf"hazard ratio[^.;?]*?(?:is|of|=|be|at)\s+({NUM})", text),
        "hazard ratio (e.g. 'a hazard ratio of 0.7')",
        "cox",
    )
    probs = _need(
        re.search(
            rf"(?:probabilit(?:y|ies)|proportions?|rates?) of (?:failure|events?|an event|the event|death|dying|"
            rf"relapse|progression|recurrence)[^.;?]*?(?:are|is|of|=|be)\s+({_LIST})",
            text,
        ),
        "event probabilities (e.g. 'probabilities of failure of 0.3 and 0.4')",
        "cox",
    )
    return {"hazard_ratio": _num(hr[1]), "event_probs": _numbers(probs[1])}


_EFFECTS: dict[Design, Callable[[str], dict[str, Number]]] = {
    "one_sample_t": _one_sample,
    "paired_t": _paired,
    "two_sample_t": _two_sample,
    "anova": _anova,
    "chisq": _chisq,
    "cox": _cox,
}


def parse_question(question: str) -> PowerQuestion:
    """The parameters ``question`` states; ``PowerQuestionError`` naming what it does not."""
    text = _normalise(question)
    design = detect_design(question)
    target = _target(text)
    assumed: list[str] = []
    alpha = _alpha(text, assumed)
    sides = _sides(text, design, assumed)
    values = _EFFECTS[design](text)
    if target == "size":
        return PowerQuestion(
            design=design,
            target=target,
            alpha=alpha,
            sides=sides,
            power=_target_power(text, design),
            size_unit=_size_unit(_ask(text), design),
            values=values,
            assumed=assumed,
        )
    n, unit = _stated_n(text, design)
    return PowerQuestion(
        design=design,
        target=target,
        alpha=alpha,
        sides=sides,
        n=n,
        size_unit=unit,
        values=values,
        assumed=assumed,
    )
