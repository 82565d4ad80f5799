"""Human annotations: append-only, undoable, never overwritten by an automatic stage."""

from __future__ import annotations

import json

from dropper import annotations
from dropper.stages import ingest
from tests.conftest import run_cli


def test_tapped_tempo_is_kept_apart_from_the_estimate_and_wins(small_drop):
    run_cli("build", str(small_drop), check=True)
    run_cli("annotate", "rock", "--drop", str(small_drop), "--tempo", "174", check=True)
    run_cli("tempo", str(small_drop), "--force", check=True)
    status = json.loads(run_cli("status", str(small_drop), "--json", check=True).stdout)
    rock = next(row for row in status["song_rows"] if row["name"] == "rock")
    assert rock["tempo_tapped_bpm"] == 174
    assert rock["tempo_estimate_bpm"] != 174


def test_decisions_tags_and_undo(small_drop, open_drop):
    drop = open_drop(small_drop)
    ingest.run(drop, jobs=1)
    song = drop.find_song("punk")
    annotations.apply_edits(drop, song, author="ana", decision="keep", style="punk",
                            add_tags=("blastbeat", "breakdown in 6/8"))
    annotations.apply_edits(drop, song, author="ben", add_tags=("noisy",), remove_tags=("blastbeat",))
    note = annotations.current(drop)[song.id]
    assert (note.decision, note.decided_by, note.style) == ("keep", "ana", "punk")
    assert note.distinctions == ("breakdown in 6/8", "noisy")
    assert annotations.undo_last(drop, song, author="ben") == "distinctions"
    assert annotations.current(drop)[song.id].distinctions == ("blastbeat", "breakdown in 6/8")
    assert [s.name for s in drop.songs("kept")] == ["punk"]


def test_auto_reject_rule_applies_only_until_a_human_decides(small_drop):
    with open(small_drop / "drop.toml", "a") as settings:
        settings.write('[screen]\nauto_reject = ["silent"]\n')
    run_cli("build", str(small_drop), check=True)
    status = json.loads(run_cli("status", str(small_drop), "--json", check=True).stdout)
    hush = next(row for row in status["song_rows"] if row["name"] == "hush")
    assert hush["decision"] == "reject" and "auto-reject rule: silent" in hush["reason"]
    assert status["rejected"] == 1 and status["unreviewed"] == 3
    run_cli("annotate", "hush", "--drop", str(small_drop), "--keep", "--reason", "intentional silence",
            check=True)
    run_cli("screen", str(small_drop), "--force", check=True)
    status = json.loads(run_cli("status", str(small_drop), "--json", check=True).stdout)
    hush = next(row for row in status["song_rows"] if row["name"] == "hush")
    assert (hush["decision"], hush["reason"]) == ("keep", "intentional silence")


def test_bad_annotation_values_are_one_line_errors(small_drop):
    run_cli("ingest", str(small_drop), check=True)
    tempo = run_cli("annotate", "rock", "--drop", str(small_drop), "--tempo", "9000")
    assert tempo.returncode == 2 and "outside 20–400" in tempo.stderr
    unknown = run_cli("annotate", "nosuchsong", "--drop", str(small_drop), "--keep")
    assert unknown.returncode == 2 and "song 'nosuchsong': no such song" in unknown.stderr
    reason = run_cli("annotate", "rock", "--drop", str(small_drop), "--reason", "why")
    assert reason.returncode == 2 and "--reason goes with --keep or --reject" in reason.stderr
    both = run_cli("annotate", "rock", "--drop", str(small_drop), "--keep", "--reject")
    assert both.returncode == 2 and "--keep and --reject exclude each other" in both.stderr
    undone = run_cli("annotate", "rock", "--drop", str(small_drop), "--undo", check=True)
    assert undone.stdout.splitlines() == ["rock: nothing to undo", "rock: no human annotations"]
