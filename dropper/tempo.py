"""Global tempo estimation for metal/punk/emo-like songs, with a "no pulse" answer for ambient.

Pure functions on arrays: ``estimate_tempo(y, sr)`` returns a :class:`TempoEstimate`.

How it works
------------
1. Three onset envelopes from a log-compressed spectral flux at ~86 frames/s: *low*
   (30-150 Hz: kick, bass), *mid* (150-3000 Hz: snare, guitar) and *high* (5-11 kHz: hats and
   cymbals).
2. The autocorrelation of each envelope; their weighted sum is the pulse function.
3. **Pulse family and no pulse**: for every tempo in ``[min_bpm, max_bpm]`` the *worst* value
   of the pulse function at one, two, three and four periods; the best tempo by that measure
   is the pulse family (usually the bar or half bar) and that value is ``pulse_strength``.
   A drum groove recurs at every multiple (>= ~0.35); a chance bump of pads, drones or noise
   swells does not come back (<= ~0.14). Below ``pulse_threshold`` the answer is 0.0 BPM.
4. **Metrical level**: the beat is the *fastest* of the family's x1, x3/2, x2, x3, x4 relatives
   (within ``max_bpm``) that still repeats like a beat: its pulse function at one and two
   periods reaches 70 % of the family's, and the kick/snare bands alone reach 50 % of theirs,
   so hats or guitar eighths by themselves do not make a beat. This is the backbeat rule
   (kick and snare alternate on the beat, snare every second beat) and, for blast beats, the
   kick-snare pair on every beat; faster subdivisions fail it.
5. The tempo is refined to a fraction of a frame on the ACF at one to four periods.

Accuracy definitions (as in MIREX): *Acc1* = within +-4 % of the reference tempo;
*Acc2* = within +-4 % of the reference or of its x2, x1/2, x3, x1/3.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from fractions import Fraction

import numpy as np
from scipy import ndimage, signal

_SR = 22050
_N_FFT = 1024
_HOP = 256
_FPS = _SR / _HOP  # onset-envelope frames per second
_BANDS_HZ = {"low": (30.0, 150.0), "mid": (150.0, 3000.0), "high": (5000.0, 11025.0)}
_BAND_WEIGHT = {"low": 1.0, "mid": 1.0, "high": 0.6}
_RATIOS = {"x1/2": 0.5, "x2": 2.0, "x2/3": 2.0 / 3.0, "x3/2": 1.5}
_GATE_COMBINED = 0.7  # a beat level's ACF at 1 and 2 periods, relative to the family's
_GATE_DRUMS = 0.5  # its low+mid (kick/snare) ACF, relative to the family's
_FASTER = (1.0, 1.5, 2.0, 3.0, 4.0)  # levels above the pulse family that can be the beat
# Between the strongest no-pulse clips (~0.14) and the weakest grooves (~0.35) measured.
DEFAULT_PULSE_THRESHOLD = 0.2


@dataclass(frozen=True)
class TempoCandidate:
    """An octave/meter alternative to the estimate.

    Attributes
    ----------
    bpm : float
        The alternative tempo in BPM.
    ratio : str
        Its ratio to the estimate: ``"x1/2"``, ``"x2"``, ``"x2/3"`` or ``"x3/2"``.
    score : float
        Its beat-level score: >= 1 means it repeats like a beat (the estimate is the fastest
        such level, so slower alternatives often pass too); just below 1 means a faster
        alternative almost qualified. 0 outside ``[min_bpm, max_bpm]``.
    """

    bpm: float
    ratio: str
    score: float


@dataclass(frozen=True)
class TempoEstimate:
    """The estimated global tempo of a clip.

    Attributes
    ----------
    tempo_bpm : float
        Tempo in beats per minute; 0.0 means "no pulse" (e.g. ambient music, silence).
    confidence : float
        0..1: ``(1 - s) * m`` where ``s`` is the best beat-level score of the faster
        alternatives (x2, x3/2; near 1 means one nearly qualified as the beat, i.e. a likely
        octave error) and ``m = min(1, pulse_strength / pulse_threshold - 1)`` (how clearly
        there is a pulse at all). 0 when there is no pulse.
    pulse_strength : float
        The no-pulse detector's statistic: the onset autocorrelation (1.0 = perfectly
        periodic) at the worst of one to four periods of the best-recurring tempo. Measured
        on synthetic clips: 0.05-0.14 for pads, drones and noise; 0.35-0.8 for drum grooves.
    candidates : tuple of TempoCandidate
        The x1/2, x2, x2/3 and x3/2 alternatives of ``tempo_bpm`` (empty when it is 0).
    """

    tempo_bpm: float
    confidence: float
    pulse_strength: float
    candidates: tuple[TempoCandidate, ...]

    def to_dict(self) -> dict:
        """JSON-safe form: plain floats and strings, candidates as a list of dicts."""
        out = asdict(self)
        out["candidates"] = [asdict(c) for c in self.candidates]
        return out


def _to_mono_22k(y: np.ndarray, sr: int) -> np.ndarray:
    y = np.asarray(y, dtype=np.float64)
    if y.ndim == 2:  # (channels, samples); tolerate (samples, channels) too
        y = y.mean(axis=int(np.argmin(y.shape)))
    if y.ndim != 1:
        raise ValueError(f"y: expected mono (samples,) or (channels, samples), got shape {y.shape}")
    if not (isinstance(sr, (int, np.integer)) or float(sr).is_integer()) or sr <= 0:
        raise ValueError(f"sr: must be a positive integer sample rate in Hz, got {sr!r}")
    y = np.nan_to_num(y, nan=0.0, posinf=0.0, neginf=0.0)
    if int(sr) != _SR:
        frac = Fraction(_SR, int(sr)).limit_denominator(1000)
        y = signal.resample_poly(y, frac.numerator, frac.denominator)
    return y


def _band_envelopes(y: np.ndarray) -> dict[str, np.ndarray]:
    """Onset envelopes (log spectral flux, half-wave rectified) per band, one value per hop."""
    n_frames = 1 + max(0, (y.size - _N_FFT) // _HOP)
    if y.size < _N_FFT:
        y = np.pad(y, (0, _N_FFT - y.size))
    freqs = np.fft.rfftfreq(_N_FFT, 1.0 / _SR)
    window = np.hanning(_N_FFT).astype(np.float32)
    # ~48 log-spaced sub-bands: flux per sub-band catches a snare over a sustained chord
    # better than the flux of a whole band's energy, at a fraction of a per-bin flux's cost.
    edges = np.geomspace(30.0, _SR / 2, 49)
    which = np.searchsorted(edges, freqs) - 1
    pool = np.zeros((48, freqs.size), dtype=np.float32)
    ok = (which >= 0) & (which < 48)
    pool[which[ok], np.nonzero(ok)[0]] = 1.0
    energy = np.empty((n_frames, 48), dtype=np.float32)
    frames = np.lib.stride_tricks.sliding_window_view(y.astype(np.float32), _N_FFT)[::_HOP]
    for start in range(0, n_frames, 2048):  # chunks keep memory flat on long songs
        spec = np.abs(np.fft.rfft(frames[start:start + 2048] * window, axis=1)) ** 2
        energy[start:start + 2048] = spec @ pool.T
    level = np.log1p(1e4 * energy / max(float(energy.mean()), 1e-12))
    flux = np.maximum(0.0, np.diff(level, axis=0, prepend=level[:1]))
    centres = np.sqrt(edges[:-1] * edges[1:])
    out = {}
    for name, (lo, hi) in _BANDS_HZ.items():
        env = flux[:, (centres >= lo) & (centres < hi)].sum(axis=1)
        # Remove the slow trend (crescendos, sections) so only the pulse is autocorrelated.
        out[name] = env - ndimage.uniform_filter1d(env, size=int(_FPS), mode="nearest")
    return out


def _autocorrelation(env: np.ndarray, max_lag: int) -> np.ndarray:
    """Unbiased, variance-normalized autocorrelation for lags 0..max_lag-1 (frames)."""
    env = env - env.mean()
    n = env.size
    spec = np.fft.rfft(env, 2 * n)
    acf = np.fft.irfft(np.abs(spec) ** 2)[:max_lag]
    acf = acf / np.maximum(n - np.arange(max_lag), 1)
    return acf / acf[0] if acf[0] > 0 else np.zeros(max_lag)


def _lookup(acf_max: np.ndarray, lags: np.ndarray) -> np.ndarray:
    """The max-filtered ACF at fractional lags (frames); NaN beyond its end."""
    out = np.interp(lags, np.arange(acf_max.size), acf_max)
    return np.where(lags <= acf_max.size - 1, out, np.nan)


def _refine(acf: np.ndarray, bpm: float) -> float:
    """Sharpen a grid tempo to the lag that best fits the ACF at 1-4 periods (sub-frame)."""
    fine = bpm * np.linspace(0.97, 1.03, 61)
    periods = 60.0 * _FPS / fine
    lags = np.outer(np.arange(1, 5), periods)
    fit = np.nan_to_num(_lookup(acf, lags), nan=0.0).sum(axis=0)
    return float(fine[int(np.argmax(fit))])


def _level_gate(combined: np.ndarray, drums: np.ndarray, bpm: float, ref: tuple[float, float]) -> float:
    """How well a tempo passes the beat-level test; >= 1 passes.

    A beat level repeats: the combined ACF at one and at two periods must reach
    ``_GATE_COMBINED`` of the pulse family's own periodicity, and the kick/snare bands alone
    (low + mid) must reach ``_GATE_DRUMS`` of theirs, so that hats or guitar eighths on their
    own do not make a beat.
    """
    period = 60.0 * _FPS / bpm
    a1, a2 = _lookup(combined, np.array([period, 2 * period]))
    d1 = _lookup(drums, np.array([period]))[0]
    ratios = (a1 / (_GATE_COMBINED * ref[0]), a2 / (_GATE_COMBINED * ref[0]), d1 / (_GATE_DRUMS * ref[1]))
    value = float(np.min(ratios))
    return value if np.isfinite(value) else 0.0


def _pulse_family(combined: np.ndarray, min_bpm: float, max_bpm: float, n_frames: int) -> tuple[float, float]:
    """The tempo whose period and multiples (1-4) all recur most, and that worst-case ACF.

    Taking the minimum over the four multiples makes this the no-pulse statistic too: a
    random ACF bump of noise or pads does not come back at 2, 3 and 4 periods.
    """
    bpms = np.geomspace(min_bpm, max_bpm, 400)
    periods = 60.0 * _FPS / bpms
    lags = np.outer(np.arange(1, 5), periods)
    recur = _lookup(combined, lags)
    # Multiples beyond ~2/3 of the clip are too noisy to count; two must fit.
    recur[lags > 0.67 * n_frames] = np.nan
    usable = np.sum(np.isfinite(recur), axis=0) >= 2
    if not usable.any():
        return 0.0, 0.0
    worst = np.where(usable, np.nanmin(np.where(np.isfinite(recur), recur, np.inf), axis=0), -np.inf)
    best = int(np.argmax(worst))
    return float(bpms[best]), float(max(worst[best], 0.0))


def _choose_level(acfs: dict[str, np.ndarray], family_bpm: float, max_bpm: float) -> float:
    """The fastest relative of the pulse family (x1, x3/2, x2, x3, x4) that passes the gate."""
    combined, drums = _combine(acfs)
    ref = _family_reference(combined, drums, family_bpm)
    chosen = family_bpm
    for factor in _FASTER:
        bpm = family_bpm * factor
        if bpm <= max_bpm * 1.001 and _level_gate(combined, drums, bpm, ref) >= 1.0:
            chosen = max(chosen, bpm)
    return chosen


def _family_reference(combined: np.ndarray, drums: np.ndarray, family_bpm: float) -> tuple[float, float]:
    """The pulse family's own periodicity (all bands, kick/snare bands): the gate's yardstick."""
    lag = np.array([60.0 * _FPS / family_bpm])
    return float(_lookup(combined, lag)[0]), float(_lookup(drums, lag)[0])


def _combine(acfs: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Max-filtered (+-1 frame: humanized timing) weighted ACF of all bands, and of low + mid."""
    total = sum(_BAND_WEIGHT.values())
    combined = sum(_BAND_WEIGHT[b] * acfs[b] for b in _BAND_WEIGHT) / total
    drums = (acfs["low"] + acfs["mid"]) / 2.0
    return ndimage.maximum_filter1d(combined, 3), ndimage.maximum_filter1d(drums, 3)


