"""title: give every kept song a unique title from WordNet synonyms of the album title.

Titles already given stay (a rerun titles only new songs); ``--force`` or a changed
``[title]`` setting titles every song again, and an automatic title that the blocklist
(metadata/vocabulary/title-blocklist.txt) now blocks is replaced. A title a person set
(``dropper annotate --title``) is never replaced and no other song gets it; a blocklisted or
duplicated one is noted.
"""

from __future__ import annotations

from dataclasses import dataclass

from dropper.annotations import current
from dropper.db import now
from dropper.files import hash_params
from dropper.pipeline import SongOutcome, StageReport
from dropper.progress import Progress
from dropper.workspace import Drop, Song

STAGE = "title"


@dataclass(frozen=True)
class SongTitle:
    title: str
    source: str  # "human" (an override) or "dropper"


def settings_of(drop: Drop):
    from dropper.titles import TitleSettings

    return TitleSettings(seed=drop.config.title.seed, alliteration_share=drop.config.title.alliteration_share)


def song_titles(drop: Drop) -> dict[int, SongTitle]:
    """The title each song carries now: a person's override, else the one dropper gave."""
    titles = {row["song_id"]: SongTitle(row["title"], "dropper")
              for row in drop.db.execute("SELECT song_id, title FROM titles")}
    for song_id, note in current(drop).items():
        if note.title:
            titles[song_id] = SongTitle(note.title, "human")
    return titles


def run(drop: Drop, *, force: bool = False, progress: Progress | None = None, **_: object) -> StageReport:
    """Title the kept songs that have no title yet (all of them with ``force``), and retitle
    those whose automatic title has since been blocklisted. A human title is never replaced:
    a blocklisted or duplicated one is noted instead."""
    from dropper.titles import assign_titles, blocklist, is_blocked, vocabulary_hash

    settings = settings_of(drop)
    key = hash_params({"album": drop.config.drop.title, "settings": settings.__dict__})
    blocked = blocklist()
    songs = drop.songs("kept")
    overrides = {song_id: note.title for song_id, note in current(drop).items() if note.title}
    reserved = {title.casefold() for title in overrides.values()}
    kept_ids = {song.id for song in songs}
    existing = {row["song_id"]: row["title"] for row in drop.db.execute(
        "SELECT song_id, title FROM titles WHERE settings_hash = ?", (key,))
        if not force and row["song_id"] in kept_ids and row["title"].casefold() not in reserved
        and not is_blocked(row["title"], blocked)}
    todo = [song for song in songs if song.id not in overrides and song.id not in existing]
    taken = set(existing.values()) | set(overrides.values())
    given = assign_titles([song.sha256 for song in todo], drop.config.drop.title, taken=taken,
                          settings=settings) if todo else {}
    drop.db.execute("BEGIN IMMEDIATE")
    try:
        stale = [song.id for song in songs if song.id not in existing]
        drop.db.executemany("DELETE FROM titles WHERE song_id = ?", [(song_id,) for song_id in stale])
        drop.db.executemany("INSERT INTO titles VALUES (?, ?, ?, ?)",
                            [(song.id, given[song.sha256], key, now()) for song in todo])
        drop.db.execute("COMMIT")
    except BaseException:
        drop.db.execute("ROLLBACK")
        raise
    # The blocklist and vocabularies are parameters too: an edit shows in the run's hash, and
    # every run checks the automatic titles against the blocklist as it is now.
    report = StageReport(stage=STAGE, params_hash=hash_params({"settings": key, "vocabulary": vocabulary_hash()}))
    for song in songs:
        if song.id in overrides:
            report.songs.append(SongOutcome(song.name, song.sha256, "skipped", None,
                                            {"title": overrides[song.id], "source": "human"}))
        else:
            title = given.get(song.sha256) or existing[song.id]
            report.songs.append(SongOutcome(song.name, song.sha256, "done" if song in todo else "skipped",
                                            None, {"title": title, "source": "dropper"}))
    report.notes += override_problems(drop, [song for song in songs if song.id in overrides], overrides, blocked)
    return report


def override_problems(drop: Drop, songs: list[Song], overrides: dict[int, str],
                      blocked: frozenset[str]) -> list[str]:
    """One line per human title that contains a blocklisted word, and one per title set by hand
    on more than one kept song: dropper replaces neither, a person must."""
    from dropper.titles import is_blocked

    notes: list[str] = []
    by_title: dict[str, list[Song]] = {}
    for song in songs:
        title = overrides[song.id]
        by_title.setdefault(title.casefold(), []).append(song)
        if is_blocked(title, blocked):
            notes.append(f"{song.name}: the title {title!r} set by hand contains a blocklisted word; kept "
                         f"(change it: dropper annotate {song.name} --drop {drop.root} --title ...)")
    for same in by_title.values():
        if len(same) > 1:
            notes.append(f"songs {', '.join(song.name for song in same)} have the same title "
                         f"{overrides[same[0].id]!r} set by hand: package refuses until one is changed "
                         f"(dropper annotate {same[-1].name} --drop {drop.root} --title ...)")
    return notes


def preview(drop: Drop, count: int) -> list[dict[str, object]]:
    """The next ``count`` titles dropper would give, avoiding every title in use; nothing is saved."""
    from dropper.titles import preview as preview_titles

    taken = {entry.title for entry in song_titles(drop).values()}
    return [{"title": c.text, "alliterates": c.alliterates, "score": round(c.score, 3)}
            for c in preview_titles(drop.config.drop.title, count, taken=taken, settings=settings_of(drop))]
