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


def _kept_drop(small_drop, open_drop):
    with open(small_drop / "drop.toml", "a") as settings:
        settings.write("[curate]\nkeep_unreviewed = true\n")
    run_cli("ingest", str(small_drop), check=True)
    return open_drop(small_drop)


def _titles(report) -> dict[str, str]:
    return {song.name: song.result["title"] for song in report.songs}


def test_a_title_blocklisted_later_is_replaced_and_a_human_one_is_noted(small_drop, open_drop, monkeypatch):
    from dropper import annotations, titles
    from dropper.stages import title as stage

    drop = _kept_drop(small_drop, open_drop)
    first = stage.run(drop)
    before = _titles(first)
    pad = next(song for song in drop.songs("kept") if song.name == "pad")
    annotations.apply_edits(drop, pad, author="test", title="Phony Fear")
    word = before["punk"].split()[0]
    original = titles.blocklist()
    monkeypatch.setattr(titles, "blocklist", lambda: original | {word, "phony"})
    second = stage.run(drop)
    after = _titles(second)
    assert word not in after["punk"].split() and after["punk"] != before["punk"]
    assert second.params_hash != first.params_hash  # the blocklist is one of the stage's parameters
    assert {song.name: song.status for song in second.songs}["punk"] == "done"
    assert after["pad"] == "Phony Fear"  # never replaced...
    assert [note for note in second.notes if note.startswith("pad:")] == [
        f"pad: the title 'Phony Fear' set by hand contains a blocklisted word; kept "
        f"(change it: dropper annotate pad --drop {drop.root} --title ...)"]  # ...but noted
    for name in ("hush", "rock"):
        if word not in before[name].split():
            assert after[name] == before[name]
    assert _titles(stage.run(drop)) == after  # stable once replaced


def test_two_songs_with_one_human_title_are_noted(small_drop, open_drop):
    from dropper import annotations
    from dropper.stages import title as stage

    drop = _kept_drop(small_drop, open_drop)
    songs = {song.name: song for song in drop.songs("kept")}
    annotations.apply_edits(drop, songs["rock"], author="test", title="Mock Melancholy")
    annotations.apply_edits(drop, songs["punk"], author="test", title="mock melancholy")
    report = stage.run(drop)
    same = [note for note in report.notes if "same title" in note]
    assert same == [f"songs punk, rock have the same title 'mock melancholy' set by hand: package refuses "
                    f"until one is changed (dropper annotate rock --drop {drop.root} --title ...)"]
    given = _titles(report)
    assert given["rock"] == "Mock Melancholy" and given["punk"] == "mock melancholy"
    assert given["pad"].casefold() != "mock melancholy" and given["hush"].casefold() != "mock melancholy"
    printed = run_cli("title", str(drop.root), check=True).stdout  # the text output shows the note too
    assert "have the same title 'mock melancholy' set by hand" in printed
