"""One song in, its music video (MP4), timelapse GIF and poster (PNG) out.

Analysis runs once per song, one row of features per video frame; frames are drawn one at a
time (a batch at a time on torch) and streamed to ffmpeg, so memory stays flat however long the
song is.
"""

from __future__ import annotations

import resource
import time
from pathlib import Path

import numpy as np

from dropper.errors import AudioError, MissingInput
from dropper.files import atomic_write
from dropper.visualize.analysis import Features, features_from_file
from dropper.visualize.device import one_thread, torch_device
from dropper.visualize.draw import Painter
from dropper.visualize.encode import FramePipe, video_args
from dropper.visualize.settings import RenderFacts, VisualSettings

_SILENT = 0.02  # below this level (0-1 scale) everywhere, a song counts as silent


def render_song(audio_path: str | Path, *, video_path: Path, gif_path: Path, poster_path: Path,
                settings: VisualSettings = VisualSettings()) -> RenderFacts:
    """Render a song's music video, timelapse GIF and poster.

    Parameters
    ----------
    audio_path : the song (any format libsndfile reads; any sample rate, mono or multichannel).
    video_path : MP4 to write: H.264 at ``settings.width x height`` and ``fps``, with the song's
        audio as AAC.
    gif_path : looping GIF to write: ``gif_width x gif_height``, about ``gif_seconds`` long at
        ``gif_fps``, a timelapse covering the whole song.
    poster_path : PNG to write: the video's most vivid frame at video size.
    settings : the look and the encoding (see :class:`VisualSettings`); ``settings.device``
        picks numpy or torch for the analysis and the drawing.

    Returns
    -------
    RenderFacts : sizes, frame counts and CPU-seconds spent.

    Raises
    ------
    AudioError : the file is not readable audio or holds no samples. A silent song is not an
        error: it renders a calm, dark video (``RenderFacts.silent`` is true).
    EncodeError : ffmpeg failed; the message ends with ffmpeg's last stderr line.
    ConfigError : ``settings.device`` is ``"torch"`` and torch is not installed.

    Every output is written to a temporary name beside it and renamed into place when complete.
    """
    from threadpoolctl import threadpool_limits

    audio_path = Path(audio_path)
    rate, channels = _probe(audio_path)
    device = torch_device(settings.device)
    with threadpool_limits(1), one_thread(device):  # idle threads only spin: one song, one core
        cpu = time.process_time()
        features = features_from_file(audio_path, settings, device=device)
        analysis_s = time.process_time() - cpu
        draw_s, pipe_s, children_s = _render_video(features, audio_path, rate, channels, Path(video_path),
                                                   settings, device)
        gif_s, gif_frames = _render_gif(features, Path(gif_path), settings, device)
        cpu = time.process_time()
        poster = _render_poster(features, Path(poster_path), settings, device)
        draw_s += time.process_time() - cpu
    return RenderFacts(
        duration_s=features.duration_s, frames=features.frames, width=settings.width,
        height=settings.height, fps=settings.fps, gif_frames=gif_frames, analysis_cpu_s=analysis_s,
        draw_cpu_s=draw_s, encode_cpu_s=pipe_s + children_s, gif_cpu_s=gif_s,
        video_bytes=Path(video_path).stat().st_size, gif_bytes=Path(gif_path).stat().st_size,
        poster_bytes=poster, silent=is_silent(features))


def is_silent(features: Features) -> bool:
    """True when nothing in the song rises above the dark end of the scale."""
    return bool(max(features.chroma.max(initial=0), features.bands.max(initial=0),
                    features.loudness.max(initial=0)) < _SILENT)


