"""dropper catalog in a real browser (Debian chromium), from file:// and from a static server."""

from __future__ import annotations

import sys
import tempfile
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from dropper.catalog import build_site
from dropper.workspace import Drop
from tests.browser import chromium, needs_chromium
from tests.catalog_fixtures import build_catalog_drop, kept
from tests.conftest import free_port
from tests.processes import running

pytestmark = needs_chromium
sync_api = pytest.importorskip("playwright.sync_api", reason="pip install playwright (no browser download needed)")
expect = sync_api.expect


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    root = build_catalog_drop(tmp_path_factory.mktemp("catalog-browser") / "drop")
    with Drop.open(root, environ={}) as drop:
        build_site(drop)
    return root / "site"


@pytest.fixture(scope="module")
def server(site: Path) -> Iterator[str]:
    port = free_port()
    url = f"http://127.0.0.1:{port}/"

    def answers() -> bool:
        try:
            urllib.request.urlopen(url, timeout=1).close()
            return True
        except OSError:
            return False

    with tempfile.TemporaryFile() as log, running(
            [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1"], answers, log, cwd=site):
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator:
    with chromium() as launched:
        yield launched


@pytest.fixture(params=["file", "http"])
def base(request, site: Path) -> str:
    return site.as_uri() + "/" if request.param == "file" else request.getfixturevalue("server")


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    yield context.new_page()
    context.close()


def card(page, title: str):
    return page.locator("#songs > li.card", has=page.get_by_role("heading", name=title, exact=True))


def test_filtering_by_tag_and_tempo_range_shows_exactly_the_matching_songs(page, base: str) -> None:
    page.goto(base + "index.html")
    page.get_by_label("cool drums").check()
    page.get_by_label("lowest tempo").fill("100")
    page.get_by_label("highest tempo").fill("160")
    for song in kept():
        expected = "cool drums" in song.tags and 100 <= song.tempo_bpm + 0.4 <= 160
        if expected:
            expect(card(page, song.title)).to_be_visible()
        else:
            expect(card(page, song.title)).to_be_hidden()
    expect(page.locator("#shown")).to_have_text("1")
    # The filter state is in the URL: opening it again shows the same songs.
    shared = page.url
    page.goto(base + "album.html")
    page.goto(shared)
    expect(card(page, "Woeful <Wail>")).to_be_visible()
    expect(card(page, "phony fury")).to_be_hidden()


def test_search_finds_a_title(page, base: str) -> None:
    page.goto(base + "index.html")
    page.get_by_role("searchbox").fill("melancholy")
    expect(card(page, "mock melancholy")).to_be_visible()
    expect(card(page, "phony fury")).to_be_hidden()
    expect(card(page, "hollow hush")).to_be_hidden()


def test_song_page_has_a_playable_video(page, base: str) -> None:
    page.goto(base + "index.html")
    page.get_by_role("link", name="phony fury").click()
    video = page.locator("video")
    expect(video).to_be_visible()
    page.wait_for_function("document.querySelector('video').readyState >= 1", timeout=10000)
    assert page.evaluate("document.querySelector('video').duration") > 0.5
    expect(page.get_by_role("link", name="Attribution-NonCommercial", exact=False).first).to_be_visible()


def test_screenshots_of_the_index_and_album(browser, site: Path) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    shot = context.new_page()
    shot.goto(site.as_uri() + "/index.html")
    shot.wait_for_load_state("load")
    shot.screenshot(path="/tmp/catalog-index.png", full_page=True)
    shot.goto(site.as_uri() + "/album.html")
    shot.screenshot(path="/tmp/catalog-album.png", full_page=True)
    context.close()
    assert Path("/tmp/catalog-index.png").stat().st_size > 10_000


def test_the_tempo_filter_compares_the_tempo_the_cards_show(page, base: str) -> None:
    page.goto(base + "index.html")
    expect(card(page, "sham sorrow")).to_contain_text("150 BPM")  # estimated 150.4
    page.get_by_label("lowest tempo").fill("150")
    page.get_by_label("highest tempo").fill("150")
    expect(card(page, "sham sorrow")).to_be_visible()
    expect(page.locator("#shown")).to_have_text("1")


def test_search_matches_sharp_s_typed_either_way(browser, tmp_path) -> None:
    from tests.catalog_fixtures import SONGS, FakeSong

    songs = (*SONGS[:2], FakeSong("street", "Große Straße", 1.0, 130.0, "punk rock", (), (10, 10, 10)))
    root = build_catalog_drop(tmp_path / "drop", songs, videos=False)
    with Drop.open(root, environ={}) as drop:
        build_site(drop)
    context = browser.new_context()
    try:
        search = context.new_page()
        for query in ("straße", "STRASSE", "Große"):
            search.goto((root / "site").as_uri() + "/index.html")
            search.get_by_role("searchbox").fill(query)
            expect(card(search, "Große Straße")).to_be_visible()
            expect(search.locator("#shown")).to_have_text("1")
    finally:
        context.close()
