"""Reports over a run directory: numbers (summary) and a self-contained HTML page with plots."""

from .html import render_html
from .summary import EpisodeRow, RunSummary, classify_failure, summarise_run

__all__ = ["EpisodeRow", "RunSummary", "classify_failure", "render_html", "summarise_run"]
