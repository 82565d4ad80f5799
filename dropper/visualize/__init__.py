"""Music videos, timelapse GIFs and posters that show what a song feels like.

``render_song(audio, video_path=..., gif_path=..., poster_path=..., settings=VisualSettings())``
is the entry point; :mod:`.analysis` (features), :mod:`.layouts` (the looks) and :mod:`.draw`
(frames) are pure functions on arrays, :mod:`.encode` wraps ffmpeg, :mod:`.gif` and :mod:`.lzw`
write the timelapse. :mod:`.torch_analysis` and :mod:`.torch_draw` are the optional torch twins of
the analysis and the drawing (a CUDA GPU when there is one; ``visualize.device``).
"""

from dropper.visualize.encode import EncodeError
from dropper.visualize.layouts import PITCH_HUES, PITCH_NAMES, pitch_hues
from dropper.visualize.render import render_song
from dropper.visualize.settings import LAYOUTS, RenderFacts, VisualSettings

__all__ = [
           "LAYOUTS",
           "PITCH_HUES",
           "PITCH_NAMES",
           "EncodeError",
           "RenderFacts",
           "VisualSettings",
           "pitch_hues",
           "render_song",
]
