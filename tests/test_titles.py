"""Song titles from the album title: WordNet synonyms, alliteration by sound, unique per drop.

These use the real WordNet corpus and CMU dictionary; setup installs both. A missing corpus
fails (with the install command), it does not skip.
"""

from __future__ import annotations

from collections import Counter

import pytest

from dropper import titles, wordnet
from dropper.errors import ConfigError
from dropper.titles import TitleSettings

ALBUM = "Fake Feelings"
SONGS = [f"song-{i:04d}" for i in range(1000)]


@pytest.fixture(scope="module")
def wn():
    return wordnet.load_wordnet()


@pytest.fixture(scope="module")
def slot_words(wn) -> dict[str, set[str]]:
    return {slot.album_word: {w.text for w in slot.words} for slot in titles.title_slots(ALBUM)}


@pytest.fixture(scope="module")
def candidate_texts(wn) -> set[str]:
    return {c.text for c in titles.candidates(ALBUM)}


@pytest.fixture(scope="module")
def drop_titles(wn) -> dict[str, str]:
    return titles.assign_titles(SONGS, ALBUM)


def test_wordnet_corpus_is_installed_where_dropper_looks(wn):
    assert wn.get_version() == "3.0"
    assert {s.name() for s in wn.synsets("feeling")} >= {"feeling.n.01"}


def test_fake_is_an_adjective_slot_and_feelings_a_noun_slot():
    fake, feelings = titles.title_slots(ALBUM)
    assert (fake.pos, feelings.pos) == ("a", "n")
    assert {"phony", "bogus", "mock", "sham", "counterfeit"} <= {w.text for w in fake.words}
    assert {"fear", "sadness", "melancholy", "angst", "discomfort"} <= {w.text for w in feelings.words}
    assert "fake" not in {w.text for w in fake.words} and "feeling" not in {w.text for w in feelings.words}


@pytest.mark.parametrize("title", ["mock melancholy", "disreputable discomfort", "deceptive sadness"])
def test_the_artists_example_titles_are_candidates(candidate_texts, title):
    assert title in candidate_texts


def test_archetypal_angst_cannot_be_made_because_archetypal_means_original(wn, slot_words, candidate_texts):
    assert "angst" in slot_words["feelings"]
    # WordNet files "archetypal" under "first, original": the opposite of fake, reachable
    # only through an antonym, which titles do not follow (it would give "genuine feelings").
    assert [s.name() for s in wn.synset("archetypal.s.01").similar_tos()] == ["first.a.01"]
    assert "archetypal" not in slot_words["fake"]
    assert "archetypal angst" not in candidate_texts


def test_bootleg_abasement_cannot_be_made_and_why(wn, slot_words, candidate_texts):
    # "bootleg" is a satellite of "illegal", which WordNet does not link to fake/counterfeit.
    assert [s.name() for s in wn.synset("bootleg.s.01").similar_tos()] == ["illegal.a.01"]
    related_to_fake = {r.word for r in wordnet.related_words("fake", "a")}
    assert "illegal" not in related_to_fake and "bootleg" not in related_to_fake
    # "abasement" is a state or an act in WordNet, never a feeling, and the CMU dictionary
    # has no pronunciation for it (so it could not be scored for alliteration either).
    assert {s.lexname() for s in wn.synsets("abasement")} == {"noun.state", "noun.act"}
    assert titles.first_phoneme("abasement") is None
    assert "abasement" not in slot_words["feelings"]
    assert "bootleg abasement" not in candidate_texts


def test_alliteration_is_by_sound_not_spelling():
    assert titles.first_phoneme("phony") == titles.first_phoneme("fear") == "F"
    assert titles.alliterates("phony fear")
    assert titles.first_phoneme("chaos") == "K"
    assert not titles.alliterates("chaos charm")  # same letters, different sounds
    # The "chaste charm" does alliterate by sound: both start with /tʃ/ (CH).
    assert titles.first_phoneme("chaste") == titles.first_phoneme("charm") == "CH"
    assert titles.alliterates("chaste charm")
    assert titles.alliterates("archetypal angst")  # vowels count: both start with AA


def test_a_drop_of_1000_songs_gets_1000_distinct_titles(drop_titles):
    assert list(drop_titles) == SONGS
    assert len(set(drop_titles.values())) == 1000
    assert all(title == title.lower() and len(title.split()) == 2 for title in drop_titles.values())


@pytest.mark.parametrize("share", [0.8, 0.3])
def test_the_share_of_alliterating_titles_follows_the_setting(share, drop_titles):
    assigned = drop_titles if share == 0.8 else titles.assign_titles(
        SONGS, ALBUM, settings=TitleSettings(alliteration_share=share))
    measured = sum(titles.alliterates(t) for t in assigned.values()) / len(assigned)
    assert measured == pytest.approx(share, abs=0.05)


def test_words_are_spread_over_the_drop(drop_titles):
    uses = Counter(word for title in drop_titles.values() for word in title.split())
    assert uses.most_common(1)[0][1] <= 25  # no word in more than 2.5% of the titles
    assert len(uses) >= 300


def test_the_same_seed_gives_the_same_titles_and_another_seed_others(drop_titles):
    assert titles.assign_titles(SONGS, ALBUM, settings=TitleSettings(seed=0)) == drop_titles
    other = titles.assign_titles(SONGS, ALBUM, settings=TitleSettings(seed=1))
    assert len(set(other.values())) == 1000
    assert sum(other[k] != drop_titles[k] for k in SONGS) > 500


def test_taken_titles_are_never_given_again(drop_titles):
    by_hand = {t.title() for t in list(drop_titles.values())[:50]}  # "Phony Fire": case does not matter
    again = titles.assign_titles(SONGS[:200], ALBUM, taken=by_hand)
    assert not {t.casefold() for t in again.values()} & {t.casefold() for t in by_hand}
    assert len(set(again.values())) == 200


