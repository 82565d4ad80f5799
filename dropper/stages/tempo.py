"""tempo: estimate each candidate song's tempo, with confidence and octave alternatives.

0 BPM means "no pulse" (ambient). A tapped tempo (``dropper annotate SONG --tempo``) is a
human annotation, stored apart, and always wins over the estimate when the tempo is shown.
"""

from __future__ import annotations

from dropper import audio
from dropper.pipeline import Outcome, StageReport, Task, run_stage, song_tasks
from dropper.progress import Progress
from dropper.workspace import Drop

STAGE = "tempo"
VERSION = 1
ANALYSIS_SR = 22050  # the estimator's onset analysis needs nothing above 11 kHz


def run(drop: Drop, *, force: bool = False, jobs: int | None = None,
        ray_address: str | None = None, progress: Progress | None = None) -> StageReport:
    """Estimate the tempo of every song that is not rejected."""
    params = {"min_bpm": drop.config.tempo.min_bpm, "max_bpm": drop.config.tempo.max_bpm,
              "sr": ANALYSIS_SR}
    tasks = song_tasks(drop, drop.songs("candidates"), params, stage=STAGE, version=VERSION)
    return run_stage(drop, stage=STAGE, version=VERSION, params=params, tasks=tasks,
                     work=estimate_song, force=force, jobs=jobs, ray_address=ray_address,
                     progress=progress)


def estimate_song(task: Task) -> Outcome:
    """Worker: load one song as mono and estimate its tempo."""
    from dropper.tempo import estimate_tempo

    y, sr = audio.load(task.source, sr=task.params["sr"], mono=True)
    estimate = estimate_tempo(y, sr, min_bpm=task.params["min_bpm"], max_bpm=task.params["max_bpm"])
    return Outcome(ok=True, result=estimate.to_dict())
