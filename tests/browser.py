"""Debian's chromium driven by Playwright (no browser download): the flags every browser test uses."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]
# Modules that need the browser: `pytestmark = needs_chromium` skips them, saying why.
needs_chromium = pytest.mark.skipif(not CHROMIUM.exists(),
                                    reason="browser tests need Debian chromium at /usr/bin/chromium")


def launch(playwright):
    """A headless chromium from /usr/bin/chromium with the flags above."""
    return playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)


@contextmanager
def chromium() -> Iterator:
    """A launched browser for a module's tests (skips without the playwright package)."""
    sync_api = pytest.importorskip("playwright.sync_api", reason="pip install playwright (no browser download needed)")
    with sync_api.sync_playwright() as playwright:
        browser = launch(playwright)
        try:
            yield browser
        finally:
            browser.close()
