"""Music-video rendering cost: dropper's renderer against a plain baseline, same songs.

Prints a table (CPU-seconds per audio-second, split into analysis, drawing and encoding, with
the goals) and, as its last line, one JSON object. ``--quick`` renders one 15 s song.
``--device`` picks the paths measured: ``cpu`` (numpy, the headline figure), ``torch`` (CUDA when
available, else torch's CPU device), or ``both`` (the default when torch is installed).

Baseline: librosa analysis (HPSS, CQT chroma of the harmonic part, A-weighted mel of the
percussive part), per-frame float drawing of the same look at full size, and imageio's default
H.264 writer (libx264 preset medium, quality 5) with the song's audio.
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib.util
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
    totals = {"analysis": 0.0, "draw": 0.0, "encode": 0.0, "gif": 0.0, "audio_s": 0.0, "frames": 0, "wall": 0.0}
    for song in songs:
        start = time.perf_counter()
        facts = render_song(song, video_path=folder / f"{song.stem}.mp4", gif_path=folder / f"{song.stem}.gif",
                            poster_path=folder / f"{song.stem}.png", settings=settings)
        totals["wall"] += time.perf_counter() - start
        totals["analysis"] += facts.analysis_cpu_s
        totals["draw"] += facts.draw_cpu_s
        totals["encode"] += facts.encode_cpu_s
        totals["gif"] += facts.gif_cpu_s
        totals["audio_s"] += facts.duration_s
        totals["frames"] += facts.frames
        totals["video_mb"] = totals.get("video_mb", 0.0) + facts.video_bytes / 1e6
        totals["gif_mb"] = totals.get("gif_mb", 0.0) + facts.gif_bytes / 1e6
        totals.setdefault("gif_mb_each", []).append(facts.gif_bytes / 1e6)
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


def torch_installed() -> bool:
    return importlib.util.find_spec("torch") is not None


def per_audio_s(totals: dict) -> dict:
    """CPU-seconds per audio-second of each part, their total, and drawing in ms per frame."""
    per = {key: totals[key] / totals["audio_s"] for key in ("analysis", "draw", "encode", "gif") if key in totals}
    return {**per, "total": sum(per.values()), "draw_ms": totals["draw"] / totals["frames"] * 1000,
            "wall": totals.get("wall", 0.0) / totals["audio_s"]}


def print_table(paths: dict[str, dict], base: dict | None, settings: VisualSettings, count: int, seconds: float) -> None:
    print(f"visualize: {count} synthesized song(s) x {seconds:g} s, {settings.width}x{settings.height} "
          f"at {settings.fps:g} fps, preset {settings.preset}, crf {settings.crf}")
    names = list(paths) + (["baseline"] if base else [])
    columns = {**paths, **({"baseline": base} if base else {})}
    print(f"{'CPU-s per audio-s':32s} " + " ".join(f"{name:>12s}" for name in names) + f" {'goal':>7s}")
    rows = [("analysis", "analysis", None), ("drawing", "draw", None), ("encoding (x264 + AAC + pipe)", "encode", None),
            ("timelapse GIF", "gif", None), ("total", "total", GOAL_CPU_S_PER_AUDIO_S),
            ("drawing, ms per frame", "draw_ms", GOAL_DRAW_MS), ("wall-s per audio-s", "wall", None)]
    for label, key, goal in rows:
        cells = [f"{columns[name][key]:12.3f}" if columns[name].get(key) else f"{'':12s}" for name in names]
        print(f"{label:32s} " + " ".join(cells) + f" {'' if goal is None else f'<= {goal:g}':>7s}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one 15 s song instead of three of 60 s")
    parser.add_argument("--seconds", type=float, default=None, help="song length in seconds")
    parser.add_argument("--no-baseline", action="store_true", help="skip the baseline renderer")
    parser.add_argument("--device", choices=("cpu", "torch", "both"), default="both" if torch_installed() else "cpu",
                        help="renderer path(s) to measure: numpy on the CPU, torch (CUDA when available, "
                             "else CPU), or both (default when torch is installed)")
    options = parser.parse_args()
    seconds = options.seconds or (15.0 if options.quick else 60.0)
    count = 1 if options.quick else 3
    devices = ["cpu", "torch"] if options.device == "both" else [options.device]
    settings = VisualSettings(device="cpu")
    results, names, peaks = {}, {}, {}
    with tempfile.TemporaryDirectory(prefix="dropper-visualize-bench-") as tmp:
        folder = Path(tmp)
        songs = make_songs(folder, seconds, count)
        (folder / "warm").mkdir()
        warm = make_songs(folder / "warm", 2.0, 1)[0]
        for device in devices:
            chosen = dataclasses.replace(settings, device=device)
            # Warm up once (imports, numba's compiled kernels) on a short clip; not counted.
            render_song(warm, video_path=folder / "w.mp4", gif_path=folder / "w.gif", poster_path=folder / "w.png",
                        settings=chosen)
            name = "dropper" if device == "cpu" else f"torch:{torch_device_name()}"
            results[name] = run_dropper(songs, folder, chosen)
            names[device] = name
            peaks[device] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        # The baseline costs ~10x more: one song of the set keeps the default run near 10 minutes.
        base = None if options.no_baseline else run_baseline(songs[:1], folder, settings.width,
                                                             settings.height, settings.fps)
    paths = {name: per_audio_s(totals) for name, totals in results.items()}
    base_per = per_audio_s(base) if base else None
    print_table(paths, base_per, settings, count, seconds)
    head = paths[names[devices[0]]]
    first = results[names[devices[0]]]
    print(f"{'peak RSS (MB), this process':32s} {max(peaks.values()):9.0f}")
    print(f"{'output per song (MB)':32s} video {first['video_mb'] / count:.1f}, gif {first['gif_mb'] / count:.2f} "
          f"({settings.gif_width}x{settings.gif_height} at {settings.gif_fps:g} fps)")
    line = {
        "benchmark": "visualize", "device": devices[0], "cpu_s_per_audio_s": round(head["total"], 4),
        "baseline_cpu_s_per_audio_s": None if base_per is None else round(base_per["total"], 4),
        "analysis_s": round(head["analysis"], 4), "draw_s": round(head["draw"], 4),
        "encode_s": round(head["encode"], 4), "gif_s": round(head["gif"], 4),
        "width": settings.width, "height": settings.height, "fps": settings.fps,
        "draw_ms_per_frame": round(head["draw_ms"], 3), "peak_rss_mb": round(max(peaks.values()), 1),
        "songs": count, "seconds_per_song": seconds,
        "baseline_analysis_s": None if base_per is None else base_per["analysis"],
        "baseline_draw_s": None if base_per is None else base_per["draw"],
        "baseline_encode_s": None if base_per is None else base_per["encode"],
        "video_mb_per_song": round(first["video_mb"] / count, 3), "gif_mb_per_song": round(first["gif_mb"] / count, 3),
        "gif_mb_per_song_each": [round(mb, 3) for mb in first["gif_mb_each"]],
        "gif_width": settings.gif_width, "gif_height": settings.gif_height, "gif_fps": settings.gif_fps,
        "crf": settings.crf,
    }
    if "torch" in devices and "cpu" in devices:
        torch_path = paths[names["torch"]]
        line.update({"torch_device": names["torch"].split(":", 1)[1],
                     "torch_cpu_s_per_audio_s": round(torch_path["total"], 4),
                     "torch_analysis_s": round(torch_path["analysis"], 4), "torch_draw_s": round(torch_path["draw"], 4),
                     "torch_encode_s": round(torch_path["encode"], 4),
                     "torch_draw_ms_per_frame": round(torch_path["draw_ms"], 3),
                     "torch_wall_s_per_audio_s": round(torch_path["wall"], 4),
                     "wall_s_per_audio_s": round(head["wall"], 4)})
    print(json.dumps(line))


def torch_device_name() -> str:
    """The torch device the ``torch`` setting runs on here: cuda or cpu."""
    from dropper.visualize.device import torch_device

    return torch_device("torch").type


if __name__ == "__main__":
    main()
