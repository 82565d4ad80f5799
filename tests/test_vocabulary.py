"""The curated tag vocabularies in metadata/vocabulary/ and their typo check."""

from __future__ import annotations

import pytest

from dropper.titles import load_vocabulary, unknown_tags

SEED_DISTINCTIONS = [
    "doom riff", "breakdown in 6/8", "metal riff", "cool drums", "siamese songs", "thrash riff",
    "triplet transition", "swing beat", "slide", "train horn", "5/4 time signature", "slide riff",
    "blues riff", "ambient outro", "cool riff", "rising screams", "5/4 triplet riff", "noisy",
    "hellbeast solo", "bass slide", "textural intro", "dirt riff", "dissonance", "long scream",
    "flatline", "hangs up", "pinch harmonic", "ghosts", "stutter beat", "dbeat", "no singing",
    "2 step riff", "groovy riff", "evil riff", "guitar slide", "rap", "chaotic", "experimental",
    "feedback", "chugs", "drums intro", "3/4 riff", "guitar lick", "6/8 riff", "doublekick",
    "breakdown", "negative space", "audience", "blastbeat", "drone", "guitar solo",
]


@pytest.mark.parametrize("kind", ["styles", "distinctions"])
def test_vocabularies_load_as_distinct_lowercase_tags(kind):
    tags = load_vocabulary(kind)
    assert len(tags) >= 20
    assert len(set(tags)) == len(tags)
    assert all(tag == tag.strip().lower() and not tag.startswith("#") for tag in tags)


def test_every_seed_distinction_is_in_the_vocabulary():
    assert set(SEED_DISTINCTIONS) <= set(load_vocabulary("distinctions"))


def test_styles_cover_metal_punk_emo_and_ambient():
    styles = load_vocabulary("styles")
    assert {"doom metal", "black metal", "crust punk", "emo", "screamo", "dark ambient"} <= set(styles)


def test_a_typo_gets_the_closest_known_tag():
    assert unknown_tags(["doom rif"]) == ["unknown distinction 'doom rif' (did you mean 'doom riff'?)"]
    assert unknown_tags(["blast beat"]) == ["unknown distinction 'blast beat' (did you mean 'blastbeat'?)"]
    assert unknown_tags(["blak metal"], kind="styles") == [
        "unknown style 'blak metal' (did you mean 'black metal'?)"]


def test_known_tags_pass_and_unknown_ones_are_reported_once():
    assert unknown_tags(["Doom Riff", "breakdown", "5/4 time signature"]) == []
    assert unknown_tags(["polka", "polka", "POLKA"]) == [
        "unknown distinction 'polka' (not in metadata/vocabulary/distinctions.txt)"]


def test_an_unknown_vocabulary_is_a_programming_error():
    with pytest.raises(ValueError, match="styles"):
        load_vocabulary("moods")
