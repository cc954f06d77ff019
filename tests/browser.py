"""Headless Chromium for the viewer's tests: Debian's chromium driven by Playwright's Python package (no
downloaded browser), a fresh profile each time, loopback only; skips with the reason when either is absent."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def browser_status() -> tuple[bool, str]:
    if not CHROMIUM.is_file():
        return False, f"no {CHROMIUM} (make browser-deps installs Debian's chromium as root)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return False, "playwright is not installed (pip install -e '.[dev]')"
    return True, "ok"


@contextmanager
def chromium_page(width: int = 1300, height: int = 900) -> Iterator[Any]:
    """A page of a fresh headless Chromium; page errors fail the test that caused them."""
    ok, reason = browser_status()
    if not ok:
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    profile = tempfile.mkdtemp(prefix="medgym-chromium-")
    errors: list[str] = []
    try:
        with sync_playwright() as p:
            context = p.chromium.launch_persistent_context(
                profile,
                executable_path=str(CHROMIUM),
                args=ARGS,
                headless=True,
                viewport={"width": width, "height": height},
            )
            try:
                page = context.new_page()
                page.on("pageerror", lambda e: errors.append(str(e)))
                yield page
            finally:
                context.close()
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    assert not errors, f"errors in the page: {errors}"


def viewer_timings(
    page: Any, url: str, *, opens: int, searches: Sequence[str], select: tuple[str, str]
) -> tuple[list[float], list[float]]:
    """The viewer's own timings (``performance.now()`` in the page), in ms: navigation to a rendered index,
    ``opens`` times; then a re-rendered table after each search, after ``select`` (a filter's name and value)
    and after a sort by duration."""
    loads = []
    for _ in range(opens):
        page.goto(url)
        page.wait_for_selector("body[data-ready='1']")
        loads.append(page.evaluate("window.MEDGYM_READY"))
    filters = []
    for text in searches:
        page.fill("#search", text)
        filters.append(page.evaluate("window.MEDGYM_FILTER_MS"))
    name, value = select
    page.select_option(f"select[data-filter='{name}']", value)
    filters.append(page.evaluate("window.MEDGYM_FILTER_MS"))
    page.click("th[data-sort='duration']")
    filters.append(page.evaluate("window.MEDGYM_FILTER_MS"))
    return loads, filters
