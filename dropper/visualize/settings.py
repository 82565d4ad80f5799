"""The knobs of the music-video look and its encoding, and the facts a render reports.

Settings are data: a frozen dataclass whose ``to_dict()`` goes into the stage's cache key.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from dropper.config import refuse_unknown_keys
from dropper.errors import ConfigError

LAYOUTS: tuple[str, ...] = ("bloom", "ripples")
PRESETS: tuple[str, ...] = ("ultrafast", "superfast", "veryfast", "faster", "fast", "medium")
DEVICES: tuple[str, ...] = ("auto", "cpu", "torch")


@dataclass(frozen=True)
class VisualSettings:
    """How a song's video, timelapse GIF and poster look and are encoded.

    Parameters
    ----------
    width, height : int
        Video size in pixels (even numbers; default 1280 x 720). The poster has the same size.
    fps : float
        Video frame rate in frames per second (default 30).
    layout : str
        ``"bloom"`` (default): a flower of twelve pitch-class petals around the centre, petal
        length and glow from the harmonic part, concentric rings of light from the percussive
        bands (bass in the middle, cymbals at the rim). ``"ripples"``: the same colours travel
        outward from the centre, so the last three seconds stay visible as rings.
    hue_start_deg : float
        Hue of pitch class C on the colour wheel in degrees (default 0 = red); each semitone up
        turns the wheel by 30 degrees (C# red-orange, ..., B magenta-red).
    decay_half_life_s : float
        Stickiness of the percussive bands: after a hit, a band falls from its recent maximum to
        half its brightness in this many seconds (default 0.25 s). 0 turns stickiness off.
    harmonic_half_life_s : float
        The same for the twelve pitch classes (default 0.5 s).
    floor_db, ceiling_db : float
        Levels in dB relative to a full-scale sine that map to dark and to full brightness
        (defaults -70 and -20 dB). A silent song therefore renders a calm, dark video.
    margin : float
        HPSS margin (Driedger): a bin counts as harmonic only where the harmonic median beats
        ``margin`` x the percussive one and vice versa; the rest is residual (noise), ignored.
        Default 2.0.
    n_bands : int
        Number of mel bands of the percussive part (default 32).
    gif_width, gif_height : int
        Timelapse GIF size in pixels (default 320 x 180: a catalog thumbnail of 0.2-0.7 MB).
    gif_seconds : float
        Timelapse length in seconds (default 10; shorter songs play in real time).
    gif_fps : float
        Timelapse frame rate (default 8 frames per second).
    crf : int
        x264 constant rate factor, 0-51 (default 26; lower is better and larger). The glows are
        smooth: 26 (with the deblocking filter on) looks like 23 in a fifth fewer bytes.
    preset : str
        x264 speed preset (default ``"ultrafast"``: the smooth glows need no more, and it
        is the only preset that keeps encoding within the CPU budget).
    threads : int
        x264 threads (default 1: the stage renders several songs side by side, and one
        thread per encoder costs the least CPU time).
    audio_kbps : int
        AAC audio bit rate in kbit/s (default 160).
    device : str
        Where analysis and drawing run: ``"auto"`` (default: torch on a CUDA GPU when torch is
        installed and sees one, else numpy on the CPU), ``"cpu"`` (numpy) or ``"torch"`` (torch
        on CUDA when available, else on torch's CPU device). Both paths give the same look
        within the tolerance stated in :mod:`dropper.visualize.torch_draw`.
    """

    width: int = 1280
    height: int = 720
    fps: float = 30.0
    layout: str = "bloom"
    hue_start_deg: float = 0.0
    decay_half_life_s: float = 0.25
    harmonic_half_life_s: float = 0.5
    floor_db: float = -70.0
    ceiling_db: float = -20.0
    margin: float = 2.0
    n_bands: int = 32
    gif_width: int = 320
    gif_height: int = 180
    gif_seconds: float = 10.0
    gif_fps: float = 8.0
    crf: int = 26
    preset: str = "ultrafast"
    threads: int = 1
    audio_kbps: int = 160
    device: str = "auto"

    def __post_init__(self) -> None:
        for name in ("width", "height", "gif_width", "gif_height"):
            value = getattr(self, name)
            if not (isinstance(value, int) and 16 <= value <= 8192 and value % 2 == 0):
                raise ConfigError(f"visualize.{name}: must be an even number of pixels from 16 to 8192, "
                                  f"got {value!r}")
        _check_range("fps", self.fps, 1.0, 120.0, "frames per second")
        _check_range("gif_fps", self.gif_fps, 1.0, 50.0, "frames per second")
        _check_range("gif_seconds", self.gif_seconds, 0.5, 120.0, "seconds")
        _check_range("decay_half_life_s", self.decay_half_life_s, 0.0, 60.0, "seconds")
        _check_range("harmonic_half_life_s", self.harmonic_half_life_s, 0.0, 60.0, "seconds")
        _check_range("margin", self.margin, 1.0, 16.0, "(a ratio)")
        _check_range("floor_db", self.floor_db, -160.0, 0.0, "dB")
        _check_range("ceiling_db", self.ceiling_db, self.floor_db + 1.0, 20.0, "dB (above floor_db)")
        if self.layout not in LAYOUTS:
            raise ConfigError(f"visualize.layout: unknown value {self.layout!r}; allowed: {', '.join(LAYOUTS)}")
        if self.device not in DEVICES:
            raise ConfigError(f"visualize.device: unknown value {self.device!r}; allowed: {', '.join(DEVICES)}")
        if self.preset not in PRESETS:
            raise ConfigError(f"visualize.preset: unknown value {self.preset!r}; allowed: {', '.join(PRESETS)}")
        if not (isinstance(self.n_bands, int) and 4 <= self.n_bands <= 128):
            raise ConfigError(f"visualize.n_bands: must be an integer from 4 to 128, got {self.n_bands!r}")
        if not (isinstance(self.crf, int) and 0 <= self.crf <= 51):
            raise ConfigError(f"visualize.crf: must be an integer from 0 to 51, got {self.crf!r}")
        if not (isinstance(self.threads, int) and 0 <= self.threads <= 64):
            raise ConfigError(f"visualize.threads: must be an integer from 0 (auto) to 64, got {self.threads!r}")
        if not (isinstance(self.audio_kbps, int) and 32 <= self.audio_kbps <= 512):
            raise ConfigError(f"visualize.audio_kbps: must be an integer from 32 to 512, got {self.audio_kbps!r}")

    def to_dict(self) -> dict:
        """JSON-safe dict of every knob (goes into cache keys)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, values: dict) -> VisualSettings:
        """Build settings from a dict such as drop.toml's ``[visualize]`` table."""
        refuse_unknown_keys(values, cls, section="visualize")
        return cls(**values)


def _check_range(name: str, value: float, low: float, high: float, unit: str) -> None:
    if not (isinstance(value, (int, float)) and not isinstance(value, bool) and low <= value <= high):
        raise ConfigError(f"visualize.{name}: must be from {low:g} to {high:g} {unit}, got {value!r}")


@dataclass(frozen=True)
class RenderFacts:
    """What one render made and what it cost.

    Times are CPU-seconds (this process plus the ffmpeg children), sizes are bytes.
    """

    duration_s: float
    frames: int
    width: int
    height: int
    fps: float
    gif_frames: int
    analysis_cpu_s: float
    draw_cpu_s: float
    encode_cpu_s: float
    gif_cpu_s: float
    video_bytes: int
    gif_bytes: int
    poster_bytes: int
    silent: bool

    @property
    def cpu_s(self) -> float:
        """All CPU-seconds of the render."""
        return self.analysis_cpu_s + self.draw_cpu_s + self.encode_cpu_s + self.gif_cpu_s

    def to_dict(self) -> dict:
        """JSON-safe dict (with ``cpu_s`` and ``cpu_s_per_audio_s`` added)."""
        out = asdict(self)
        out["cpu_s"] = self.cpu_s
        out["cpu_s_per_audio_s"] = self.cpu_s / self.duration_s if self.duration_s > 0 else 0.0
        return out
