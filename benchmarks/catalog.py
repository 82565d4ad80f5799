"""How fast a 1000-song catalog builds, and how light its index page is in a real browser.

Usage: ``python benchmarks/catalog.py [--quick] [--songs N]``

A drop of N kept songs is written straight into dropper.db with small real GIFs, posters and
spectrograms (as tests/catalog_fixtures.py does, without videos), then ``build_site`` runs
three times (median reported). The index page is opened from file:// in Debian's chromium:
time to DOMContentLoaded, how many GIFs had loaded by then (lazy loading keeps it to the first
screenful), and how long a search takes to filter the grid. No baseline exists for this one.
The last line printed is one JSON object with the headline figures.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from dropper.catalog import build_site
from dropper.workspace import Drop
from tests.browser import CHROMIUM, launch
from tests.catalog_fixtures import SONGS, FakeSong, build_catalog_drop

GOALS = {"build_s": 10.0, "dom_ready_s": 1.0}


def many_songs(count: int) -> tuple[FakeSong, ...]:
    """``count`` kept songs cycling through the fixture's styles, tags, tempi and colours."""
    kept = [song for song in SONGS if song.keep]
    songs = []
    for number in range(count):
        base = kept[number % len(kept)]
        songs.append(FakeSong(f"{base.name}-{number:04d}", f"{base.title} {number}",
                              round(0.98 + (number % 5) * 0.01, 2), base.tempo_bpm + number % 17,
                              base.style, base.tags, base.colour))
    return tuple(songs)


def measure_build(root: Path, runs: int = 3) -> tuple[float, int]:
    times = []
    with Drop.open(root, environ={}) as drop:
        for _ in range(runs):
            started = time.perf_counter()
            report = build_site(drop)
            times.append(time.perf_counter() - started)
    return statistics.median(times), report.pages


def measure_browser(index: Path) -> dict[str, float]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = launch(playwright)
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        started = time.perf_counter()
        page.goto(index.as_uri(), wait_until="domcontentloaded")
        dom_ready = time.perf_counter() - started
        loaded_early = page.evaluate("[...document.images].filter(i => i.complete && i.naturalWidth).length")
        total = page.evaluate("document.images.length")
        lazy = page.evaluate("[...document.images].filter(i => i.loading === 'lazy').length")
        started = time.perf_counter()
        page.fill("#f-q", "mock melancholy 7")
        page.wait_for_function("[...document.querySelectorAll('li.card')].filter(c => !c.hidden)"
                               ".length < 50")
        search = time.perf_counter() - started
        shown = page.evaluate("[...document.querySelectorAll('li.card')].filter(c => !c.hidden).length")
        browser.close()
    return {"dom_ready_s": dom_ready, "images": total, "images_lazy": lazy, "images_loaded_at_ready": loaded_early,
            "search_s": search, "search_shown": shown}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="100 songs instead of 1000")
    parser.add_argument("--songs", type=int, default=None, help="number of songs (default 1000)")
    options = parser.parse_args()
    count = options.songs or (100 if options.quick else 1000)
    with tempfile.TemporaryDirectory(prefix="dropper-bench-catalog-") as folder:
        root = Path(folder) / "drop"
        started = time.perf_counter()
        build_catalog_drop(root, many_songs(count), videos=False)
        setup = time.perf_counter() - started
        build_s, pages = measure_build(root)
        index = root / "site" / "index.html"
        figures = {"songs": count, "pages": pages, "build_s": round(build_s, 3),
                   "index_kb": round(index.stat().st_size / 1024, 1), "setup_s": round(setup, 1)}
        if CHROMIUM.exists():
            figures.update({key: round(value, 3) if isinstance(value, float) else value
                            for key, value in measure_browser(index).items()})
    print(f"{'measure':<26}{'value':>12}{'goal':>10}")
    for key, value in figures.items():
        goal = GOALS.get(key)
        print(f"{key:<26}{value:>12}{'' if goal is None else f'<= {goal:g}':>10}")
    print(json.dumps({"benchmark": "catalog", **figures}))


if __name__ == "__main__":
    main()
