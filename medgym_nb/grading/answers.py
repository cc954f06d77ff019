"""What an agent answered: a value it submitted, or the text its validated code printed."""

from __future__ import annotations

import ast
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

__all__ = ["Answer", "parse_printed"]

_MAX_PARSE_CHARS = 1_000_000


class Answer(BaseModel):
    """``kind="printed"``: stdout of a ``validate_code`` cell; ``kind="value"``: the params of ``submit``."""

    model_config = ConfigDict(frozen=True)

    kind: Literal["printed", "value"]
    value: Any = None

    def typed(self) -> Any:
        return parse_printed(self.value) if self.kind == "printed" else self.value


def _literal(text: str) -> tuple[bool, Any]:
    try:
        return True, ast.literal_eval(text)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return False, None


def parse_printed(text: Any) -> Any:
    """Read an answer from printed text.

    The rule, in order: the whole text as a Python literal; else the last non-empty line as a literal (so
    progress prints before the answer are allowed); else each non-empty line is one string value.
    """
    if not isinstance(text, str):
        return text
    text = text.strip()[-_MAX_PARSE_CHARS:]
    if not text:
        return None
    ok, value = _literal(text)
    if ok:
        return value
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    ok, value = _literal(lines[-1])
    if ok:
        return value
    return lines[0] if len(lines) == 1 else lines
