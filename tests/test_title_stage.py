"""The title stage: unique titles for kept songs, stable on rerun, human titles never replaced."""

from __future__ import annotations

import json

from tests.conftest import run_cli


def titles_of(drop) -> dict[str, str]:
    result = run_cli("title", str(drop), "--json", check=True)
    return {song["name"]: song["result"]["title"] for song in json.loads(result.stdout)["songs"]}


def test_kept_songs_get_unique_stable_titles_and_human_titles_win(small_drop):
    with open(small_drop / "drop.toml", "a") as settings:
        settings.write("[curate]\nkeep_unreviewed = true\n")
    run_cli("ingest", str(small_drop), check=True)
    first = titles_of(small_drop)
    assert sorted(first) == ["hush", "pad", "punk", "rock"]
    assert len(set(first.values())) == 4
    assert all(len(title.split()) == 2 for title in first.values())
    assert titles_of(small_drop) == first  # a rerun keeps every title
    taken = first["punk"]
    run_cli("annotate", "rock", "--drop", str(small_drop), "--title", taken.title(), check=True)
    second = titles_of(small_drop)
    assert second["rock"] == taken.title()  # the person's title, as typed
    assert second["punk"].casefold() != taken.casefold()  # nobody else carries it
    assert second["pad"] == first["pad"] and second["hush"] == first["hush"]
    forced = json.loads(run_cli("title", str(small_drop), "--force", "--json", check=True).stdout)
    assert {s["name"]: s["result"]["title"] for s in forced["songs"]}["rock"] == taken.title()


def test_preview_saves_nothing_and_avoids_titles_in_use(small_drop):
    with open(small_drop / "drop.toml", "a") as settings:
        settings.write("[curate]\nkeep_unreviewed = true\n")
    run_cli("ingest", str(small_drop), check=True)
    preview = json.loads(run_cli("title", str(small_drop), "--preview", "3", "--json", check=True).stdout)
    assert len(preview["preview"]) == 3
    given = titles_of(small_drop)
    assert [entry["title"] for entry in preview["preview"]] == [given[name] for name in ("hush", "pad", "punk")]
    after = json.loads(run_cli("title", str(small_drop), "--preview", "3", "--json", check=True).stdout)
    assert not {entry["title"] for entry in after["preview"]} & set(given.values())


def test_album_word_without_synonyms_is_one_line(small_drop):
    text = (small_drop / "drop.toml").read_text().replace('title = "Fake Feelings"', 'title = "Qzxvrk Feelings"')
    (small_drop / "drop.toml").write_text(text + "[curate]\nkeep_unreviewed = true\n")
    run_cli("ingest", str(small_drop), check=True)
    result = run_cli("title", str(small_drop))
    assert result.returncode == 2 and "'qzxvrk' has no synonyms in WordNet" in result.stderr