def timelapse(features: Features, frames: int, fps: float) -> Features:
    """``frames`` rows summarising the whole song: each is the mean of its stretch of the
    video's rows lifted halfway to their maximum, so short hits still show."""
    edges = np.linspace(0, features.frames, frames + 1).round().astype(np.int64)
    edges[1:] = np.maximum(edges[1:], edges[:-1] + 1)
    edges = np.minimum(edges, features.frames)

    def squeeze(rows: np.ndarray) -> np.ndarray:
        starts = np.minimum(edges[:-1], features.frames - 1)
        mean = np.add.reduceat(rows, starts, axis=0) / np.maximum(np.diff(edges), 1).reshape(-1, *[1] * (rows.ndim - 1))
        peak = np.maximum.reduceat(rows, starts, axis=0)
        return (0.5 * (mean + peak)).astype(np.float32)

    return Features(fps=fps, duration_s=features.duration_s, chroma=squeeze(features.chroma),
                    bands=squeeze(features.bands), loudness=squeeze(features.loudness))


def _probe(path: Path) -> tuple[int, int]:
    import soundfile as sf

    if not path.exists():
        raise MissingInput(f"{path}: file not found")
    try:
        info = sf.info(str(path))
    except (sf.LibsndfileError, RuntimeError, TypeError) as exc:
        raise AudioError(f"{path}: not a readable audio file ({exc})") from None
    if info.frames == 0:
        raise AudioError(f"{path}: zero-length audio (the file holds no samples)")
    return int(info.samplerate), int(info.channels)


def painter_for(settings: VisualSettings, width: int, height: int, device=None):
    """The numpy :class:`Painter`, or its torch twin when ``device`` is a ``torch.device``."""
    if device is None:
        return Painter(settings, width, height)
    from dropper.visualize.torch_draw import TorchPainter

    return TorchPainter(settings, width, height, device)


def _children_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _render_video(features: Features, audio: Path, rate: int, channels: int, path: Path,
                  settings: VisualSettings, device) -> tuple[float, float, float]:
    """Draw and stream every frame; CPU-seconds (drawing, pipe writes, ffmpeg)."""
    painter = painter_for(settings, settings.width, settings.height, device)
    args = video_args(width=settings.width, height=settings.height, fps=settings.fps, audio=audio,
                      audio_rate=rate, audio_channels=channels, crf=settings.crf, preset=settings.preset,
                      threads=settings.threads, audio_kbps=settings.audio_kbps)
    children = _children_cpu_s()
    draw_s = pipe_s = 0.0
    with FramePipe(path, args) as pipe:
        frames = painter.yuv420_frames(features)
        while True:
            start = time.process_time()
            frame = next(frames, None)
            middle = time.process_time()
            if frame is None:
                break
            pipe.write(frame)
            draw_s += middle - start
            pipe_s += time.process_time() - middle
    return draw_s, pipe_s, _children_cpu_s() - children


def _render_gif(features: Features, path: Path, settings: VisualSettings, device) -> tuple[float, int]:
    """The timelapse GIF; CPU-seconds and its frame count."""
    from dropper.visualize import gif

    start = time.process_time()
    seconds = min(settings.gif_seconds, max(features.duration_s, 1.0 / settings.gif_fps))
    frames = max(1, min(features.frames, int(round(seconds * settings.gif_fps))))
    summary = timelapse(features, frames, settings.gif_fps)
    painter = painter_for(settings, settings.gif_width, settings.gif_height, device)
    tables = [painter.rgb_table(summary, index) for index in range(frames)]
    palette = gif.palette_for(tables, painter.cells)
    cube = gif.lookup_cube(palette)
    indexed = [gif.indexed_frame(table, painter.cells, settings.gif_width, cube) for table in tables]
    gif.write_gif(path, indexed, palette, width=settings.gif_width, height=settings.gif_height,
                  fps=settings.gif_fps)
    return time.process_time() - start, frames


def _render_poster(features: Features, path: Path, settings: VisualSettings, device) -> int:
    """The most vivid frame (loudest harmony and hits together) as a PNG; its size in bytes."""
    from PIL import Image

    vivid = features.loudness + features.chroma.mean(axis=1) + features.bands.mean(axis=1)
    index = int(np.argmax(vivid))
    image = Image.fromarray(painter_for(settings, settings.width, settings.height, device).rgb(features, index))
    with atomic_write(path, "wb") as handle:
        image.save(handle, format="PNG", optimize=False, compress_level=6)
    return Path(path).stat().st_size
