"""Fingerprint benchmark: planted copies of a recorded-music catalog, under degradations.

Builds its own data: Debian game-music packages (fetched with ``apt-get download`` into
~/.cache/dropper-bench, unpacked with ``dpkg-deb -x``; no audio is ever committed) split into
a reference catalog, held-out "other" music for the query songs, and held-out music for
calibration; falls back to synthesized songs when no package can be fetched
(``real_music=false``). Query songs carry planted excerpts of 3, 5, 10 and 20 s from catalog
tracks under one condition each; copy-free songs carry none.

    python benchmarks/fingerprint.py            # default (about 5–10 minutes on 2 cores)
    python benchmarks/fingerprint.py --quick    # small version, under a minute
    python benchmarks/fingerprint.py --calibrate  # scores of chance alignments on the
                                                   # calibration split only (never the test set)

The last line is one JSON object (see shared/BENCHMARKS.md).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from dropper import synth
from dropper.fingerprint import (
    ClearanceThresholds,
    FingerprintParams,
    ReferenceIndex,
    fingerprint,
    scan,
)

CACHE = Path.home() / ".cache" / "dropper-bench"
SR = 16000  # rate at which decoded audio is cached and query songs are built
PACKAGES = ("asc-music", "lincity-ng-data", "frozen-bubble-data",
            ("wesnoth-1.18-music", "wesnoth-1.16-music", "wesnoth-1.14-music"))
LENGTHS_S = (3.0, 5.0, 10.0, 20.0)
CONDITIONS = ("clean", "noise_20db", "noise_10db", "lowpass_4k", "gain_-6db", "speed_+2%",
              "speed_-2%", "mp3_64k", "ogg_q0", "combo")
COMBO = "speed -2% + white noise 20 dB + MP3 64k"
GOALS = {"recall_5s": 0.97, "recall_5s_worst_condition": 0.95, "recall_3s": 0.75,
         "false_alarms": 0, "wrong_reference": 0, "query_audio_s_per_cpu_s": 700,
         "index_x_realtime": 900, "index_mb_per_hour": 50}


@dataclass
class Track:
    name: str
    package: str
    y: np.ndarray  # float32 mono at SR

    @property
    def duration_s(self) -> float:
        return self.y.size / SR


@dataclass
class Planted:
    track: int  # catalog position
    ref_start_s: float
    length_s: float  # in reference time
    speed: float
    query_start_s: float

    @property
    def query_end_s(self) -> float:
        return self.query_start_s + self.length_s / self.speed


@dataclass
class Query:
    name: str
    condition: str
    y: np.ndarray
    planted: list[Planted]


def cpu_s() -> float:
    """CPU seconds of this process and its finished children."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


# -- data -------------------------------------------------------------------------------
def fetch_packages(log: list[str]) -> list[tuple[str, Path]]:
    """Unpacked package folders (downloading what is missing); [] when apt is unavailable."""
    debs, unpacked = CACHE / "debs", CACHE / "unpacked"
    debs.mkdir(parents=True, exist_ok=True)
    out = []
    for entry in PACKAGES:
        for name in (entry if isinstance(entry, tuple) else (entry,)):
            folder = unpacked / name
            if not folder.exists():
                if not list(debs.glob(f"{name}_*.deb")) and shutil.which("apt-get"):
                    subprocess.run(["apt-get", "download", name], cwd=debs, capture_output=True,
                                   timeout=600, check=False)
                found = sorted(debs.glob(f"{name}_*.deb"))
                if not found or not shutil.which("dpkg-deb"):
                    continue
                tmp = unpacked / f".{name}.tmp"
                shutil.rmtree(tmp, ignore_errors=True)
                subprocess.run(["dpkg-deb", "-x", str(found[-1]), str(tmp)], check=True)
                tmp.rename(folder)
            out.append((name, folder))
            log.append(f"{name}: {license_of(folder)}")
            break
    return out


