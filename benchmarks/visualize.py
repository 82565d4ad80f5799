"""Music-video rendering cost: dropper's renderer against a plain baseline, same songs.

Prints a table (CPU-seconds per audio-second, split into analysis, drawing and encoding, with
the goals) and, as its last line, one JSON object. ``--quick`` renders one 15 s song.

Baseline: librosa analysis (HPSS, CQT chroma of the harmonic part, A-weighted mel of the
percussive part), per-frame float drawing of the same look at full size, and imageio's default
H.264 writer (libx264 preset medium, quality 5) with the song's audio.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from dropper import synth
from dropper.visualize import VisualSettings, render_song

GOAL_CPU_S_PER_AUDIO_S = 0.4
GOAL_DRAW_MS = 5.0
SONGS = [("straight", 120, 1), ("blast", 190, 2), ("ambient", 0, 3)]


def children_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def make_songs(folder: Path, seconds: float, count: int) -> list[Path]:
    import soundfile as sf

    paths = []
    for pattern, bpm, seed in SONGS[:count]:
        path = folder / f"{pattern}.wav"
        sf.write(str(path), synth.make_song(bpm=bpm or 100, seconds=seconds, pattern=pattern, seed=seed), synth.SR)
        paths.append(path)
    return paths


def run_dropper(songs: list[Path], folder: Path, settings: VisualSettings) -> dict:
    totals = {"analysis": 0.0, "draw": 0.0, "encode": 0.0, "gif": 0.0, "audio_s": 0.0, "frames": 0}
    for song in songs:
        facts = render_song(song, video_path=folder / f"{song.stem}.mp4", gif_path=folder / f"{song.stem}.gif",
                            poster_path=folder / f"{song.stem}.png", settings=settings)
        totals["analysis"] += facts.analysis_cpu_s
        totals["draw"] += facts.draw_cpu_s
        totals["encode"] += facts.encode_cpu_s
        totals["gif"] += facts.gif_cpu_s
        totals["audio_s"] += facts.duration_s
        totals["frames"] += facts.frames
        totals["video_mb"] = totals.get("video_mb", 0.0) + facts.video_bytes / 1e6
        totals["gif_mb"] = totals.get("gif_mb", 0.0) + facts.gif_bytes / 1e6
    return totals


def baseline_features(y: np.ndarray, sr: int, fps: float) -> tuple[np.ndarray, np.ndarray]:
    import librosa

    hop = int(round(sr / fps))
    harmonic, percussive = librosa.effects.hpss(y, margin=2.0)
    chroma = librosa.feature.chroma_cqt(y=harmonic, sr=sr, hop_length=512)
    mel = librosa.feature.melspectrogram(y=percussive, sr=sr, hop_length=hop, n_mels=32)
    weights = librosa.A_weighting(np.maximum(librosa.mel_frequencies(n_mels=32, fmax=sr / 2), 1.0))
    bands = np.clip((librosa.power_to_db(mel) + weights[:, None] + 60) / 60, 0, 1)
    frames = int(np.ceil(len(y) / sr * fps))
    at = np.minimum((np.arange(frames) / fps * sr / 512).astype(int), chroma.shape[1] - 1)
    return chroma[:, at].T, bands[:, np.minimum(np.arange(frames), bands.shape[1] - 1)].T


def run_baseline(songs: list[Path], folder: Path, width: int, height: int, fps: float) -> dict:
    """The straightforward renderer: per-pixel float maths every frame, imageio's defaults."""
    import imageio.v2 as imageio
    import soundfile as sf

    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    dx, dy = (xs - width / 2) / (height / 2), (ys - height / 2) / (height / 2)
    radius = np.hypot(dx, dy)
    angle = np.mod(np.arctan2(dx, -dy), 2 * np.pi)
    pitch = np.round(angle / (np.pi / 6)).astype(int) % 12
    hue = pitch / 12.0
    wheel = np.stack([np.clip(np.abs(hue * 6 - 3) - 1, 0, 1), np.clip(2 - np.abs(hue * 6 - 2), 0, 1),
                      np.clip(2 - np.abs(hue * 6 - 4), 0, 1)], axis=-1).astype(np.float32)
    totals = {"analysis": 0.0, "draw": 0.0, "encode": 0.0, "audio_s": 0.0, "frames": 0}
    for song in songs:
        y, sr = sf.read(str(song), dtype="float32")
        start = time.process_time()
        chroma, bands = baseline_features(y, sr, fps)
        totals["analysis"] += time.process_time() - start
        children = children_cpu_s()
        writer = imageio.get_writer(str(folder / f"{song.stem}-baseline.mp4"), fps=fps, audio_path=str(song),
                                    audio_codec="aac", ffmpeg_log_level="error")
        draw = encode = 0.0
        ring_r = np.linspace(0.1, radius.max(), bands.shape[1])
        for index in range(chroma.shape[0]):
            start = time.process_time()
            level = chroma[index][pitch]
            petal = level ** 2 * np.exp(-((radius / (0.2 + 0.8 * level)) ** 2))
            light = np.interp(radius, ring_r, bands[index] ** 3)
            frame = wheel * (petal + 0.5 * light)[..., None]
            image = (np.sqrt(np.clip(frame, 0, 1)) * 255).astype(np.uint8)
            middle = time.process_time()
            writer.append_data(image)
            draw += middle - start
            encode += time.process_time() - middle
        writer.close()
        totals["draw"] += draw
        totals["encode"] += encode + children_cpu_s() - children
        totals["audio_s"] += len(y) / sr
        totals["frames"] += chroma.shape[0]
    return totals


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one 15 s song instead of three of 60 s")
    parser.add_argument("--seconds", type=float, default=None, help="song length in seconds")
    parser.add_argument("--no-baseline", action="store_true", help="skip the baseline renderer")
    options = parser.parse_args()
    seconds = options.seconds or (15.0 if options.quick else 60.0)
    count = 1 if options.quick else 3
    settings = VisualSettings()
    with tempfile.TemporaryDirectory(prefix="dropper-visualize-bench-") as tmp:
        folder = Path(tmp)
        songs = make_songs(folder, seconds, count)
        # Warm up once (imports, numba's compiled kernels) on a short clip; not counted.
        render_song(make_songs(folder / "warm" if (folder / "warm").mkdir() is None else folder, 2.0, 1)[0],
                    video_path=folder / "w.mp4", gif_path=folder / "w.gif", poster_path=folder / "w.png",
                    settings=settings)
        ours = run_dropper(songs, folder, settings)
        peak_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        ffmpeg_rss_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        # The baseline costs ~10x more: one song of the set keeps the default run near 10 minutes.
        base = None if options.no_baseline else run_baseline(songs[:1], folder, settings.width,
                                                             settings.height, settings.fps)
    audio_s = ours["audio_s"]
    per = {key: ours[key] / audio_s for key in ("analysis", "draw", "encode", "gif")}
    total = sum(per.values())
    draw_ms = ours["draw"] / ours["frames"] * 1000
    rows = [("analysis", per["analysis"], None), ("drawing", per["draw"], None),
            ("encoding (x264 + AAC + pipe)", per["encode"], None), ("timelapse GIF", per["gif"], None),
            ("total", total, GOAL_CPU_S_PER_AUDIO_S)]
    base_per = {} if base is None else {key: base[key] / base["audio_s"] for key in ("analysis", "draw", "encode")}
    base_total = sum(base_per.values()) if base else None
    print(f"visualize: {count} synthesized song(s) x {seconds:g} s, {settings.width}x{settings.height} "
          f"at {settings.fps:g} fps, preset {settings.preset}, crf {settings.crf}")
    print(f"{'CPU-s per audio-s':32s} {'dropper':>9s} {'baseline':>9s} {'goal':>7s}")
    for name, value, goal in rows:
        key = {"analysis": "analysis", "drawing": "draw"}.get(name, "encode" if name.startswith("enc") else None)
        ref = base_total if name == "total" else base_per.get(key) if key else None
        print(f"{name:32s} {value:9.3f} {'' if ref is None else f'{ref:9.3f}':>9s} "
              f"{'' if goal is None else f'<= {goal:g}':>7s}")
    base_draw_ms = None if base is None else base["draw"] / base["frames"] * 1000
    print(f"{'drawing, ms per frame':32s} {draw_ms:9.2f} {'' if base is None else f'{base_draw_ms:9.2f}':>9s} "
          f"{f'<= {GOAL_DRAW_MS:g}':>7s}")
    print(f"{'peak RSS (MB), this process':32s} {peak_rss_mb:9.0f}   ffmpeg peak {ffmpeg_rss_mb:.0f} MB")
    print(f"{'output per song (MB)':32s} video {ours['video_mb'] / count:.1f}, gif {ours['gif_mb'] / count:.2f} "
          f"({settings.gif_width}x{settings.gif_height} at {settings.gif_fps:g} fps; goal <= 1)")
    print(json.dumps({
        "benchmark": "visualize", "cpu_s_per_audio_s": round(total, 4),
        "baseline_cpu_s_per_audio_s": None if base is None else round(base_total, 4),
        "analysis_s": round(per["analysis"], 4), "draw_s": round(per["draw"], 4),
        "encode_s": round(per["encode"], 4), "gif_s": round(per["gif"], 4),
        "width": settings.width, "height": settings.height, "fps": settings.fps,
        "draw_ms_per_frame": round(draw_ms, 3), "peak_rss_mb": round(peak_rss_mb, 1),
        "songs": count, "seconds_per_song": seconds,
        "baseline_analysis_s": base_per.get("analysis"), "baseline_draw_s": base_per.get("draw"),
        "baseline_encode_s": base_per.get("encode"),
        "video_mb_per_song": round(ours["video_mb"] / count, 3), "gif_mb_per_song": round(ours["gif_mb"] / count, 3),
        "gif_width": settings.gif_width, "gif_height": settings.gif_height, "gif_fps": settings.gif_fps,
        "crf": settings.crf,
    }))


if __name__ == "__main__":
    main()
