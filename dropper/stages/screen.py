"""screen: per-song aids for the curator — silence, clipping, loudness, bandwidth, spectrogram.

Flags never reject a song by themselves; the drop's ``screen.auto_reject`` rule is applied
when songs are selected (see :mod:`dropper.annotations`), and a human decision wins.
"""

from __future__ import annotations

from dataclasses import fields

from dropper import audio
from dropper.files import write_bytes
from dropper.pipeline import Outcome, StageReport, Task, run_stage, song_tasks
from dropper.progress import Progress
from dropper.workspace import Drop

STAGE = "screen"
VERSION = 1


def run(drop: Drop, *, force: bool = False, jobs: int | None = None,
        ray_address: str | None = None, progress: Progress | None = None) -> StageReport:
    """Screen every ingested song; writes ``build/spectrograms/*.png``."""
    from dropper.screen import ScreenThresholds

    settings = drop.config.screen.as_dict()
    names = {f.name for f in fields(ScreenThresholds)}
    params = {"thresholds": {key: settings[key] for key in sorted(names) if key in settings},
              "width": settings["spectrogram_width"], "height": settings["spectrogram_height"]}
    tasks = song_tasks(drop, drop.songs("all"), params, stage=STAGE, version=VERSION,
                       outputs={"spectrogram": "spectrograms/.png"})
    return run_stage(drop, stage=STAGE, version=VERSION, params=params, tasks=tasks, work=screen_song,
                     force=force, jobs=jobs, ray_address=ray_address, progress=progress)


def screen_song(task: Task) -> Outcome:
    """Worker: measure one song and draw its spectrogram."""
    from dropper.screen import ScreenThresholds, analyse, flags
    from dropper.spectrogram import png_bytes, render_spectrogram

    thresholds = ScreenThresholds(**task.params["thresholds"])
    y, sr = audio.load(task.source)
    metrics = analyse(y, sr, thresholds)
    image = render_spectrogram(y, sr, width=task.params["width"],
                               height=task.params["height"])
    write_bytes(task.outputs["spectrogram"], png_bytes(image))
    return Outcome(ok=True, result={"metrics": metrics.to_dict(),
                                    "flags": list(flags(metrics, thresholds)),
                                    "files": dict(task.outputs)})