def license_of(folder: Path) -> str:
    licenses = []
    for path in folder.glob("usr/share/doc/*/copyright"):
        for line in path.read_text(errors="replace").splitlines():
            if line.startswith("License:") and line[8:].strip() and line[8:].strip() not in licenses:
                licenses.append(line[8:].strip())
        if not licenses and re.search(r"GNU\s+General\s+Public\s+License", path.read_text(errors="replace")):
            licenses.append("GPL (GNU General Public License, per its copyright file)")
    return ", ".join(licenses[:3]) or "see usr/share/doc/*/copyright"


def load_tracks(packages: list[tuple[str, Path]], min_s: float = 45.0) -> list[Track]:
    """Every music file >= min_s in the packages, mono at SR (decoded once, cached as int16)."""
    import soxr

    decoded = CACHE / "decoded16k"
    decoded.mkdir(parents=True, exist_ok=True)
    tracks = []
    for package, folder in packages:
        for path in sorted(folder.rglob("*")):
            if path.suffix.lower() not in (".ogg", ".mp3", ".wav", ".flac") or "/doc/" in str(path):
                continue
            key = hashlib.sha256(str(path.relative_to(CACHE)).encode()).hexdigest()[:16]
            cached = decoded / f"{key}.npy"
            if cached.exists():
                y = np.load(cached).astype(np.float32) / 32767
            else:
                try:
                    if sf.info(str(path)).duration < min_s:
                        continue
                    data, sr = sf.read(str(path), dtype="float32", always_2d=True)
                except (sf.LibsndfileError, RuntimeError):
                    continue
                y = soxr.resample(data.mean(axis=1), sr, SR).astype(np.float32)
                np.save(cached, np.round(np.clip(y, -1, 1) * 32767).astype(np.int16))
            if y.size >= min_s * SR:
                tracks.append(Track(name=f"{package}/{path.name}", package=package, y=y))
    return tracks


def synth_tracks(n: int, seconds: float) -> list[Track]:
    """Fallback catalog: synthesized songs (distinct seeds, patterns and tempi)."""
    import soxr

    out = []
    for i in range(n):
        pattern = synth.PATTERNS[i % len(synth.PATTERNS)]
        y = synth.make_song(bpm=90 + (i * 37) % 120, seconds=seconds, pattern=pattern, seed=1000 + i)
        out.append(Track(name=f"synth/{pattern}-{i}", package="dropper.synth",
                         y=soxr.resample(y, synth.SR, SR).astype(np.float32)))
    return out


def split(tracks: list[Track]) -> tuple[list[Track], list[Track], list[Track]]:
    """(catalog, query background, calibration), by a fixed hash of each name: ~70/20/10 %."""
    def bucket(track: Track) -> int:
        return int(hashlib.sha256(track.name.encode()).hexdigest(), 16) % 10

    catalog = [t for t in tracks if bucket(t) < 7]
    background = [t for t in tracks if 7 <= bucket(t) < 9]
    calibration = [t for t in tracks if bucket(t) == 9]
    return catalog, background, calibration


# -- degradations -----------------------------------------------------------------------
def resample_speed(y: np.ndarray, speed: float) -> np.ndarray:
    """Play ``y`` ``speed`` times faster by resampling (pitch and tempo both change)."""
    import soxr

    return soxr.resample(y, SR * speed, SR, quality="HQ").astype(np.float32)


