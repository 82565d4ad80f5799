"""The album page's figures: tempo, temperature against tempo, distinctions, durations."""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass

from dropper.catalog import charts
from dropper.catalog.model import CatalogSong

TEMPO_BIN_BPM = 20


@dataclass(frozen=True)
class AlbumFigures:
    """SVG text of each chart and the sentences that go with them."""

    tempo_svg: str
    scatter_svg: str
    scatter_sentence: str
    correlation: float | None
    distinctions_svg: str
    styles_svg: str
    durations_svg: str
    total_duration_s: float
    ambient_count: int


def figures(songs: list[CatalogSong]) -> AlbumFigures:
    """Draw every chart of the album page from the songs' numbers (cheap: no media is read)."""
    pulsed = [s for s in songs if s.tempo_bpm is not None and s.tempo_bpm > 0 and s.temperature is not None]
    xs, ys = [s.temperature for s in pulsed], [s.tempo_bpm for s in pulsed]
    r = charts.pearson(xs, ys)
    scatter_svg = charts.scatter([(s.temperature, round(s.tempo_bpm, 1), s.title) for s in pulsed],
                                 title="Temperature against tempo", x_label="sampling temperature",
                                 y_label="tempo (BPM)", trend=charts.least_squares(xs, ys) if r is not None else None)
    distinctions = Counter(tag for s in songs for tag in s.distinctions).most_common()
    styles = Counter(s.style for s in songs if s.style).most_common()
    return AlbumFigures(
        tempo_svg=_tempo_histogram(songs), scatter_svg=scatter_svg,
        scatter_sentence=charts.correlation_sentence(r, len(pulsed)), correlation=r,
        distinctions_svg=charts.horizontal_bars([t for t, _ in distinctions], [c for _, c in distinctions],
                                                title="Distinctions given by the curators"),
        styles_svg=charts.horizontal_bars([t for t, _ in styles], [c for _, c in styles], title="Styles"),
        durations_svg=_duration_histogram(songs),
        total_duration_s=sum(s.duration_s for s in songs),
        ambient_count=sum(1 for s in songs if s.tempo_bpm == 0))


def _tempo_histogram(songs: list[CatalogSong]) -> str:
    """Songs per 20-BPM bin, with a first bar for the songs without a pulse (tempo 0)."""
    tempos = [s.tempo_bpm for s in songs if s.tempo_bpm is not None]
    pulsed = [t for t in tempos if t > 0]
    labels, counts = ["0"], [float(len(tempos) - len(pulsed))]
    if pulsed:
        low = int(min(pulsed) // TEMPO_BIN_BPM) * TEMPO_BIN_BPM
        high = int(max(pulsed) // TEMPO_BIN_BPM) * TEMPO_BIN_BPM
        for start in range(low, high + 1, TEMPO_BIN_BPM):
            labels.append(f"{start}–{start + TEMPO_BIN_BPM - 1}")
            counts.append(float(sum(1 for t in pulsed if start <= t < start + TEMPO_BIN_BPM)))
    return charts.bar_chart(labels, counts, title="Songs per tempo (0: ambient, no pulse)",
                            x_label="tempo (BPM); the grey bar is the ambient songs", highlight=[True])


def _duration_histogram(songs: list[CatalogSong]) -> str:
    """Songs per duration bin, the bin width chosen for about eight bars."""
    durations = [s.duration_s for s in songs]
    if not durations:
        return charts.bar_chart([], [], title="Durations")
    step = max(1.0, charts.nice_step(max(durations) - min(durations), 8))
    low = math.floor(min(durations) / step) * step
    bins = max(1, math.floor((max(durations) - low) / step) + 1)
    counts = [0.0] * bins
    for duration in durations:
        counts[min(bins - 1, int((duration - low) // step))] += 1
    labels = [_clock(low + i * step) for i in range(bins)]
    return charts.bar_chart(labels, counts, title="Song durations",
                            x_label=f"duration (each bar: {_clock(step)} from its label)")


def _clock(seconds: float) -> str:
    seconds = int(round(seconds))
    return f"{seconds // 60}:{seconds % 60:02d}"
