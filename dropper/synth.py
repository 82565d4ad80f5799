"""Synthesized, labelled metal/punk/emo-like music for tests, the example drop and benchmarks.

Pure numpy/scipy, deterministic per seed; no audio is ever stored in the repository.

Conventions: what ``bpm`` means
-------------------------------
For every pattern except ``"ambient"`` the ``bpm`` argument *is* the tempo a listener taps,
so :func:`reference_tempo` returns it unchanged; the patterns are written around that beat:

``straight``    4/4 rock beat: kick on 1 and 3, snare backbeat on 2 and 4, eighth hi-hats.
``punk``        fast 4/4 (kick 1, 2-and, 3; snare 2 and 4; eighth ride). Beat = quarter note.
``dbeat``       d-beat gallop "kick-kick SNARE kick-kick SNARE" in eighths, cymbal on every
                quarter. The tapped beat is the quarter (each snare is a beat), not the
                half-note gallop cycle.
``blast``       traditional blast beat: kick + cymbal on every beat, snare on every off-beat
                eighth, so the kit alternates kick/snare twice per beat. The tapped beat is the
                kick/cymbal pulse (one kick-snare pair per beat), not the pair-of-pairs.
``halftime``    breakdown in half-time feel: over an underlying 4/4 at 2x ``bpm`` the china
                keeps the underlying quarters, kick and guitar chug a syncopated 16th figure,
                and the snare lands once per bar (underlying beat 3). ``bpm`` is the half-time
                feel a fan headbangs to (snare as backbeat on every second tapped beat), i.e.
                half the underlying tempo.
``six_eight``   6/8: two dotted-quarter beats per bar, eighth hats in threes, kick on the first
                and snare on the second dotted quarter. ``bpm`` is the dotted-quarter pulse a
                metal fan sways to (the eighth-note rate is 3x ``bpm``; the "quarter" 1.5x
                answer is wrong).
``five_four``   5/4: five quarter beats per bar (kick 1 and 3, snare 2 and 4, kick 5).
``swing``       shuffle: triplet-swung ride, kick 1 and 3, snare 2 and 4. Beat = quarter.
``doublekick``  16th-note double bass under a backbeat on 2 and 4, cymbal on every quarter.
``ambient``     no pulse: slowly evolving pads, drones and noise swells; ``bpm`` is ignored
                and the reference tempo is 0.0.

Humanization (per-hit timing jitter of a few milliseconds, velocity jitter, fills at the ends
of four-bar phrases, crash placement, drum tuning, the riff) comes from ``seed``.
"""

from __future__ import annotations

import numpy as np
from scipy import signal

SR = 22050
PATTERNS: tuple[str, ...] = (
    "straight", "punk", "dbeat", "blast", "halftime",
    "six_eight", "five_four", "swing", "doublekick", "ambient",
)

# pattern -> (grid steps per beat, beats per bar, {instrument: grid steps within the bar}).
# Instruments: kick, snare, hat (closed hi-hat), ride, china, tom.
_GROOVES: dict[str, tuple[int, int, dict[str, tuple[int, ...]]]] = {
    "straight": (2, 4, {"kick": (0, 4), "snare": (2, 6), "hat": tuple(range(8))}),
    "punk": (2, 4, {"kick": (0, 3, 4), "snare": (2, 6), "ride": tuple(range(8))}),
    "dbeat": (2, 4, {"kick": (0, 1, 4, 5), "snare": (2, 6), "ride": (0, 2, 4, 6)}),
    "blast": (2, 4, {"kick": (0, 2, 4, 6), "snare": (1, 3, 5, 7), "ride": (0, 2, 4, 6)}),
    "halftime": (8, 2, {"kick": (0, 3, 6, 11, 14), "snare": (8,), "china": (0, 4, 8, 12)}),
    "six_eight": (3, 2, {"kick": (0,), "snare": (3,), "hat": tuple(range(6))}),
    "five_four": (2, 5, {"kick": (0, 4, 8), "snare": (2, 6), "hat": tuple(range(10))}),
    "swing": (3, 4, {"kick": (0, 6), "snare": (3, 9), "ride": (0, 2, 3, 5, 6, 8, 9, 11)}),
    "doublekick": (4, 4, {"kick": tuple(range(16)), "snare": (4, 12), "china": (0, 4, 8, 12)}),
}
# Guitar picking grid per pattern (steps within the bar); chords change on bar/half-bar.
_PICKING: dict[str, tuple[int, ...]] = {
    "straight": tuple(range(8)), "punk": tuple(range(8)), "dbeat": (0, 1, 2, 3, 4, 5, 6, 7),
    "blast": tuple(range(8)), "halftime": (0, 3, 6, 11, 14), "six_eight": tuple(range(6)),
    "five_four": tuple(range(10)), "swing": (0, 2, 3, 5, 6, 8, 9, 11),
    "doublekick": tuple(range(0, 16, 2)),
}
_VELOCITY = {"kick": 0.9, "snare": 0.85, "hat": 0.35, "ride": 0.4, "china": 0.5, "tom": 0.7}