def codec(y: np.ndarray, fmt: str) -> np.ndarray:
    """Round trip through MP3 64 kbit/s CBR or Ogg Vorbis at its lowest quality, at 44.1 kHz."""
    import soxr

    up = soxr.resample(y, SR, 44100).astype(np.float32)
    with tempfile.TemporaryDirectory() as tmp:
        path = str(Path(tmp) / f"q.{fmt}")
        if fmt == "mp3":  # CBR bit rate = 320 - level * 288 kbit/s: 0.889 -> 64 kbit/s
            options = {"format": "MP3", "subtype": "MPEG_LAYER_III", "compression_level": 0.889,
                       "bitrate_mode": "CONSTANT"}
        else:
            options = {"format": "OGG", "subtype": "VORBIS", "compression_level": 0.99}
        # In blocks: libsndfile's MP3 writer crashes when handed minutes of audio in one call.
        with sf.SoundFile(path, "w", 44100, 1, **options) as handle:
            for start in range(0, up.size, 1 << 16):
                handle.write(up[start:start + (1 << 16)])
        decoded, _ = sf.read(path, dtype="float32")
    decoded = decoded[:up.size] if decoded.size >= up.size else np.pad(decoded, (0, up.size - decoded.size))
    return soxr.resample(decoded, 44100, SR).astype(np.float32)[:y.size]


def degrade(y: np.ndarray, condition: str, rng: np.random.Generator, signal_power: float) -> np.ndarray:
    """Apply a whole-song condition (speed is applied to the excerpts, before planting)."""
    from scipy import signal

    if condition in ("noise_20db", "noise_10db", "combo"):
        snr_db = 10.0 if condition == "noise_10db" else 20.0
        noise = rng.standard_normal(y.size).astype(np.float32)
        y = y + noise * np.float32(np.sqrt(signal_power / 10 ** (snr_db / 10)))
    if condition == "lowpass_4k":
        y = signal.sosfiltfilt(signal.butter(8, 4000, fs=SR, output="sos"), y).astype(np.float32)
    if condition == "gain_-6db":
        y = y * np.float32(10 ** (-6 / 20))
    if condition in ("mp3_64k", "combo"):
        y = codec(y, "mp3")
    if condition == "ogg_q0":
        y = codec(y, "ogg")
    return np.clip(y, -1, 1).astype(np.float32)


def speed_of(condition: str) -> float:
    return {"speed_+2%": 1.02, "speed_-2%": 0.98, "combo": 0.98}.get(condition, 1.0)


# -- queries ----------------------------------------------------------------------------
def background_piece(background: list[Track], rng: np.random.Generator, seconds: float) -> np.ndarray:
    """``seconds`` of held-out music: two pieces of random background tracks, crossfaded."""
    pieces = []
    for part in (0.5, 0.5):
        track = background[int(rng.integers(len(background)))]
        n = int(seconds * part * SR)
        start = int(rng.integers(0, max(1, track.y.size - n)))
        pieces.append(np.resize(track.y[start:start + n], n))
    return crossfade_join(pieces)


def crossfade_join(pieces: list[np.ndarray], fade_s: float = 0.05) -> np.ndarray:
    fade = int(fade_s * SR)
    ramp = np.linspace(0, 1, fade, dtype=np.float32)
    out = pieces[0].copy()
    for piece in pieces[1:]:
        piece = piece.copy()
        if out.size >= fade and piece.size >= fade:
            out[-fade:] *= ramp[::-1]
            piece[:fade] *= ramp
        out = np.concatenate([out, piece])
    return out


def pick_excerpt(track: Track, length_s: float, rng: np.random.Generator) -> float | None:
    """A start (s) of an audible excerpt (RMS above -35 dBFS), or None."""
    for _ in range(20):
        start = float(rng.uniform(0, track.duration_s - length_s - 0.1))
        piece = track.y[int(start * SR):int((start + length_s) * SR)]
        if 10 * np.log10(np.mean(piece ** 2) + 1e-12) > -35:
            return round(start, 3)
    return None


