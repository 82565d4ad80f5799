"""dropper catalog: the static site's files, exports, media and links (no browser needed)."""

from __future__ import annotations

import csv
import json
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from dropper.catalog import build_site
from dropper.catalog.charts import correlation_sentence, pearson
from dropper.workspace import Drop
from tests.catalog_fixtures import build_catalog_drop, kept


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    root = build_catalog_drop(tmp_path_factory.mktemp("catalog") / "drop")
    with Drop.open(root, environ={}) as drop:
        build_site(drop)
    return root / "site"


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.links += [value for name, value in attrs if name in ("href", "src", "poster") and value]


def relative_links(page: Path) -> list[str]:
    parser = _Links()
    parser.feed(page.read_text(encoding="utf-8"))
    return [link for link in parser.links if not urlsplit(link).scheme and not link.startswith("#")]


def test_every_relative_link_of_every_page_reaches_a_file(site: Path) -> None:
    pages = sorted(site.rglob("*.html"))
    assert len(pages) >= 2 + len(kept())
    broken = [f"{page.relative_to(site)} -> {link}" for page in pages for link in relative_links(page)
              if not (page.parent / unquote(urlsplit(link).path)).resolve().is_file()]
    assert broken == []


def test_no_page_loads_anything_from_the_network(site: Path) -> None:
    for page in site.rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        assert "<script src=\"http" not in text and "stylesheet\" href=\"http" not in text


def test_index_lists_kept_songs_only_with_lazy_gifs(site: Path) -> None:
    index = (site / "index.html").read_text(encoding="utf-8")
    assert index.count('loading="lazy"') == len(kept())
    assert "never shown" not in index
    assert "Woeful &lt;Wail&gt;" in index  # escaped, not swallowed as a tag


def test_exports_hold_every_kept_songs_annotations(site: Path) -> None:
    rows = list(csv.DictReader((site / "catalog.csv").open(encoding="utf-8")))
    assert {row["name"] for row in rows} == {song.name for song in kept()}
    gallop = next(row for row in rows if row["name"] == "gallop")
    assert gallop["style"] == "thrash metal" and gallop["distinctions"] == "thrash riff; cool drums"
    document = json.loads((site / "catalog.json").read_text(encoding="utf-8"))
    pad = next(song for song in document["songs"] if song["name"] == "pad")
    assert pad["tempo_bpm"] == 0 and pad["tempo_tapped_bpm"] == 0
    assert any(event["kind"] == "decision" for event in pad["events"])


def test_song_page_has_license_video_and_report_link(site: Path) -> None:
    page = (site / "songs" / "gallop.html").read_text(encoding="utf-8")
    assert "https://creativecommons.org/licenses/by-nc/4.0/" in page
    assert "non-commercial" in page
    assert "<video" in page and "../originality.html" in page


def test_media_are_hard_links_of_the_build_files(site: Path) -> None:
    gif = next((site / "media" / "gif").iterdir())
    assert gif.stat().st_nlink >= 2
    assert (site.parent / "build" / "gifs" / gif.name).samefile(gif)


def test_rebuild_swaps_the_whole_folder_and_leaves_no_temporaries(site: Path) -> None:
    (site / "stale.html").write_text("old")
    with Drop.open(site.parent, environ={}) as drop:
        report = build_site(drop)
    assert report.songs == len(kept())
    assert not (site / "stale.html").exists()
    assert not (site.parent / "site.new").exists() and not (site.parent / "site.old").exists()


def test_album_page_says_what_temperature_does_to_tempo(site: Path) -> None:
    album = (site / "album.html").read_text(encoding="utf-8")
    assert "<svg" in album and "faster tempos" in album and "r = 0.82" in album


def test_correlation_sentence_reads_the_sign_and_the_strength() -> None:
    assert pearson([1, 2, 3], [1, 2, 3]) == pytest.approx(1.0)
    assert "slower" in correlation_sentence(-0.8, 40) and "strongly" in correlation_sentence(-0.8, 40)
    assert "unrelated" in correlation_sentence(0.05, 40)
    assert "Too few" in correlation_sentence(None, 2)
