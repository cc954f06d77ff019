"""Headless Chromium for the viewer's tests: Debian's chromium driven by Playwright's Python package (no
downloaded browser), a fresh profile each time, loopback only; skips with the reason when either is absent."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
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