def make_copy_query(name: str, condition: str, catalog: list[Track], background: list[Track],
                    rng: np.random.Generator) -> Query:
    """Background music with one excerpt of each length from different catalog tracks."""
    speed = speed_of(condition)
    lengths = list(LENGTHS_S)
    rng.shuffle(lengths)
    sources = rng.choice(len(catalog), size=len(lengths), replace=len(catalog) < len(lengths))
    pieces, planted, t, power = [background_piece(background, rng, rng.uniform(8, 16))], [], 0.0, []
    t = pieces[0].size / SR
    for length, source in zip(lengths, sources):
        start = pick_excerpt(catalog[source], length, rng)
        if start is None:
            continue
        excerpt = catalog[source].y[int(start * SR):int(start * SR) + int(length * SR)]
        if speed != 1.0:
            excerpt = resample_speed(excerpt, speed)
        power.append(float(np.mean(excerpt ** 2)))
        planted.append(Planted(track=int(source), ref_start_s=start, length_s=length, speed=speed,
                               query_start_s=t))
        gap = background_piece(background, rng, rng.uniform(6, 14))
        pieces += [excerpt, gap]
        t += excerpt.size / SR + gap.size / SR
    y = crossfade_join(pieces, fade_s=0.005)
    return Query(name=name, condition=condition, y=degrade(y, condition, rng, float(np.mean(power))),
                 planted=planted)


def make_clean_query(name: str, background: list[Track], rng: np.random.Generator,
                     condition: str) -> Query:
    y = background_piece(background, rng, float(rng.uniform(60, 120)))
    return Query(name=name, condition=condition,
                 y=degrade(y, condition, rng, float(np.mean(y ** 2))), planted=[])


# -- evaluation -------------------------------------------------------------------------
def evaluate(query: Query, matches: list, catalog_ids: list[str]) -> dict:
    """Per planted excerpt: found?, offset and speed errors; plus wrong/extra matches."""
    found, offset_err, speed_err, used = [], [], [], set()
    for planted in query.planted:
        hit = None
        for i, m in enumerate(matches):
            overlap = min(m.query_end_s, planted.query_end_s) - max(m.query_start_s, planted.query_start_s)
            if m.track_id == catalog_ids[planted.track] and overlap > 0.5 * min(
                    planted.length_s / planted.speed, m.matched_s):
                hit = hit if hit is not None and matches[hit].score >= m.score else i
        found.append(hit is not None)
        if hit is not None:
            used.add(hit)
            m = matches[hit]
            ref_at_start = m.reference_start_s + (planted.query_start_s - m.query_start_s) * m.speed
            offset_err.append(abs(ref_at_start - planted.ref_start_s))
            speed_err.append(abs(m.speed / planted.speed - 1))
    wrong = 0
    for i, m in enumerate(matches):
        if i in used:
            continue
        same_place = any(m.track_id == catalog_ids[p.track] and m.query_start_s < p.query_end_s
                         and p.query_start_s < m.query_end_s for p in query.planted)
        wrong += 0 if same_place else 1
    return {"found": found, "offset_err": offset_err, "speed_err": speed_err, "wrong": wrong}


def build_index(catalog: list[Track], folder: Path, params: FingerprintParams) -> tuple[ReferenceIndex, float]:
    cpu = cpu_s()
    index = ReferenceIndex.create(folder, params)
    for track in catalog:
        track_id = hashlib.sha256(track.name.encode()).hexdigest()
        index.add(track_id=track_id, name=track.name, sha256=track_id,
                  print_=fingerprint(track.y, SR, params))
    index.save()
    return index, cpu_s() - cpu


