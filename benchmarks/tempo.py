"""Benchmark dropper's tempo estimator against plain librosa on synthesized, labelled clips.

Usage: ``python benchmarks/tempo.py [--quick] [--per-pattern N] [--seed S]``

Clips come from :mod:`dropper.synth` (all ten patterns, each at tempi spread over the range
that style is played at, 55-250 BPM overall), with and without guitar, at random peak levels,
20-30 s long, some with a few seconds of pad intro before the band comes in. The estimators
see only the audio, never the pattern name. Accuracy follows MIREX: Acc1 = within +-4 % of the
reference tempo; Acc2 = within +-4 % of the reference or of its x2, x1/2, x3 or x1/3.
The last line printed is one JSON object with the headline figures.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from dropper import synth  # noqa: E402
from dropper.tempo import estimate_tempo  # noqa: E402

# The tapped tempo each style is usually played at (see dropper.synth for what is tapped).
TEMPO_RANGES_BPM = {
    "straight": (70, 180), "punk": (150, 250), "dbeat": (140, 220), "blast": (150, 250),
    "halftime": (55, 95), "six_eight": (55, 100), "five_four": (80, 170), "swing": (80, 180),
    "doublekick": (100, 200),
}
GOALS = {"acc1": 0.70, "acc2": 0.97, "ambient_zero": 0.95, "false_zero": 0.03, "cpu_s_per_audio_s": 0.02}
TOLERANCE = 0.04


@dataclass(frozen=True)
class Clip:
    pattern: str
    reference_bpm: float
    seconds: float
    audio: np.ndarray


def make_clips(per_pattern: int, seed: int) -> list[Clip]:
    """``per_pattern`` clips of each beat pattern and twice as many ambient ones."""
    rng = np.random.default_rng(seed)
    clips = []
    for pattern in synth.PATTERNS:
        count = 2 * per_pattern if pattern == "ambient" else per_pattern
        lo, hi = TEMPO_RANGES_BPM.get(pattern, (100, 100))
        for _ in range(count):
            bpm = float(np.exp(rng.uniform(np.log(lo), np.log(hi))))
            seconds = float(rng.uniform(20.0, 30.0))
            song = synth.make_song(bpm=bpm, seconds=seconds, pattern=pattern, guitar=bool(rng.random() < 0.6),
                                   seed=int(rng.integers(2**31)), gain_db=float(rng.uniform(-24.0, -1.0)))
            if pattern != "ambient" and rng.random() < 0.3:
                # A pad intro before the band comes in: the estimate must still follow the band.
                intro = synth.make_song(bpm=bpm, seconds=float(rng.uniform(2.0, 5.0)), pattern="ambient",
                                        seed=int(rng.integers(2**31)), gain_db=-20.0)
                song = np.concatenate([intro, song])
            clips.append(Clip(pattern, synth.reference_tempo(pattern, bpm), song.size / synth.SR, song))
    return clips


def librosa_tempo(y: np.ndarray, sr: int) -> float:
    """The baseline: librosa's default tempo on its default onset envelope."""
    import librosa.feature.rhythm  # noqa: F401  (registers librosa.feature.tempo)
    import librosa.onset

    envelope = librosa.onset.onset_strength(y=y, sr=sr)
    return float(librosa.feature.tempo(onset_envelope=envelope, sr=sr)[0])


def hits(estimate_bpm: float, reference_bpm: float) -> tuple[bool, bool]:
    """(Acc1 hit, Acc2 hit) for one clip with a pulse."""
    def close(factor: float) -> bool:
        return abs(estimate_bpm - factor * reference_bpm) <= TOLERANCE * factor * reference_bpm
    return close(1.0), any(close(f) for f in (1.0, 2.0, 0.5, 3.0, 1.0 / 3.0))


def run(clips: list[Clip]) -> dict:
    """Estimate every clip with both estimators; per-pattern and overall figures."""
    rows: dict[str, list[tuple[bool, bool, bool, bool, bool]]] = {}
    cpu = {"dropper": 0.0, "librosa": 0.0}
    audio_s = sum(c.seconds for c in clips)
    for clip in clips:
        t0 = time.process_time()
        ours = estimate_tempo(clip.audio, synth.SR).tempo_bpm
        t1 = time.process_time()
        base = librosa_tempo(clip.audio, synth.SR)
        cpu["dropper"] += t1 - t0
        cpu["librosa"] += time.process_time() - t1
        if clip.reference_bpm == 0.0:
            rows.setdefault(clip.pattern, []).append((ours == 0.0, False, False, False, False))
        else:
            rows.setdefault(clip.pattern, []).append((ours == 0.0, *hits(ours, clip.reference_bpm),
                                                      *hits(base, clip.reference_bpm)))
    beat = [r for p, rs in rows.items() if p != "ambient" for r in rs]
    share = lambda values: float(np.mean(values)) if values else 0.0  # noqa: E731
    return {
        "rows": rows,
        "acc1": share([r[1] for r in beat]), "acc2": share([r[2] for r in beat]),
        "ambient_zero": share([r[0] for r in rows.get("ambient", [])]),
        "false_zero": share([r[0] for r in beat]),
        "cpu_s_per_audio_s": cpu["dropper"] / audio_s,
        "librosa_cpu_s_per_audio_s": cpu["librosa"] / audio_s,
        "librosa_acc1": share([r[3] for r in beat]), "librosa_acc2": share([r[4] for r in beat]),
        "n_clips": len(clips), "audio_s": audio_s,
    }


def print_table(result: dict) -> None:
    print(f"{'pattern':<11} {'n':>3}  {'dropper Acc1':>12} {'Acc2':>6}  {'librosa Acc1':>12} {'Acc2':>6}")
    for pattern, rs in result["rows"].items():
        a = np.mean(np.array(rs, dtype=float), axis=0)
        if pattern == "ambient":
            print(f"{pattern:<11} {len(rs):>3}  zero (no pulse) answers: {a[0]:.0%}")
        else:
            print(f"{pattern:<11} {len(rs):>3}  {a[1]:>12.0%} {a[2]:>6.0%}  {a[3]:>12.0%} {a[4]:>6.0%}")
    print()
    print(f"{'figure':<20} {'dropper':>9} {'librosa':>9}  goal")
    for key, goal in GOALS.items():
        sign = "<=" if key in ("false_zero", "cpu_s_per_audio_s") else ">="
        fmt = ".4f" if key == "cpu_s_per_audio_s" else ".1%"
        base = f"{result[f'librosa_{key}']:{fmt}}" if f"librosa_{key}" in result else "n/a"
        print(f"{key:<20} {result[key]:>9{fmt}} {base:>9}  {sign} {goal:{fmt}}")
    print(f"{result['n_clips']} clips, {result['audio_s'] / 60:.1f} min of audio; librosa cannot answer 'no pulse'.")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="3 clips per pattern (~30 clips)")
    parser.add_argument("--per-pattern", type=int, default=None, help="clips per beat pattern (default 24)")
    parser.add_argument("--seed", type=int, default=2024, help="seed of the clip set")
    args = parser.parse_args(argv)
    per_pattern = args.per_pattern or (3 if args.quick else 24)
    result = run(make_clips(per_pattern, args.seed))
    print_table(result)
    keys = ("acc1", "acc2", "ambient_zero", "false_zero", "cpu_s_per_audio_s", "librosa_acc1",
            "librosa_acc2", "n_clips", "librosa_cpu_s_per_audio_s", "audio_s")
    print(json.dumps({"benchmark": "tempo", **{k: round(result[k], 4) for k in keys}}))


if __name__ == "__main__":
    main()