def test_preview_shows_what_the_first_songs_would_get(drop_titles):
    shown = titles.preview(ALBUM, 30)
    assert [c.text for c in shown] == list(drop_titles.values())[:30]
    assert all(c.alliterates == titles.alliterates(c.text) for c in shown)


def test_blocklisted_words_never_appear(wn, drop_titles):
    # WordNet lists "bastard" as a synonym of fake (bogus.s.01); the blocklist keeps it out.
    assert "bastard" in {r.word for r in wordnet.related_words("fake", "a")}
    assert "bastard" in titles.blocklist()
    assert not any(titles.is_blocked(t) for t in drop_titles.values())
    assert not any(titles.is_blocked(c.text) for c in titles.candidates(ALBUM))


def test_hyphenated_blocklist_entries_are_blocked_whole(wn):
    # WordNet lists "dark-skinned" and "non-white" among the neighbours of "dark"; the blocklist
    # names them whole. Matching only hyphen-separated parts ("dark", "skinned") let them through.
    related = {r.word for r in wordnet.related_words("dark", "a")}
    assert {"dark-skinned", "non-white"} <= related
    assert titles.is_blocked("dark-skinned dawn") and titles.is_blocked("Non-White nineties")
    assert titles.is_blocked("bastard_title")  # WordNet's underscores separate words, as spaces do
    assert titles.is_blocked("bull-shit")  # a listed word as part of a hyphenated one
    assert not titles.is_blocked("dark dawn") and not titles.is_blocked("skinned knee")
    chosen = titles.preview("Dark Night", 1000)
    assert not any(titles.is_blocked(c.text) for c in chosen)
    assert not any(word in c.text for c in chosen for word in ("dark-skinned", "non-white"))


@pytest.mark.parametrize("word", ["sex", "lust", "libido", "masochism", "sadism", "misogyny", "self-torture"])
def test_sexual_and_hateful_feelings_are_kept_out(wn, slot_words, word):
    # WordNet files these under "feeling"; the blocklist keeps them out of song titles.
    assert word in {r.word.replace("_", " ") for r in wordnet.related_words("feelings", "n")}
    assert titles.is_blocked(word)
    assert word not in slot_words["feelings"]


def test_a_word_without_synonyms_is_named_in_the_error(wn):
    with pytest.raises(ConfigError, match=r"'qzxvrk' has no synonyms in WordNet"):
        titles.assign_titles(SONGS[:10], "Qzxvrk Feelings")


def test_album_titles_of_more_than_three_words_are_refused():
    with pytest.raises(ConfigError, match="one to three words"):
        titles.title_slots("Fake Feelings Sound Good")


def test_function_words_are_kept_and_do_not_count(wn):
    shown = titles.preview("Songs of Fire", 10)
    assert all(len(c.words) == 2 and c.text.split()[1] == "of" for c in shown)


def test_too_few_titles_for_the_drop_says_what_to_change(wn):
    with pytest.raises(ConfigError, match="gives only .* free titles, 1000 needed"):
        titles.assign_titles(SONGS, "Rage")


def test_bad_settings_name_the_setting():
    with pytest.raises(ConfigError, match="alliteration_share"):
        TitleSettings(alliteration_share=1.5)


def test_a_missing_corpus_says_how_to_install_it(monkeypatch, tmp_path):
    import nltk.data

    from dropper.errors import MissingInput

    monkeypatch.setattr(nltk.data, "path", [str(tmp_path)])
    monkeypatch.setattr(wordnet, "default_data_dir", lambda: tmp_path)
    with pytest.raises(MissingInput, match=r"scripts/install_wordnet\.py"):
        wordnet.corpus_root()


def test_a_corpus_without_its_sense_counts_is_one_line(wn, tmp_path):
    # NLTK's reader opens without cntlist.rev; the titles need it. A fresh process, so that the
    # corpus loaded by the other tests stays as it is.
    import shutil
    import subprocess
    import sys

    shutil.copytree(wordnet.corpus_root().path, tmp_path / "corpora" / "wordnet",
                    ignore=shutil.ignore_patterns("cntlist.rev"))
    script = ("import nltk.data, pathlib, sys\n"
              "from dropper import titles, wordnet\n"
              f"nltk.data.path[:] = [{str(tmp_path)!r}]\n"
              f"wordnet.default_data_dir = lambda: pathlib.Path({str(tmp_path)!r})\n"
              "try:\n    titles.preview('Fake Feelings', 3)\n"
              "except Exception as error:\n    print(type(error).__name__, error)\n")
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert result.stdout.startswith("MissingInput WordNet corpus at "), result.stdout + result.stderr
    assert "cntlist.rev" in result.stdout and "scripts/install_wordnet.py" in result.stdout


def test_titles_do_not_depend_on_python_hash_randomization(drop_titles):
    # NLTK keeps some WordNet relations in sets; another process must still give the same titles.
    import json
    import os
    import subprocess
    import sys

    script = ("import json; from dropper import titles; "
              f"print(json.dumps(titles.assign_titles({SONGS[:100]!r}, {ALBUM!r})))")
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    output = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True)
    assert json.loads(output.stdout) == {k: drop_titles[k] for k in SONGS[:100]}


def _blocking(monkeypatch, *words):
    original = titles.blocklist()
    monkeypatch.setattr(titles, "blocklist", lambda: original | set(words))


def test_the_vocabulary_hash_follows_the_blocklist(monkeypatch):
    first = titles.vocabulary_hash()
    assert titles.vocabulary_hash() == first
    _blocking(monkeypatch, "qzxvrk")
    assert titles.vocabulary_hash() != first