def run(args: argparse.Namespace) -> dict:
    log: list[str] = []
    packages = [] if args.synth else fetch_packages(log)
    tracks = load_tracks(packages) if packages else []
    real_music = len(tracks) >= 6
    if not real_music:
        tracks = synth_tracks(24 if args.quick else 60, 90.0)
        log.append("no music package could be fetched: synthesized songs (dropper.synth)")
    catalog, background, calibration = split(tracks)
    if args.quick:
        catalog, background = catalog[:6], background[:3]
    params, thresholds = FingerprintParams(), ClearanceThresholds()
    rng = np.random.default_rng(args.seed)
    with tempfile.TemporaryDirectory() as tmp:
        index, index_cpu = build_index(catalog, Path(tmp) / "index", params)
        index = ReferenceIndex.load(Path(tmp) / "index")
        ids = [hashlib.sha256(t.name.encode()).hexdigest() for t in catalog]
        catalog_s = sum(t.duration_s for t in catalog)
        print(f"data: real_music={str(real_music).lower()}; catalog {len(catalog)} tracks, "
              f"{catalog_s / 3600:.2f} h; query background {len(background)} tracks; "
              f"calibration {len(calibration)} tracks"
              + ("" if args.calibrate else " (not used by this run)"))
        for line in log:
            print(f"  license: {line}" if ":" in line and not line.startswith("no ") else f"  {line}")
        if args.calibrate:
            return calibrate(calibration + synth_tracks(8, 60.0), index, args)
        per_condition = 2 if args.quick else args.per_condition
        queries = [make_copy_query(f"{c}-{i}", c, catalog, background, rng)
                   for c in CONDITIONS for i in range(per_condition)]
        n_clean = 6 if args.quick else args.clean
        queries += [make_clean_query(f"clean-{i}", background, rng, CONDITIONS[i % len(CONDITIONS)])
                    for i in range(n_clean)]
        results, query_s, query_cpu = [], 0.0, 0.0
        for query in queries:
            cpu = cpu_s()
            matches = scan(query.y, SR, index, thresholds=thresholds)
            query_cpu += cpu_s() - cpu
            query_s += query.y.size / SR
            results.append((query, matches, evaluate(query, matches, ids)))
        size_mb = sum(p.stat().st_size for p in (Path(tmp) / "index").iterdir()) / 1e6
    return report(results, catalog_s, index_cpu, size_mb, query_s, query_cpu, real_music, args)


def calibrate(tracks: list, index: ReferenceIndex, args: argparse.Namespace) -> dict:
    """Best chance-alignment scores on copy-free calibration audio, with the score threshold at 0:
    at agreement 0.15, and at the shipped ``min_agreement`` (the stretch a flag would report);
    the shipped ``min_score_bits`` is the largest of the former times a margin."""
    shipped = ClearanceThresholds()
    loose = ClearanceThresholds(min_score_bits=0.0, min_agreement=0.15)
    at_agreement = ClearanceThresholds(min_score_bits=0.0)
    rng = np.random.default_rng(args.seed + 1)
    scores, flagged_scores, agreements = [], [], []
    for track in tracks:
        for condition in ("clean", "noise_10db", "mp3_64k", "lowpass_4k"):
            y = degrade(track.y, condition, rng, float(np.mean(track.y ** 2)))
            for thresholds, out in ((loose, scores), (at_agreement, flagged_scores)):
                matches = scan(y, SR, index, thresholds=thresholds)
                best = max(matches, key=lambda m: m.score) if matches else None
                out.append(best.score if best else 0.0)
                agreements.append(max((m.agreement for m in matches), default=0.0))
                if best is not None:
                    print(f"  {track.name[:40]:40s} {condition:11s} agreement >= {thresholds.min_agreement:.2f}: "
                          f"best {best.score:6.1f} bits {best.matched_s:5.1f} s agreement {best.agreement:.2f}")
    top, top_flagged = float(max(scores, default=0.0)), float(max(flagged_scores, default=0.0))
    top_agreement = float(max(agreements, default=0.0))
    print(f"calibration: {len(scores)} copy-free scans; largest chance score {top:.1f} bits at agreement "
          f">= {loose.min_agreement}, {top_flagged:.1f} bits at agreement >= {shipped.min_agreement} "
          f"(shipped threshold {shipped.min_score_bits} bits); largest chance agreement over "
          f">= {shipped.min_matched_s} s: {top_agreement:.3f} (shipped min_agreement {shipped.min_agreement})")
    return {"benchmark": "fingerprint-calibration", "max_chance_score_bits": round(top, 1),
            "max_chance_score_bits_at_min_agreement": round(top_flagged, 1),
            "max_chance_agreement": round(top_agreement, 3), "n_scans": len(scores)}


