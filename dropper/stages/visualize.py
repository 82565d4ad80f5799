"""visualize: a music video, a timelapse GIF and a poster for every kept song.

The look and its analysis live in :mod:`dropper.visualize`; this stage only maps songs to
renders (cached by song content and settings, atomic, through ``parallel_map``).
"""

from __future__ import annotations

from dropper.pipeline import Outcome, StageReport, Task, run_stage, song_tasks
from dropper.progress import Progress
from dropper.workspace import Drop

STAGE = "visualize"
# 2: smaller timelapse GIFs (row dither, cropped frames, lossy LZW); 3: the analysis hears every
# sample at any fps (hops <= 1024 samples on the video's clock, reduced per frame; 30 fps unchanged).
VERSION = 4


def settings_of(drop: Drop):
    """drop.toml [visualize] as the renderer's settings (ConfigError if they ask for torch and
    torch is not installed)."""
    from dropper.visualize import VisualSettings
    from dropper.visualize.device import check_device

    settings = VisualSettings(**drop.config.visualize.as_dict())
    check_device(settings.device)
    return settings


def run(drop: Drop, *, force: bool = False, jobs: int | None = None,
        ray_address: str | None = None, progress: Progress | None = None) -> StageReport:
    """Render every kept song; writes build/videos/*.mp4, build/gifs/*.gif, build/posters/*.png."""
    params = settings_of(drop).to_dict()
    tasks = song_tasks(drop, drop.songs("kept"), params, stage=STAGE, version=VERSION,
                       outputs={"video": "videos/.mp4", "gif": "gifs/.gif", "poster": "posters/.png"})
    return run_stage(drop, stage=STAGE, version=VERSION, params=params, tasks=tasks, work=render,
                     force=force, jobs=jobs, ray_address=ray_address, progress=progress)


def render(task: Task) -> Outcome:
    """Worker: render one song's video, GIF and poster."""
    from pathlib import Path

    from dropper.visualize import VisualSettings, render_song

    facts = render_song(task.source, video_path=Path(task.outputs["video"]), gif_path=Path(task.outputs["gif"]),
                        poster_path=Path(task.outputs["poster"]), settings=VisualSettings(**task.params))
    return Outcome(ok=True, result={**facts.to_dict(), "files": dict(task.outputs)})