def _check_pattern(pattern: str) -> None:
    if pattern not in PATTERNS:
        raise ValueError(f"pattern: unknown value {pattern!r}; allowed: {', '.join(PATTERNS)}")


def reference_tempo(pattern: str, bpm: float) -> float:
    """The tempo annotators would tap for ``make_song(pattern=pattern, bpm=bpm)``, in BPM.

    0.0 for ``"ambient"`` (no pulse); ``bpm`` itself for every other pattern (see the module
    docstring for what the beat is in each pattern).
    """
    _check_pattern(pattern)
    return 0.0 if pattern == "ambient" else float(bpm)


def make_silence(*, seconds: float, sr: int = SR, noise_db: float = -90.0, seed: int = 0) -> np.ndarray:
    """Near-silence: white noise with an RMS of ``noise_db`` dBFS, ``seconds`` long (float32)."""
    rng = np.random.default_rng(seed)
    n = max(0, int(round(seconds * sr)))
    return (rng.standard_normal(n) * 10.0 ** (noise_db / 20.0)).astype(np.float32)


def _wn(hz: float, sr: int) -> float:
    """A filter corner as a fraction of Nyquist, kept below it for low sample rates."""
    return min(hz, 0.45 * sr) / (sr / 2)


def _decay(n: int, sr: int, tau_s: float) -> np.ndarray:
    return np.exp(-np.arange(n) / (sr * tau_s))


def _drum_kit(rng: np.random.Generator, sr: int) -> dict[str, list[np.ndarray]]:
    """Three slightly different one-shots per instrument, so repeated hits are not identical."""
    kit: dict[str, list[np.ndarray]] = {k: [] for k in _VELOCITY}
    hp_hat = signal.butter(4, _wn(7000, sr), "high", output="sos")
    hp_cym = signal.butter(2, _wn(3500, sr), "high", output="sos")
    bp_snare = signal.butter(2, [_wn(1200, sr), _wn(7500, sr)], "band", output="sos")
    kick_hz, snare_hz, tom_hz = rng.uniform(48, 62), rng.uniform(170, 220), rng.uniform(90, 130)
    for _ in range(3):
        t = np.arange(int(0.35 * sr)) / sr
        # Kick: a sine swept down from ~3x its pitch (the "thump") plus a short noise click.
        freq = kick_hz * (1 + 2.0 * np.exp(-t / 0.03))
        kick = np.sin(2 * np.pi * np.cumsum(freq) / sr) * _decay(t.size, sr, 0.12)
        kick[: int(0.004 * sr)] += rng.standard_normal(int(0.004 * sr)) * 0.5
        kit["kick"].append(kick)
        n = int(0.25 * sr)
        noise = signal.sosfilt(bp_snare, rng.standard_normal(n)) * _decay(n, sr, 0.07)
        body = np.sin(2 * np.pi * snare_hz * np.arange(n) / sr) * _decay(n, sr, 0.05)
        kit["snare"].append(1.2 * noise + 0.7 * body)
        n = int(0.08 * sr)
        kit["hat"].append(signal.sosfilt(hp_hat, rng.standard_normal(n)) * _decay(n, sr, 0.02))
        for name, dur, tau in (("ride", 0.6, 0.25), ("china", 1.2, 0.35)):
            n = int(dur * sr)
            shimmer = np.sin(2 * np.pi * rng.uniform(3000, 5000) * np.arange(n) / sr)
            kit[name].append((signal.sosfilt(hp_cym, rng.standard_normal(n)) + 0.2 * shimmer) * _decay(n, sr, tau))
        n = int(0.4 * sr)
        tt = np.arange(n) / sr
        tom = np.sin(2 * np.pi * np.cumsum(tom_hz * (1 + 0.5 * np.exp(-tt / 0.05))) / sr)
        kit["tom"].append(tom * _decay(n, sr, 0.15))
    n = int(2.5 * sr)
    kit["crash"] = [signal.sosfilt(hp_cym, rng.standard_normal(n)) * _decay(n, sr, 0.7)]
    return kit


