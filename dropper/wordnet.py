"""WordNet for song titles: where NLTK's corpus lives, and the words related to an album word.

The corpus is NLTK's ``corpora/wordnet`` folder, found on ``nltk.data.path`` (``$NLTK_DATA``,
``~/nltk_data``, ``<sys.prefix>/nltk_data``, ...); ``scripts/install_wordnet.py`` puts it in
``<sys.prefix>/nltk_data`` (the virtual environment), from NLTK's downloader or Debian's packages.
"""

from __future__ import annotations

import math
import sys
import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from dropper.errors import MissingInput

INSTALL_HINT = ("run `.venv/bin/python scripts/install_wordnet.py` "
                "(it builds the corpus offline from Debian's wordnet packages)")
# Parts of speech as WordNet names them; "a" covers adjective satellites ("s") too.
POS_NAMES = {"n": "noun", "a": "adjective", "v": "verb", "r": "adverb"}
# Stop widening a word's neighbourhood once this many words are found (rings are completed).
ENOUGH_WORDS = {"n": 600, "a": 200, "v": 200, "r": 60}
MAX_DEPTH = 6


def default_data_dir() -> Path:
    """The nltk_data folder the installer fills: ``<sys.prefix>/nltk_data`` (the venv's)."""
    return Path(sys.prefix) / "nltk_data"


def _search_path() -> list[str]:
    import nltk.data

    # NLTK already lists <sys.prefix>/nltk_data; keep it there even if a caller replaced the list.
    ours = str(default_data_dir())
    if ours not in nltk.data.path:
        nltk.data.path.append(ours)
    return list(nltk.data.path)


def corpus_root() -> Any:
    """NLTK's path pointer to the WordNet corpus (a folder, or the downloader's zip)."""
    import nltk.data

    _search_path()
    for resource in ("corpora/wordnet", "corpora/wordnet.zip/wordnet/"):
        try:
            return nltk.data.find(resource)
        except LookupError:
            continue
    searched = ", ".join(_search_path())
    raise MissingInput(f"WordNet corpus not found (searched {searched}): {INSTALL_HINT}")


@cache
def load_wordnet() -> Any:
    """The WordNet 3.0 reader (loaded once per process: a few seconds)."""
    from nltk.corpus.reader.wordnet import WordNetCorpusReader

    class _EnglishWordNet(WordNetCorpusReader):
        # NLTK maps every loaded WordNet onto 3.0 sense keys for its multilingual (OMW) data;
        # for 3.0 itself that re-reads index.sense twice and costs seconds. Titles are English.
        def map_wn(self, version: str = "wordnet") -> None:
            return None

    root = corpus_root()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "multilingual functions are not available": not needed
        try:
            return _EnglishWordNet(root, None)
        except (OSError, LookupError, ValueError, AssertionError) as error:
            raise MissingInput(f"WordNet corpus at {root} is incomplete ({error}): {INSTALL_HINT}") from error


@cache
def _sense_counts() -> dict[str, int]:
    """Tagged-corpus (SemCor) count per sense key, from cntlist.rev: one read, not a search per lemma."""
    counts: dict[str, int] = {}
    try:
        stream = load_wordnet().open("cntlist.rev")
    except OSError as error:  # the reader itself does not need it; titles do
        raise MissingInput(f"WordNet corpus at {corpus_root()} is incomplete ({error}): {INSTALL_HINT}") from None
    with stream:
        for line in stream.read().splitlines():
            fields = line.split()
            if len(fields) == 3:
                counts[fields[0]] = int(fields[2])
    return counts


def word_count(word: str, pos: str) -> int:
    """How often ``word`` (lemma, underscores for spaces) was tagged as ``pos`` in SemCor."""
    counts = _sense_counts()
    lemmas = load_wordnet().lemmas(word, pos)
    if pos == "a":
        lemmas = lemmas + load_wordnet().lemmas(word, "s")
    return sum(counts.get(lemma.key(), 0) for lemma in lemmas)


def familiarity(word: str, pos: str, uses: int | None = None) -> float:
    """0 (never tagged) to 1 (tagged 30 times or more): a proxy for a common, readable word.

    ``uses``, when given, replaces the word's count over all its senses.
    """
    count = word_count(word, pos) if uses is None else uses
    return min(1.0, math.log1p(count) / math.log1p(30))


@dataclass(frozen=True)
class RelatedWord:
    """A word near an album word in WordNet: ``depth`` relation steps away, reached ``via``."""

    word: str  # WordNet lemma, underscores for spaces
    pos: str  # "n", "a", "v" or "r"
    depth: int  # 0: a synonym; each similar-to / see-also / hyponym step adds 1
    via: str  # the synset it came from, e.g. "counterfeit.a.01"
    sense_count: int  # SemCor uses of the word in that synset's sense


