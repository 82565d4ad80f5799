"""dropper catalog: the static site's files, exports, media and links (no browser needed)."""

from __future__ import annotations

import csv
import json
from html.parser import HTMLParser
from pathlib import Path
from types import SimpleNamespace
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


class _Loads(HTMLParser):
    """What a page fetches by itself (everything but the links a person clicks)."""

    def __init__(self) -> None:
        super().__init__()
        self.loads: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag != "a":
            self.loads += [value for name, value in attrs if name in ("src", "href", "poster", "srcset") and value]


def test_no_page_loads_anything_from_the_network(site: Path) -> None:
    for page in site.rglob("*.html"):
        parser = _Loads()
        parser.feed(page.read_text(encoding="utf-8"))
        assert [url for url in parser.loads if urlsplit(url).scheme or url.startswith("//")] == []
    for asset in (site / "assets").iterdir():
        assert "http" not in asset.read_text(encoding="utf-8").replace("http://www.w3.org/", ""), asset.name


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
    # Forty songs at one temperature are not "too few": there is just nothing to compare.
    same_heat = correlation_sentence(pearson([1.0] * 40, list(range(40))), 40)
    assert "Too few" not in same_heat and "same temperature" in same_heat


class _Ids(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.ids: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.ids |= {value for name, value in attrs if name == "id" and value}


@pytest.fixture(scope="module")
def cleared_site(tmp_path_factory) -> Path:
    """The catalog of a drop whose originality report passes every song but one, which is waived."""
    from dropper import originality
    from dropper.gate import Waiver
    from dropper.originality_html import render

    root = build_catalog_drop(tmp_path_factory.mktemp("catalog-cleared") / "drop", videos=False)
    with Drop.open(root, environ={}) as drop:
        songs = drop.songs("kept")
        grind = next(song for song in songs if song.name == "grind")
        results = {song.sha256: {"verdict": "flagged" if song is grind else "pass", "matches": []} for song in songs}
        index = SimpleNamespace(index_hash="a" * 64, tracks=[])
        params = {"thresholds": {"min_score_bits": 100.0}, "drop_set": None}
        waived = {grind.id: Waiver(grind.id, "our own riff, recorded in 2019", "ana", "2026-11-25T10:00:00Z")}
        document = originality.build(drop, index, songs, results, params, "b" * 64, waived)
        drop.reports_dir.mkdir(exist_ok=True)
        (drop.reports_dir / "originality.json").write_text(originality.to_text(document), encoding="utf-8")
        (drop.reports_dir / "originality.html").write_text(
            render(drop, document, drop.reports_dir / "originality"), encoding="utf-8")
        report = build_site(drop)
    assert not any("no originality report" in note for note in report.notes)
    return root / "site"


def test_each_song_page_links_to_its_own_entry_of_the_originality_report(cleared_site: Path) -> None:
    ids = _Ids()
    ids.feed((cleared_site / "originality.html").read_text(encoding="utf-8"))
    for song in kept():
        page = cleared_site / "songs" / f"{song.name}.html"
        entries = [link for link in relative_links(page) if urlsplit(link).path == "../originality.html"
                   and urlsplit(link).fragment]
        assert [unquote(urlsplit(link).fragment) for link in entries] == [f"song-{song.name}"]
        assert f"song-{song.name}" in ids.ids, song.name


def test_song_pages_show_the_reports_verdict_and_the_waiver(cleared_site: Path) -> None:
    gallop = (cleared_site / "songs" / "gallop.html").read_text(encoding="utf-8")
    assert "Passed the originality check" in gallop and "Waiver" not in gallop
    grind = (cleared_site / "songs" / "grind.html").read_text(encoding="utf-8")
    assert "Waived" in grind and "our own riff, recorded in 2019" in grind and "(ana)" in grind
    rows = {row["name"]: row for row in csv.DictReader((cleared_site / "catalog.csv").open(encoding="utf-8"))}
    assert rows["gallop"]["originality"] == "pass" and rows["grind"]["originality"] == "waived"


def test_the_site_is_rebuilt_when_the_gateway_or_a_media_file_name_changes(tmp_path) -> None:
    from dropper.stages import catalog as stage

    root = build_catalog_drop(tmp_path / "drop", videos=False)
    with Drop.open(root, environ={}) as drop:
        assert stage.run(drop).built
        assert not stage.run(drop).built  # nothing changed: "site/ is up to date"
    settings = root / "drop.toml"
    settings.write_text(settings.read_text().replace('gateway = "https://ipfs.io/ipfs/"',
                                                     'gateway = "https://gateway.test/ipfs/"'))
    with Drop.open(root, environ={}) as drop:
        assert stage.run(drop).built
        grind = drop.find_song("grind")
        row = drop.db.execute("SELECT result FROM results WHERE sha256 = ? AND stage = 'visualize'",
                              (grind.sha256,)).fetchone()
        files = json.loads(row["result"])["files"]
        renamed = files["gif"].replace("-test.gif", "-new.gif")
        (root / files["gif"]).rename(root / renamed)
        drop.db.execute("UPDATE results SET result = ? WHERE sha256 = ? AND stage = 'visualize'",
                        (json.dumps({"files": {**files, "gif": renamed}}), grind.sha256))
        assert stage.run(drop).built
    index = (root / "site" / "index.html").read_text(encoding="utf-8")
    assert Path(renamed).name in index and Path(files["gif"]).name not in index


def test_catalog_json_is_valid_and_an_invalid_export_leaves_the_old_site(site: Path, tmp_path, monkeypatch) -> None:
    from dropper import schemas
    from dropper.catalog import builder
    from dropper.schemas import SchemaError

    schemas.validate(json.loads((site / "catalog.json").read_text(encoding="utf-8")), "catalog.schema.json",
                     source="site/catalog.json")
    root = build_catalog_drop(tmp_path / "drop", videos=False)
    with Drop.open(root, environ={}) as drop:
        build_site(drop)
        before = {path: path.read_bytes() for path in (root / "site").rglob("*") if path.is_file()}
        exported = builder._catalog_json
        monkeypatch.setattr(builder, "_catalog_json", lambda catalog: exported(catalog).replace(
            '"album":', '"albun":', 1))
        with pytest.raises(SchemaError, match="site/catalog.json"):
            build_site(drop)
    assert {path: path.read_bytes() for path in (root / "site").rglob("*") if path.is_file()} == before
    assert not (root / "site.new").exists()


def test_a_song_without_a_verdict_links_to_no_report_entry(site: Path) -> None:
    for song in kept():
        page = site / "songs" / f"{song.name}.html"
        text = page.read_text(encoding="utf-8")
        assert "Not checked yet" in text and "Scanned by audio fingerprint" not in text
        assert [link for link in relative_links(page) if urlsplit(link).path == "../originality.html"
                and urlsplit(link).fragment] == []


class _Cards(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.cards: list[dict[str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "li" and ("class", "card") in attrs:
            self.cards.append(dict(attrs))


def test_cards_filter_and_search_on_what_they_show(site: Path) -> None:
    index = (site / "index.html").read_text(encoding="utf-8")
    parser = _Cards()
    parser.feed(index)
    cards = {card["data-title"]: card for card in parser.cards}
    # grind's estimate is 150.4: the card says "150 BPM", so a filter to 150 must keep it.
    grind = cards["sham sorrow"]
    assert grind["data-tempo"] == "150" and "150 BPM" in index
    # The search text is lower-cased as JavaScript's toLowerCase does it (the query side).
    assert "woeful <wail>" in cards["woeful <wail>"]["data-search"]


def test_search_text_holds_what_toLowerCase_makes_of_a_query_and_the_case_folded_form(tmp_path) -> None:
    from dataclasses import replace

    from dropper.catalog.builder import _card
    from dropper.catalog.model import collect

    root = build_catalog_drop(tmp_path / "drop", videos=False)
    with Drop.open(root, environ={}) as drop:
        song = replace(collect(drop).songs[0], title="Große Straße")
    search = _card(song, {})["search"]
    assert "große straße" in search  # "Große".toLowerCase() in the page
    assert "grosse strasse" in search  # typed without ß


def _row(html: str, row_id: str) -> str:
    start = html.index(f'<tr id="{row_id}">')
    return html[start:html.index("</tr>", start)]


def test_the_originality_reports_song_table_shows_the_waiver(cleared_site: Path) -> None:
    html = (cleared_site / "originality.html").read_text(encoding="utf-8")
    assert "our own riff, recorded in 2019" in _row(html, "song-grind") and "ana" in _row(html, "song-grind")
    assert "our own riff" not in _row(html, "song-gallop")


@pytest.fixture(scope="module")
def flagged_drop(tmp_path_factory) -> Path:
    """A drop whose report flags grind for a reference track (waived) and gallop for grind (a twin),
    with real excerpts written by the report's renderer."""
    import hashlib

    import soundfile as sf

    from dropper import originality, synth
    from dropper.db import now
    from dropper.gate import Waiver
    from dropper.originality_html import render

    top = tmp_path_factory.mktemp("catalog-flagged")
    root = build_catalog_drop(top / "drop", videos=False)
    reference = top / "catalog" / "ref-riff.wav"
    reference.parent.mkdir()
    sf.write(str(reference), synth.make_song(bpm=150, seconds=12, pattern="dbeat", seed=5, sr=22050), 22050)
    ref_sha = hashlib.sha256(reference.read_bytes()).hexdigest()
    with Drop.open(root, environ={}) as drop:
        songs = drop.songs("kept")
        for song in songs:
            sf.write(str(drop.absolute(song.path)), synth.make_song(bpm=120, seconds=12, seed=song.id, sr=22050),
                     22050)
        drop.db.execute("INSERT INTO reference_tracks VALUES (?, 'ref-riff', ?, 12.0, ?)",
                        (ref_sha, str(reference), now()))
        grind = next(song for song in songs if song.name == "grind")
        gallop = next(song for song in songs if song.name == "gallop")

        def match(track_id: str, name: str, source: str) -> dict:
            return {"track_id": track_id, "track_name": name, "source": source, "query_start_s": 3.0,
                    "query_end_s": 8.0, "reference_start_s": 2.0, "reference_end_s": 7.0, "matched_s": 5.0,
                    "speed": 1.0, "score": 150.0}

        results = {song.sha256: {"verdict": "pass", "matches": []} for song in songs}
        results[grind.sha256] = {"verdict": "flagged", "matches": [match(ref_sha, "ref-riff", "reference")]}
        results[gallop.sha256] = {"verdict": "flagged", "matches": [match(grind.sha256, "grind", "drop")]}
        index = SimpleNamespace(index_hash="a" * 64, tracks=[])
        waived = {grind.id: Waiver(grind.id, "our own riff, recorded in 2019", "ana", "2026-11-25T10:00:00Z")}
        document = originality.build(drop, index, songs, results, {"thresholds": {}, "drop_set": None}, "b" * 64,
                                     waived)
        drop.reports_dir.mkdir(exist_ok=True)
        (drop.reports_dir / "originality.json").write_text(originality.to_text(document), encoding="utf-8")
        (drop.reports_dir / "originality.html").write_text(
            render(drop, document, drop.reports_dir / "originality"), encoding="utf-8")
        drop.db.commit()
    return root


def test_reference_clips_stay_in_the_auditors_report_not_on_the_public_site(flagged_drop: Path) -> None:
    auditor = flagged_drop / "reports" / "originality"
    assert (auditor / "grind-1-reference.ogg").is_file()  # the auditor hears both sides
    with Drop.open(flagged_drop, environ={}) as drop:
        build_site(drop)
    site = flagged_drop / "site"
    published = {path.name for path in (site / "originality").iterdir()}
    assert not [name for name in published if name.endswith("-reference.ogg")]
    assert {"grind-1-song.ogg", "grind-1-reference.png", "gallop-1-song.ogg", "gallop-1-drop.ogg"} <= published
    page = site / "originality.html"
    links = relative_links(page)
    assert "../reports/originality.html#grind-1" in links
    assert not [link for link in links if link.endswith("-reference.ogg")]
    assert [link for link in links if not (page.parent / unquote(urlsplit(link).path)).resolve().is_file()] == []
    assert "ref-riff" in page.read_text(encoding="utf-8")
    with Drop.open(flagged_drop, environ={}) as drop:
        build_site(drop, reference_clips=True)  # a drop that may publish them says so
    assert (site / "originality" / "grind-1-reference.ogg").is_file()


def test_titles_show_as_set_and_a_song_without_a_style_says_nothing_about_it(tmp_path) -> None:
    from tests.catalog_fixtures import SONGS

    css = (Path(__file__).resolve().parent.parent / "dropper" / "templates" / "catalog" / "catalog.css").read_text()
    assert "capitalize" not in css  # "simulated sympathy" stays as the token's name spells it
    plain = SONGS[0].__class__("plain", "lower case title", 1.0, 120.0, None, (), (10, 10, 10))
    root = build_catalog_drop(tmp_path / "drop", (SONGS[0], plain), videos=False)
    with Drop.open(root, environ={}) as drop:
        build_site(drop)
    index = (root / "site" / "index.html").read_text(encoding="utf-8")
    assert "no style" not in index
    assert index.count('<p class="style">') == 1 and '<p class="style">thrash metal</p>' in index
    assert "<h2>lower case title</h2>" in index
    assert "<h1>lower case title</h1>" in (root / "site" / "songs" / "plain.html").read_text(encoding="utf-8")


def test_a_song_page_names_the_ipfs_gateway_once(example_drop) -> None:
    page = (example_drop / "site" / "songs" / "archetypal-angst.html").read_text(encoding="utf-8")
    assert page.count("open through") == 1 and "IPFS links open through https://ipfs.io/ipfs/" in page
    assert page.count("ipfs://") == 5 and page.count('href="https://ipfs.io/ipfs/') == 5


def test_the_originality_page_gives_an_audit_command_that_works(example_drop) -> None:
    page = (example_drop / "reports" / "originality.html").read_text(encoding="utf-8")
    assert "dropper audit reports/originality.json --drop ." in page
    assert "dropper audit DROP/reports/originality.json --drop DROP" in page
    from tests.conftest import run_cli

    inside = run_cli("audit", "reports/originality.json", "--drop", ".", cwd=example_drop)
    outside = run_cli("audit", f"{example_drop.name}/reports/originality.json", "--drop", example_drop.name,
                      cwd=example_drop.parent)
    assert inside.returncode == 0 and outside.returncode == 0, inside.stderr + outside.stderr
    assert "reproduced exactly" in inside.stdout and "reproduced exactly" in outside.stdout