def report(results, catalog_s, index_cpu, size_mb, query_s, query_cpu, real_music, args) -> dict:
    rows = []
    print(f"\n{'condition':12s} {'3 s':>6s} {'5 s':>6s} {'10 s':>6s} {'20 s':>6s} {'>=5 s':>6s}")
    by_condition = {}
    for condition in CONDITIONS:
        cells = []
        for length in LENGTHS_S:
            flags = [f for q, _, e in results if q.condition == condition and q.planted
                     for p, f in zip(q.planted, e["found"]) if p.length_s == length]
            cells.append(flags)
        ge5 = [f for flags in cells[1:] for f in flags]
        by_condition[condition] = float(np.mean(ge5)) if ge5 else 0.0
        print(f"{condition:12s} " + " ".join(f"{np.mean(c):6.0%}" if c else "     -" for c in cells)
              + f" {by_condition[condition]:6.0%}")
        rows.append(cells)
    ge5 = [f for cells in rows for flags in cells[1:] for f in flags]
    three = [f for cells in rows for f in cells[0]]
    clean_queries = [(q, m) for q, m, _ in results if not q.planted]
    false_alarms = sum(1 for _, m in clean_queries if m)
    wrong = sum(e["wrong"] for q, _, e in results if q.planted)
    offsets = [x for _, _, e in results for x in e["offset_err"]]
    speeds = [x for _, _, e in results for x in e["speed_err"]]
    figures = {
        "benchmark": "fingerprint",
        "recall_5s": round(float(np.mean(ge5)), 4),
        "recall_5s_worst_condition": round(min(by_condition.values()), 4),
        "recall_3s": round(float(np.mean(three)), 4),
        "false_alarms": false_alarms,
        "wrong_reference": wrong,
        "offset_error_median_s": round(float(np.median(offsets)), 3) if offsets else None,
        "speed_error_max": round(float(np.max(speeds)), 4) if speeds else None,
        "speed_error_p95": round(float(np.percentile(speeds, 95)), 4) if speeds else None,
        "query_audio_s_per_cpu_s": round(query_s / max(query_cpu, 1e-9), 1),
        "index_x_realtime": round(catalog_s / max(index_cpu, 1e-9), 1),
        "index_mb_per_hour": round(size_mb / (catalog_s / 3600), 2),
        "catalog_hours": round(catalog_s / 3600, 3),
        "real_music": real_music,
        "n_excerpts": len(ge5) + len(three),
        "n_copy_free": len(clean_queries),
        "worst_condition": min(by_condition, key=by_condition.get),
    }
    print(f"\ncombo = {COMBO}; copy-free songs: {len(clean_queries)} "
          f"({sum(q.y.size for q, _ in clean_queries) / SR / 60:.0f} min, each under one condition)")
    for key, goal in GOALS.items():
        print(f"  {key:28s} {figures[key]!s:>10}   goal {'<=' if key in ('false_alarms', 'wrong_reference', 'index_mb_per_hour') else '>='} {goal}")
    print(f"  {'offset_error_median_s':28s} {figures['offset_error_median_s']!s:>10}   goal <= 0.1")
    print(f"  {'speed_error_max':28s} {figures['speed_error_max']!s:>10}   goal <= 0.005")
    print(f"  query audio {query_s / 3600:.2f} h in {query_cpu:.1f} CPU-s; index built in {index_cpu:.1f} CPU-s "
          "(resampling, fingerprints and the save; decoding not counted: the audio is decoded once and cached)")
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="small version, under a minute")
    parser.add_argument("--synth", action="store_true", help="use synthesized songs, fetch nothing")
    parser.add_argument("--calibrate", action="store_true",
                        help="report chance scores on the calibration split (not the test set)")
    parser.add_argument("--per-condition", type=int, default=8, help="query songs per condition")
    parser.add_argument("--clean", type=int, default=48, help="copy-free query songs")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    figures = run(args)
    print(json.dumps(figures, sort_keys=False))


if __name__ == "__main__":
    main()