def _hits(pattern: str, bpm: float, n_bars: int, rng: np.random.Generator) -> list[tuple[float, str, float]]:
    """(time in s, instrument, velocity) for every drum hit, before humanization."""
    spb, beats, groove = _GROOVES[pattern]
    step_s, bar_steps = 60.0 / bpm / spb, spb * beats
    fill_steps = set(range(bar_steps - spb, bar_steps))  # the last beat of a phrase
    out: list[tuple[float, str, float]] = []
    for bar in range(n_bars):
        t0 = bar * bar_steps * step_s
        fill = bar % 4 == 3 and rng.random() < 0.6
        for inst, steps in groove.items():
            for s in steps:
                if fill and s in fill_steps and inst != "kick":
                    continue
                accent = 1.0 if s % spb == 0 else 0.75
                out.append((t0 + s * step_s, inst, _VELOCITY[inst] * accent))
        if fill:  # a snare/tom roll on the grid of the last beat, getting louder
            for i, s in enumerate(sorted(fill_steps)):
                out.append((t0 + s * step_s, "tom" if i % 2 else "snare", min(1.0, 0.6 + 0.1 * i)))
        if bar % 4 == 0 or rng.random() < 0.15:
            out.append((t0, "crash", 0.6))
    return out


def _render_drums(pattern: str, bpm: float, n: int, sr: int, rng: np.random.Generator) -> np.ndarray:
    kit = _drum_kit(rng, sr)
    spb, beats, _ = _GROOVES[pattern]
    n_bars = int(np.ceil(n / sr / (60.0 / bpm * beats))) + 1
    out = np.zeros(n + 3 * sr)
    for t, inst, vel in _hits(pattern, bpm, n_bars, rng):
        # A drummer is a few ms early or late and never hits twice at the same strength.
        start = max(0, int(round((t + rng.normal(0.0, 0.004)) * sr)))
        if start < n:
            shot = kit[inst][rng.integers(len(kit[inst]))]
            out[start:start + shot.size] += shot * vel * rng.uniform(0.85, 1.0)
    return out[:n]


def _note_envelopes(onsets: np.ndarray, muted: np.ndarray, n: int, sr: int) -> tuple[np.ndarray, np.ndarray]:
    """Per-sample note index and time since that note's onset (s), vectorized."""
    idx = np.clip(np.searchsorted(onsets, np.arange(n), side="right") - 1, 0, None)
    since = (np.arange(n) - onsets[idx]) / sr
    return idx, since


