"""A power-analysis question as parameters, and the one formula call that answers it.

The call is kept as data (``Call``): the host evaluates it for ground truth, and the oracle renders the same
call as Python for the episode's kernel, so the two can never disagree.
"""

from __future__ import annotations

import math
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from .errors import PowerQuestionError

__all__ = ["DESIGNS", "Call", "Design", "PowerQuestion", "Target"]

Design = Literal["one_sample_t", "paired_t", "two_sample_t", "anova", "chisq", "cox"]
Target = Literal["size", "power"]

DESIGNS: dict[Design, str] = {
    "one_sample_t": "One-sample t-test",
    "paired_t": "Paired t-test",
    "two_sample_t": "Two independent samples t-test",
    "anova": "One-way ANOVA",
    "chisq": "Chi-square test of independence",
    "cox": "Cox proportional-hazards model",
}
"""Our design names → the official ``task_type`` of each."""

Number = float | list[float] | list[list[float]]


class Call(BaseModel):
    """``function(*args, **kwargs)`` of ``medgym_nb.npower.formulas``; an argument may itself be a call."""

    model_config = ConfigDict(frozen=True)

    function: str
    args: list[Number | Call] = Field(default_factory=list)
    kwargs: dict[str, float | int | str] = Field(default_factory=dict)

    def evaluate(self) -> float:
        from . import formulas  # scipy.stats takes seconds to import: only when a value is computed

        fn = getattr(formulas, self.function)
        args = [a.evaluate() if isinstance(a, Call) else a for a in self.args]
        return fn(*args, **self.kwargs)  # type: ignore[no-any-return]

    def render(self) -> str:
        args = [a.render() if isinstance(a, Call) else repr(a) for a in self.args]
        args += [f"{k}={v!r}" for k, v in self.kwargs.items()]
        return f"{self.function}({', '.join(args)})"


Call.model_rebuild()


class PowerQuestion(BaseModel):
    """What a question states. ``n`` (for a power question) and the asked size are counted ``per_group`` or in
    ``total`` as ``size_unit`` says; ``values`` holds the design's stated numbers by name; ``assumed`` lists
    the conventions used for what the question leaves unstated (e.g. a two-sided test)."""

    model_config = ConfigDict(frozen=True)

    design: Design
    target: Target
    alpha: float
    sides: Literal[1, 2]
    power: float | None = None
    n: int | None = None
    size_unit: Literal["per_group", "total"] = "per_group"
    values: dict[str, Number] = Field(default_factory=dict)
    assumed: list[str] = Field(default_factory=list)

    @property
    def groups(self) -> int:
        """How many equal groups the subjects are split into."""
        if self.design == "anova":
            return len(self._list("means"))
        if self.design == "chisq":
            return len(self._table())
        return 2 if self.design in ("two_sample_t", "cox") else 1

    def _float(self, name: str) -> float:
        value = self.values[name]
        assert isinstance(value, float)
        return value

    def _list(self, name: str) -> list[float]:
        value = self.values[name]
        assert isinstance(value, list) and all(isinstance(v, float) for v in value)
        return value  # type: ignore[return-value]

    def _table(self) -> list[list[float]]:
        value = self.values["table"]
        assert isinstance(value, list) and all(isinstance(v, list) for v in value)
        return value  # type: ignore[return-value]

    def _per_design_unit(self) -> Literal["per_group", "total"]:
        """How the design's formula counts subjects: in total for the chi-square test, else per group."""
        return "total" if self.design == "chisq" else "per_group"

    def call(self) -> Call:
        """The formula call that answers the question (a size in the formula's own unit; see ``answer``)."""
        goal: dict[str, float | int | str] = {}
        if self.target == "power":
            assert self.n is not None
            goal["n"] = self._formula_n(self.n)
        else:
            assert self.power is not None
            goal["power"] = self.power
        goal["alpha"] = self.alpha
        if self.design in ("one_sample_t", "paired_t", "two_sample_t"):
            if self.design == "one_sample_t":
                effect = Call(
                    function="cohens_d",
                    args=[round(self._float("mean") - self._float("reference"), 10), self._float("sd")],
                )
            elif self.design == "paired_t":
                effect = Call(function="cohens_d", args=[self._float("difference"), self._float("sd")])
            else:
                effect = Call(function="cohens_d", args=[self._float("difference"), *self._list("sds")])
            return Call(function=self.design, args=[effect], kwargs={**goal, "sides": self.sides})
        if self.design == "anova":
            f = Call(function="cohens_f", args=[self._list("means"), self._float("sd")])
            return Call(function="anova_oneway", args=[f, self.groups], kwargs=goal)
        if self.design == "chisq":
            table = self._table()
            w = Call(function="cohens_w", args=[table])
            df = (len(table) - 1) * (len(table[0]) - 1)
            return Call(function="chisq_independence", args=[w, df], kwargs=goal)
        probs = self._list("event_probs")
        return Call(
            function="cox_ph",
            args=[self._float("hazard_ratio"), sum(probs) / len(probs)],
            kwargs={**goal, "sides": self.sides},
        )

    def _formula_n(self, n: int) -> float:
        """The stated ``n`` in the unit the formula counts."""
        if self.size_unit == self._per_design_unit():
            return n
        return n / self.groups if self.size_unit == "total" else n * self.groups

    def _scale(self) -> tuple[str, int] | None:
        """How the formula's size becomes the asked one: ``("*", k)``, ``("/", k)`` (rounded up) or None."""
        if self.target == "power" or self.size_unit == self._per_design_unit():
            return None
        return ("*", self.groups) if self.size_unit == "total" else ("/", self.groups)

    def expression(self) -> str:
        """The answer as a Python expression over ``formulas`` (and ``math``), for the oracle's kernel cell."""
        call, scale = self.call().render(), self._scale()
        if scale is None:
            return call
        return f"{call} * {scale[1]}" if scale[0] == "*" else f"math.ceil({call} / {scale[1]})"

    def answer(self) -> int | float:
        """The answer: the power, or the sample size rounded up and counted as the question asks."""
        try:
            value = self.call().evaluate()
        except ValueError as exc:
            raise PowerQuestionError(f"{DESIGNS[self.design]}: {exc}") from None
        scale = self._scale()
        if scale is None:
            return value
        return int(value) * scale[1] if scale[0] == "*" else math.ceil(value / scale[1])
