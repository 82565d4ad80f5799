"""ffmpeg (from imageio-ffmpeg) as a pipe: raw frames in, an MP4 out, written whole or not at all.

ffmpeg writes to ``.<final name>.<random>.part`` beside the final path; only a clean exit
renames it into place. On any error or interrupt ffmpeg is stopped and the temporary removed.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import tempfile
from pathlib import Path

from dropper.errors import DropperError

_AAC_RATES = (8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000, 64000, 88200, 96000)
_PIPE_BYTES = 1 << 20
_BT709 = ("-color_range", "tv", "-colorspace", "bt709", "-color_primaries", "bt709", "-color_trc", "bt709")


class EncodeError(DropperError):
    """ffmpeg failed or could not write its output; the message ends with ffmpeg's last words."""


def ffmpeg_exe() -> str:
    """Path of the ffmpeg binary bundled with imageio-ffmpeg (no system ffmpeg is used)."""
    import imageio_ffmpeg

    return imageio_ffmpeg.get_ffmpeg_exe()


def video_args(*, width: int, height: int, fps: float, audio: Path | None, audio_rate: int,
               audio_channels: int, crf: int, preset: str, threads: int, audio_kbps: int) -> list[str]:
    """ffmpeg arguments: planar YUV 4:2:0 frames on stdin (+ the song) to H.264/AAC MP4.

    The frames are BT.709 limited range, and the input says so: tagging only the output made
    ffmpeg convert every frame from "unspecified" (read as BT.601) to BT.709, which shifted the
    colours and cost about a third of the encoder's CPU time.
    """
    args = ["-f", "rawvideo", "-pix_fmt", "yuv420p", "-s", f"{width}x{height}", "-r", f"{fps:g}",
            *_BT709, "-i", "pipe:0"]
    if audio is not None:
        args += ["-i", str(audio), "-map", "0:v:0", "-map", "1:a:0"]
    # ultrafast turns the deblocking filter off; at ~0.1 ms per frame it is the cheapest cure
    # for blocky edges in the dark, smooth glows.
    args += ["-c:v", "libx264", "-preset", preset, "-crf", str(crf), "-deblock", "0:0",
             "-threads", str(threads), "-pix_fmt", "yuv420p", *_BT709]
    if audio is not None:
        # The "fast" AAC coder costs half of the default "twoloop" and, per ffmpeg's manual,
        # is as good or better from 64 kbit/s up (worse below).
        coder = "fast" if audio_kbps >= 64 else "twoloop"
        args += ["-c:a", "aac", "-aac_coder", coder, "-b:a", f"{audio_kbps}k"]
        if audio_rate not in _AAC_RATES:
            args += ["-ar", "48000"]
        if audio_channels > 2:
            args += ["-ac", "2"]
    return args + ["-movflags", "+faststart", "-f", "mp4"]


class FramePipe:
    """``with FramePipe(path, args) as pipe: pipe.write(frame_bytes)`` runs ffmpeg into ``path``.

    The output appears under ``path`` only when ffmpeg exits cleanly after the last frame.
    """

    def __init__(self, path: str | os.PathLike, args: list[str]) -> None:
        self.path = Path(path)
        self.args = args
        self.process: subprocess.Popen | None = None
        self.temp: Path | None = None
        self._stderr = None

    def __enter__(self) -> FramePipe:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, temp = tempfile.mkstemp(dir=self.path.parent, prefix=f".{self.path.name}.", suffix=".part")
        except OSError as exc:
            raise EncodeError(f"{self.path}: cannot write there ({exc.strerror or exc})") from None
        os.close(fd)
        self.temp = Path(temp)
        self._stderr = tempfile.TemporaryFile()
        command = [ffmpeg_exe(), "-hide_banner", "-nostdin", "-loglevel", "error", "-y",
                   *self.args, str(self.temp)]
        try:
            self.process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                                            stderr=self._stderr)
        except OSError as exc:
            self._cleanup()
            raise EncodeError(f"{self.path}: cannot start ffmpeg ({exc})") from None
        _grow_pipe(self.process.stdin)
        return self

    def write(self, frame) -> None:
        """Send one frame's bytes (a contiguous array or bytes)."""
        try:
            self.process.stdin.write(memoryview(frame).cast("B"))
        except (BrokenPipeError, OSError):
            self.process.wait()
            raise EncodeError(f"{self.path}: ffmpeg stopped while receiving frames "
                              f"(exit {self.process.returncode}): {self._last_words()}") from None

    def __exit__(self, kind, value, traceback) -> None:
        if kind is not None:
            self._abort()
            return
        try:
            self.process.stdin.close()
        except OSError:
            pass
        code = self.process.wait()
        if code != 0:
            words = self._last_words()
            self._cleanup()
            raise EncodeError(f"{self.path}: ffmpeg failed (exit {code}): {words}")
        try:
            os.chmod(self.temp, 0o644)
            os.replace(self.temp, self.path)
        except OSError as exc:
            self._cleanup()
            raise EncodeError(f"{self.path}: cannot move the finished file into place ({exc})") from None
        self._cleanup()

    def _abort(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
        if self.process is not None:
            with contextlib.suppress(OSError):
                self.process.stdin.close()
            self.process.wait()
        self._cleanup()

    def _last_words(self) -> str:
        """ffmpeg's last non-empty stderr line."""
        if self._stderr is None:
            return "no message"
        self._stderr.seek(0)
        lines = [line.strip() for line in self._stderr.read().decode("utf-8", "replace").splitlines()]
        lines = [line for line in lines if line]
        return lines[-1] if lines else "no message (killed?)"

    def _cleanup(self) -> None:
        if self.temp is not None:
            with contextlib.suppress(FileNotFoundError):
                self.temp.unlink()
        if self._stderr is not None:
            self._stderr.close()
            self._stderr = None


def _grow_pipe(stream) -> None:
    """A 1 MiB pipe instead of 64 KiB: fewer wake-ups per frame (Linux only; harmless elsewhere)."""
    try:
        import fcntl

        fcntl.fcntl(stream.fileno(), getattr(fcntl, "F_SETPIPE_SZ", 1031), _PIPE_BYTES)
    except (ImportError, OSError):
        pass