def base_forms(word: str, pos: str) -> list[str]:
    """The lemmas WordNet may file ``word`` under as ``pos``, most used first.

    "feelings" -> ["feeling", "feelings"]: WordNet also lists "feelings" (sensitivity), but
    the singular is far more common, so its senses lead.
    """
    wn = load_wordnet()
    form = word.lower().replace(" ", "_")
    # _morphy gives every analysis; the public morphy() only the first, which may be the rare one.
    analyses = wn._morphy(form, pos) if hasattr(wn, "_morphy") else [wn.morphy(form, pos)]
    forms = list(dict.fromkeys(a for a in analyses if a))
    return sorted(forms, key=lambda lemma: (-word_count(lemma, pos), forms.index(lemma)))


def senses(word: str, pos: str) -> list[Any]:
    """The synsets of ``word`` as ``pos`` (adjective satellites included): its commonest base
    form's senses first, most frequent first, then any other base form's."""
    wn = load_wordnet()
    found = [s for lemma in base_forms(word, pos) for s in wn.synsets(lemma, pos)]
    found = [s for s in found if s.pos() == pos or (pos == "a" and s.pos() == "s")]
    return list(dict.fromkeys(found))


def related_words(word: str, pos: str) -> list[RelatedWord]:
    """Synonyms and neighbours of ``word`` as ``pos``, nearest first (the word itself excluded).

    Adjectives widen through WordNet's clusters (similar-to) and see-also links; nouns and
    verbs descend to hyponyms of their main senses, and climb to the hypernym's other
    hyponyms only when that gives too few words. Each ring is completed, so the result
    does not depend on visiting order.
    """
    starts = senses(word, pos)
    if not starts:
        return []
    if pos == "a":
        rings = _rings(starts, _adjective_neighbours, ENOUGH_WORDS[pos])
    elif pos in ("n", "v"):
        rings = _noun_rings(starts, ENOUGH_WORDS[pos])
    else:
        rings = [starts]
    return _collect(rings, pos, exclude={word.lower(), *base_forms(word, pos)})


def _adjective_neighbours(synset: Any) -> Iterable[Any]:
    return [*synset.similar_tos(), *synset.also_sees()]


def _main_senses(synsets: list[Any]) -> list[Any]:
    """The first sense and any other holding at least a third of the word's tagged uses
    (counted over all the synset's lemmas: a rough but stable measure)."""
    counts = _sense_counts()
    uses = [sum(counts.get(lemma.key(), 0) for lemma in s.lemmas()) for s in synsets]
    total = sum(uses)
    return [s for i, s in enumerate(synsets) if i == 0 or (total and uses[i] * 3 >= total)]


def _noun_rings(starts: list[Any], enough: int) -> list[list[Any]]:
    main = _main_senses(starts)
    rings = _rings(main, lambda s: s.hyponyms(), enough)
    # The word's other senses contribute their synonyms, two steps out (a looser meaning).
    others = [s for s in starts if s not in main]
    while len(rings) < 3:
        rings.append([])
    rings[2] = rings[2] + others
    if _word_total(rings) < enough // 5:
        parents = [h for s in main for h in s.hypernyms()]
        cousins = _rings(parents, lambda s: s.hyponyms(), enough, max_depth=3)
        rings.extend(cousins)
    return rings


def _rings(starts: list[Any], neighbours: Any, enough: int, max_depth: int = MAX_DEPTH) -> list[list[Any]]:
    """Breadth-first rings of synsets from ``starts``; stops after the ring that gives ``enough`` words."""
    seen = set(starts)
    rings = [list(starts)]
    while len(rings) <= max_depth and _word_total(rings) < enough:
        ring = []
        for synset in rings[-1]:
            for other in neighbours(synset):
                if other not in seen:
                    seen.add(other)
                    ring.append(other)
        if not ring:
            break
        # NLTK keeps some relations in sets: sort so the order does not change between runs.
        rings.append(sorted(ring, key=lambda s: s.name()))
    return rings


def _word_total(rings: list[list[Any]]) -> int:
    return len({lemma.name() for ring in rings for s in ring for lemma in s.lemmas()})


def _collect(rings: list[list[Any]], pos: str, exclude: set[str]) -> list[RelatedWord]:
    counts = _sense_counts()
    found: dict[str, RelatedWord] = {}
    for depth, ring in enumerate(rings):
        for synset in ring:
            for lemma in synset.lemmas():
                name, uses = lemma.name(), counts.get(lemma.key(), 0)
                earlier = found.get(name)
                # The nearest ring wins; within it, the sense the word is most used in.
                if name.lower() not in exclude and (earlier is None or (earlier.depth == depth and
                                                                        earlier.sense_count < uses)):
                    found[name] = RelatedWord(name, pos, depth, synset.name(), uses)
    return list(found.values())
