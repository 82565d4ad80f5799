"""Reading audio: every format dropper promises, and one clear error for each kind of bad file."""

from __future__ import annotations

import _thread
import contextlib
import os
import re
import sys
import threading
import tracemalloc

import numpy as np
import pytest
import soundfile as sf

from dropper import audio, ogg
from dropper.errors import AudioError, MissingInput


@pytest.fixture
def tone() -> np.ndarray:
    t = np.arange(22050) / 22050
    return (0.5 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)


@pytest.mark.parametrize("fmt", ["wav", "flac", "ogg", "mp3"])
def test_each_format_verifies_and_loads(tmp_path, tone, fmt):
    path = tmp_path / f"a.{fmt}"
    sf.write(str(path), np.stack([tone, tone], axis=1), 22050)
    info = audio.verify(path)
    assert (info.format, info.channels, info.sample_rate) == (fmt, 2, 22050)
    assert info.duration_s == pytest.approx(1.0, abs=0.06)  # mp3 pads a frame
    y, sr = audio.load(path, mono=True, sr=11025)
    assert y.ndim == 1 and sr == 11025 and len(y) == pytest.approx(11025, abs=700)


def test_missing_file(tmp_path):
    with pytest.raises(MissingInput, match="file not found"):
        audio.verify(tmp_path / "nope.wav")


def test_empty_file(tmp_path):
    (tmp_path / "e.wav").write_bytes(b"")
    with pytest.raises(AudioError, match=r"empty file \(0 bytes\)"):
        audio.verify(tmp_path / "e.wav")


def test_non_audio_file_with_audio_name(tmp_path):
    (tmp_path / "notes.wav").write_text("this is a text file, not a song")
    with pytest.raises(AudioError, match="not a readable audio file"):
        audio.verify(tmp_path / "notes.wav")


def test_zero_length_audio(tmp_path):
    sf.write(str(tmp_path / "z.wav"), np.zeros((0, 2), np.float32), 22050)
    with pytest.raises(AudioError, match="zero-length audio"):
        audio.verify(tmp_path / "z.wav")


