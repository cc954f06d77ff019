"""Reports over runs: a summary built on ``medgym_nb.runs`` and a static HTML page."""

from .html import render_html
from .summary import EpisodeRow, RunSummary, summarise_run

__all__ = ["EpisodeRow", "RunSummary", "render_html", "summarise_run"]