def _render_guitar(pattern: str, bpm: float, n: int, sr: int, rng: np.random.Generator) -> np.ndarray:
    """Distorted sawtooth power chords (root, fifth, octave) with bass, following the bar."""
    spb, beats, _ = _GROOVES[pattern]
    step_s, bar_steps = 60.0 / bpm / spb, spb * beats
    n_bars = int(np.ceil(n / sr / (step_s * bar_steps))) + 1
    tuning_hz = rng.choice([73.42, 65.41, 82.41])  # drop D, drop C, E standard
    riff = rng.choice([0, 3, 5, 7, 8, 10, 12], size=8)  # semitones above the low string
    times, roots, mutes = [], [], []
    for bar in range(n_bars):
        for s in _PICKING[pattern]:
            chord = riff[(2 * bar + (s >= bar_steps // 2)) % riff.size]
            times.append((bar * bar_steps + s) * step_s + rng.normal(0, 0.003))
            roots.append(tuning_hz * 2 ** (chord / 12))
            # Chord changes ring open; most other notes are palm-muted chugs.
            mutes.append(s not in (0, bar_steps // 2) and rng.random() < 0.7)
    onsets = np.maximum(0, np.round(np.array(times) * sr).astype(int))
    idx, since = _note_envelopes(onsets, np.array(mutes), n, sr)
    f0, muted = np.array(roots)[idx], np.array(mutes)[idx]
    tau = np.where(muted, 0.06, 0.8)
    env = np.exp(-since / tau) * np.minimum(1.0, since / 0.003)
    phase = np.cumsum(f0) / sr
    saw = sum(2 * ((phase * r * (1 + d)) % 1.0) - 1 for r, d in ((1, 0), (1.4983, 0.001), (2, -0.002)))
    dist = np.tanh(6.0 * saw * (0.3 + 0.7 * env)) * np.maximum(env, 0.15 * ~muted)
    bright = signal.sosfilt(signal.butter(2, _wn(4000, sr), output="sos"), dist)
    dark = signal.sosfilt(signal.butter(2, _wn(900, sr), output="sos"), dist)
    guitar = np.where(muted, dark * 1.5, bright)
    bass = np.tanh(2.0 * np.sin(2 * np.pi * phase / 2)) * np.maximum(env, 0.3)
    return 0.5 * guitar + 0.35 * bass


def _render_ambient(n: int, sr: int, rng: np.random.Generator) -> np.ndarray:
    """Slowly crossfading pad chords, a drone and noise swells: no onsets, no pulse."""
    # The pads sit below ~400 Hz, so they are rendered at 1/8 of the rate and interpolated:
    # two dozen full-rate sines would cost most of a second per minute of audio.
    low_sr = sr / 8.0
    t = np.arange(int(np.ceil(n / 8.0)) + 2) / low_sr
    pads = np.zeros(t.size)
    root = rng.uniform(55, 110)
    chord_s = rng.uniform(7, 13)
    for k, semis in enumerate(([0, 7, 15], [5, 12, 17], [3, 10, 19], [-2, 7, 14])):
        # Each chord fades in and out with a raised cosine lasting several seconds.
        fade = 0.5 - 0.5 * np.cos(2 * np.pi * (t / (4 * chord_s) - k / 4.0))
        for s in semis:
            hz = root * 2 ** (s / 12)
            for det in (-0.003, 0.0025):
                pads += fade * np.sin(2 * np.pi * hz * (1 + det) * t + rng.uniform(0, 2 * np.pi)) * 0.15
    pads += 0.3 * np.sin(2 * np.pi * root / 2 * t) * (0.7 + 0.3 * np.sin(2 * np.pi * t / rng.uniform(17, 29)))
    full_t = np.arange(n) / sr
    out = np.interp(full_t, t, pads)
    noise = signal.sosfilt(signal.butter(2, [_wn(300, sr), _wn(3000, sr)], "band", output="sos"),
                           rng.standard_normal(n))
    swell = np.clip(np.sin(2 * np.pi * full_t / rng.uniform(9, 15) + rng.uniform(0, 6.3)), 0, None) ** 2
    return out + 0.3 * noise * swell


def make_song(*, bpm: float, seconds: float, pattern: str = "straight", guitar: bool = True,
              sr: int = SR, seed: int = 0, gain_db: float = -6.0) -> np.ndarray:
    """Synthesize a labelled clip: drums in ``pattern`` at ``bpm``, optionally with guitar and bass.

    Parameters
    ----------
    bpm : float
        The tempo a listener taps, in beats per minute (see the module docstring for what the
        beat is in each pattern). Ignored for ``"ambient"``.
    seconds : float
        Duration in seconds.
    pattern : str
        One of :data:`PATTERNS`.
    guitar : bool
        Add a distorted power-chord guitar riff and a bass following the bar (for
        ``"ambient"``, ignored: pads and drones only).
    sr : int
        Sample rate in Hz.
    seed : int
        Seed for drum tuning, humanized timing/velocity, fills and the riff.
    gain_db : float
        Peak level of the result in dBFS.

    Returns
    -------
    np.ndarray
        Mono float32 samples in [-1, 1], ``round(seconds * sr)`` long.

    Examples
    --------
    >>> y = make_song(bpm=180, seconds=2.0, pattern="blast", seed=1)
    >>> y.dtype, y.shape
    (dtype('float32'), (44100,))
    """
    _check_pattern(pattern)
    if pattern != "ambient" and not (np.isfinite(bpm) and bpm > 0):
        raise ValueError(f"bpm: must be a positive number of beats per minute, got {bpm!r}")
    if not seconds >= 0:
        raise ValueError(f"seconds: must be >= 0, got {seconds!r}")
    n = int(round(seconds * sr))
    if n == 0:
        return np.zeros(0, dtype=np.float32)
    rng = np.random.default_rng(seed)
    if pattern == "ambient":
        y = _render_ambient(n, sr, rng)
    else:
        y = _render_drums(pattern, bpm, n, sr, rng)
        if guitar:
            y = y + 0.6 * _render_guitar(pattern, bpm, n, sr, rng)
    peak = np.max(np.abs(y))
    if peak > 0:
        y = y * (10.0 ** (gain_db / 20.0) / peak)
    return np.clip(y, -1.0, 1.0).astype(np.float32)