def test_truncated_wav_is_corrupt(tmp_path, tone):
    sf.write(str(tmp_path / "t.wav"), tone, 22050)
    payload = (tmp_path / "t.wav").read_bytes()
    (tmp_path / "t.wav").write_bytes(payload[: len(payload) // 2])
    stopped = r"truncated audio: decoding stopped at 0\.5 s of the 1\.0 s the header declares"
    with pytest.raises(AudioError, match=stopped):
        audio.verify(tmp_path / "t.wav")


def test_flac_with_zeroed_frames_is_corrupt(tmp_path, tone):
    sf.write(str(tmp_path / "g.flac"), tone, 22050)
    payload = bytearray((tmp_path / "g.flac").read_bytes())
    payload[200:] = bytes(len(payload) - 200)  # zero out the frames
    (tmp_path / "g.flac").write_bytes(bytes(payload))
    with pytest.raises(AudioError):
        audio.verify(tmp_path / "g.flac")


def song(seconds: float = 6.0, sr: int = 22050) -> np.ndarray:
    """Stereo tone with a little noise: every codec keeps it, and it is not silence."""
    t = np.arange(round(sr * seconds)) / sr
    mono = 0.3 * np.sin(2 * np.pi * 440 * t) + 0.05 * np.random.default_rng(0).standard_normal(t.size)
    return np.stack([mono, 0.8 * mono], axis=1).astype(np.float32)


def cut_in_half(path):
    payload = path.read_bytes()
    path.write_bytes(payload[: len(payload) // 2])


def stopped_at_s(message: str) -> float:
    return float(re.search(r"decoding stopped at (\d+\.\d) s", message).group(1))


@pytest.mark.parametrize("fmt", ["flac", "ogg", "mp3"])
def test_compressed_file_cut_in_half_is_one_line_saying_where_decoding_stopped(tmp_path, fmt):
    path = tmp_path / f"half.{fmt}"
    sf.write(str(path), song(6.0), 22050)
    cut_in_half(path)
    with pytest.raises(AudioError, match=r"(truncated|corrupt) audio: decoding stopped at") as caught:
        audio.verify(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: ") and "\n" not in message
    # Half the bytes hold about half the song (a variable bit rate moves the middle a little).
    assert 1.5 <= stopped_at_s(message) <= 4.5


@pytest.mark.parametrize("fmt", ["flac", "mp3"])
def test_a_cut_file_names_the_length_its_header_declares(tmp_path, fmt):
    path = tmp_path / f"half.{fmt}"
    sf.write(str(path), song(6.0), 22050)
    cut_in_half(path)
    with pytest.raises(AudioError, match=r"of the 6\.0 s the header declares"):
        audio.verify(path)


def test_ogg_without_its_end_of_stream_page_is_truncated(tmp_path):
    """Cut exactly after a whole page: every page is intact, only the last one is missing."""
    path = tmp_path / "pages.ogg"
    sf.write(str(path), song(6.0), 22050)
    payload = path.read_bytes()
    last_page = payload.rfind(b"OggS")
    path.write_bytes(payload[:last_page])
    with pytest.raises(AudioError, match="truncated audio: .* no end-of-stream page"):
        audio.verify(path)


def test_truncated_mp3_keeps_libmpg123_warnings_off_stderr(tmp_path, capfd):
    path = tmp_path / "half.mp3"
    sf.write(str(path), song(6.0), 22050)
    cut_in_half(path)
    with contextlib.suppress(AudioError):
        audio.verify(path)
    sf.write(str(tmp_path / "whole.mp3"), song(2.0), 22050)
    audio.load(tmp_path / "whole.mp3")
    assert capfd.readouterr().err == ""


def test_output_on_stderr_while_decoding_still_gets_through(tmp_path, capfd):
    sf.write(str(tmp_path / "whole.mp3"), song(1.0), 22050)
    with audio.quiet_decoder():
        os.write(2, b"progress 50%\n")
        audio.verify(tmp_path / "whole.mp3")
        os.write(2, b"Warning: Xing stream size off by more than 1%\n")
    assert capfd.readouterr().err == "progress 50%\n"


@pytest.mark.parametrize(("fmt", "exact"), [("wav", True), ("flac", True), ("ogg", False), ("mp3", False)])
def test_whole_files_of_every_format_still_verify(tmp_path, fmt, exact):
    path = tmp_path / f"whole.{fmt}"
    sf.write(str(path), song(6.0, 44100), 44100)
    info = audio.verify(path)
    assert (info.format, info.channels, info.sample_rate) == (fmt, 2, 44100)
    if exact:
        assert info.frames == 6 * 44100
    else:
        assert info.duration_s == pytest.approx(6.0, abs=0.06)


def test_ogg_with_a_fixed_serial_number_still_verifies(tmp_path):
    path = tmp_path / "fixed.ogg"
    path.write_bytes(ogg.vorbis_bytes(song(3.0), 22050))
    assert audio.verify(path).duration_s == pytest.approx(3.0, abs=0.06)


@pytest.mark.parametrize("fmt", ["flac", "mp3"])
def test_verify_decodes_in_blocks_not_the_whole_file_at_once(tmp_path, fmt):
    path = tmp_path / f"long.{fmt}"
    y = song(60.0, 44100)
    sf.write(str(path), y, 44100)
    whole_mb = y.nbytes / 1e6  # 21 MB of float32
    del y
    tracemalloc.start()
    try:
        audio.verify(path)
        peak_mb = tracemalloc.get_traced_memory()[1] / 1e6
    finally:
        tracemalloc.stop()
    assert peak_mb < whole_mb / 5


def test_mp3_behind_an_id3_tag_cut_in_half_is_truncated(tmp_path):
    """The frame count sits in the first MPEG frame, after the ID3v2 tag that tagging tools add."""
    sf.write(str(tmp_path / "plain.mp3"), song(6.0), 22050)
    frame = b"TIT2" + (11).to_bytes(4, "big") + b"\x00\x00" + b"\x03Fake Song!" + bytes(300)
    syncsafe = bytes((len(frame) >> shift) & 0x7F for shift in (21, 14, 7, 0))
    tagged = b"ID3\x04\x00\x00" + syncsafe + frame + (tmp_path / "plain.mp3").read_bytes()
    (tmp_path / "tagged.mp3").write_bytes(tagged)
    assert audio.verify(tmp_path / "tagged.mp3").duration_s == pytest.approx(6.0, abs=0.06)
    (tmp_path / "cut.mp3").write_bytes(tagged[: len(tagged) // 2])
    with pytest.raises(AudioError, match=r"truncated audio: .* of the 6\.0 s the header declares"):
        audio.verify(tmp_path / "cut.mp3")


def fd2_identity() -> tuple[int, int]:
    status = os.fstat(2)
    return status.st_dev, status.st_ino


def watch_fd2(until: threading.Event, *, on_change=None) -> tuple[threading.Thread, list]:
    """A thread noting every other file fd 2 points at until ``until`` is set."""
    original, seen = fd2_identity(), []

    def watch():
        while not until.is_set():
            if fd2_identity() != original:
                seen.append(fd2_identity())
                if on_change is not None:
                    on_change()
                    return

    thread = threading.Thread(target=watch, daemon=True)
    thread.start()
    return thread, seen


def test_ctrl_c_while_an_mp3_decodes_gives_stderr_back(tmp_path, capfd):
    path = tmp_path / "long.mp3"
    sf.write(str(path), song(60.0), 22050)
    original, done = fd2_identity(), threading.Event()
    watcher, seen = watch_fd2(done, on_change=_thread.interrupt_main)
    with pytest.raises(KeyboardInterrupt):
        try:
            audio.verify(path)
        finally:
            done.set()
            watcher.join()
    assert seen, "the MP3 decoded with fd 2 untouched"
    assert fd2_identity() == original
    os.write(2, b"after the interrupt\n")
    assert capfd.readouterr().err == "after the interrupt\n"
    assert audio.verify(path).duration_s == pytest.approx(60.0, abs=0.06)


class _StderrInterruptedWhileRedirected:
    """A Python-level sys.stderr (as rich's progress installs) whose flush meets a Ctrl-C."""

    def __init__(self, original: tuple[int, int]):
        self.original = original

    def flush(self):
        if fd2_identity() != self.original:
            raise KeyboardInterrupt

    def write(self, text):
        return os.write(2, text.encode())


def test_ctrl_c_while_flushing_stderr_at_the_end_still_gives_fd2_back(tmp_path, monkeypatch):
    sf.write(str(tmp_path / "a.mp3"), song(1.0), 22050)
    original = fd2_identity()
    monkeypatch.setattr(sys, "stderr", _StderrInterruptedWhileRedirected(original))
    with pytest.raises(KeyboardInterrupt):
        audio.verify(tmp_path / "a.mp3")
    assert fd2_identity() == original


@pytest.mark.parametrize("fmt", ["wav", "flac", "ogg"])
def test_formats_without_libmpg123_leave_stderr_alone(tmp_path, fmt):
    """Only MPEG audio prints past Python: a progress bar or a crash report stays live."""
    path = tmp_path / f"long.{fmt}"
    with sf.SoundFile(str(path), "w", 22050, 2) as handle:  # in blocks: one big Ogg write can crash
        for start in range(0, 22050 * 40, 22050):
            handle.write(song(1.0))
    done = threading.Event()
    watcher, seen = watch_fd2(done)
    try:
        audio.verify(path)
        audio.load(path)
    finally:
        done.set()
        watcher.join()
    assert seen == []


def test_flac_that_does_not_record_its_length_is_one_honest_line(tmp_path):
    """STREAMINFO's total samples may be 0 (a streaming encoder): not "corrupt", not a huge length."""
    sf.write(str(tmp_path / "a.flac"), song(3.0), 22050)
    payload = bytearray((tmp_path / "a.flac").read_bytes())
    fields = int.from_bytes(payload[18:26], "big") & ~((1 << 36) - 1)  # rate, channels, bits, total
    payload[18:26] = fields.to_bytes(8, "big")
    (tmp_path / "streamed.flac").write_bytes(bytes(payload))
    for read in (audio.verify, audio.load):
        with pytest.raises(AudioError, match="the header does not say how many samples") as caught:
            read(tmp_path / "streamed.flac")
        assert "\n" not in str(caught.value) and "corrupt" not in str(caught.value)


def _id3v1() -> bytes:
    return b"TAG" + b"Title".ljust(30, b"\0") + b"Artist".ljust(30, b"\0") + bytes(65)


def _cbr_mp3(path) -> bytes:
    with sf.SoundFile(str(path), "w", 22050, 1, format="MP3", subtype="MPEG_LAYER_III",
                      bitrate_mode="CONSTANT", compression_level=0.5) as handle:
        handle.write(song(6.0)[:, 0])
    return path.read_bytes()


def _whole_file_variants(tmp_path) -> dict[str, bytes]:
    """Whole songs in shapes real files come in, each 6.0 s long."""
    def encoded(fmt: str) -> bytes:
        sf.write(str(tmp_path / f"plain.{fmt}"), song(6.0), 22050)
        return (tmp_path / f"plain.{fmt}").read_bytes()

    mp3, wav, flac = encoded("mp3"), encoded("wav"), encoded("flac")
    cbr = _cbr_mp3(tmp_path / "cbr.mp3")
    kbit_s = (0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160)[cbr[2] >> 4]  # MPEG-2 layer III
    info_frame = 72 * 1000 * kbit_s // 22050 + (cbr[2] >> 1 & 1)
    assert b"Info" in cbr[:info_frame]
    assert cbr[info_frame: info_frame + 2] == b"\xff\xf3"
    listed = wav + b"LIST" + (12).to_bytes(4, "little") + b"INFOISFT" + bytes(4)
    listed = listed[:4] + (len(listed) - 8).to_bytes(4, "little") + listed[8:]
    junk = bytes(np.random.default_rng(1).integers(0, 256, 5000, dtype=np.uint8))
    return {
        "id3v1.mp3": mp3 + _id3v1(),
        "cbr.mp3": cbr,
        "cbr-without-info-frame.mp3": cbr[info_frame:],
        "cbr-without-info-frame-id3v1.mp3": cbr[info_frame:] + _id3v1(),
        "junk-after.mp3": mp3 + junk,
        "junk-after.ogg": ogg.vorbis_bytes(song(6.0), 22050) + junk,
        "list-after-data.wav": listed,
        "junk-after.wav": wav + junk,
        "junk-after.flac": flac + junk,
    }


def test_whole_files_with_tags_chains_and_trailing_bytes_verify_at_full_length(tmp_path, capfd):
    for name, payload in _whole_file_variants(tmp_path).items():
        (tmp_path / name).write_bytes(payload)
        assert audio.verify(tmp_path / name).duration_s == pytest.approx(6.0, abs=0.07), name
    assert capfd.readouterr().err == ""


def test_chained_ogg_is_one_line_saying_only_its_first_link_decodes(tmp_path):
    """libsndfile stops after a chained file's first link: 3 s of a 6 s file is not the song."""
    half = ogg.vorbis_bytes(song(3.0), 22050)
    (tmp_path / "chained.ogg").write_bytes(half + half)
    with pytest.raises(AudioError, match=r"2 Ogg streams in one file .* only the first \(3\.0 s\) decodes"):
        audio.verify(tmp_path / "chained.ogg")