def _alternatives(acfs: dict[str, np.ndarray], tempo_bpm: float, family_bpm: float,
                  min_bpm: float, max_bpm: float) -> tuple[TempoCandidate, ...]:
    combined, drums = _combine(acfs)
    ref = _family_reference(combined, drums, family_bpm)
    out = []
    for name, factor in _RATIOS.items():
        bpm = tempo_bpm * factor
        score = _level_gate(combined, drums, bpm, ref) if min_bpm <= bpm <= max_bpm else 0.0
        out.append(TempoCandidate(bpm=round(bpm, 2), ratio=name, score=round(max(score, 0.0), 3)))
    return tuple(out)


def estimate_tempo(y: np.ndarray, sr: int, *, min_bpm: float = 50.0, max_bpm: float = 250.0,
                   pulse_threshold: float = DEFAULT_PULSE_THRESHOLD) -> TempoEstimate:
    """Estimate the global tempo a listener would tap, or 0.0 when there is no pulse.

    Parameters
    ----------
    y : np.ndarray
        Audio, mono ``(samples,)`` or ``(channels, samples)``, float, any level.
    sr : int
        Sample rate of ``y`` in Hz (resampled internally to 22050 Hz).
    min_bpm, max_bpm : float
        Range of tempi to consider, in BPM.
    pulse_threshold : float
        Minimum ``pulse_strength`` for a pulse; below it ``tempo_bpm`` is 0.0. The default
        sits between the strongest pads/noise clips (~0.1) and the weakest drum grooves
        (~0.35) measured with ``benchmarks/tempo.py``.

    Returns
    -------
    TempoEstimate
        See its attributes; ``candidates`` lists the x1/2, x2, x2/3 and x3/2 alternatives.

    Examples
    --------
    >>> from dropper.synth import make_song
    >>> est = estimate_tempo(make_song(bpm=120, seconds=12, seed=1), 22050)
    >>> round(est.tempo_bpm)
    120
    """
    if not 0 < min_bpm < max_bpm:
        raise ValueError(f"min_bpm, max_bpm: need 0 < min_bpm < max_bpm, got {min_bpm!r}, {max_bpm!r}")
    y = _to_mono_22k(y, sr)
    none = TempoEstimate(tempo_bpm=0.0, confidence=0.0, pulse_strength=0.0, candidates=())
    if y.size < 4 * _N_FFT or not np.any(y):
        return none
    envs = _band_envelopes(y)
    n_frames = envs["low"].size
    max_lag = min(n_frames, int(4 * 1.05 * 60.0 * _FPS / min_bpm) + 3)
    acfs = {b: _autocorrelation(e, max_lag) for b, e in envs.items()}
    combined, _ = _combine(acfs)
    family_bpm, strength = _pulse_family(combined, min_bpm, max_bpm, n_frames)
    strength = round(strength, 4)
    if family_bpm == 0.0 or strength < pulse_threshold:
        return TempoEstimate(tempo_bpm=0.0, confidence=0.0, pulse_strength=strength, candidates=())
    tempo = _choose_level(acfs, family_bpm, max_bpm)
    raw = sum(_BAND_WEIGHT[b] * acfs[b] for b in _BAND_WEIGHT) / sum(_BAND_WEIGHT.values())
    tempo = float(np.clip(_refine(raw, tempo), min_bpm, max_bpm))
    candidates = _alternatives(acfs, tempo, family_bpm, min_bpm, max_bpm)
    faster = max((c.score for c in candidates if c.ratio in ("x2", "x3/2")), default=0.0)
    pulse_margin = min(1.0, (strength - pulse_threshold) / pulse_threshold)
    confidence = round(max(0.0, 1.0 - faster) * pulse_margin, 3)
    return TempoEstimate(tempo_bpm=round(tempo, 2), confidence=confidence,
                         pulse_strength=strength, candidates=candidates)
